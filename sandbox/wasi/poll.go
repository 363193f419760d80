package wasi

import (
	"crypto/rand"
	"runtime"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Layouts and kinds of poll_oneoff's subscriptions and events.
const (
	subscriptionSize = 48
	eventSize        = 32

	eventTypeClock   = 0
	eventTypeFdRead  = 1
	eventTypeFdWrite = 2

	subclockAbstime = 1

	clockRealtime  = 0
	clockMonotonic = 1
)

// MonotonicBase is where the guest's monotonic clock stands when a run
// starts. A run from a snapshot continues an interpreter initialised
// earlier, which may have read the clock then (libc's clock() keeps the
// start it saw): starting every run well past any initialisation keeps
// that clock from going back.
const MonotonicBase = time.Hour

// now reads the guest's clock id. The monotonic clock counts from the
// start of the run (after MonotonicBase), so deadlines the guest computes
// (CPython sleeps that way) turn back into host durations; process and
// thread CPU time are approximated by it.
func (h *Host) now(id uint32) (uint64, bool) {
	switch id {
	case clockRealtime:
		return uint64(time.Now().UnixNano()), true
	case clockMonotonic, 2, 3:
		return uint64(h.cfg.MonotonicBase + time.Since(h.cfg.Origin)), true
	}
	return 0, false
}

func (h *Host) clockResGet(c *wasmtime.Caller, id, ptr int32) int32 {
	if _, ok := h.now(uint32(id)); !ok {
		return errInval
	}
	if !putU64(h.memory(c), ptr, 1) {
		return errFault
	}
	return errSuccess
}

func (h *Host) clockTimeGet(c *wasmtime.Caller, id int32, precision int64, ptr int32) int32 {
	v, ok := h.now(uint32(id))
	if !ok {
		return errInval
	}
	if !putU64(h.memory(c), ptr, v) {
		return errFault
	}
	return errSuccess
}

type pollSub struct {
	userdata uint64
	kind     uint8
	fd       uint32
	wait     time.Duration // for clocks: how long from now until it fires
}

// pollOneoff waits for a clock or a descriptor. A sleep or a wait for
// stdin ends at once when the run is stopped.
func (h *Host) pollOneoff(c *wasmtime.Caller, in, out, nsubs, neventsPtr int32) (int32, *wasmtime.Trap) {
	if t := h.stopTrap(); t != nil {
		return 0, t
	}
	if nsubs <= 0 || nsubs > 1024 {
		return errInval, nil
	}
	mem := h.memory(c)
	subsMem, ok1 := slice(mem, in, nsubs*subscriptionSize)
	_, ok2 := slice(mem, out, nsubs*eventSize)
	if !ok1 || !ok2 {
		return errFault, nil
	}
	subs := make([]pollSub, 0, nsubs)
	for i := 0; i < int(nsubs); i++ {
		b := subsMem[i*subscriptionSize:]
		s := pollSub{userdata: le.Uint64(b[0:]), kind: b[8]}
		switch s.kind {
		case eventTypeClock:
			id := le.Uint32(b[16:])
			timeout := le.Uint64(b[24:])
			flags := le.Uint16(b[40:])
			wait := time.Duration(timeout)
			if flags&subclockAbstime != 0 {
				now, ok := h.now(id)
				if !ok {
					return errInval, nil
				}
				wait = time.Duration(int64(timeout) - int64(now))
			}
			s.wait = max(wait, 0)
		case eventTypeFdRead, eventTypeFdWrite:
			s.fd = le.Uint32(b[16:])
		default:
			return errInval, nil
		}
		subs = append(subs, s)
	}
	ready, trap := h.waitFor(subs)
	if trap != nil {
		return 0, trap
	}
	// The guest memory may have grown (moved) while we waited.
	mem = h.memory(c)
	events, _ := slice(mem, out, int32(len(ready))*eventSize)
	for i, s := range ready {
		b := events[i*eventSize : (i+1)*eventSize]
		clear(b)
		le.PutUint64(b[0:], s.userdata)
		b[10] = s.kind
		if s.kind != eventTypeClock {
			le.PutUint64(b[16:], 1) // at least one byte can be read or written
		}
	}
	if !putU32(mem, neventsPtr, uint32(len(ready))) {
		return errFault, nil
	}
	return errSuccess, nil
}

// waitFor blocks until some subscriptions are ready, or the run is stopped
// (then it returns the trap that ends the guest). Every descriptor but an
// interactive stdin is always ready; that one is when its pipe holds data
// or is closed.
func (h *Host) waitFor(subs []pollSub) ([]pollSub, *wasmtime.Trap) {
	var earliest time.Duration = -1
	waitsOnStdin := false
	var ready []pollSub
	for _, s := range subs {
		switch {
		case s.kind == eventTypeClock:
			if earliest < 0 || s.wait < earliest {
				earliest = s.wait
			}
		case s.kind == eventTypeFdRead && s.fd == 0 && h.cfg.Input != nil:
			waitsOnStdin = true
		default:
			ready = append(ready, s)
		}
	}
	if len(ready) > 0 {
		return ready, nil
	}
	activity := Sleeping
	if waitsOnStdin {
		activity = WaitingInput
	}
	if h.cfg.Activity != nil {
		h.cfg.Activity(activity)
		defer h.cfg.Activity(Running)
	}
	start := time.Now()
	var timer <-chan time.Time
	if earliest >= 0 {
		t := time.NewTimer(earliest)
		defer t.Stop()
		timer = t.C
	}
	stdinReady := func() []pollSub {
		return subsOf(subs, func(s pollSub) bool { return s.kind == eventTypeFdRead && s.fd == 0 })
	}
	// Stdin readiness is polled in short slices so a stop is seen promptly.
	var stdinTick <-chan time.Time
	if waitsOnStdin {
		if h.stdin.ready() {
			return stdinReady(), nil
		}
		tk := time.NewTicker(5 * time.Millisecond)
		defer tk.Stop()
		stdinTick = tk.C
	}
	for {
		select {
		case <-h.stopCh:
			return nil, h.stopTrap()
		case <-timer:
			elapsed := time.Since(start)
			return subsOf(subs, func(s pollSub) bool { return s.kind == eventTypeClock && s.wait <= elapsed }), nil
		case <-stdinTick:
			if h.stdin.ready() {
				return stdinReady(), nil
			}
		}
	}
}

func subsOf(subs []pollSub, keep func(pollSub) bool) []pollSub {
	var out []pollSub
	for _, s := range subs {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

// procExit ends the guest with a status; the caller reads it with Exited.
// Its result is never seen (the shim's proc_exit has none; see
// ShimModule): the trap ends the guest.
func (h *Host) procExit(c *wasmtime.Caller, code int32) (int32, *wasmtime.Trap) {
	h.exited, h.exitCode = true, code
	return 0, wasmtime.NewTrap(exitTrap)
}

func (h *Host) procRaise(c *wasmtime.Caller, sig int32) int32 { return errNosys }

// schedYield takes an unused parameter (see ShimModule).
func (h *Host) schedYield(c *wasmtime.Caller, _ int32) int32 {
	runtime.Gosched()
	return errSuccess
}

// maxRandom bounds one random_get.
const maxRandom = 1 << 20

func (h *Host) randomGet(c *wasmtime.Caller, buf, n int32) int32 {
	if n < 0 || n > maxRandom {
		return errInval
	}
	b, ok := slice(h.memory(c), buf, n)
	if !ok {
		return errFault
	}
	if _, err := rand.Read(b); err != nil {
		return errIO
	}
	return errSuccess
}

// The guest has no sockets: every descriptor is not one.

func (h *Host) sockAccept(c *wasmtime.Caller, fd, flags, ptr int32) int32 { return h.notSocket(fd) }

func (h *Host) sockRecv(c *wasmtime.Caller, fd, data, n, flags, lenPtr, flagsPtr int32) int32 {
	return h.notSocket(fd)
}

func (h *Host) sockSend(c *wasmtime.Caller, fd, data, n, flags, lenPtr int32) int32 {
	return h.notSocket(fd)
}

func (h *Host) sockShutdown(c *wasmtime.Caller, fd, how int32) int32 { return h.notSocket(fd) }

func (h *Host) notSocket(fd int32) errno {
	if _, en := h.get(fd); en != errSuccess {
		return en
	}
	return errNotsock
}
