// Package hostfs is how the host touches directories a guest could have
// written: session workspaces, the kept-variables exchange directory and
// other scratch directories of a run. It lists, diffs and resolves them
// without following what the guest planted.
package hostfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/wasmplay/wasmplay/run"
)

// MaxTreeEntries bounds the work of listing a huge workspace.
const MaxTreeEntries = 200_000

// fileState is what a Tree remembers of one file.
type fileState struct {
	size    int64
	modTime int64 // nanoseconds
	mode    fs.FileMode
}

// Tree is a listing of a directory at one moment: workspace-relative,
// slash-separated paths of its files mapped to their states. Directories
// are not listed; symbolic links are, as themselves.
type Tree map[string]fileState

// ErrTreeTooLarge reports a directory with more entries than are listed.
var ErrTreeTooLarge = fmt.Errorf("more than %d entries", MaxTreeEntries)

// Scan lists a directory tree. A missing directory is an empty Tree.
func Scan(root string) (Tree, error) {
	snap := Tree{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			// A file deleted mid-walk, or an unreadable directory: skip it.
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if len(snap) >= MaxTreeEntries {
			return ErrTreeTooLarge
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return nil
		}
		snap[filepath.ToSlash(rel)] = fileState{size: info.Size(), modTime: info.ModTime().UnixNano(), mode: info.Mode()}
		return nil
	})
	return snap, err
}

// Diff lists what changed between two listings, sorted by path.
func Diff(before, after Tree) run.FileChanges {
	changes := run.EmptyFileChanges()
	for p, a := range after {
		b, existed := before[p]
		switch {
		case !existed:
			changes.Created = append(changes.Created, run.FileChange{Path: p, Size: a.size})
		case a != b:
			changes.Modified = append(changes.Modified, run.FileChange{Path: p, Size: a.size})
		}
	}
	for p, b := range before {
		if _, still := after[p]; !still {
			changes.Deleted = append(changes.Deleted, run.FileChange{Path: p, Size: b.size})
		}
	}
	for _, list := range [][]run.FileChange{changes.Created, changes.Modified, changes.Deleted} {
		sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	}
	return changes
}

// EnsureDir creates a workspace directory if needed and returns its
// absolute, symlink-free path (WASI preopens must not go through a link
// the guest could have swapped).
func EnsureDir(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("workspace: job has no workspace directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("workspace: create workspace: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("workspace: workspace path: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("workspace: workspace path: %w", err)
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("workspace: workspace: %w", err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("workspace: workspace %s is not a directory", real)
	}
	return real, nil
}
