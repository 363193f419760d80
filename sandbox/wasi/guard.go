package wasi

import (
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/wasmplay/wasmplay/hostfs"
)

// The bounds on what the guest makes are checked where an entry really
// is, not where its path says: links inside the tree (d -> ".") make a
// short path name a deep place. After each creation the host reads the
// new entry's real location from /proc/self/fd and undoes a creation past
// the bounds; and it counts the blocks a creation takes, its directory's
// growth included.

// realRel is where the open directory dirfd really is, relative to root.
func realRel(root *rootDir, dirfd int) (string, bool) {
	where, err := readFDPath(dirfd)
	if err != nil {
		return "", false
	}
	switch {
	case where == root.host:
		return ".", true
	case strings.HasPrefix(where, root.host+"/"):
		return where[len(root.host)+1:], true
	}
	return "", false
}

// readFDPath is the path the kernel has for an open descriptor.
func readFDPath(fd int) (string, error) {
	buf := make([]byte, 8192)
	n, err := unix.Readlink("/proc/self/fd/"+strconv.Itoa(fd), buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// placeAllowed reports whether an entry named base in the directory pfd
// is within the bounds on depth and path length, where pfd really is.
func placeAllowed(root *rootDir, pfd int, base string) bool {
	rel, ok := realRel(root, pfd)
	if !ok {
		return false
	}
	return !tooDeep(join(rel, base))
}

// subtreeAllowed is placeAllowed for a directory moved to base in pfd with
// its subtree (depth levels under it).
func subtreeAllowed(root *rootDir, pfd int, base string, depth int) bool {
	rel, ok := realRel(root, pfd)
	if !ok {
		return false
	}
	dest := join(rel, base)
	return len(dest) <= MaxPathBytes && strings.Count(dest, "/")+1+depth <= MaxDepth
}

// undoCreate removes a file just created at where (the host path the
// kernel gave for it) through e, resolving it beneath e strictly, never
// through a link; it reports whether the file is gone.
func undoCreate(e *fdEntry, where string) bool {
	base, ok := realRel(e.root, e.fd)
	if !ok {
		return false
	}
	prefix := e.root.host + "/"
	if base != "." {
		prefix += base + "/"
	}
	rel, ok := strings.CutPrefix(where, prefix)
	if !ok {
		return false
	}
	pfd, name, err := hostfs.ParentAt(e.fd, rel, hostfs.Strict)
	if err != nil {
		return false
	}
	defer unix.Close(pfd)
	return unix.Unlinkat(pfd, name, 0) == nil
}

// resolves reports whether rel names something beneath dirfd, following
// links within the tree.
func resolves(dirfd int, rel string) bool {
	fd, err := hostfs.OpenAt(dirfd, rel, unix.O_PATH, 0, hostfs.Beneath)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// symlinkTargetAllowed reports whether a link may point at target: inside
// the tree, wherever the link is and wherever it is later moved. So no
// absolute target and no "..": a link can only lead down from where it
// stands.
func symlinkTargetAllowed(target string) bool {
	if target == "" || path.IsAbs(target) {
		return false
	}
	for _, part := range strings.Split(target, "/") {
		if part == ".." {
			return false
		}
	}
	return true
}

// accountCreated counts the blocks a new entry takes, and what its
// directory grew by since parentBefore.
func (h *Host) accountCreated(pfd int, base string, parentBefore *unix.Stat_t) {
	if st, err := lstatAt(pfd, base); err == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
		h.quota.addBytes(st.Blocks * 512) // a directory's or a link's own block
	}
	h.accountDirGrowth(pfd, parentBefore)
}

// accountDirGrowth counts what a directory grew by since before.
func (h *Host) accountDirGrowth(pfd int, before *unix.Stat_t) {
	if before == nil {
		return
	}
	var now unix.Stat_t
	if unix.Fstat(pfd, &now) == nil && now.Blocks > before.Blocks {
		h.quota.addBytes((now.Blocks - before.Blocks) * 512)
	}
}

// fstatOf describes an open descriptor (nil when it cannot).
func fstatOf(fd int) *unix.Stat_t {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return nil
	}
	return &st
}

// inodeKey names a file across its links.
type inodeKey struct{ dev, ino uint64 }

// releaseEntry gives back an entry the guest removed (unlinked, or
// replaced by a rename). The blocks of a file the guest still has open
// stay counted until its last descriptor closes: the disk holds them
// until then.
func (h *Host) releaseEntry(st *unix.Stat_t) {
	if st != nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Nlink <= 1 && h.isOpen(inodeKey{st.Dev, st.Ino}) {
		h.orphans[inodeKey{st.Dev, st.Ino}] = true
		h.quota.dropEntry(nil)
		return
	}
	h.quota.dropEntry(st)
}

// isOpen reports whether the guest has a descriptor of the file.
func (h *Host) isOpen(k inodeKey) bool {
	for _, e := range h.fds {
		if e.kind == kindFile && e.inode == k {
			return true
		}
	}
	return false
}

// closeEntry closes a descriptor; the last one of a removed file gives
// its blocks back.
func (h *Host) closeEntry(e *fdEntry) {
	if e.kind == kindFile && h.orphans[e.inode] {
		st := fstatOf(e.fd)
		e.close()
		if !h.isOpenExcept(e.inode, e) {
			delete(h.orphans, e.inode)
			if st != nil {
				h.quota.addBytes(-st.Blocks * 512)
			}
		}
		return
	}
	e.close()
}

// isOpenExcept is isOpen, leaving out one descriptor.
func (h *Host) isOpenExcept(k inodeKey, except *fdEntry) bool {
	for _, e := range h.fds {
		if e != except && e.kind == kindFile && e.inode == k {
			return true
		}
	}
	return false
}
