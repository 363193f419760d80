// Package runner schedules guest runs: it runs at most Slots jobs at once
// on an Executor (sandbox.Local in this process, workers.Pool in worker
// processes), queues the rest, diffs each run's workspace, and lets a
// caller follow, cancel and feed each run through its Handle. It knows
// nothing of sessions or of any user interface.
package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
)

// Config configures a Runner.
type Config struct {
	// Executor runs the jobs. Required.
	Executor run.Executor
	// Slots is how many runs may be in flight at once; 0 means the number
	// of CPUs.
	Slots int
}

// Runner queues jobs and runs them on an Executor.
type Runner struct {
	exec  run.Executor
	slots chan struct{}

	mu      sync.Mutex
	nextID  run.ID
	runs    map[run.ID]*Handle
	waiting int
	closed  bool
	wg      sync.WaitGroup
}

// ErrClosed is returned by Start after Close.
var ErrClosed = errors.New("runner: closed")

// ErrUnknownRun is returned for a run ID that is not in flight.
var ErrUnknownRun = errors.New("runner: no such run in flight")

// New creates a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.Executor == nil {
		return nil, errors.New("runner: config has no executor")
	}
	slots := cfg.Slots
	if slots <= 0 {
		slots = runtime.NumCPU()
	}
	return &Runner{
		exec:  cfg.Executor,
		slots: make(chan struct{}, slots),
		runs:  map[run.ID]*Handle{},
	}, nil
}

// Slots is how many runs may be in flight at once.
func (r *Runner) Slots() int { return cap(r.slots) }

// Handle is one run started by a Runner.
type Handle struct {
	id     run.ID
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	result run.Result

	inputMu      sync.Mutex
	input        *run.Input
	pendingInput [][]byte
	inputClosed  bool
}

// ID identifies the run within its Runner.
func (h *Handle) ID() run.ID { return h.id }

// Done is closed when the run has ended and its Result is known.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Wait waits for the run's end and returns its Result.
func (h *Handle) Wait() run.Result {
	<-h.done
	return h.result
}

// Cancel stops the run, queued or in flight; its Result says
// OutcomeCanceled. Canceling a run that ended does nothing.
func (h *Handle) Cancel() { h.cancel() }

// Start queues a job and returns its handle at once. The run is canceled
// when ctx ends. onEvent, if not nil, receives the run's events from one
// goroutine at a time, in order: Queued (if it waits for a slot), Started,
// Output and Metrics while it runs, and Finished last, always. It should
// not block for long: the run's output and samples wait for it.
func (r *Runner) Start(ctx context.Context, job run.Job, onEvent func(run.Event)) (*Handle, error) {
	h, err := r.register(ctx)
	if err != nil {
		return nil, err
	}
	go r.execute(h, job, onEvent)
	return h, nil
}

// Run runs a job and waits for its end, passing its events (Finished
// last) to onEvent if it is not nil. It takes a slot like any started run,
// and while it runs Cancel, SendInput and CloseInput reach it by its ID.
func (r *Runner) Run(ctx context.Context, job run.Job, onEvent func(run.Event)) run.Result {
	h, err := r.register(ctx)
	if err != nil {
		now := time.Now()
		return run.Result{Outcome: run.OutcomeHostError, ExitCode: -1, Message: err.Error(), StartedAt: now,
			FinishedAt: now, FuelExact: true, Limits: run.LimitsOf(job.Policy), Files: run.EmptyFileChanges()}
	}
	r.execute(h, job, onEvent)
	return h.result
}

// register makes the handle of a new run.
func (r *Runner) register(ctx context.Context) (*Handle, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	r.nextID++
	runCtx, cancel := context.WithCancel(ctx)
	h := &Handle{id: r.nextID, ctx: runCtx, cancel: cancel, done: make(chan struct{})}
	r.runs[h.id] = h
	r.wg.Add(1)
	return h, nil
}

// execute runs the job of a registered handle to its end.
func (r *Runner) execute(h *Handle, job run.Job, onEvent func(run.Event)) {
	defer r.wg.Done()
	defer h.cancel()
	res := r.runInSlot(h.ctx, h, job, onEvent)
	res.ID = h.id
	h.detachInput()
	r.mu.Lock()
	delete(r.runs, h.id)
	r.mu.Unlock()
	h.result = res
	if onEvent != nil {
		onEvent(run.Finished{ID: h.id, Result: res})
	}
	close(h.done)
}

// runInSlot waits for a slot, then executes the job with its workspace
// listed before and after, so Result.Files is true whatever the executor.
func (r *Runner) runInSlot(ctx context.Context, h *Handle, job run.Job, emit func(run.Event)) run.Result {
	queuedAt := time.Now()
	if !r.takeSlot(ctx, h.id, emit) {
		now := time.Now()
		return run.Result{Outcome: run.OutcomeCanceled, ExitCode: -1, Message: "canceled before it started",
			StartedAt: now, FinishedAt: now, QueuedFor: now.Sub(queuedAt), FuelExact: true,
			Limits: run.LimitsOf(job.Policy), Files: run.EmptyFileChanges()}
	}
	defer func() { <-r.slots }()
	queuedFor := time.Since(queuedAt)

	workspace, err := hostfs.EnsureDir(job.Workspace)
	if err != nil {
		now := time.Now()
		return run.Result{Runtime: job.Runtime, Outcome: run.OutcomeHostError, ExitCode: -1, Message: err.Error(),
			StartedAt: now, FinishedAt: now, QueuedFor: queuedFor, FuelExact: true,
			Limits: run.LimitsOf(job.Policy), Files: run.EmptyFileChanges()}
	}
	job.Workspace = workspace
	// The listing before is the diff's starting point and, when whole, the
	// disk quota's. A listing stops at its bounds, and a lower bound would
	// let every run add a quota's worth: then the workspace is counted
	// whole, and a tree too deep to count is taken as full.
	before, beforeErr := hostfs.Scan(workspace)
	usage := before.Usage
	if beforeErr != nil || before.Truncated {
		var err error
		if usage, err = hostfs.Measure(workspace); err != nil {
			usage = hostfs.Usage{Bytes: job.Policy.DiskBytes, Entries: job.Policy.DiskFiles}
		}
	}
	job.Usage = run.DiskUsage{Bytes: usage.Bytes, Entries: usage.Entries}
	res := r.exec.Execute(ctx, h.id, job, run.Hooks{Emit: emit, OnInput: h.attachInput})
	res.QueuedFor = queuedFor
	res.Files = run.EmptyFileChanges()
	after, afterErr := hostfs.Scan(workspace)
	switch {
	case errors.Is(beforeErr, hostfs.ErrTreeTooLarge) || errors.Is(afterErr, hostfs.ErrTreeTooLarge):
		// Two partial listings would differ in what they left out, not
		// in what the run changed: say so rather than list false changes.
		res.FilesTruncated = true
	case beforeErr == nil && afterErr == nil:
		res.Files = hostfs.Diff(before, after)
		if res.Files.Cap(run.MaxFileChanges) > 0 {
			res.FilesTruncated = true
		}
	}
	return res
}

// takeSlot waits for a free slot, reporting the queue position; it returns
// false when ctx ends first.
func (r *Runner) takeSlot(ctx context.Context, id run.ID, emit func(run.Event)) bool {
	select {
	case r.slots <- struct{}{}:
		return true
	default:
	}
	r.mu.Lock()
	r.waiting++
	pos := r.waiting
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.waiting--
		r.mu.Unlock()
	}()
	if emit != nil {
		emit(run.Queued{ID: id, Position: pos})
	}
	select {
	case r.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// Cancel stops a run (queued or in flight). It reports whether the run was
// found.
func (r *Runner) Cancel(id run.ID) bool {
	h, err := r.handle(id)
	if err != nil {
		return false
	}
	h.Cancel()
	return true
}

// SendInput writes to the stdin of an interactive run (see Handle).
func (r *Runner) SendInput(id run.ID, data []byte) error {
	h, err := r.handle(id)
	if err != nil {
		return err
	}
	return h.SendInput(data)
}

// CloseInput ends the stdin of an interactive run (see Handle).
func (r *Runner) CloseInput(id run.ID) error {
	h, err := r.handle(id)
	if err != nil {
		return err
	}
	return h.CloseInput()
}

func (r *Runner) handle(id run.ID) (*Handle, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, ok := r.runs[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownRun, id)
	}
	return h, nil
}

// SendInput writes to the stdin of an interactive run. Input sent before
// the guest starts is kept and delivered when it does. It never blocks
// for long: a guest that is not reading makes it fail.
func (h *Handle) SendInput(data []byte) error {
	h.inputMu.Lock()
	defer h.inputMu.Unlock()
	if h.inputClosed {
		return run.ErrInputClosed
	}
	if h.input == nil {
		h.pendingInput = append(h.pendingInput, append([]byte(nil), data...))
		return nil
	}
	_, err := h.input.Write(data)
	return err
}

// CloseInput ends the stdin of an interactive run (end-of-file, ctrl+d).
func (h *Handle) CloseInput() error {
	h.inputMu.Lock()
	defer h.inputMu.Unlock()
	h.inputClosed = true
	if h.input != nil {
		return h.input.Close()
	}
	return nil
}

func (h *Handle) attachInput(in *run.Input) {
	h.inputMu.Lock()
	defer h.inputMu.Unlock()
	h.input = in
	for _, data := range h.pendingInput {
		if _, err := in.Write(data); err != nil {
			break
		}
	}
	h.pendingInput = nil
	if h.inputClosed {
		_ = in.Close()
	}
}

func (h *Handle) detachInput() {
	h.inputMu.Lock()
	defer h.inputMu.Unlock()
	h.input = nil
	h.inputClosed = true
}

// Close cancels every run, waits for them to finish (or ctx to end) and
// refuses new jobs. The canceled runs still deliver their Finished events.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	for _, h := range r.runs {
		h.Cancel()
	}
	r.mu.Unlock()
	waited := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("runner: close: %w", ctx.Err())
	}
}
