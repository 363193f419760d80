package hostfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/wasmplay/wasmplay/run"
)

// ErrNotRegular is wrapped by errors for a path that is not a regular file
// (a directory, a named pipe, a device, a socket).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by errors for a file larger than what is read.
var ErrTooLarge = errors.New("too large")

// KindOf names a file type for people ("a named pipe").
func KindOf(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// ReadFile reads a regular file of at most limit bytes, measured before it
// is read: it opens without blocking (a named pipe or a device is refused,
// never waited on), refuses what is not a regular file, and never reads
// more than limit+1 bytes, so /dev/zero or a 50 GB log is a clear error at
// once and memory stays bounded.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := openRegular(path, unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, path, limit)
}

// readLimited reads an open regular file of at most limit bytes.
func readLimited(f *os.File, name string, limit int64) ([]byte, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%s is %s, larger than the %s allowed: %w", name,
			run.FormatBytes(uint64(info.Size())), run.FormatBytes(uint64(limit)), ErrTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s grew past the %s allowed while it was read: %w", name,
			run.FormatBytes(uint64(limit)), ErrTooLarge)
	}
	return data, nil
}

// OpenRegular opens path for reading without blocking, and returns it only
// if it is a regular file (symbolic links given by the user are followed):
// a named pipe or a device is an error at once, never a wait.
func OpenRegular(path string) (*os.File, error) { return openRegular(path, unix.O_RDONLY) }

// OpenRegularNoFollow is OpenRegular for a path whose last component
// must not be a symbolic link (a file in a directory of wasmplay's own,
// such as its cache).
func OpenRegularNoFollow(path string) (*os.File, error) {
	return openRegular(path, unix.O_RDONLY|unix.O_NOFOLLOW)
}

// openRegular is OpenRegular with other open flags.
func openRegular(path string, flags int) (*os.File, error) {
	fd, err := unix.Open(path, flags|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is %s: %w", path, KindOf(info.Mode()), ErrNotRegular)
	}
	if kernelFile(fd) {
		f.Close()
		return nil, fmt.Errorf("%s is a kernel interface file (/proc, /sys): its size says nothing of what a read gives, and a read may wait: %w",
			path, ErrNotRegular)
	}
	// Reads of a regular file do not block; clear O_NONBLOCK anyway so
	// the descriptor behaves as an ordinary one.
	if err := unix.SetNonblock(fd, false); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// kernelFile reports whether fd is a file of a kernel pseudo file system
// (/proc, /sys and the like): "regular" files that report no size, may
// never end (/proc/kcore) or block a read (/proc/kmsg).
func kernelFile(fd int) bool {
	var fs unix.Statfs_t
	if unix.Fstatfs(fd, &fs) != nil {
		return false
	}
	switch fs.Type {
	case unix.PROC_SUPER_MAGIC, unix.SYSFS_MAGIC, unix.DEBUGFS_MAGIC, unix.TRACEFS_MAGIC, unix.SECURITYFS_MAGIC,
		unix.CGROUP2_SUPER_MAGIC, unix.CGROUP_SUPER_MAGIC, unix.BPF_FS_MAGIC, unix.EFIVARFS_MAGIC:
		return true
	}
	return false
}
