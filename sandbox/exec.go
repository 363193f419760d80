package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox/wasi"
)

// flushInterval is how often a run's output is batched into an Output
// event and a Metrics sample is taken: about 60 per second.
const flushInterval = SampleInterval

// Local executes runs inside this process: one Engine, one ModuleCache,
// the runtime registry.
type Local struct {
	engine    *Engine
	modules   *ModuleCache
	registry  *runtimes.Registry
	preludes  *preludeCache
	snapshots *snapshotCache
	// compileHelper is the executable of compile helpers (see
	// SetCompileHelper).
	compileHelper string
}

// NewLocal creates an in-process executor whose compiled modules are cached
// under cacheDir.
func NewLocal(registry *runtimes.Registry, cacheDir string) (*Local, error) {
	return NewLocalWith(registry, cacheDir, EngineOptions{})
}

// NewLocalWith creates an in-process executor with non-default metering
// (see EngineOptions; for measurements only).
func NewLocalWith(registry *runtimes.Registry, cacheDir string, opts EngineOptions) (*Local, error) {
	// Scratch directories of wasmplay processes that died (killed, or the
	// machine lost power) would stay in /tmp and /dev/shm for ever. Swept
	// beside the first run, not before it: it skips this process's own,
	// and one cut short by the process's exit is finished by the next.
	go hostfs.SweepTemp()
	engine, err := newEngine(opts, cacheDir)
	if err != nil {
		return nil, err
	}
	modules, err := NewModuleCache(engine, cacheDir)
	if err != nil {
		return nil, err
	}
	return &Local{engine: engine, modules: modules, registry: registry, preludes: newPreludeCache(cacheDir),
		snapshots: newSnapshotCache(filepath.Join(cacheDir, "snapshots"))}, nil
}

// Registry returns the runtimes this executor knows.
func (l *Local) Registry() *runtimes.Registry { return l.registry }

// Engine returns the executor's engine.
func (l *Local) Engine() *Engine { return l.engine }

// RuntimeUnavailableError reports an interpreter binary that cannot be
// used, with the command that fixes it.
type RuntimeUnavailableError struct {
	// Runtime is the canonical runtime name.
	Runtime string
	// Path is the binary that was looked for.
	Path string
	// Err is what went wrong.
	Err error
	// Fix is the command that builds the runtime (empty for user binaries).
	Fix string
}

func (e *RuntimeUnavailableError) Error() string {
	msg := fmt.Sprintf("runtime %s is not available: %v", e.Runtime, e.Err)
	if e.Fix != "" {
		msg += fmt.Sprintf(" (build it with `%s`)", e.Fix)
	}
	return msg
}

func (e *RuntimeUnavailableError) Unwrap() error { return e.Err }

// Prepare loads (compiling if needed) the module of a runtime, so a first
// run does not pay for it. It is a no-op for wat.
func (l *Local) Prepare(runtimeName string, onCompile func(run.Compiling)) (ModuleInfo, error) {
	rt, err := l.registry.Lookup(runtimeName)
	if err != nil {
		return ModuleInfo{}, err
	}
	if rt.Kind != runtimes.Interpreter {
		return ModuleInfo{}, nil
	}
	job := run.Job{Runtime: rt.Name, Policy: run.DefaultPolicy()}
	_, info, _, _, err := l.interpreterStart(rt, job, rt.Launch(rt.ScriptPath(), false), onCompile)
	return info, err
}

// interpreterStart returns the module a run of the interpreter rt starts
// from, with its entry and how it starts: from a snapshot of the reactor
// build where job allows (see snapshotFor), else cold from the command.
func (l *Local) interpreterStart(rt *runtimes.Runtime, job run.Job, launch runtimes.Launch, onCompile func(run.Compiling)) (*wasmtime.Module, ModuleInfo, entry, string, error) {
	path := l.registry.ArtifactPath(rt)
	unavailable := func(err error) error {
		return &RuntimeUnavailableError{Runtime: rt.Name, Path: path, Err: err, Fix: rt.BuildCommand}
	}
	if _, err := os.Stat(path); err != nil {
		return nil, ModuleInfo{}, entry{}, "", unavailable(err)
	}
	for _, m := range rt.Mounts {
		if m.Optional {
			continue
		}
		if info, err := os.Stat(l.registry.MountHostPath(m)); err != nil || !info.IsDir() {
			return nil, ModuleInfo{}, entry{}, "", unavailable(fmt.Errorf("its files for %s are missing at %s", m.Guest, l.registry.MountHostPath(m)))
		}
	}
	if start := l.snapshotFor(rt, job, launch, onCompile); start != nil {
		return start.module, start.info, startFromSnapshot(start.snap), StartSnapshot, nil
	}
	mod, info, err := l.modules.Load(path, runtimes.CheckWASICommand, onCompile)
	if err != nil {
		return nil, info, entry{}, "", unavailable(err)
	}
	return mod, info, startCommand, StartCold, nil
}

// newPipeInput feeds a guest's stdin through the write end of a pipe. A
// write fails rather than block for long when the guest is not reading and
// the pipe is full.
func newPipeInput(w *os.File) *run.Input {
	return run.NewInput(func(p []byte) (int, error) {
		_ = w.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := w.Write(p)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return n, errors.New("the guest is not reading its input")
		}
		return n, err
	}, w.Close)
}

// blocked says what a guest is waiting for inside a shadowed host call.
const (
	blockedNone int32 = iota
	blockedSleep
	blockedInput
)

// execution is the live state of one run.
type execution struct {
	id      run.ID
	job     run.Job
	rt      *runtimes.Runtime
	engine  *Engine
	crun    *cRun
	started time.Time
	// timeLeft is the wall clock the guest has: the timeout less what
	// compiling its module took.
	timeLeft time.Duration

	stopCh   chan struct{}
	stopOnce sync.Once
	// stopMu orders a stop from outside (a cancel, the timer: their
	// goroutines may still be starting when the run ends) against the
	// end of the run; retired is set, under it, before crun is released,
	// and a later stop does nothing.
	stopMu  sync.Mutex
	retired bool

	instantiated atomic.Bool
	blocked      atomic.Int32

	host    *wasi.Host // the guest's WASI, once instantiating began
	hostMu  sync.Mutex
	input   *run.Input
	varsDir string // host side of /state, for a job that keeps variables

	// Output the guest wrote (at most the caps).
	out *outputLog
	// clockBase is the guest's monotonic clock at the start (see
	// wasi.MonotonicBase); 0 only while initialising a snapshot.
	clockBase time.Duration

	// Fuel staleness tracking.
	lastFuelLeft    uint64
	lastSamples     uint64
	unchangedFuelAt int
}

func (x *execution) setBlocked(b int32) { x.blocked.Store(b) }

// startClock starts the run's clocks and its wall-clock limit: enforced by
// the epoch callback for a guest executing code and by a timer for one
// blocked in a host call. Call the returned function when the run is over.
func (x *execution) startClock() (stop func() bool) {
	x.started = time.Now()
	x.crun.setDeadline(uint64(wpNow()) + uint64(x.timeLeft))
	return time.AfterFunc(x.timeLeft, func() { x.stop(stopTimeout) }).Stop
}

// stop ends the run from outside; the first reason wins. Once the run is
// over (retire) it does nothing.
func (x *execution) stop(why int32) {
	x.stopMu.Lock()
	defer x.stopMu.Unlock()
	if x.retired {
		return
	}
	x.stopOnce.Do(func() {
		x.crun.stop(why)
		close(x.stopCh)
		x.hostMu.Lock()
		if x.host != nil {
			x.host.Stop(x.stopMessage()) // a guest in a sleep, a poll or a read of stdin stops at once
		}
		x.hostMu.Unlock()
		x.engine.interrupt()
	})
}

// fuelTick is the guest's fuel tick (runtimes.HostFuelTick; CPython's eval
// loop calls it every few thousand bytecode jumps): the call itself makes wasmtime write
// the guest's fuel count back where samples read it, and a stopped run
// ends here, its count exact.
func (x *execution) fuelTick(_ int32) (int32, *wasmtime.Trap) {
	if x.crun.tick() != stopNone {
		return 0, wasmtime.NewTrap(x.stopMessage())
	}
	return 0, nil
}

// retire marks the run over for stop.
func (x *execution) retire() {
	x.stopMu.Lock()
	x.retired = true
	x.stopMu.Unlock()
}

func (x *execution) stopMessage() string {
	if x.crun.stopped() == stopTimeout {
		return "wasmplay: wall-clock timeout"
	}
	return "wasmplay: run canceled"
}

// Execute runs one job to its end and returns its Result; it never panics
// on bad input and always returns a Result (Outcome host_error when the run
// could not start). Canceling ctx cancels the run. It leaves Result.Files
// empty: the runner diffs the workspace around it.
func (l *Local) Execute(ctx context.Context, id run.ID, job run.Job, hooks run.Hooks) run.Result {
	return l.execute(ctx, id, job, hooks, execOptions{})
}

// execOptions are the knobs of one execution that only this package sets.
type execOptions struct {
	// sourcePrelude writes the prelude as source, not compiled: for the
	// run that compiles it (see preludeCache).
	sourcePrelude bool
	// written, if not nil, receives the pages of the snapshot's image a
	// run from a snapshot wrote (the probe for its hot pages).
	written *[]pageRange
}

// execute is Execute with options.
func (l *Local) execute(ctx context.Context, id run.ID, job run.Job, hooks run.Hooks, opts execOptions) run.Result {
	res := run.Result{ID: id, ExitCode: -1, Limits: run.LimitsOf(job.Policy), StartedAt: time.Now(), FuelExact: true}
	fail := func(outcome run.Outcome, err error) run.Result {
		res.Outcome = outcome
		res.Message = err.Error()
		res.FinishedAt = time.Now()
		res.Duration = res.FinishedAt.Sub(res.StartedAt)
		res.Files = run.EmptyFileChanges()
		return res
	}
	rt, err := l.registry.Lookup(job.Runtime)
	if err != nil {
		return fail(run.OutcomeHostError, err)
	}
	res.Runtime = rt.Name
	if err := job.Validate(); err != nil {
		return fail(run.OutcomeHostError, err)
	}
	workspace, err := hostfs.EnsureDir(job.Workspace)
	if err != nil {
		return fail(run.OutcomeHostError, err)
	}
	job.Workspace = workspace
	if rt.MinMemoryBytes > 0 && job.Policy.MemoryBytes < rt.MinMemoryBytes {
		return fail(run.OutcomeMemoryLimit, fmt.Errorf("%s needs at least %s of memory to start; the memory cap is %s",
			rt.Title, run.FormatBytes(rt.MinMemoryBytes), run.FormatBytes(job.Policy.MemoryBytes)))
	}

	launch := rt.Launch(rt.ScriptPath(), job.KeepVars)
	var module *wasmtime.Module
	var info ModuleInfo
	call := startCommand
	res.Start = StartCold
	var compileTime time.Duration
	switch rt.Kind {
	case runtimes.Interpreter:
		module, info, call, res.Start, err = l.interpreterStart(rt, job, launch, hooks.OnCompile)
		if err == nil && opts.written != nil && call.image != nil {
			call = recordWritten(call, opts.written)
		}
	case runtimes.WebAssemblyText:
		// The guest's own module: its compile counts toward the run's
		// wall clock, and a bad one is the guest's outcome.
		compileStart := time.Now()
		if module, err = l.compileUserModule(ctx, job.Code, compileStart.Add(job.Policy.Timeout)); err == nil {
			err = checkImports(module)
		}
		compileTime = time.Since(compileStart)
	}
	var invalid *invalidModuleError
	var stop *compileStop
	switch {
	case errors.As(err, &invalid):
		res.Stderr = []byte(invalid.Error() + "\n")
		res.StderrBytes = int64(len(res.Stderr))
		return fail(run.OutcomeInvalidModule, invalid)
	case errors.As(err, &stop):
		res.FuelExact = true // none of it ran
		return fail(stop.outcome, stop)
	case err != nil:
		res.Stderr = []byte(err.Error() + "\n")
		res.StderrBytes = int64(len(res.Stderr))
		return fail(run.OutcomeHostError, err)
	}

	crun, err := newCRun(job.Policy.MemoryBytes)
	if err != nil {
		return fail(run.OutcomeHostError, err)
	}
	defer crun.release()
	x := &execution{
		id: id, job: job, rt: rt, engine: l.engine, crun: crun,
		stopCh: make(chan struct{}), out: newOutputLog(job.Policy.StdoutMaxBytes, job.Policy.StderrMaxBytes),
		clockBase: wasi.MonotonicBase, timeLeft: job.Policy.Timeout - compileTime,
	}
	// Before crun goes (deferred above, so run after this): a cancel or
	// timeout firing as the run ends must not reach a released run.
	defer x.retire()

	preludeDir, err := l.preludeDirFor(rt, info.SHA256, launch.Prelude, opts.sourcePrelude)
	if err != nil {
		return fail(run.OutcomeHostError, err)
	}
	setup, cleanup, err := x.prepareWASI(l.registry, launch, preludeDir)
	if err != nil {
		return fail(run.OutcomeHostError, err)
	}
	defer cleanup()
	if x.input != nil && hooks.OnInput != nil {
		hooks.OnInput(x.input)
	}

	stopClock := x.startClock()
	defer stopClock()
	res.StartedAt = x.started
	stopWatch := context.AfterFunc(ctx, func() { x.stop(stopCancel) })
	defer stopWatch()

	if hooks.Emit != nil {
		hooks.Emit(run.Started{ID: id, Runtime: rt.Name, At: x.started, Limits: res.Limits})
	}
	l.engine.acquireTicker()
	pumpDone := make(chan struct{})
	pumpStopped := make(chan struct{})
	go func() {
		defer close(pumpStopped)
		x.pump(hooks.Emit, pumpDone)
	}()

	var callErr error
	var fuelLeft uint64
	var fuelErr error
	var setupErr error
	threadErr := l.engine.threads.run(func() {
		callErr, fuelLeft, fuelErr, setupErr = x.instantiateAndCall(module, setup, call)
	})
	l.engine.releaseTicker()
	close(pumpDone)
	<-pumpStopped
	res.FinishedAt = time.Now()
	res.Duration = res.FinishedAt.Sub(x.started)

	if final := x.out.collect(); hooks.Emit != nil {
		x.emitOutput(hooks.Emit, final)
	}
	res.Stdout, res.Stderr = x.out.result()
	res.StdoutBytes, res.StderrBytes, res.StdoutTruncated, res.StderrTruncated = x.out.totals()

	mem := crun.memory()
	res.MemoryBytes = mem.bytes
	res.PeakMemoryBytes = mem.peak
	res.MemoryPages = mem.bytes / run.WasmPageSize
	res.PeakMemoryPages = mem.peak / run.WasmPageSize
	res.MemoryGrowDenied = mem.denied

	if fuelErr == nil {
		res.FuelConsumed = job.Policy.FuelBudget - fuelLeft
	}
	switch {
	case threadErr != nil:
		res.Outcome, res.Message = run.OutcomeHostError, threadErr.Error()
	case setupErr != nil:
		res.Outcome, res.Message = run.OutcomeHostError, setupErr.Error()
		if mem.minRefused > 0 {
			res.Outcome = run.OutcomeMemoryLimit
			res.Message = fmt.Sprintf("the module needs %s of memory to start; the memory cap is %s",
				run.FormatBytes(mem.minRefused), run.FormatBytes(job.Policy.MemoryBytes))
		}
	default:
		code, exited := x.exited()
		res.Outcome, res.ExitCode, res.Message = classify(callErr, crun.stopped(), fuelLeft, fuelErr == nil, code, exited)
		if res.Outcome == run.OutcomeInvalidModule && mem.minRefused > 0 {
			res.Outcome = run.OutcomeMemoryLimit
			res.Message = fmt.Sprintf("the module needs %s of memory to start; the memory cap is %s",
				run.FormatBytes(mem.minRefused), run.FormatBytes(job.Policy.MemoryBytes))
		}
	}
	if (res.Outcome == run.OutcomeCanceled || res.Outcome == run.OutcomeTimeout) && crun.stoppedInEpoch() {
		// Stopped between host calls: the fuel the guest counted in a
		// register since its last call was never written back, so the
		// figure is a lower bound. (Stopped in a host call, a fuel tick
		// or a sleep, it is exact.)
		res.FuelExact = false
	}
	if mem.denied > 0 && (res.Outcome == run.OutcomeExitNonzero || res.Outcome == run.OutcomeTrap) {
		res.Outcome = run.OutcomeMemoryLimit
		res.Message = fmt.Sprintf("the guest asked for %s of memory; the cap is %s", run.FormatBytes(mem.deniedReq),
			run.FormatBytes(job.Policy.MemoryBytes))
	}
	res.Success = res.Outcome == run.OutcomeOK

	refused, used := x.quota()
	res.Disk, res.DiskRefused = used, refused.Total()
	if refused.Total() > 0 && (res.Outcome == run.OutcomeExitNonzero || res.Outcome == run.OutcomeTrap) {
		res.Outcome = run.OutcomeDiskLimit
		if refused.Entries > 0 {
			res.Message = fmt.Sprintf("the workspace's quota of %d files, directories and links refused a new one", job.Policy.DiskFiles)
		} else {
			res.Message = fmt.Sprintf("the workspace's disk quota of %s refused a write (it takes %s)",
				run.FormatBytes(job.Policy.DiskBytes), run.FormatBytes(used.Bytes))
		}
	}
	res.Success = res.Outcome == run.OutcomeOK
	if x.varsDir != "" {
		res.Vars, res.VarsReport = readVars(x.varsDir, job.Vars, res.Success)
	}
	res.Files = run.EmptyFileChanges()
	return res
}
