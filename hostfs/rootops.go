package hostfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// The host's operations in a directory a guest could write: the app's file
// browser, sessions' workspace commands, exports. Each resolves strictly
// beneath the Root (no symbolic link followed, not even one that stays
// inside), never blocks on a named pipe or a device, and is bounded in how
// many entries and how deep it goes.

// WalkFunc is called for each entry of a walk with its root-relative,
// slash-separated path and its description (links are described, not
// followed). A directory is visited before what it holds; returning
// fs.SkipDir from it skips its contents (from a file, it is ignored).
type WalkFunc func(rel string, info fs.FileInfo) error

// Walk visits every entry beneath the root in tree order, names sorted
// within a directory. Past MaxTreeEntries entries, or below MaxTreeDepth
// directories, it stops and returns ErrTreeTooLarge after visiting what
// fits. Entries removed during the walk are skipped.
func (r *Root) Walk(fn WalkFunc) error { return r.WalkDir(".", fn) }

// WalkDir is Walk of the directory rel beneath the root (reached strictly:
// no link on the way); the paths given to fn still start at the root.
func (r *Root) WalkDir(rel string, fn WalkFunc) error {
	fd, err := OpenAt(r.Fd(), rel, unix.O_RDONLY|unix.O_DIRECTORY, 0, Strict)
	if err != nil {
		return &fs.PathError{Op: "open", Path: r.Join(rel), Err: err}
	}
	prefix, depth := "", 0
	if rel != "." && rel != "" {
		prefix = path.Clean(rel)
		depth = strings.Count(prefix, "/") + 1
	}
	w := &walker{fn: fn}
	err = w.walk(os.NewFile(uintptr(fd), r.Join(rel)), prefix, depth)
	if err == nil && w.truncated {
		err = ErrTreeTooLarge
	}
	return err
}

// walker is the state of one Walk.
type walker struct {
	fn        WalkFunc
	entries   int
	truncated bool
}

// walk visits the directory dir (path prefix rel) and closes it.
func (w *walker) walk(dir *os.File, rel string, depth int) error {
	defer dir.Close()
	names, err := readNames(dir)
	if err != nil {
		return nil // removed meanwhile
	}
	for _, name := range names {
		if w.entries >= MaxTreeEntries {
			w.truncated = true
			return nil
		}
		var st unix.Stat_t
		if unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		w.entries++
		p := name
		if rel != "" {
			p = rel + "/" + name
		}
		err := w.fn(p, newStatInfo(name, &st))
		isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		switch {
		case errors.Is(err, fs.SkipDir):
			continue // a directory's contents are skipped; for a file it means nothing
		case err != nil:
			return err
		case !isDir:
			continue
		case depth+1 >= MaxTreeDepth:
			w.truncated = true
			continue
		}
		sub, err := OpenAt(int(dir.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY, 0, Strict)
		if err != nil {
			continue // replaced by a link, or removed, meanwhile
		}
		if err := w.walk(os.NewFile(uintptr(sub), name), p, depth+1); err != nil {
			return err
		}
		if w.truncated {
			return nil
		}
	}
	return nil
}

// readNames lists a directory, sorted, reading at most MaxTreeEntries+1
// names so a directory of millions stays bounded in memory.
func readNames(dir *os.File) ([]string, error) {
	var names []string
	for len(names) <= MaxTreeEntries {
		batch, err := dir.Readdirnames(1024)
		names = append(names, batch...)
		if err != nil || len(batch) == 0 {
			break
		}
	}
	slices.Sort(names)
	return names, nil
}

// MkdirAll creates the directory rel and its missing parents beneath the
// root, refusing a link on the way.
func (r *Root) MkdirAll(rel string, perm uint32) error {
	if rel == "." || rel == "" {
		return nil
	}
	dirfd, err := unix.Dup(r.Fd())
	if err != nil {
		return err
	}
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	if len(parts) > MaxTreeDepth {
		unix.Close(dirfd)
		return &fs.PathError{Op: "mkdir", Path: rel, Err: ErrTreeTooLarge}
	}
	for _, part := range parts {
		if part == "" || part == "." || part == ".." {
			unix.Close(dirfd)
			return &fs.PathError{Op: "mkdir", Path: rel, Err: fs.ErrInvalid}
		}
		if err := unix.Mkdirat(dirfd, part, perm); err != nil && err != unix.EEXIST {
			unix.Close(dirfd)
			return &fs.PathError{Op: "mkdir", Path: rel, Err: err}
		}
		next, err := OpenAt(dirfd, part, unix.O_PATH|unix.O_DIRECTORY, 0, Strict)
		unix.Close(dirfd)
		if err != nil {
			return &fs.PathError{Op: "mkdir", Path: rel, Err: err}
		}
		dirfd = next
	}
	unix.Close(dirfd)
	return nil
}

// WriteFileAtomic replaces rel with data: written to a new file beside it
// (created exclusively, so nothing planted under that name is written
// through), synced unless noSync, then renamed over rel. An entry at rel
// that is a link is replaced, not followed; a directory is refused.
func (r *Root) WriteFileAtomic(rel string, data []byte, perm uint32, tmpName string, noSync bool) error {
	parent, base, err := ParentAt(r.Fd(), rel, Strict)
	if err != nil {
		return &fs.PathError{Op: "write", Path: rel, Err: err}
	}
	defer unix.Close(parent)
	var st unix.Stat_t
	if unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return &fs.PathError{Op: "write", Path: rel, Err: unix.EISDIR}
	}
	fd, err := OpenAt(parent, tmpName, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, perm, Strict)
	if err != nil {
		return &fs.PathError{Op: "write", Path: rel, Err: err}
	}
	f := os.NewFile(uintptr(fd), tmpName)
	_, werr := f.Write(data)
	var serr error
	if werr == nil && !noSync {
		serr = f.Sync()
	}
	if err := errors.Join(werr, serr, f.Close()); err != nil {
		unix.Unlinkat(parent, tmpName, 0)
		return &fs.PathError{Op: "write", Path: rel, Err: err}
	}
	if err := unix.Renameat(parent, tmpName, parent, base); err != nil {
		unix.Unlinkat(parent, tmpName, 0)
		return &fs.PathError{Op: "write", Path: rel, Err: err}
	}
	return nil
}

// Rename moves from to to beneath the root; it never replaces an existing
// entry (fs.ErrExist).
func (r *Root) Rename(from, to string) error {
	fromDir, fromBase, err := ParentAt(r.Fd(), from, Strict)
	if err != nil {
		return &fs.PathError{Op: "rename", Path: from, Err: err}
	}
	defer unix.Close(fromDir)
	toDir, toBase, err := ParentAt(r.Fd(), to, Strict)
	if err != nil {
		return &fs.PathError{Op: "rename", Path: to, Err: err}
	}
	defer unix.Close(toDir)
	if err := unix.Renameat2(fromDir, fromBase, toDir, toBase, unix.RENAME_NOREPLACE); err != nil {
		return &fs.PathError{Op: "rename", Path: from, Err: err}
	}
	return nil
}

// RemoveAll removes rel beneath the root: a file, a link (never what it
// points to) or a directory with everything in it. It returns the bytes of
// the regular files removed (apparent sizes). A missing rel is no error.
func (r *Root) RemoveAll(rel string) (int64, error) {
	parent, base, err := ParentAt(r.Fd(), rel, Strict)
	if errors.Is(err, unix.ENOENT) {
		return 0, nil
	}
	if err != nil {
		return 0, &fs.PathError{Op: "remove", Path: rel, Err: err}
	}
	defer unix.Close(parent)
	var freed int64
	budget := 4 * MaxTreeEntries // entries a guest keeps creating cannot make this endless
	err = removeAt(parent, base, 0, &freed, &budget)
	if err != nil {
		return freed, &fs.PathError{Op: "remove", Path: rel, Err: err}
	}
	return freed, nil
}

// removeAt removes name in the directory dirfd, recursively.
func removeAt(dirfd int, name string, depth int, freed *int64, budget *int) error {
	if *budget--; *budget < 0 {
		return fmt.Errorf("%s: %w", name, ErrTreeTooLarge)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return nil
		}
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		if err := unix.Unlinkat(dirfd, name, 0); err != nil && err != unix.ENOENT {
			return err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFREG {
			*freed += st.Size
		}
		return nil
	}
	if depth >= MaxTreeDepth {
		return fmt.Errorf("%s: %w", name, ErrTreeTooLarge)
	}
	fd, err := OpenAt(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0, Strict)
	if err != nil {
		return err
	}
	dir := os.NewFile(uintptr(fd), name)
	for {
		names, rerr := dir.Readdirnames(1024)
		for _, n := range names {
			if err := removeAt(fd, n, depth+1, freed, budget); err != nil {
				dir.Close()
				return err
			}
		}
		if rerr != nil || len(names) == 0 {
			break
		}
		// Entries were removed: read again from the start.
		if _, err := dir.Seek(0, 0); err != nil {
			break
		}
	}
	dir.Close()
	if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil && err != unix.ENOENT {
		return err
	}
	return nil
}

// Join is rel's host path beneath the root, for messages.
func (r *Root) Join(rel string) string { return path.Join(r.path, rel) }
