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
	"strings"
	"unicode/utf8"

	"github.com/wasmplay/wasmplay/run"
	"golang.org/x/sys/unix"
)

// Bounds of a listing: the work of listing a huge or deep tree.
const (
	// MaxTreeEntries is the most entries a Tree lists.
	MaxTreeEntries = 200_000
	// MaxTreeDepth is the deepest directory a Tree goes into.
	MaxTreeDepth = 256
	// MaxTreePathBytes bounds the paths a Tree holds, together.
	MaxTreePathBytes = 32 << 20
)

// Bounds of what anyone may create in a workspace (the guest, the app, an
// agent), so that every tree left there can be listed, measured, exported
// and deleted by the host.
const (
	// MaxPathBytes bounds a path from the workspace's root.
	MaxPathBytes = 1024
	// MaxDepth bounds how many directories deep an entry may be.
	MaxDepth = 128
	// MaxNameBytes is the longest name of one entry (Linux's NAME_MAX).
	MaxNameBytes = 255
)

// PathProblem says why a clean, root-relative path breaks those bounds
// ("" when it does not).
func PathProblem(rel string) string {
	switch {
	case !utf8.ValidString(rel):
		return "not valid UTF-8"
	case len(rel) > MaxPathBytes:
		return fmt.Sprintf("longer than %d bytes", MaxPathBytes)
	case strings.Count(rel, "/")+1 > MaxDepth:
		return fmt.Sprintf("deeper than %d directories", MaxDepth)
	}
	for _, name := range strings.Split(rel, "/") {
		if len(name) > MaxNameBytes {
			return fmt.Sprintf("a name is longer than %d bytes", MaxNameBytes)
		}
	}
	return ""
}

// fileState is what a Tree remembers of one file.
type fileState struct {
	size    int64
	modTime int64 // nanoseconds
	mode    fs.FileMode
	ino     uint64
}

// Usage is what a tree takes on disk.
type Usage struct {
	// Bytes counts the blocks really allocated (st_blocks), so a sparse
	// file counts for what it holds, not for its apparent size.
	Bytes uint64
	// Entries counts files, directories and links.
	Entries uint64
}

// Tree is a listing of a directory at one moment: root-relative,
// slash-separated paths of its files mapped to their states, and what the
// whole tree takes. Directories are not listed; symbolic links are, as
// themselves, and never followed.
type Tree struct {
	files map[string]fileState
	// Usage is what the listed tree takes.
	Usage Usage
	// Truncated is set when the tree had more entries (or deeper
	// directories) than are listed.
	Truncated bool
}

// Len is the number of files listed.
func (t Tree) Len() int { return len(t.files) }

// ErrTreeTooLarge reports a directory with more entries than are listed.
var ErrTreeTooLarge = fmt.Errorf("more than %d entries, deeper than %d directories, or more than %d MiB of paths",
	MaxTreeEntries, MaxTreeDepth, MaxTreePathBytes>>20)

// Scan lists a directory tree. A missing directory is an empty Tree. It
// walks the tree as Root.Walk does, so nothing planted in it leads the
// walk elsewhere, and no file is opened. A tree past the bounds is listed
// in part, marked Truncated, with ErrTreeTooLarge.
func Scan(dir string) (Tree, error) {
	t := Tree{files: map[string]fileState{}}
	root, err := OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return t, err
	}
	defer root.Close()
	seen := map[[2]uint64]bool{} // files with several links count once
	pathBytes := 0
	err = root.Walk(func(rel string, info fs.FileInfo) error {
		if pathBytes += len(rel); pathBytes > MaxTreePathBytes {
			return ErrTreeTooLarge // long names: bounded in memory too
		}
		st := info.Sys().(*unix.Stat_t)
		t.Usage.Entries++
		shared := st.Nlink > 1 && st.Mode&unix.S_IFMT != unix.S_IFDIR
		if key := [2]uint64{st.Dev, st.Ino}; !shared || !seen[key] {
			if shared {
				seen[key] = true
			}
			t.Usage.Bytes += uint64(st.Blocks) * 512
		}
		if !info.IsDir() {
			t.files[rel] = fileState{size: st.Size, modTime: st.Mtim.Nano(), mode: info.Mode(), ino: st.Ino}
		}
		return nil
	})
	t.Truncated = errors.Is(err, ErrTreeTooLarge)
	return t, err
}

// Diff lists what changed between two listings, sorted by path.
func Diff(before, after Tree) run.FileChanges {
	changes := run.EmptyFileChanges()
	for p, a := range after.files {
		b, existed := before.files[p]
		switch {
		case !existed:
			changes.Created = append(changes.Created, run.FileChange{Path: p, Size: a.size})
		case a != b:
			changes.Modified = append(changes.Modified, run.FileChange{Path: p, Size: a.size})
		}
	}
	for p, b := range before.files {
		if _, still := after.files[p]; !still {
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
