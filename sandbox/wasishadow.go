package sandbox

import (
	"encoding/binary"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"
)

// WASI preview1 errno values used by the shadowed imports.
const (
	wasiErrnoSuccess = 0
	wasiErrnoFault   = 21
	wasiErrnoInval   = 28
)

// WASI preview1 layouts (wasi_snapshot_preview1 witx).
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

// guestClock is one run's view of time. Its monotonic clock counts from the
// start of the run, so absolute deadlines the guest computes (CPython sleeps
// that way) can be turned back into host durations.
type guestClock struct {
	origin time.Time
}

func (g guestClock) now(id uint32) (uint64, bool) {
	switch id {
	case clockRealtime:
		return uint64(time.Now().UnixNano()), true
	case clockMonotonic, 2, 3: // process and thread CPU time: approximated by monotonic
		return uint64(time.Since(g.origin)), true
	}
	return 0, false
}

// shadowWASI replaces wasmtime's poll_oneoff and clock_time_get for one run:
// a guest that sleeps or waits for stdin is woken at once by a cancel or a
// timeout instead of staying blocked inside the host.
func (x *execution) shadowWASI(linker *wasmtime.Linker) error {
	linker.AllowShadowing(true)
	if err := linker.FuncWrap("wasi_snapshot_preview1", "clock_time_get", x.clockTimeGet); err != nil {
		return err
	}
	return linker.FuncWrap("wasi_snapshot_preview1", "poll_oneoff", x.pollOneoff)
}

func guestMemory(c *wasmtime.Caller) []byte {
	ext := c.GetExport("memory")
	if ext == nil || ext.Memory() == nil {
		return nil
	}
	return ext.Memory().UnsafeData(c)
}

func (x *execution) clockTimeGet(c *wasmtime.Caller, id int32, precision int64, out int32) int32 {
	v, ok := x.clock.now(uint32(id))
	if !ok {
		return wasiErrnoInval
	}
	mem := guestMemory(c)
	if out < 0 || int(out)+8 > len(mem) {
		return wasiErrnoFault
	}
	binary.LittleEndian.PutUint64(mem[out:], v)
	return wasiErrnoSuccess
}

type pollSub struct {
	userdata uint64
	kind     uint8
	fd       uint32
	wait     time.Duration // for clocks: how long from now until it fires
}

func (x *execution) pollOneoff(c *wasmtime.Caller, in, out, nsubs, neventsPtr int32) (int32, *wasmtime.Trap) {
	if nsubs <= 0 {
		return wasiErrnoInval, nil
	}
	mem := guestMemory(c)
	if in < 0 || out < 0 || neventsPtr < 0 ||
		int(in)+int(nsubs)*subscriptionSize > len(mem) ||
		int(out)+int(nsubs)*eventSize > len(mem) ||
		int(neventsPtr)+4 > len(mem) {
		return wasiErrnoFault, nil
	}
	le := binary.LittleEndian
	subs := make([]pollSub, 0, nsubs)
	for i := 0; i < int(nsubs); i++ {
		b := mem[int(in)+i*subscriptionSize:]
		s := pollSub{userdata: le.Uint64(b[0:]), kind: b[8]}
		switch s.kind {
		case eventTypeClock:
			id := le.Uint32(b[16:])
			timeout := le.Uint64(b[24:])
			flags := le.Uint16(b[40:])
			wait := time.Duration(timeout)
			if flags&subclockAbstime != 0 {
				now, ok := x.clock.now(id)
				if !ok {
					return wasiErrnoInval, nil
				}
				wait = time.Duration(int64(timeout) - int64(now))
			}
			if wait < 0 {
				wait = 0
			}
			s.wait = wait
		case eventTypeFdRead, eventTypeFdWrite:
			s.fd = le.Uint32(b[16:])
		default:
			return wasiErrnoInval, nil
		}
		subs = append(subs, s)
	}

	ready, trap := x.waitForSubscriptions(subs)
	if trap != nil {
		return 0, trap
	}
	// The guest memory may have grown (moved) while we waited: fetch it again.
	mem = guestMemory(c)
	for i, s := range ready {
		b := mem[int(out)+i*eventSize : int(out)+(i+1)*eventSize]
		clear(b)
		le.PutUint64(b[0:], s.userdata)
		b[10] = s.kind
		if s.kind != eventTypeClock {
			le.PutUint64(b[16:], 1) // at least one byte can be read or written
		}
	}
	le.PutUint32(mem[neventsPtr:], uint32(len(ready)))
	return wasiErrnoSuccess, nil
}

// waitForSubscriptions blocks until some subscriptions are ready, or the
// run is stopped (then it returns a trap that ends the guest).
//
// Descriptors other than an interactive stdin are always ready (files and
// our output streams never block). Interactive stdin is ready when its pipe
// holds data or is closed.
func (x *execution) waitForSubscriptions(subs []pollSub) ([]pollSub, *wasmtime.Trap) {
	var earliest time.Duration = -1
	waitsOnStdin := false
	var ready []pollSub
	for _, s := range subs {
		switch {
		case s.kind == eventTypeClock:
			if earliest < 0 || s.wait < earliest {
				earliest = s.wait
			}
		case s.kind == eventTypeFdRead && s.fd == 0 && x.stdinRead != nil:
			waitsOnStdin = true
		default:
			ready = append(ready, s)
		}
	}
	if len(ready) > 0 {
		return ready, nil
	}
	x.setBlocked(blockedSleep)
	defer x.setBlocked(blockedNone)
	start := time.Now()
	var timer <-chan time.Time
	if earliest >= 0 {
		t := time.NewTimer(earliest)
		defer t.Stop()
		timer = t.C
	}
	// Stdin readiness is polled in short slices so a stop is seen promptly.
	var stdinTick <-chan time.Time
	if waitsOnStdin {
		x.setBlocked(blockedInput)
		tk := time.NewTicker(5 * time.Millisecond)
		defer tk.Stop()
		stdinTick = tk.C
		if x.stdinReady() {
			return subsOfKind(subs, func(s pollSub) bool { return s.kind == eventTypeFdRead && s.fd == 0 }), nil
		}
	}
	for {
		select {
		case <-x.stopCh:
			return nil, wasmtime.NewTrap(x.stopMessage())
		case <-timer:
			elapsed := time.Since(start)
			return subsOfKind(subs, func(s pollSub) bool { return s.kind == eventTypeClock && s.wait <= elapsed }), nil
		case <-stdinTick:
			if x.stdinReady() {
				return subsOfKind(subs, func(s pollSub) bool { return s.kind == eventTypeFdRead && s.fd == 0 }), nil
			}
		}
	}
}

func subsOfKind(subs []pollSub, keep func(pollSub) bool) []pollSub {
	var out []pollSub
	for _, s := range subs {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

// stdinReady reports whether a read on the interactive stdin pipe would not
// block: data is waiting, or the writer has closed it.
func (x *execution) stdinReady() bool {
	fds := []unix.PollFd{{Fd: int32(x.stdinRead.Fd()), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err != nil || (n > 0 && fds[0].Revents != 0)
}
