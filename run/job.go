package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// MaxCodeBytes bounds the size of the code of one job.
const MaxCodeBytes = 64 << 20

// MaxVarsBytes bounds the variables a run may keep for the next.
const MaxVarsBytes = 16 << 20

// Job is one piece of code to run.
type Job struct {
	// Runtime is a runtime name or alias: "python", "javascript", "wat".
	Runtime string
	// Code is the program: a script for interpreters, WebAssembly text for
	// wat. It may be empty (an empty program runs and exits 0).
	Code []byte
	// Policy fences the run (see Resolve and DefaultPolicy).
	Policy Policy
	// Workspace is the host directory mounted read-write at /app (created
	// if missing).
	Workspace string
	// Interactive makes stdin a pipe fed through the run's Input instead
	// of Policy.Stdin.
	Interactive bool
	// KeepVars carries variables between runs: the runtime restores Vars
	// before the program and, after a successful run, Result.Vars holds
	// what the program left (Python: its public globals; JavaScript: the
	// `state` object). Values JSON cannot represent are skipped and named.
	KeepVars bool
	// Vars are what the last successful run left (Result.Vars), or nil.
	Vars []byte
	// Usage is what the workspace took when the run started; the runner
	// measures it, and the quota counts from it.
	Usage DiskUsage
}

// ErrInvalidJob wraps every problem found in a Job before it runs.
var ErrInvalidJob = errors.New("invalid job")

// Validate checks what can be checked without an engine.
func (j Job) Validate() error {
	if len(j.Code) > MaxCodeBytes {
		return fmt.Errorf("%w: code is %s, above the maximum %s", ErrInvalidJob,
			FormatBytes(uint64(len(j.Code))), FormatBytes(MaxCodeBytes))
	}
	if j.Workspace == "" {
		return fmt.Errorf("%w: no workspace directory", ErrInvalidJob)
	}
	if len(j.Vars) > MaxVarsBytes {
		return fmt.Errorf("%w: the kept variables are %s, above the maximum %s", ErrInvalidJob,
			FormatBytes(uint64(len(j.Vars))), FormatBytes(MaxVarsBytes))
	}
	if err := j.Policy.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidJob, err)
	}
	return nil
}

// Executor runs one job to its end. sandbox.Local runs guests in this
// process; workers.Pool runs them in worker processes so a crash cannot
// take the caller down.
type Executor interface {
	// Execute runs the job and returns its Result; canceling ctx cancels
	// the run. It must always return a Result, never panic on bad input.
	// It does not fill Result.Files: the runner diffs the workspace.
	Execute(ctx context.Context, id ID, job Job, hooks Hooks) Result
}

// Hooks connect one execution to its caller. Every field is optional.
type Hooks struct {
	// Emit receives Started, Output and Metrics events while the run is in
	// flight (never Finished: the caller owns that). It is called from one
	// goroutine at a time and should not block for long.
	Emit func(Event)
	// OnInput receives the run's interactive stdin as soon as it exists
	// (only for Job.Interactive).
	OnInput func(*Input)
	// OnCompile is called before a slow first-time compile of a runtime.
	OnCompile func(Compiling)
}

// Compiling reports a slow first-time compile of a module.
type Compiling struct {
	// Path is the module being compiled.
	Path string
}

// Input is the write end of an interactive run's stdin. It is safe for
// concurrent use.
type Input struct {
	mu     sync.Mutex
	write  func([]byte) (int, error)
	close  func() error
	closed bool
}

// ErrInputClosed is returned by Input.Write after Close or the run's end.
var ErrInputClosed = errors.New("stdin is closed")

// NewInput makes an Input from the functions that write to and close the
// guest's stdin. write must not block for long.
func NewInput(write func([]byte) (int, error), close func() error) *Input {
	return &Input{write: write, close: close}
}

// Write sends bytes to the guest's stdin.
func (in *Input) Write(p []byte) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return 0, ErrInputClosed
	}
	n, err := in.write(p)
	if err != nil {
		return n, fmt.Errorf("send input: %w", err)
	}
	return n, nil
}

// Close ends the guest's stdin: its next read sees end-of-file.
func (in *Input) Close() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return nil
	}
	in.closed = true
	return in.close()
}

// varsFile is the form of kept variables ({"vars": {...}}).
type varsFile struct {
	Vars map[string]json.RawMessage `json:"vars"`
}

// VarNames lists the variables of kept variables (Result.Vars), sorted.
func VarNames(vars []byte) []string {
	var f varsFile
	if len(vars) == 0 || json.Unmarshal(vars, &f) != nil {
		return []string{}
	}
	names := make([]string, 0, len(f.Vars))
	for name := range f.Vars {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
