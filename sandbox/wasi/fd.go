package wasi

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path"
	"sort"
	"time"

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

// ---- standard input ------------------------------------------------------------

// stdinReader is the guest's standard input: fixed bytes, or an
// interactive pipe whose reads end when the run is stopped.
type stdinReader struct {
	fixed *bytes.Reader
	pipe  *os.File
	stop  <-chan struct{}
}

func newStdin(fixed []byte, pipe *os.File, stop <-chan struct{}) *stdinReader {
	return &stdinReader{fixed: bytes.NewReader(fixed), pipe: pipe, stop: stop}
}

// interrupt wakes a read blocked on the pipe.
func (s *stdinReader) interrupt() {
	if s.pipe != nil {
		_ = s.pipe.SetReadDeadline(time.Now())
	}
}

// ready reports whether a read would not block.
func (s *stdinReader) ready() bool {
	if s.pipe == nil {
		return true
	}
	// Not s.pipe.Fd(): that would put the pipe in blocking mode, and a
	// blocked read could no longer be woken by interrupt.
	rc, err := s.pipe.SyscallConn()
	if err != nil {
		return true
	}
	ready := true
	_ = rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		ready = err != nil || (n > 0 && fds[0].Revents != 0)
	})
	return ready
}

// read reads into p; at the end of input it returns 0, nil.
func (s *stdinReader) read(p []byte) (int, error) {
	if s.pipe == nil {
		n, err := s.fixed.Read(p)
		if errors.Is(err, io.EOF) {
			return 0, nil
		}
		return n, err
	}
	n, err := s.pipe.Read(p)
	switch {
	case errors.Is(err, io.EOF):
		return n, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, errStopped
	}
	return n, err
}

// errStopped ends a read the run's stop interrupted.
var errStopped = errors.New("stopped")

// ---- reads and writes ------------------------------------------------------------

// iovecs returns the guest buffers an iovec array names.
func iovecs(mem []byte, iovs, n int32) ([][]byte, bool) {
	if n < 0 || n > 1024 {
		return nil, false
	}
	arr, ok := slice(mem, iovs, n*iovecSize)
	if !ok {
		return nil, false
	}
	out := make([][]byte, n)
	for i := range out {
		buf, ok := slice(mem, int32(le.Uint32(arr[i*8:])), int32(le.Uint32(arr[i*8+4:])))
		if !ok {
			return nil, false
		}
		out[i] = buf
	}
	return out, true
}

func (h *Host) fdWrite(c *wasmtime.Caller, fd, iovs, n, nwritten int32) (int32, *wasmtime.Trap) {
	if t := h.stopTrap(); t != nil {
		return 0, t
	}
	mem := h.memory(c)
	bufs, ok := iovecs(mem, iovs, n)
	if !ok {
		return errFault, nil
	}
	e, en := h.get(fd)
	if en != errSuccess {
		return en, nil
	}
	var total int
	switch e.kind {
	case kindStdout, kindStderr:
		s := Stdout
		if e.kind == kindStderr {
			s = Stderr
		}
		for _, b := range bufs {
			h.cfg.Output(s, b)
			total += len(b)
		}
	case kindFile:
		if !e.writable {
			return errBadf, nil
		}
		var err error
		total, err = h.writeFile(e, bufs, -1)
		if err != nil && total == 0 {
			return errnoOf(err), nil
		}
	case kindDir:
		return errIsdir, nil
	default:
		return errBadf, nil
	}
	if !putU32(h.memory(c), nwritten, uint32(total)) {
		return errFault, nil
	}
	return errSuccess, nil
}

func (h *Host) fdPwrite(c *wasmtime.Caller, fd, iovs, n int32, offset int64, nwritten int32) int32 {
	mem := h.memory(c)
	bufs, ok := iovecs(mem, iovs, n)
	if !ok {
		return errFault
	}
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	switch {
	case e.kind == kindDir:
		return errIsdir
	case e.kind != kindFile:
		return errSpipe
	case !e.writable:
		return errBadf
	case offset < 0:
		return errInval
	}
	total, err := h.writeFile(e, bufs, offset)
	if err != nil && total == 0 {
		return errnoOf(err)
	}
	if !putU32(mem, nwritten, uint32(total)) {
		return errFault
	}
	return errSuccess
}

// writeFile writes bufs to a file at offset (-1: at its position), within
// the quota: what fits is written, and the rest refused with EDQUOT.
func (h *Host) writeFile(e *fdEntry, bufs [][]byte, offset int64) (int, error) {
	var st unix.Stat_t
	if err := unix.Fstat(e.fd, &st); err != nil {
		return 0, err
	}
	pos := offset
	if pos < 0 {
		if e.append {
			pos = st.Size
		} else {
			cur, err := unix.Seek(e.fd, 0, io.SeekCurrent)
			if err != nil {
				return 0, err
			}
			pos = cur
		}
	}
	want := 0
	for _, b := range bufs {
		want += len(b)
	}
	allowed := h.quota.writable(&st, pos, int64(want))
	if allowed <= 0 && want > 0 {
		return 0, unix.EDQUOT
	}
	total := 0
	for _, b := range bufs {
		if int64(total) >= allowed {
			break
		}
		b = b[:min(int64(len(b)), allowed-int64(total))]
		var n int
		var err error
		if offset < 0 {
			n, err = unix.Write(e.fd, b)
		} else {
			n, err = unix.Pwrite(e.fd, b, offset+int64(total))
		}
		total += max(n, 0)
		if err != nil {
			h.quota.account(e.fd, &st)
			return total, err
		}
		if n < len(b) {
			break
		}
	}
	h.quota.account(e.fd, &st)
	if total < want && int64(total) >= allowed {
		return total, unix.EDQUOT
	}
	return total, nil
}

func (h *Host) fdRead(c *wasmtime.Caller, fd, iovs, n, nread int32) (int32, *wasmtime.Trap) {
	if t := h.stopTrap(); t != nil {
		return 0, t
	}
	mem := h.memory(c)
	bufs, ok := iovecs(mem, iovs, n)
	if !ok {
		return errFault, nil
	}
	e, en := h.get(fd)
	if en != errSuccess {
		return en, nil
	}
	total := 0
	switch e.kind {
	case kindStdin:
		if h.cfg.Input != nil && !h.stdin.ready() && h.cfg.Activity != nil {
			h.cfg.Activity(WaitingInput)
			defer h.cfg.Activity(Running)
		}
		for _, b := range bufs {
			if len(b) == 0 {
				continue
			}
			m, err := h.stdin.read(b)
			if errors.Is(err, errStopped) {
				return 0, h.stopTrap()
			}
			if err != nil {
				return errnoOf(err), nil
			}
			total += m
			break // one read: return what is there, as a pipe does
		}
	case kindFile:
		if !e.readable {
			return errBadf, nil
		}
		for _, b := range bufs {
			m, err := unix.Read(e.fd, b)
			if err != nil {
				if total == 0 {
					return errnoOf(err), nil
				}
				break
			}
			total += m
			if m < len(b) {
				break
			}
		}
	case kindDir:
		return errIsdir, nil
	default:
		return errBadf, nil
	}
	if !putU32(h.memory(c), nread, uint32(total)) {
		return errFault, nil
	}
	return errSuccess, nil
}

func (h *Host) fdPread(c *wasmtime.Caller, fd, iovs, n int32, offset int64, nread int32) int32 {
	mem := h.memory(c)
	bufs, ok := iovecs(mem, iovs, n)
	if !ok {
		return errFault
	}
	e, en := h.get(fd)
	if en != errSuccess {
		return en
	}
	switch {
	case e.kind == kindDir:
		return errIsdir
	case e.kind != kindFile:
		return errSpipe
	case !e.readable:
		return errBadf
	case offset < 0:
		return errInval
	}
	total := 0
	for _, b := range bufs {
		m, err := unix.Pread(e.fd, b, offset+int64(total))
		if err != nil {
			if total == 0 {
				return errnoOf(err)
			}
			break
		}
		total += m
		if m < len(b) {
			break
		}
	}
	if !putU32(mem, nread, uint32(total)) {
		return errFault
	}
	return errSuccess
}

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
