package run

import (
	"strconv"
	"time"
)

// ID identifies a run within one Runner.
type ID uint64

// String renders the ID as "run-N".
func (id ID) String() string { return "run-" + strconv.FormatUint(uint64(id), 10) }

// Event is something that happened to a run. The concrete types are
// Queued, Started, Output, Metrics and Finished. Every run produces exactly
// one Finished event, always last, and it is never dropped.
type Event interface {
	// Run is the run the event belongs to.
	Run() ID
}

// Queued reports a run waiting for a free slot.
type Queued struct {
	// ID is the run.
	ID ID
	// Position is the run's place in the queue, from 1.
	Position int
}

// Started reports a run whose guest is starting.
type Started struct {
	// ID is the run.
	ID ID
	// Runtime is the canonical runtime name.
	Runtime string
	// At is when the run started.
	At time.Time
	// Limits are the policy limits of the run.
	Limits Limits
}

// Stream names an output stream.
type Stream uint8

// The output streams.
const (
	// Stdout is the guest's standard output.
	Stdout Stream = 0
	// Stderr is the guest's standard error.
	Stderr Stream = 1
)

// String returns "stdout" or "stderr".
func (s Stream) String() string {
	if s == Stderr {
		return "stderr"
	}
	return "stdout"
}

// Chunk is a piece of output from one stream.
type Chunk struct {
	// Stream is where the guest wrote it.
	Stream Stream
	// Data is what it wrote.
	Data []byte
}

// Output carries what the guest wrote since the previous Output event, in
// the order it was written. Output is batched: at most one event per
// flush interval per run.
type Output struct {
	// ID is the run.
	ID ID
	// Chunks are the pieces in write order.
	Chunks []Chunk
	// StdoutTruncated turns true once stdout passed its cap.
	StdoutTruncated bool
	// StderrTruncated turns true once stderr passed its cap.
	StderrTruncated bool
}

// Activity says what the guest is doing at a sample.
type Activity string

// The activities a Metrics sample can report.
const (
	// ActivityStarting: the module is being instantiated.
	ActivityStarting Activity = "starting"
	// ActivityRunning: the guest is executing WebAssembly.
	ActivityRunning Activity = "running"
	// ActivitySleeping: the guest is in a sleep (poll_oneoff on a clock).
	ActivitySleeping Activity = "sleeping"
	// ActivityWaitingInput: the guest is blocked reading standard input.
	ActivityWaitingInput Activity = "waiting_input"
	// ActivityHostCall: the guest is blocked in some other host call.
	ActivityHostCall Activity = "host_call"
)

// Metrics is a live sample of a run in flight. Samples come at the
// runner's sample rate (about 60 per second) even when the guest never
// calls the host.
type Metrics struct {
	// ID is the run.
	ID ID
	// Elapsed is the wall-clock time since the run started.
	Elapsed time.Duration
	// FuelConsumed is the fuel burned so far, as last read.
	FuelConsumed uint64
	// FuelBudget is the run's fuel budget.
	FuelBudget uint64
	// FuelStale is true when FuelConsumed is a lower bound: the guest is
	// running but the count it has written back has not moved (CPython's
	// eval loop and tight WebAssembly loops keep fuel in a register between
	// calls). Show it as "≥ N".
	FuelStale bool
	// MemoryBytes is the guest's current linear memory.
	MemoryBytes uint64
	// PeakMemoryBytes is the most the memory has reached.
	PeakMemoryBytes uint64
	// MemoryCapBytes is the memory cap.
	MemoryCapBytes uint64
	// MemoryGrowDenied counts growth the cap refused so far.
	MemoryGrowDenied uint64
	// StdoutBytes and StderrBytes are what the guest wrote so far.
	StdoutBytes, StderrBytes int64
	// Activity says what the guest is doing.
	Activity Activity
	// Samples counts the engine samples taken so far.
	Samples uint64
}

// MemoryPages is MemoryBytes in 64 KiB pages.
func (m Metrics) MemoryPages() uint64 { return m.MemoryBytes / WasmPageSize }

// PeakMemoryPages is PeakMemoryBytes in 64 KiB pages.
func (m Metrics) PeakMemoryPages() uint64 { return m.PeakMemoryBytes / WasmPageSize }

// Finished reports the end of a run with its Result.
type Finished struct {
	// ID is the run.
	ID ID
	// Result is everything known about the run.
	Result Result
}

// WasmPageSize is the size of a WebAssembly memory page.
const WasmPageSize = 64 << 10

// Run implements Event.
func (e Queued) Run() ID { return e.ID }

// Run implements Event.
func (e Started) Run() ID { return e.ID }

// Run implements Event.
func (e Output) Run() ID { return e.ID }

// Run implements Event.
func (e Metrics) Run() ID { return e.ID }

// Run implements Event.
func (e Finished) Run() ID { return e.ID }
