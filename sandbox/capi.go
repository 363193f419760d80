package sandbox

/*
#cgo CFLAGS: -O2 -Wall -Wno-unused-function
#include <stdlib.h>
#include "capi.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/cgo"
	"runtime/debug"
	"syscall"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// This file holds every unsafe read of wasmtime-go's private state. Each is
// checked against the public API by capi_test.go; run those tests whenever
// wasmtime-go changes.

// storePtr reads wasmtime.Store's first field, the *wasmtime_store_t that
// wasmtime-go does not expose.
func storePtr(s *wasmtime.Store) *C.wasmtime_store_t {
	p := *(*unsafe.Pointer)(unsafe.Pointer(s))
	if p == nil {
		panic("runner: store is closed")
	}
	return (*C.wasmtime_store_t)(p)
}

// contextPtr converts the store's context to this package's C type.
func contextPtr(s *wasmtime.Store) *C.wasmtime_context_t {
	return (*C.wasmtime_context_t)(unsafe.Pointer(s.Context()))
}

// configPtr reads wasmtime.Config's first field, its *wasm_config_t.
func configPtr(c *wasmtime.Config) *C.wasm_config_t {
	p := *(*unsafe.Pointer)(unsafe.Pointer(c))
	if p == nil {
		panic("runner: config already used")
	}
	return (*C.wasm_config_t)(p)
}

// setMemoryCreator makes every linear memory of engines built from cfg go
// through the runner's allocator, which enforces per-run caps and records
// live size, peak and refused growth.
func setMemoryCreator(cfg *wasmtime.Config) {
	C.wp_config_set_memory_creator(configPtr(cfg))
	runtime.KeepAlive(cfg)
}

// Stop reasons shared with the C layer.
const (
	stopNone    = int32(C.WP_RUNNING)
	stopCancel  = int32(C.WP_STOP_CANCEL)
	stopTimeout = int32(C.WP_STOP_TIMEOUT)
)

// cRun owns one reference to a C wp_run.
type cRun struct {
	p *C.wp_run_t
}

// newCRun allocates the C state of a run.
func newCRun(memCap uint64) (*cRun, error) {
	p := C.wp_run_new(C.uint64_t(memCap))
	if p == nil {
		return nil, errors.New("runner: out of host memory for run state")
	}
	return &cRun{p: p}, nil
}

// release drops Go's reference. Callbacks wasmtime runs later keep theirs.
func (r *cRun) release() {
	C.wp_run_release(r.p)
	r.p = nil
}

func (r *cRun) setDeadline(ns uint64) { C.wp_run_set_deadline(r.p, C.uint64_t(ns)) }

// setImage makes the next linear memory created for the run start as a
// copy-on-write mapping of length bytes of f from offset (both multiples
// of the host page size). f must stay open until the memory exists.
func (r *cRun) setImage(f *os.File, offset, length uint64) {
	C.wp_run_set_image(r.p, C.int32_t(f.Fd()), C.uint64_t(offset), C.uint64_t(length))
}

// stop asks the guest to stop; the first reason given wins.
func (r *cRun) stop(why int32) { C.wp_run_stop(r.p, C.int32_t(why)) }

// stopped returns the stop reason, or stopNone.
func (r *cRun) stopped() int32 { return int32(C.wp_run_stopped(r.p)) }

// tick counts one fuel tick of the guest and returns the stop reason, or
// stopNone.
func (r *cRun) tick() int32 { return int32(C.wp_run_tick(r.p)) }

// stoppedInEpoch reports whether the epoch callback stopped the guest: its
// fuel count in a register was lost, so the figure is a lower bound. A
// guest stopped in a host call (a fuel tick, a sleep, a read) wrote its
// count back before the call.
func (r *cRun) stoppedInEpoch() bool { return C.wp_load32(&r.p.stopped_in_epoch) != 0 }

// engineSample is what the epoch callback last saw.
type engineSample struct {
	samples  uint64
	fuelLeft uint64
	atNanos  uint64
}

func (r *cRun) sample() engineSample {
	return engineSample{
		samples:  uint64(C.wp_load64(&r.p.samples)),
		fuelLeft: uint64(C.wp_load64(&r.p.fuel_left)),
		atNanos:  uint64(C.wp_load64(&r.p.last_sample_ns)),
	}
}

// memoryState is the run's linear memory as the allocator tracks it.
type memoryState struct {
	bytes, peak       uint64
	denied, deniedReq uint64
	minRefused        uint64
	memories          int32
}

func (r *cRun) memory() memoryState {
	return memoryState{
		bytes:      uint64(C.wp_load64(&r.p.mem_bytes)),
		peak:       uint64(C.wp_load64(&r.p.mem_peak)),
		denied:     uint64(C.wp_load64(&r.p.mem_denied)),
		deniedReq:  uint64(C.wp_load64(&r.p.mem_denied_req)),
		minRefused: uint64(C.wp_load64(&r.p.mem_min_refused)),
		memories:   int32(C.wp_load32(&r.p.memories)),
	}
}

// installEpochCallback makes the store call the sampling callback at every
// epoch tick.
func (r *cRun) installEpochCallback(s *wasmtime.Store) {
	C.wp_install_epoch(storePtr(s), r.p)
	runtime.KeepAlive(s)
}

// setCurrentRun tells the memory allocator, on this OS thread, which run
// the memories about to be created belong to. Call it on a locked thread.
func setCurrentRun(r *cRun) {
	if r == nil {
		C.wp_set_current_run(nil)
		return
	}
	C.wp_set_current_run(r.p)
}

// liveMemories counts linear memories not yet freed (for leak tests).
func liveMemories() int64 { return int64(C.wp_live_memories()) }

// bigStackBytes is the native stack of the thread that runs guest code. It
// is well above the engine's max wasm stack, so wasmtime's own stack check
// fires (a clean stack_overflow) long before the thread's guard page.
const bigStackBytes = 64 << 20

//export wpThreadMain
func wpThreadMain(h C.uintptr_t) {
	fn := cgo.Handle(h).Value().(func())
	fn()
}

// guestThreads are long-lived OS threads with bigStackBytes stacks that
// run guest code. Reusing them keeps wasmtime's per-thread setup and the
// stack's first page faults out of every run but the first.
type guestThreads struct {
	p *C.wp_threads_t
}

func newGuestThreads() (*guestThreads, error) {
	p := C.wp_threads_new(C.size_t(bigStackBytes))
	if p == nil {
		return nil, errors.New("runner: out of host memory for guest threads")
	}
	return &guestThreads{p: p}, nil
}

// run runs fn on a guest thread and waits for it. The thread is created by
// C, so the Go code in fn stays on it. A panic in fn is recovered there
// (it would end the process: no Go frame above it could catch it) and
// returned as an error; the thread stays usable.
func (g *guestThreads) run(fn func()) (err error) {
	var panicked error
	guarded := func() {
		defer func() {
			if p := recover(); p != nil {
				panicked = fmt.Errorf("runner: host fault on the guest thread: %v\n%s", p, debug.Stack())
			}
		}()
		fn()
	}
	h := cgo.NewHandle(guarded)
	defer h.Delete()
	if rc := C.wp_threads_run(g.p, C.uintptr_t(h)); rc != 0 {
		return fmt.Errorf("runner: start guest thread: %w", syscall.Errno(rc))
	}
	return panicked
}

// threadStackSize reports the calling thread's native stack size.
func threadStackSize() uint64 { return uint64(C.wp_thread_stack_size()) }

// wpNow reads the monotonic clock the C layer uses for deadlines and
// sample times, in nanoseconds.
func wpNow() int64 { return int64(C.wp_now_ns()) }

// wasmtimeStoreContext calls wasmtime_store_context on the pointer storePtr
// reads; the layout test compares it with store.Context().
func wasmtimeStoreContext(s *wasmtime.Store) *C.wasmtime_context_t {
	ctx := C.wasmtime_store_context(storePtr(s))
	runtime.KeepAlive(s)
	return ctx
}
