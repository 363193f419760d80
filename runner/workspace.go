package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// maxSnapshotEntries bounds the work of diffing a huge workspace.
const maxSnapshotEntries = 200_000

// fileState is what a snapshot remembers of one file.
type fileState struct {
	size    int64
	modTime int64 // nanoseconds
	mode    fs.FileMode
}

// snapshot maps workspace-relative, slash-separated paths to file states.
// Directories are not listed; symbolic links are, as themselves.
type snapshot map[string]fileState

// errSnapshotTooLarge reports a workspace with more entries than we diff.
var errSnapshotTooLarge = fmt.Errorf("workspace has more than %d entries", maxSnapshotEntries)

// takeSnapshot walks a workspace. A missing workspace is an empty snapshot.
func takeSnapshot(root string) (snapshot, error) {
	snap := snapshot{}
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
		if len(snap) >= maxSnapshotEntries {
			return errSnapshotTooLarge
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

// diffSnapshots lists what changed between two snapshots, sorted by path.
func diffSnapshots(before, after snapshot) FileChanges {
	changes := FileChanges{Created: []FileChange{}, Modified: []FileChange{}, Deleted: []FileChange{}}
	for p, a := range after {
		b, existed := before[p]
		switch {
		case !existed:
			changes.Created = append(changes.Created, FileChange{Path: p, Size: a.size})
		case a != b:
			changes.Modified = append(changes.Modified, FileChange{Path: p, Size: a.size})
		}
	}
	for p, b := range before {
		if _, still := after[p]; !still {
			changes.Deleted = append(changes.Deleted, FileChange{Path: p, Size: b.size})
		}
	}
	for _, list := range [][]FileChange{changes.Created, changes.Modified, changes.Deleted} {
		sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	}
	return changes
}

// ensureWorkspace creates the workspace directory if needed and returns
// its absolute, symlink-free path (WASI preopens must not go through a link
// the guest could have swapped).
func ensureWorkspace(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("runner: job has no workspace directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("runner: create workspace: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("runner: workspace path: %w", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("runner: workspace path: %w", err)
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("runner: workspace: %w", err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("runner: workspace %s is not a directory", real)
	}
	return real, nil
}
