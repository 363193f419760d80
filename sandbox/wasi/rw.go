package wasi

import (
	"bytes"
	"errors"
	"io"
	"os"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"
)

// Reading and writing descriptors: the standard streams, files, and the
// iovecs the guest passes.

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
