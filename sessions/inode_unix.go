//go:build unix

package sessions

import (
	"os"
	"syscall"
)

// keyOf identifies a version of a file for the list cache.
func keyOf(fi os.FileInfo) fileKey {
	k := fileKey{Size: fi.Size(), ModNano: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.Ino = uint64(st.Ino)
	}
	return k
}
