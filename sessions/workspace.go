package sessions

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/wasmplay/wasmplay/hostfs"
)

// Workspace file operations.
//
// The guest writes the workspace, so every operation goes through a
// hostfs.Root opened on it: lookups are made strictly beneath it by the
// kernel (openat2), following no symbolic link at all, never blocking on a
// named pipe, and bounded in entries and depth. Paths are checked up front
// too, so the common mistakes get a clear ErrInvalidPath
// rather than an OS error: a path must be relative, "/"-separated, and may
// not contain ".." or NUL.

// FileKind says what a workspace entry is.
type FileKind string

// The kinds of workspace entries.
const (
	KindFile    FileKind = "file"
	KindDir     FileKind = "dir"
	KindSymlink FileKind = "symlink" // never followed by Files
	KindOther   FileKind = "other"
)

// FileEntry is one entry of a workspace listing.
type FileEntry struct {
	// Path is relative to the workspace, "/"-separated.
	Path string `json:"path"`
	// Kind is file, dir, symlink or other.
	Kind FileKind `json:"kind"`
	// Size is the file's size; for a directory, the total size of the
	// files below it; for a symlink, the length of its target.
	Size int64 `json:"size"`
	// ModTime is the last modification time.
	ModTime time.Time `json:"mod_time"`
}

// cleanRelPath checks a workspace-relative path and returns it cleaned,
// in "/" form.
func cleanRelPath(p string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("path %q: %s: %w", truncateForError(p), why, ErrInvalidPath)
	}
	switch {
	case p == "":
		return bad("empty")
	case strings.ContainsRune(p, 0):
		return bad("contains NUL")
	case strings.HasPrefix(p, "/") || filepath.IsAbs(p):
		return bad("absolute paths are not allowed (paths are relative to the workspace)")
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == ".." {
			return bad(`".." is not allowed`)
		}
	}
	c := path.Clean(p)
	if c == "." {
		return bad("names the workspace itself")
	}
	if why := hostfs.PathProblem(c); why != "" {
		return bad(why)
	}
	return c, nil
}

// openWorkspace opens the workspace as a hostfs.Root, creating it if
// missing and refusing it if it has been replaced by a symlink.
func (s *Session) openWorkspace() (*hostfs.Root, error) {
	dir := s.WorkspaceDir()
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	return hostfs.OpenRoot(dir)
}

// confine adds ErrInvalidPath to the errors hostfs gives for a path that
// leads out of the workspace or through a link.
func confine(err error) error {
	if errors.Is(err, hostfs.ErrEscape) || errors.Is(err, hostfs.ErrSymlink) {
		return fmt.Errorf("%w: %w", ErrInvalidPath, err)
	}
	return err
}

// MaxReadBytes bounds what ReadFile loads.
const MaxReadBytes = 64 << 20

// Files lists the workspace in tree order: each directory is followed by
// its contents, names sorted within a directory. Symlinks are listed, not
// followed. A workspace with more entries than hostfs lists (or deeper
// directories) is listed in part, with an error wrapping
// hostfs.ErrTreeTooLarge beside the part.
func (s *Session) Files() ([]FileEntry, error) {
	root, err := s.openWorkspace()
	if err != nil {
		return nil, fmt.Errorf("sessions: files of %s: %w", s.id, err)
	}
	defer root.Close()
	var out []FileEntry
	dirIndex := map[string]int{}
	err = root.Walk(func(p string, info fs.FileInfo) error {
		e := FileEntry{Path: p, Size: info.Size(), ModTime: info.ModTime()}
		switch m := info.Mode(); {
		case m.IsRegular():
			e.Kind = KindFile
		case m.IsDir():
			e.Kind, e.Size = KindDir, 0
			dirIndex[p] = len(out)
		case m&fs.ModeSymlink != 0:
			e.Kind = KindSymlink
		default:
			e.Kind = KindOther
		}
		out = append(out, e)
		if e.Kind == KindFile {
			for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
				out[dirIndex[dir]].Size += e.Size
			}
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("sessions: files of %s: %w", s.id, err)
	}
	return out, nil
}

// ReadFile returns the content of a workspace file of at most MaxReadBytes.
func (s *Session) ReadFile(name string) ([]byte, error) {
	p, err := cleanRelPath(name)
	if err != nil {
		return nil, fmt.Errorf("sessions: read %s: %w", s.id, err)
	}
	root, err := s.openWorkspace()
	if err != nil {
		return nil, fmt.Errorf("sessions: read %q in %s: %w", name, s.id, err)
	}
	defer root.Close()
	b, err := root.ReadFile(p, MaxReadBytes)
	if err != nil {
		return nil, fmt.Errorf("sessions: read %q in %s: %w", name, s.id, confine(err))
	}
	return b, nil
}

// ReadFileHead returns at most limit bytes from the start of a workspace
// file, and the file's full size, so a preview never loads a huge file.
// Only a regular file is read; a named pipe or a device is refused without
// waiting on it.
func (s *Session) ReadFileHead(name string, limit int) (head []byte, size int64, err error) {
	p, err := cleanRelPath(name)
	if err != nil {
		return nil, 0, fmt.Errorf("sessions: read %s: %w", s.id, err)
	}
	root, err := s.openWorkspace()
	if err != nil {
		return nil, 0, fmt.Errorf("sessions: read %q in %s: %w", name, s.id, err)
	}
	defer root.Close()
	head, size, err = root.ReadFileHead(p, int64(limit))
	if err != nil {
		return nil, 0, fmt.Errorf("sessions: read %q in %s: %w", name, s.id, confine(err))
	}
	return head, size, nil
}

// WriteFile creates or replaces a workspace file, creating parent
// directories as needed. The replacement is atomic (temp file, fsync,
// rename); an existing symlink at that path is replaced, not followed.
func (s *Session) WriteFile(name string, data []byte) error {
	p, err := cleanRelPath(name)
	if err != nil {
		return fmt.Errorf("sessions: write %s: %w", s.id, err)
	}
	err = s.withWorkspace(func(root *hostfs.Root) error {
		if fi, err := root.Lstat(p); err == nil && fi.IsDir() {
			return fmt.Errorf("%q is a directory: %w", p, ErrExists)
		}
		if err := root.MkdirAll(path.Dir(p), dirPerm); err != nil {
			return err
		}
		tmp := "." + path.Base(p) + "." + uuid.NewString()[:8] + tmpSuffix
		return root.WriteFileAtomic(p, data, 0o644, tmp, s.st.noSync)
	})
	if err != nil {
		return fmt.Errorf("sessions: write %q in %s: %w", name, s.id, confine(err))
	}
	return nil
}

// RenameFile moves a workspace file or directory. It refuses to overwrite
// an existing entry.
func (s *Session) RenameFile(oldName, newName string) error {
	from, err := cleanRelPath(oldName)
	if err != nil {
		return fmt.Errorf("sessions: rename in %s: %w", s.id, err)
	}
	to, err := cleanRelPath(newName)
	if err != nil {
		return fmt.Errorf("sessions: rename in %s: %w", s.id, err)
	}
	err = s.withWorkspace(func(root *hostfs.Root) error {
		if _, err := root.Lstat(from); err != nil {
			return err
		}
		if _, err := root.Lstat(to); err == nil {
			return fmt.Errorf("%q: %w", to, ErrExists)
		}
		if err := root.MkdirAll(path.Dir(to), dirPerm); err != nil {
			return err
		}
		if err := root.Rename(from, to); errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%q: %w", to, ErrExists)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sessions: rename %q to %q in %s: %w", oldName, newName, s.id, confine(err))
	}
	return nil
}

// DeleteFile removes a workspace file, symlink (not its target) or
// directory with everything in it.
func (s *Session) DeleteFile(name string) error {
	p, err := cleanRelPath(name)
	if err != nil {
		return fmt.Errorf("sessions: delete %s: %w", s.id, err)
	}
	err = s.withWorkspace(func(root *hostfs.Root) error {
		if _, err := root.Lstat(p); err != nil {
			return err
		}
		_, err := root.RemoveAll(p)
		return err
	})
	if err != nil {
		return fmt.Errorf("sessions: delete %q in %s: %w", name, s.id, confine(err))
	}
	return nil
}

// ResetWorkspace empties the workspace: every file, directory and link in
// it is removed (links, not what they point to). It fails with ErrRunning,
// at once, while a run is in progress in the session.
func (s *Session) ResetWorkspace() error {
	noRuns, err := holdNoRuns(s.dir, s.id, s.Name())
	if err != nil {
		return fmt.Errorf("sessions: reset the workspace of %s: %w", s.id, err)
	}
	defer noRuns.Close()
	err = s.withWorkspace(func(root *hostfs.Root) error {
		var top []string
		err := root.Walk(func(rel string, _ fs.FileInfo) error {
			top = append(top, rel)
			return fs.SkipDir // only the top level: RemoveAll takes the rest
		})
		if err != nil && !errors.Is(err, hostfs.ErrTreeTooLarge) {
			return err
		}
		for _, rel := range top {
			if _, err := root.RemoveAll(rel); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sessions: reset the workspace of %s: %w", s.id, err)
	}
	return nil
}

// withWorkspace runs a file operation under the write lock, then measures
// the session again and marks it used. (Runs change the workspace behind
// this package's back; AppendRun measures the whole session too.)
func (s *Session) withWorkspace(op func(root *hostfs.Root) error) error {
	return s.withLock(func() error {
		root, err := s.openWorkspace()
		if err != nil {
			return err
		}
		err = op(root)
		root.Close()
		if err != nil {
			return err
		}
		err = s.updateMetaLocked(func(m *Meta) error {
			if _, err := s.measureLocked(m); err != nil {
				return err
			}
			s.touchLocked(m)
			return nil
		})
		if err != nil {
			s.st.warn(fmt.Errorf("sessions: %s: updating %s: %w", s.id, metaFile, err))
		}
		return nil
	})
}
