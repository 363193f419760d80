package hostfs

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Inode returns a file's inode number, or 0 where the platform has none.
func Inode(info os.FileInfo) uint64 {
	switch st := info.Sys().(type) {
	case *syscall.Stat_t:
		return uint64(st.Ino)
	case *unix.Stat_t:
		return st.Ino
	}
	return 0
}
