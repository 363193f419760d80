package wasi

import (
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"

	"github.com/wasmplay/wasmplay/hostfs"
)

// Bounds of what a guest may create, so that every tree it leaves can be
// listed, exported and deleted by the host.
// They are the host's rules for every workspace (hostfs.PathProblem).
const (
	// MaxPathBytes bounds a path from its preopened directory.
	MaxPathBytes = hostfs.MaxPathBytes
	// MaxDepth bounds how many directories deep an entry may be.
	MaxDepth = hostfs.MaxDepth
	// maxNameBytes is the longest name of one entry (Linux's NAME_MAX).
	maxNameBytes = hostfs.MaxNameBytes
	// maxPathArg bounds any path argument.
	maxPathArg = 4096
)

// pathArg reads a path argument from guest memory.
func pathArg(mem []byte, ptr, n int32) (string, errno) {
	if n < 0 || n > maxPathArg {
		return "", errNametoolong
	}
	b, ok := slice(mem, ptr, n)
	if !ok {
		return "", errFault
	}
	p := string(b)
	if strings.IndexByte(p, 0) >= 0 {
		return "", errInval
	}
	if !utf8.ValidString(p) {
		// WASI paths are UTF-8; a name that is not would show as U+FFFD
		// in every listing, the same as another file's real name.
		return "", errIlseq
	}
	if p == "" {
		return "", errNoent
	}
	return p, errSuccess
}

// dir finds a directory descriptor that paths are resolved in.
func (h *Host) dir(fd int32) (*fdEntry, errno) {
	e, en := h.get(fd)
	if en != errSuccess {
		return nil, en
	}
	if e.kind != kindDir {
		return nil, errNotdir
	}
	return e, errSuccess
}

// writableDir is dir for a call that changes the tree.
func (h *Host) writableDir(fd int32) (*fdEntry, errno) {
	e, en := h.dir(fd)
	if en == errSuccess && !e.root.writable {
		return nil, errRofs
	}
	return e, en
}

// tooDeep reports whether an entry at rel (from its root) would pass the
// bounds on path length and depth.
func tooDeep(rel string) bool {
	rel = path.Clean(rel)
	return len(rel) > MaxPathBytes || strings.Count(rel, "/")+1 > MaxDepth || len(path.Base(rel)) > maxNameBytes
}

// parent opens the directory holding p's last element, beneath e.
func parent(e *fdEntry, p string) (int, string, errno) {
	fd, base, err := hostfs.ParentAt(e.fd, p, hostfs.Beneath)
	if err != nil {
		return -1, "", errnoOf(err)
	}
	return fd, base, errSuccess
}

// lstatAt describes base in the directory dirfd without following it.
func lstatAt(dirfd int, base string) (*unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, err
	}
	return &st, nil
}

// procPath names an open descriptor for calls that take a path and would
// otherwise follow links with no bound (utimensat, linkat).
func procPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

func (h *Host) pathOpen(c *wasmtime.Caller, dirfd, dirflags, pathPtr, pathLen, oflags int32, rightsBase, rightsInherit int64,
	fdflags, fdPtr int32) int32 {
	mem := h.memory(c)
	e, en := h.dir(dirfd)
	if en != errSuccess {
		return en
	}
	p, en := pathArg(mem, pathPtr, pathLen)
	if en != errSuccess {
		return en
	}
	if len(h.fds) >= maxOpen {
		return errMfile
	}
	write := uint64(rightsBase)&rightFdWrite != 0 || oflags&(oflagCreat|oflagTrunc) != 0 || fdflags&fdflagAppend != 0
	read := uint64(rightsBase)&rightFdRead != 0 || !write
	if write && !e.root.writable {
		return errRofs
	}
	flags := unix.O_RDONLY
	switch {
	case oflags&oflagDirectory != 0:
		flags = unix.O_RDONLY | unix.O_DIRECTORY
		read, write = true, false
	case read && write:
		flags = unix.O_RDWR
	case write:
		flags = unix.O_WRONLY
	}
	if oflags&oflagCreat != 0 {
		flags |= unix.O_CREAT
	}
	if oflags&oflagExcl != 0 {
		flags |= unix.O_EXCL
	}
	if oflags&oflagTrunc != 0 {
		flags |= unix.O_TRUNC
	}
	if fdflags&fdflagAppend != 0 {
		flags |= unix.O_APPEND
	}
	if fdflags&(fdflagSync|fdflagRsync) != 0 {
		flags |= unix.O_SYNC
	}
	if fdflags&fdflagDsync != 0 {
		flags |= unix.O_DSYNC
	}
	if dirflags&lookupSymlinkFollow == 0 {
		flags |= unix.O_NOFOLLOW
	}

	// What the open may add: a new entry (within the bounds), or the
	// blocks a truncation frees.
	var before, parentBefore *unix.Stat_t
	created := false
	pfd, base := -1, ""
	if flags&(unix.O_CREAT|unix.O_TRUNC) != 0 {
		var en errno
		pfd, base, en = parent(e, p)
		if en != errSuccess {
			return en
		}
		defer unix.Close(pfd)
		before, _ = lstatAt(pfd, base)
		if before == nil && flags&unix.O_CREAT != 0 {
			if tooDeep(join(e.rel, p)) || !placeAllowed(e.root, pfd, base) {
				return errNametoolong
			}
			if !h.quota.newEntry() {
				return errDquot
			}
			created, parentBefore = true, fstatOf(pfd)
		} else if before != nil && before.Mode&unix.S_IFMT == unix.S_IFLNK && flags&(unix.O_CREAT|unix.O_NOFOLLOW) == unix.O_CREAT &&
			!resolves(e.fd, p) {
			// Creating through a dangling link makes its target: a new
			// entry, placed where the link leads (checked once it is made).
			if !h.quota.newEntry() {
				return errDquot
			}
			created, before = true, nil
		}
	}
	fd, err := hostfs.OpenAt(e.fd, p, flags, 0o644, hostfs.Beneath)
	if err != nil {
		if created {
			h.quota.dropEntry(nil)
		}
		return errnoOf(err)
	}
	if created {
		// Where the file really is (a link on the way can put it deeper
		// than its path says).
		if where, err := readFDPath(fd); err != nil || !strings.HasPrefix(where, e.root.host+"/") ||
			tooDeep(where[len(e.root.host)+1:]) {
			unix.Close(fd)
			if undoCreate(e, where) {
				h.quota.dropEntry(nil)
			}
			return errNametoolong
		}
		if parentBefore != nil {
			h.accountDirGrowth(pfd, parentBefore)
		}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return errnoOf(err)
	}
	kind := kindFile
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		kind = kindDir
	default:
		// A named pipe, a device or a socket in a mount: refused, never
		// waited on.
		unix.Close(fd)
		return errNxio
	}
	if err := hostfs.ClearNonblock(fd); err != nil {
		unix.Close(fd)
		return errnoOf(err)
	}
	if before != nil && flags&unix.O_TRUNC != 0 && kind == kindFile {
		h.quota.account(fd, before)
	}
	n := h.add(&fdEntry{kind: kind, fd: fd, root: e.root, rel: join(e.rel, p), readable: read, writable: write && kind == kindFile,
		append: flags&unix.O_APPEND != 0, inode: inodeKey{st.Dev, st.Ino}})
	if !putU32(mem, fdPtr, uint32(n)) {
		return errFault
	}
	return errSuccess
}

func (h *Host) pathFilestatGet(c *wasmtime.Caller, dirfd, flags, pathPtr, pathLen, ptr int32) int32 {
	mem := h.memory(c)
	e, en := h.dir(dirfd)
	if en != errSuccess {
		return en
	}
	p, en := pathArg(mem, pathPtr, pathLen)
	if en != errSuccess {
		return en
	}
	open := unix.O_PATH
	if flags&lookupSymlinkFollow == 0 {
		open |= unix.O_NOFOLLOW
	}
	fd, err := hostfs.OpenAt(e.fd, p, open, 0, hostfs.Beneath)
	if err != nil {
		return errnoOf(err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return errnoOf(err)
	}
	b, ok := slice(mem, ptr, filestatSize)
	if !ok {
		return errFault
	}
	putFilestat(b, &st)
	return errSuccess
}

func (h *Host) pathFilestatSetTimes(c *wasmtime.Caller, dirfd, flags, pathPtr, pathLen int32, atim, mtim int64, fst int32) int32 {
	mem := h.memory(c)
	e, en := h.writableDir(dirfd)
	if en != errSuccess {
		return en
	}
	p, en := pathArg(mem, pathPtr, pathLen)
	if en != errSuccess {
		return en
	}
	ts, en := timespecs(atim, mtim, fst)
	if en != errSuccess {
		return en
	}
	if flags&lookupSymlinkFollow == 0 {
		pfd, base, en := parent(e, p)
		if en != errSuccess {
			return en
		}
		defer unix.Close(pfd)
		return errnoOf(unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW))
	}
	fd, err := hostfs.OpenAt(e.fd, p, unix.O_PATH, 0, hostfs.Beneath)
	if err != nil {
		return errnoOf(err)
	}
	defer unix.Close(fd)
	return errnoOf(unix.UtimesNanoAt(unix.AT_FDCWD, procPath(fd), ts, 0))
}

func (h *Host) pathCreateDirectory(c *wasmtime.Caller, dirfd, pathPtr, pathLen int32) int32 {
	mem := h.memory(c)
	e, en := h.writableDir(dirfd)
	if en != errSuccess {
		return en
	}
	p, en := pathArg(mem, pathPtr, pathLen)
	if en != errSuccess {
		return en
	}
	pfd, base, en := parent(e, p)
	if en != errSuccess {
		return en
	}
	defer unix.Close(pfd)
	if st, _ := lstatAt(pfd, base); st != nil {
		return errExist
	}
	if tooDeep(join(e.rel, p)) || !placeAllowed(e.root, pfd, base) {
		return errNametoolong
	}
	if !h.quota.newEntry() {
		return errDquot
	}
	parentBefore := fstatOf(pfd)
	if err := unix.Mkdirat(pfd, base, 0o755); err != nil {
		h.quota.dropEntry(nil)
		return errnoOf(err)
	}
	h.accountCreated(pfd, base, parentBefore)
	return errSuccess
}

func (h *Host) pathRemoveDirectory(c *wasmtime.Caller, dirfd, pathPtr, pathLen int32) int32 {
	return h.remove(c, dirfd, pathPtr, pathLen, true)
}

func (h *Host) pathUnlinkFile(c *wasmtime.Caller, dirfd, pathPtr, pathLen int32) int32 {
	return h.remove(c, dirfd, pathPtr, pathLen, false)
}

// remove unlinks a file or removes an empty directory.
func (h *Host) remove(c *wasmtime.Caller, dirfd, pathPtr, pathLen int32, dir bool) int32 {
	mem := h.memory(c)
	e, en := h.writableDir(dirfd)
	if en != errSuccess {
		return en
	}
	p, en := pathArg(mem, pathPtr, pathLen)
	if en != errSuccess {
		return en
	}
	pfd, base, en := parent(e, p)
	if en != errSuccess {
		return en
	}
	defer unix.Close(pfd)
	st, err := lstatAt(pfd, base)
	if err != nil {
		return errnoOf(err)
	}
	isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	switch {
	case dir && !isDir:
		return errNotdir
	case !dir && isDir:
		return errIsdir
	}
	flag := 0
	if dir {
		flag = unix.AT_REMOVEDIR
	}
	if err := unix.Unlinkat(pfd, base, flag); err != nil {
		return errnoOf(err)
	}
	h.releaseEntry(st)
	return errSuccess
}

func (h *Host) pathRename(c *wasmtime.Caller, oldfd, oldPtr, oldLen, newfd, newPtr, newLen int32) int32 {
	mem := h.memory(c)
	oe, en := h.writableDir(oldfd)
	if en != errSuccess {
		return en
	}
	ne, en := h.writableDir(newfd)
	if en != errSuccess {
		return en
	}
	if oe.root != ne.root {
		return errXdev
	}
	op, en := pathArg(mem, oldPtr, oldLen)
	if en != errSuccess {
		return en
	}
	np, en := pathArg(mem, newPtr, newLen)
	if en != errSuccess {
		return en
	}
	opfd, obase, en := parent(oe, op)
	if en != errSuccess {
		return en
	}
	defer unix.Close(opfd)
	npfd, nbase, en := parent(ne, np)
	if en != errSuccess {
		return en
	}
	defer unix.Close(npfd)
	src, err := lstatAt(opfd, obase)
	if err != nil {
		return errnoOf(err)
	}
	extra := 0
	if src.Mode&unix.S_IFMT == unix.S_IFDIR {
		extra = subtreeDepth(opfd, obase)
	}
	dest := join(ne.rel, np)
	if len(dest) > MaxPathBytes || strings.Count(dest, "/")+1+extra > MaxDepth || !subtreeAllowed(ne.root, npfd, nbase, extra) {
		return errNametoolong
	}
	replaced, _ := lstatAt(npfd, nbase)
	parentBefore := fstatOf(npfd)
	if err := unix.Renameat(opfd, obase, npfd, nbase); err != nil {
		return errnoOf(err)
	}
	if replaced != nil && !(replaced.Dev == src.Dev && replaced.Ino == src.Ino) {
		h.releaseEntry(replaced)
	}
	h.accountDirGrowth(npfd, parentBefore)
	return errSuccess
}

// subtreeDepth is how many directories deep the directory base in dirfd
// goes, looking no deeper than MaxDepth.
func subtreeDepth(dirfd int, base string) int {
	fd, err := hostfs.OpenAt(dirfd, base, unix.O_RDONLY|unix.O_DIRECTORY, 0, hostfs.Strict)
	if err != nil {
		return 0
	}
	var deepest func(fd, level int) int
	deepest = func(fd, level int) int {
		defer unix.Close(fd)
		if level >= MaxDepth {
			return level
		}
		ents, err := listDir(fd)
		if err != nil {
			return level
		}
		best := level
		for _, d := range ents {
			if d.ftype != fileDirectory || d.name == "." || d.name == ".." {
				continue
			}
			sub, err := hostfs.OpenAt(fd, d.name, unix.O_RDONLY|unix.O_DIRECTORY, 0, hostfs.Strict)
			if err == nil {
				best = max(best, deepest(sub, level+1))
			}
		}
		return best
	}
	return deepest(fd, 0)
}

func (h *Host) pathSymlink(c *wasmtime.Caller, targetPtr, targetLen, dirfd, pathPtr, pathLen int32) int32 {
	mem := h.memory(c)
	e, en := h.writableDir(dirfd)
	if en != errSuccess {
		return en
	}
	target, en := pathArg(mem, targetPtr, targetLen)
	if en != errSuccess {
		return en
	}
	p, en := pathArg(mem, pathPtr, pathLen)
	if en != errSuccess {
		return en
	}
	// A link must point inside its tree wherever it stands, and wherever
	// it is moved later: no absolute target and no ".." at all. What the
	// guest leaves then misleads no program that walks the workspace.
	if !symlinkTargetAllowed(target) {
		return errPerm
	}
	if tooDeep(join(e.rel, p)) {
		return errNametoolong
	}
	pfd, base, en := parent(e, p)
	if en != errSuccess {
		return en
	}
	defer unix.Close(pfd)
	if !placeAllowed(e.root, pfd, base) {
		return errNametoolong
	}
	if !h.quota.newEntry() {
		return errDquot
	}
	parentBefore := fstatOf(pfd)
	if err := unix.Symlinkat(target, pfd, base); err != nil {
		h.quota.dropEntry(nil)
		return errnoOf(err)
	}
	h.accountCreated(pfd, base, parentBefore)
	return errSuccess
}

func (h *Host) pathReadlink(c *wasmtime.Caller, dirfd, pathPtr, pathLen, buf, bufLen, usedPtr int32) int32 {
	mem := h.memory(c)
	e, en := h.dir(dirfd)
	if en != errSuccess {
		return en
	}
	p, en := pathArg(mem, pathPtr, pathLen)
	if en != errSuccess {
		return en
	}
	pfd, base, en := parent(e, p)
	if en != errSuccess {
		return en
	}
	defer unix.Close(pfd)
	tmp := make([]byte, maxPathArg)
	n, err := unix.Readlinkat(pfd, base, tmp)
	if err != nil {
		return errnoOf(err)
	}
	out, ok := slice(mem, buf, bufLen)
	if !ok {
		return errFault
	}
	n = copy(out, tmp[:n])
	if !putU32(mem, usedPtr, uint32(n)) {
		return errFault
	}
	return errSuccess
}

func (h *Host) pathLink(c *wasmtime.Caller, oldfd, oldFlags, oldPtr, oldLen, newfd, newPtr, newLen int32) int32 {
	mem := h.memory(c)
	oe, en := h.dir(oldfd)
	if en != errSuccess {
		return en
	}
	ne, en := h.writableDir(newfd)
	if en != errSuccess {
		return en
	}
	// A hard link stays within one writable tree: a file of a read-only
	// mount, or of another tree, never becomes writable through one.
	if oe.root != ne.root {
		return errXdev
	}
	op, en := pathArg(mem, oldPtr, oldLen)
	if en != errSuccess {
		return en
	}
	np, en := pathArg(mem, newPtr, newLen)
	if en != errSuccess {
		return en
	}
	if tooDeep(join(ne.rel, np)) {
		return errNametoolong
	}
	npfd, nbase, en := parent(ne, np)
	if en != errSuccess {
		return en
	}
	defer unix.Close(npfd)
	open := unix.O_PATH
	if oldFlags&lookupSymlinkFollow == 0 {
		open |= unix.O_NOFOLLOW
	}
	src, err := hostfs.OpenAt(oe.fd, op, open, 0, hostfs.Beneath)
	if err != nil {
		return errnoOf(err)
	}
	defer unix.Close(src)
	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		return errnoOf(err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return errPerm
	}
	if !placeAllowed(ne.root, npfd, nbase) {
		return errNametoolong
	}
	if !h.quota.newEntry() {
		return errDquot
	}
	parentBefore := fstatOf(npfd)
	if err := unix.Linkat(unix.AT_FDCWD, procPath(src), npfd, nbase, unix.AT_SYMLINK_FOLLOW); err != nil {
		h.quota.dropEntry(nil)
		return errnoOf(err)
	}
	h.accountDirGrowth(npfd, parentBefore)
	return errSuccess
}
