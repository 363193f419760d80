package hostfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// How a path is resolved beneath a directory descriptor. Every lookup the
// host makes in a directory a guest could write goes through openat2, so
// the kernel, not a string check, keeps it inside: ".." cannot climb out,
// an absolute path or an absolute symbolic link fails, and /proc's magic
// links are never followed.
const (
	// Beneath lets symbolic links be followed as long as they stay inside:
	// how the guest's own path lookups resolve.
	Beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS
	// Strict refuses every symbolic link, inside or not: how the host
	// resolves paths in a guest's directories, so that nothing the guest
	// planted steers what the host opens.
	Strict = Beneath | unix.RESOLVE_NO_SYMLINKS
)

// ErrEscape is wrapped by errors for a path that would leave the directory
// it is resolved in (through "..", an absolute path or a symbolic link).
var ErrEscape = errors.New("path leads outside its directory")

// ErrSymlink is wrapped by errors for a symbolic link met where the host
// follows none.
var ErrSymlink = errors.New("symbolic link not followed")

// OpenAt opens rel beneath the directory dirfd with the open flags given
// (O_CLOEXEC and O_NOCTTY are always added) and the resolve flags (Beneath
// or Strict). It never blocks: the file is opened O_NONBLOCK, so a named
// pipe or a device does not wait for a peer, and the flag is left for the
// caller to clear (ClearNonblock) once it knows what it opened. EINTR and
// EAGAIN (a rename racing the lookup) are retried.
func OpenAt(dirfd int, rel string, flags int, mode uint32, resolve uint64) (int, error) {
	extra := unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK
	if flags&unix.O_PATH != 0 {
		extra = unix.O_CLOEXEC // openat2 takes nothing else with O_PATH
	}
	how := unix.OpenHow{Flags: uint64(flags | extra), Mode: uint64(mode), Resolve: resolve}
	if flags&unix.O_CREAT == 0 && flags&unix.O_TMPFILE != unix.O_TMPFILE {
		how.Mode = 0 // openat2 refuses a mode it will not use
	}
	for tries := 0; ; tries++ {
		fd, err := unix.Openat2(dirfd, rel, &how)
		if err == unix.EINTR || (err == unix.EAGAIN && tries < 8) {
			continue
		}
		return fd, lookupError(err)
	}
}

// lookupError names the errors openat2 gives for a refused lookup.
func lookupError(err error) error {
	switch err {
	case nil:
		return nil
	case unix.EXDEV:
		return fmt.Errorf("%w (%w)", ErrEscape, err)
	case unix.ELOOP:
		return fmt.Errorf("%w (%w)", ErrSymlink, err)
	}
	return err
}

// ClearNonblock makes an open descriptor blocking again (for regular files
// and directories it changes nothing but hygiene).
func ClearNonblock(fd int) error { return unix.SetNonblock(fd, false) }

// Split cuts a relative path into the directory part and its last element.
// The last element is never empty, "." or "..": such paths name no entry
// to create or remove.
func Split(rel string) (dir, base string, err error) {
	clean := strings.TrimRight(rel, "/")
	if clean == "" || strings.HasPrefix(rel, "/") {
		return "", "", fmt.Errorf("%q: %w", rel, fs.ErrInvalid)
	}
	dir, base = path.Split(clean)
	if base == "." || base == ".." {
		return "", "", fmt.Errorf("%q names no entry: %w", rel, fs.ErrInvalid)
	}
	if dir == "" {
		dir = "."
	}
	return dir, base, nil
}

// ParentAt opens the directory that holds rel's last element, beneath
// dirfd (O_PATH: for the *at calls), and returns it with that element.
// Close the descriptor when done.
func ParentAt(dirfd int, rel string, resolve uint64) (int, string, error) {
	dir, base, err := Split(rel)
	if err != nil {
		return -1, "", err
	}
	fd, err := OpenAt(dirfd, dir, unix.O_PATH|unix.O_DIRECTORY, 0, resolve)
	if err != nil {
		return -1, "", err
	}
	return fd, base, nil
}

// Root is a directory a guest could write, opened once so that every
// later lookup in it is made beneath it, strictly (see Strict).
type Root struct {
	f    *os.File
	path string
}

// OpenRoot opens the directory dir (itself given by the host, so links on
// the way to it are followed).
func OpenRoot(dir string) (*Root, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	return &Root{f: os.NewFile(uintptr(fd), dir), path: dir}, nil
}

// Close releases the directory.
func (r *Root) Close() error { return r.f.Close() }

// Path is the directory's host path.
func (r *Root) Path() string { return r.path }

// Fd is the directory's descriptor.
func (r *Root) Fd() int { return int(r.f.Fd()) }

// Open opens rel (slash-separated, relative) strictly beneath the root and
// refuses anything but a regular file or, with dirOK, a directory, without
// ever blocking on a named pipe or a device.
func (r *Root) Open(rel string, flags int, dirOK bool) (*os.File, error) {
	fd, err := OpenAt(r.Fd(), rel, flags, 0, Strict)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: rel, Err: err}
	}
	f := os.NewFile(uintptr(fd), path.Join(r.path, rel))
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() && !(dirOK && info.IsDir()) {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: rel, Err: fmt.Errorf("it is %s: %w", KindOf(info.Mode()), ErrNotRegular)}
	}
	if kernelFile(fd) {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: rel, Err: fmt.Errorf("a kernel interface file: %w", ErrNotRegular)}
	}
	if err := ClearNonblock(fd); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ReadFile reads the regular file rel beneath the root, of at most limit
// bytes (a larger file is an error, not a partial read).
func (r *Root) ReadFile(rel string, limit int64) ([]byte, error) {
	f, err := r.Open(rel, unix.O_RDONLY, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, rel, limit)
}

// ReadFileHead reads at most limit bytes from the start of the regular file
// rel, and returns them with the file's size.
func (r *Root) ReadFileHead(rel string, limit int64) ([]byte, int64, error) {
	f, err := r.Open(rel, unix.O_RDONLY, false)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	head := make([]byte, min(limit, info.Size()))
	n, err := readFull(f, head)
	return head[:n], info.Size(), err
}

// Lstat describes rel beneath the root without following a link at its
// end (links on the way are refused).
func (r *Root) Lstat(rel string) (fs.FileInfo, error) {
	if rel == "." || rel == "" {
		return r.f.Stat()
	}
	parent, base, err := ParentAt(r.Fd(), rel, Strict)
	if err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: rel, Err: err}
	}
	defer unix.Close(parent)
	var st unix.Stat_t
	if err := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: rel, Err: err}
	}
	return newStatInfo(base, &st), nil
}

// readFull reads until p is full or the file ends.
func readFull(f *os.File, p []byte) (int, error) {
	n, err := io.ReadFull(f, p)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return n, err
}
