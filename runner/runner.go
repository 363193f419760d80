// Package runner runs untrusted guest code (Python, JavaScript, WebAssembly
// text) inside wasmtime, fenced by fuel, memory, output and wall-clock
// limits, observed live, and cancellable at any instant.
//
// A Runner accepts jobs (Submit, or the blocking Run), runs at most Slots of
// them at once, and reports each through events: Queued, Started, Output,
// Metrics and a final Finished that is never dropped. It knows nothing of
// any user interface.
package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Executor runs one job to its end. Local runs guests in this process;
// Pool runs them in worker processes so a crash cannot take the caller down.
type Executor interface {
	// Execute runs the job and returns its Result; canceling ctx cancels
	// the run. It must always return a Result, never panic on bad input.
	Execute(ctx context.Context, id RunID, job Job, hooks Hooks) Result
}

// Config configures a Runner.
type Config struct {
	// Executor runs the jobs. Required.
	Executor Executor
	// Slots is how many runs may be in flight at once; 0 means the number
	// of CPUs.
	Slots int
	// EventBuffer is the capacity of the Events channel; 0 means 1024.
	EventBuffer int
}

// Runner queues jobs, runs them on an Executor and reports their events.
type Runner struct {
	exec   Executor
	slots  chan struct{}
	events chan Event
	done   chan struct{}

	mu      sync.Mutex
	nextID  RunID
	runs    map[RunID]*runState
	waiting int
	closed  bool
	wg      sync.WaitGroup
}

// runState is what the Runner keeps of a run it owns.
type runState struct {
	cancel context.CancelFunc

	inputMu      sync.Mutex
	input        *Input
	pendingInput [][]byte
	inputClosed  bool
}

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("runner: closed")

// ErrUnknownRun is returned for a RunID that is not in flight.
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
	buf := cfg.EventBuffer
	if buf <= 0 {
		buf = 1024
	}
	return &Runner{
		exec:   cfg.Executor,
		slots:  make(chan struct{}, slots),
		events: make(chan Event, buf),
		done:   make(chan struct{}),
		runs:   map[RunID]*runState{},
	}, nil
}

// Slots is how many runs may be in flight at once.
func (r *Runner) Slots() int { return cap(r.slots) }

// Events delivers the events of every submitted run. Read it continuously:
// Output and Finished events wait for room (Finished is never dropped);
// Metrics are dropped when the channel is full, since a newer one follows.
func (r *Runner) Events() <-chan Event { return r.events }

// Submit queues a job and returns at once. Its events arrive on Events.
func (r *Runner) Submit(job Job) (RunID, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return 0, ErrClosed
	}
	r.nextID++
	id := r.nextID
	ctx, cancel := context.WithCancel(context.Background())
	st := &runState{cancel: cancel}
	r.runs[id] = st
	r.wg.Add(1)
	r.mu.Unlock()

	go func() {
		defer r.wg.Done()
		defer cancel()
		res := r.runInSlot(ctx, id, job, st, r.deliver)
		r.mu.Lock()
		delete(r.runs, id)
		r.mu.Unlock()
		fin := Finished{ID: id, Result: res}
		if job.Recorder != nil {
			fin.HistoryNumber, fin.HistoryErr = job.Recorder.Record(job, res)
		}
		r.deliverAlways(fin)
	}()
	return id, nil
}

// Run runs a job and waits for its end, passing its events (not Finished)
// to onEvent if it is not nil, and returns what a Finished event would
// carry. It takes a slot like any submitted run and records the result
// through the job's Recorder.
func (r *Runner) Run(ctx context.Context, job Job, onEvent func(Event)) Finished {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return Finished{Result: Result{Outcome: OutcomeHostError, ExitCode: -1, Message: ErrClosed.Error(),
			Limits: LimitsOf(job.Policy.WithDefaults())}}
	}
	r.nextID++
	id := r.nextID
	r.wg.Add(1)
	r.mu.Unlock()
	defer r.wg.Done()
	fin := Finished{ID: id, Result: r.runInSlot(ctx, id, job, &runState{}, onEvent)}
	if job.Recorder != nil {
		fin.HistoryNumber, fin.HistoryErr = job.Recorder.Record(job, fin.Result)
	}
	return fin
}

// runInSlot waits for a slot, then executes the job.
func (r *Runner) runInSlot(ctx context.Context, id RunID, job Job, st *runState, emit func(Event)) Result {
	queuedAt := time.Now()
	select {
	case r.slots <- struct{}{}:
	default:
		r.mu.Lock()
		r.waiting++
		pos := r.waiting
		r.mu.Unlock()
		if emit != nil {
			emit(Queued{ID: id, Position: pos})
		}
		select {
		case r.slots <- struct{}{}:
			r.mu.Lock()
			r.waiting--
			r.mu.Unlock()
		case <-ctx.Done():
			r.mu.Lock()
			r.waiting--
			r.mu.Unlock()
			now := time.Now()
			return Result{RunID: id, Outcome: OutcomeCanceled, ExitCode: -1, Message: "canceled before it started",
				StartedAt: now, FinishedAt: now, QueuedFor: now.Sub(queuedAt), FuelExact: true,
				Limits: LimitsOf(job.Policy.WithDefaults()),
				Files:  FileChanges{Created: []FileChange{}, Modified: []FileChange{}, Deleted: []FileChange{}}}
		}
	}
	defer func() { <-r.slots }()
	queuedFor := time.Since(queuedAt)
	hooks := Hooks{
		Emit:    emit,
		OnInput: st.attachInput,
	}
	res := r.exec.Execute(ctx, id, job, hooks)
	res.RunID = id
	res.QueuedFor = queuedFor
	st.detachInput()
	return res
}

// deliver sends an event, dropping a Metrics sample when the channel is
// full. Other events wait for room (or for Close).
func (r *Runner) deliver(ev Event) {
	if _, ok := ev.(Metrics); ok {
		select {
		case r.events <- ev:
		default:
		}
		return
	}
	r.deliverAlways(ev)
}

// deliverAlways waits for room; after Close it still waits a moment so a
// reader draining the channel gets the run's Finished event.
func (r *Runner) deliverAlways(ev Event) {
	select {
	case r.events <- ev:
	case <-r.done:
		select {
		case r.events <- ev:
		case <-time.After(time.Second):
		}
	}
}

// Cancel stops a run (queued or in flight). It reports whether the run was
// found. The run's Finished event follows with OutcomeCanceled.
func (r *Runner) Cancel(id RunID) bool {
	r.mu.Lock()
	st, ok := r.runs[id]
	r.mu.Unlock()
	if ok {
		st.cancel()
	}
	return ok
}

// SendInput writes to the stdin of an interactive run. Input sent before
// the guest starts is kept and delivered when it does.
func (r *Runner) SendInput(id RunID, data []byte) error {
	st, err := r.state(id)
	if err != nil {
		return err
	}
	st.inputMu.Lock()
	defer st.inputMu.Unlock()
	if st.inputClosed {
		return ErrInputClosed
	}
	if st.input == nil {
		st.pendingInput = append(st.pendingInput, append([]byte(nil), data...))
		return nil
	}
	_, err = st.input.Write(data)
	return err
}

// CloseInput ends the stdin of an interactive run (end-of-file, ctrl+d).
func (r *Runner) CloseInput(id RunID) error {
	st, err := r.state(id)
	if err != nil {
		return err
	}
	st.inputMu.Lock()
	defer st.inputMu.Unlock()
	st.inputClosed = true
	if st.input != nil {
		return st.input.Close()
	}
	return nil
}

func (r *Runner) state(id RunID) (*runState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.runs[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownRun, id)
	}
	return st, nil
}

func (st *runState) attachInput(in *Input) {
	st.inputMu.Lock()
	defer st.inputMu.Unlock()
	st.input = in
	for _, data := range st.pendingInput {
		if _, err := in.Write(data); err != nil {
			break
		}
	}
	st.pendingInput = nil
	if st.inputClosed {
		_ = in.Close()
	}
}

func (st *runState) detachInput() {
	st.inputMu.Lock()
	defer st.inputMu.Unlock()
	st.input = nil
	st.inputClosed = true
}

// Close cancels every run, waits for them to finish (or ctx to end) and
// refuses new jobs. Finished events of the canceled runs are still
// delivered to a reader of Events.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	for _, st := range r.runs {
		st.cancel()
	}
	r.mu.Unlock()
	waited := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(waited)
	}()
	close(r.done)
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("runner: close: %w", ctx.Err())
	}
}
