//go:build !unix

package sessions

import "os"

// keyOf identifies a version of a file for the list cache. Without inode
// numbers, size and modification time must do.
func keyOf(fi os.FileInfo) fileKey {
	return fileKey{Size: fi.Size(), ModNano: fi.ModTime().UnixNano()}
}
