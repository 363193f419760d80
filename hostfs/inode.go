package hostfs

import (
	"os"
	"syscall"
)

// Inode returns a file's inode number, or 0 where the platform has none.
func Inode(info os.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
