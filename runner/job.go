package runner

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxCodeBytes bounds the size of the code of one job.
const MaxCodeBytes = 64 << 20

// MaxStateBytes bounds the variables a run may keep for the next.
const MaxStateBytes = 16 << 20

// Job is one piece of code to run.
type Job struct {
	// Runtime is a runtime name or alias: "python", "javascript", "wat".
	Runtime string
	// Code is the program: a script for interpreters, WebAssembly text for
	// wat. It may be empty (an empty program runs and exits 0).
	Code []byte
	// Policy fences the run; zero fields take their defaults.
	Policy Policy
	// Workspace is the host directory mounted read-write at /app (created
	// if missing).
	Workspace string
	// Interactive makes stdin a pipe fed through Runner.SendInput and
	// closed by Runner.CloseInput, instead of Policy.Stdin.
	Interactive bool
	// Tag is opaque to the runner: callers use it to tell which session a
	// run belongs to.
	Tag string
	// KeepState carries variables between runs: the runtime restores State
	// before the program and, after a successful run, Result.State holds
	// what the program left (Python: its public globals; JavaScript: the
	// `state` object). Values JSON cannot represent are skipped and named.
	KeepState bool
	// State is what the last successful run left (Result.State), or nil.
	State []byte
	// Recorder, if not nil, keeps the result (e.g. in the session's
	// history). The Runner calls it after the run ends, whatever the
	// outcome, and before the Finished event.
	Recorder Recorder

	// sourcePrelude writes the prelude as source, not compiled: for the
	// run that compiles it (see preludeCache).
	sourcePrelude bool
}

// Recorder keeps the result of a run and returns its number in the
// history it keeps.
type Recorder interface {
	Record(job Job, res Result) (int, error)
}

// ErrInvalidJob wraps every problem found in a Job before it runs.
var ErrInvalidJob = errors.New("invalid job")

// validate checks what can be checked without the engine. The policy must
// already have its defaults.
func (j Job) validate() error {
	if len(j.Code) > MaxCodeBytes {
		return fmt.Errorf("%w: code is %s, above the maximum %s", ErrInvalidJob,
			FormatBytes(uint64(len(j.Code))), FormatBytes(MaxCodeBytes))
	}
	if j.Workspace == "" {
		return fmt.Errorf("%w: no workspace directory", ErrInvalidJob)
	}
	if len(j.State) > MaxStateBytes {
		return fmt.Errorf("%w: the kept state is %s, above the maximum %s", ErrInvalidJob,
			FormatBytes(uint64(len(j.State))), FormatBytes(MaxStateBytes))
	}
	if err := j.Policy.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidJob, err)
	}
	return nil
}

// isText reports whether code can be handed to a WebAssembly-text compiler.
func isText(code []byte) bool { return utf8.Valid(code) }
