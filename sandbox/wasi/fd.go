package wasi

import (
	"errors"
	"io"
	"os"
	"path"
	"sort"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"
)

// fdKind says what a guest descriptor is.
type fdKind int

const (
	kindStdin fdKind = iota
	kindStdout
	kindStderr
	kindDir
	kindFile
)

// fdEntry is one of the guest's descriptors.
type fdEntry struct {
	kind               fdKind
	fd                 int      // the host descriptor (files and directories)
	root               *rootDir // the preopen it lives under
	rel                string   // its path from the root, for the depth bound
	preopen            bool
	append             bool
	readable, writable bool
	inode              inodeKey // a file's, to tell when a removed one is closed
}

// dirent is one entry of a directory listing.
type dirent struct {
	name  string
	ino   uint64
	ftype uint8
}

func (e *fdEntry) close() {
	if e.kind == kindDir || e.kind == kindFile {
		unix.Close(e.fd)
	}
}

// get finds a descriptor.
func (h *Host) get(fd int32) (*fdEntry, errno) {
	e, ok := h.fds[fd]
	if !ok {
		return nil, errBadf
	}
	return e, errSuccess
}

// add installs a new descriptor at the lowest free number.
func (h *Host) add(e *fdEntry) int32 {
	n := int32(3)
	for {
		if _, used := h.fds[n]; !used {
			break
		}
		n++
	}
	h.fds[n] = e
	return n
}

// maxOpen bounds the guest's open descriptors.
const maxOpen = 1024

func (h *Host) fdSeek(c *wasmtime.Caller, fd int32, offset int64, whence, newOffset int32) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	if e.kind != kindFile {
		return errSpipe
	}
	var w int
	switch whence {
	case whenceSet:
		w = io.SeekStart
	case whenceCur:
		w = io.SeekCurrent
	case whenceEnd:
		w = io.SeekEnd
	default:
		return errInval
	}
	pos, err := unix.Seek(e.fd, offset, w)
	if err != nil {
		return errnoOf(err)
	}
	if !putU64(h.memory(c), newOffset, uint64(pos)) {
		return errFault
	}
	return errSuccess
}

func (h *Host) fdTell(c *wasmtime.Caller, fd, ptr int32) int32 {
	return h.fdSeek(c, fd, 0, whenceCur, ptr)
}

func (h *Host) fdClose(c *wasmtime.Caller, fd int32) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	h.closeEntry(e)
	delete(h.fds, fd)
	if h.listing.owner == e {
		h.listing.owner, h.listing.ents = nil, nil
	}
	return errSuccess
}

func (h *Host) fdRenumber(c *wasmtime.Caller, from, to int32) int32 {
	e, en := h.get(from)
	if en != errSuccess {
		return en
	}
	old, en := h.get(to)
	if en != errSuccess {
		return en
	}
	if from == to {
		return errSuccess
	}
	delete(h.fds, to)
	h.closeEntry(old)
	h.fds[to] = e
	delete(h.fds, from)
	return errSuccess
}

func (h *Host) fdSync(c *wasmtime.Caller, fd int32) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	if e.kind == kindFile || e.kind == kindDir {
		return errnoOf(unix.Fsync(e.fd))
	}
	return errSuccess
}

func (h *Host) fdDatasync(c *wasmtime.Caller, fd int32) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	if e.kind == kindFile {
		return errnoOf(unix.Fdatasync(e.fd))
	}
	return errSuccess
}

func (h *Host) fdAdvise(c *wasmtime.Caller, fd int32, offset, length int64, advice int32) int32 {
	_, en := h.get(fd)
	if en == errSuccess && (advice < 0 || advice > 5) {
		return errInval
	}
	return en
}

func (h *Host) fdAllocate(c *wasmtime.Caller, fd int32, offset, length int64) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	if e.kind != kindFile || !e.writable {
		return errBadf
	}
	if offset < 0 || length <= 0 {
		return errInval
	}
	var st unix.Stat_t
	if err := unix.Fstat(e.fd, &st); err != nil {
		return errnoOf(err)
	}
	if !h.quota.allows(uint64(length)+4096, offset+length) {
		return errDquot
	}
	err := unix.Fallocate(e.fd, 0, offset, length)
	h.quota.account(e.fd, &st)
	return errnoOf(err)
}

// ---- descriptor state ---------------------------------------------------------------

func (h *Host) fdFdstatGet(c *wasmtime.Caller, fd, ptr int32) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	b, ok := slice(h.memory(c), ptr, fdstatSize)
	if !ok {
		return errFault
	}
	clear(b)
	var ftype uint8
	var flags uint16
	var base, inherit uint64
	switch e.kind {
	case kindStdin, kindStdout, kindStderr:
		// Of no known type: not a terminal to libc's isatty.
		ftype, base = fileUnknown, rightsAll
	case kindDir:
		ftype, base, inherit = fileDirectory, rightsRead, rightsRead
		if e.root.writable {
			base, inherit = rightsAll, rightsAll
		}
	case kindFile:
		ftype, base = fileRegular, rightsAll
		if !e.writable {
			base = rightsRead
		}
		if e.append {
			flags |= fdflagAppend
		}
	}
	b[0] = ftype
	le.PutUint16(b[2:], flags)
	le.PutUint64(b[8:], base)
	le.PutUint64(b[16:], inherit)
	return errSuccess
}

func (h *Host) fdFdstatSetFlags(c *wasmtime.Caller, fd, flags int32) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	if e.kind != kindFile {
		if flags&fdflagAppend != 0 {
			return errNotsup
		}
		return errSuccess
	}
	fl, err := unix.FcntlInt(uintptr(e.fd), unix.F_GETFL, 0)
	if err != nil {
		return errnoOf(err)
	}
	fl &^= unix.O_APPEND
	if flags&fdflagAppend != 0 {
		fl |= unix.O_APPEND
	}
	if _, err := unix.FcntlInt(uintptr(e.fd), unix.F_SETFL, fl); err != nil {
		return errnoOf(err)
	}
	e.append = flags&fdflagAppend != 0
	return errSuccess
}

func (h *Host) fdFdstatSetRights(c *wasmtime.Caller, fd int32, base, inherit int64) int32 {
	_, en := h.get(fd)
	return en
}

func (h *Host) fdFilestatGet(c *wasmtime.Caller, fd, ptr int32) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	b, ok := slice(h.memory(c), ptr, filestatSize)
	if !ok {
		return errFault
	}
	var st unix.Stat_t
	switch e.kind {
	case kindDir, kindFile:
		if err := unix.Fstat(e.fd, &st); err != nil {
			return errnoOf(err)
		}
	}
	putFilestat(b, &st)
	return errSuccess
}

func (h *Host) fdFilestatSetSize(c *wasmtime.Caller, fd int32, size int64) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	if e.kind != kindFile || !e.writable {
		return errBadf
	}
	if size < 0 {
		return errInval
	}
	if !h.quota.allows(0, size) {
		return errDquot
	}
	var st unix.Stat_t
	if err := unix.Fstat(e.fd, &st); err != nil {
		return errnoOf(err)
	}
	err := unix.Ftruncate(e.fd, size)
	h.quota.account(e.fd, &st)
	return errnoOf(err)
}

func (h *Host) fdFilestatSetTimes(c *wasmtime.Caller, fd int32, atim, mtim int64, flags int32) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	if e.kind != kindFile && e.kind != kindDir {
		return errBadf
	}
	if !e.root.writable {
		return errRofs
	}
	ts, en := timespecs(atim, mtim, flags)
	if en != errSuccess {
		return en
	}
	return errnoOf(unix.UtimesNanoAt(e.fd, "", ts, unix.AT_EMPTY_PATH))
}

// timespecs turns WASI times and flags into utimensat's.
func timespecs(atim, mtim int64, flags int32) ([]unix.Timespec, errno) {
	if flags&fstAtim != 0 && flags&fstAtimNow != 0 || flags&fstMtim != 0 && flags&fstMtimNow != 0 {
		return nil, errInval
	}
	one := func(t int64, set, now int32) unix.Timespec {
		switch {
		case flags&now != 0:
			return unix.Timespec{Nsec: unix.UTIME_NOW}
		case flags&set != 0:
			return unix.NsecToTimespec(t)
		}
		return unix.Timespec{Nsec: unix.UTIME_OMIT}
	}
	return []unix.Timespec{one(atim, fstAtim, fstAtimNow), one(mtim, fstMtim, fstMtimNow)}, errSuccess
}

func (h *Host) fdPrestatGet(c *wasmtime.Caller, fd, ptr int32) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	if !e.preopen {
		return errBadf
	}
	b, ok := slice(h.memory(c), ptr, prestatSize)
	if !ok {
		return errFault
	}
	clear(b)
	le.PutUint32(b[4:], uint32(len(e.root.guest)))
	return errSuccess
}

func (h *Host) fdPrestatDirName(c *wasmtime.Caller, fd, ptr, n int32) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	if !e.preopen {
		return errBadf
	}
	if int(n) < len(e.root.guest) {
		return errNametoolong
	}
	b, ok := slice(h.memory(c), ptr, int32(len(e.root.guest)))
	if !ok {
		return errFault
	}
	copy(b, e.root.guest)
	return errSuccess
}

// ---- directory listings ------------------------------------------------------------

// maxListing bounds a directory listing kept for fd_readdir.
const maxListing = 1 << 20

func (h *Host) fdReaddir(c *wasmtime.Caller, fd, buf, bufLen int32, cookie int64, bufUsed int32) int32 {
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	if e.kind != kindDir {
		return errNotdir
	}
	// One listing is kept, the last one read: a guest holding many
	// descriptors of large directories cannot make the host keep a listing
	// for each. Another descriptor lists again; the order is sorted, so a
	// cookie still means the same entry.
	if cookie == 0 || h.listing.owner != e {
		ents, err := listDir(e.fd)
		if err != nil {
			return errnoOf(err)
		}
		h.listing.owner, h.listing.ents = e, ents
	}
	dirents := h.listing.ents
	mem := h.memory(c)
	out, ok := slice(mem, buf, bufLen)
	if !ok {
		return errFault
	}
	used := 0
	for i := int(max(cookie, 0)); i < len(dirents) && used < len(out); i++ {
		d := dirents[i]
		var hdr [direntSize]byte
		le.PutUint64(hdr[0:], uint64(i+1))
		le.PutUint64(hdr[8:], d.ino)
		le.PutUint32(hdr[16:], uint32(len(d.name)))
		hdr[20] = d.ftype
		used += copy(out[used:], hdr[:])
		used += copy(out[used:], d.name)
	}
	if !putU32(mem, bufUsed, uint32(used)) {
		return errFault
	}
	return errSuccess
}

// listDir reads a directory's entries, with "." and "..", in name order.
func listDir(fd int) ([]dirent, error) {
	dfd, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dfd), ".")
	defer f.Close()
	names, err := f.Readdirnames(maxListing)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	sort.Strings(names)
	ents := make([]dirent, 0, len(names)+2)
	var self unix.Stat_t
	if err := unix.Fstat(fd, &self); err == nil {
		ents = append(ents, dirent{name: ".", ino: self.Ino, ftype: fileDirectory})
	}
	ents = append(ents, dirent{name: "..", ftype: fileDirectory})
	for _, name := range names {
		var st unix.Stat_t
		if unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		ents = append(ents, dirent{name: name, ino: st.Ino, ftype: filetypeOf(st.Mode)})
	}
	return ents, nil
}

// join adds p to a descriptor's path from its root, lexically.
func join(rel, p string) string { return path.Clean(rel + "/" + p) }
