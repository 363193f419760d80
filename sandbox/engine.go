package sandbox

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/wasmplay/wasmplay/sandbox/wasi"
)

// MaxWasmStackBytes is the engine's WebAssembly stack limit. wasmtime's
// default (512 KiB) is too small for QuickJS: deep JavaScript recursion
// would hit it before QuickJS's own check, an uncatchable trap instead of a
// catchable InternalError.
const MaxWasmStackBytes = 8 << 20

// SampleInterval is the epoch tick: how often a running guest is sampled
// (fuel, memory) and checked for cancel and timeout.
const SampleInterval = 16 * time.Millisecond

// wasmtimeModule is the Go module whose version names the engine.
const wasmtimeModule = "github.com/bytecodealliance/wasmtime-go/v39"

// Engine is the process's one wasmtime engine: fuel metering and epoch
// interruption on, the runner's memory allocator, and an epoch ticker that
// runs only while some run is in flight (so an idle process burns no CPU).
type Engine struct {
	wt          *wasmtime.Engine
	shim        *wasmtime.Module // see shim.go
	wasiTypes   *wasi.FuncTypes  // the WASI functions' types, built once
	fingerprint string
	threads     *guestThreads
	opts        EngineOptions

	mu      sync.Mutex
	active  int
	stopTic chan struct{}
}

// EngineOptions changes how an Engine meters guests. The zero value is
// what wasmplay uses; the others exist to measure what metering costs
// (`make bench`): without fuel a run has no budget, without epochs it
// cannot be sampled, canceled or timed out while it computes.
type EngineOptions struct {
	// NoFuel turns fuel metering off.
	NoFuel bool
	// NoEpoch turns epoch interruption off.
	NoEpoch bool
	// ColdStart starts every interpreter cold, never from a snapshot of
	// its initialised reactor build (not part of the engine's settings:
	// compiled modules are shared).
	ColdStart bool
}

// NewEngine creates the engine.
func NewEngine() (*Engine, error) {
	return NewEngineWith(EngineOptions{})
}

// NewEngineWith creates an engine with non-default metering.
func NewEngineWith(opts EngineOptions) (*Engine, error) { return newEngine(opts, "") }

// newEngine creates an engine; with a cacheDir, its host shim is kept
// compiled there for later processes (see loadShim).
func newEngine(opts EngineOptions, cacheDir string) (*Engine, error) {
	wt := wasmtime.NewEngineWithConfig(engineConfig(opts))
	fingerprint := engineFingerprint(opts)
	shim, err := loadShim(wt, fingerprint, cacheDir)
	if err != nil {
		return nil, err
	}
	wasiTypes, err := wasi.NewFuncTypes()
	if err != nil {
		return nil, err
	}
	threads, err := newGuestThreads()
	if err != nil {
		return nil, err
	}
	return &Engine{wt: wt, shim: shim, wasiTypes: wasiTypes, fingerprint: fingerprint, threads: threads, opts: opts}, nil
}

// engineConfig is the engine's configuration (the compile helper's too:
// what it compiles must load here).
func engineConfig(opts EngineOptions) *wasmtime.Config {
	cfg := wasmtime.NewConfig()
	cfg.SetConsumeFuel(!opts.NoFuel)
	cfg.SetEpochInterruption(!opts.NoEpoch)
	cfg.SetMaxWasmStack(MaxWasmStackBytes)
	cfg.SetCraneliftOptLevel(wasmtime.OptLevelSpeed)
	// Native unwind information only serves unwinders outside wasmtime
	// (wasmtime walks guest frames itself, by frame pointers, for traps
	// and backtraces); registering it costs every process a walk over
	// every function of a module it loads.
	cfg.SetNativeUnwindInfo(false)
	// The runner's allocator (see capi.c) owns every linear memory; wasmtime
	// can only initialise copy-on-write images in its own mmap memories, so
	// data segments are copied in at instantiation instead.
	cfg.SetMemoryInitCOWSet(false)
	setMemoryCreator(cfg)
	return cfg
}

// engineFingerprint names everything that makes a compiled module valid for
// this engine; it is part of the compiled-module cache key.
func engineFingerprint(opts EngineOptions) string {
	version := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == wasmtimeModule {
				version = dep.Version
				if dep.Replace != nil {
					version = dep.Replace.Path + "@" + dep.Replace.Version
				}
			}
		}
	}
	return fmt.Sprintf("wasmtime-go %s; %s/%s; fuel=%v epoch=%v stack=%d opt=speed unwind=0 memcreator=1 cow=0",
		version, runtime.GOOS, runtime.GOARCH, !opts.NoFuel, !opts.NoEpoch, MaxWasmStackBytes)
}

// Fingerprint describes the engine settings and wasmtime version.
func (e *Engine) Fingerprint() string { return e.fingerprint }

// acquireTicker registers a run in flight and starts the epoch ticker if it
// is the first. Pair with releaseTicker.
func (e *Engine) acquireTicker() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.active++
	if e.active > 1 {
		return
	}
	stop := make(chan struct{})
	e.stopTic = stop
	go func() {
		t := time.NewTicker(SampleInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				e.wt.IncrementEpoch()
			}
		}
	}()
}

// releaseTicker unregisters a run; the last one stops the ticker.
func (e *Engine) releaseTicker() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.active--
	if e.active == 0 {
		close(e.stopTic)
		e.stopTic = nil
	}
}

// interrupt makes every running store check its epoch deadline now, so a
// cancel takes effect without waiting for the next tick.
func (e *Engine) interrupt() { e.wt.IncrementEpoch() }
