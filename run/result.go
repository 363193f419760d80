package run

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// Outcome says how a run ended.
type Outcome string

// The outcomes of a run. Their string values are part of the stable JSON
// output of `wasmplay run --json` and of session history.
const (
	// OutcomeOK: the guest exited with status 0.
	OutcomeOK Outcome = "ok"
	// OutcomeExitNonzero: the guest exited with a nonzero status (an
	// uncaught exception in Python or JavaScript exits with 1).
	OutcomeExitNonzero Outcome = "exit_nonzero"
	// OutcomeOutOfFuel: the fuel budget ran out.
	OutcomeOutOfFuel Outcome = "out_of_fuel"
	// OutcomeMemoryLimit: the guest failed after the memory cap refused
	// to grow its memory, or could not even start under the cap.
	OutcomeMemoryLimit Outcome = "memory_limit"
	// OutcomeStackOverflow: the guest exhausted the WebAssembly stack.
	OutcomeStackOverflow Outcome = "stack_overflow"
	// OutcomeTimeout: the wall-clock limit passed.
	OutcomeTimeout Outcome = "timeout"
	// OutcomeCanceled: the user canceled the run.
	OutcomeCanceled Outcome = "canceled"
	// OutcomeTrap: the guest trapped (unreachable, out-of-bounds access,
	// division by zero, ...).
	OutcomeTrap Outcome = "trap"
	// OutcomeDiskLimit: the guest failed after the workspace quota refused
	// a write or a new file.
	OutcomeDiskLimit Outcome = "disk_limit"
	// OutcomeInvalidModule: the code is not a module wasmplay can run: a
	// WebAssembly text syntax error, an invalid or oversized binary, a
	// missing _start, an import nothing provides. Bad guest input, not a
	// host error; nothing of it ran.
	OutcomeInvalidModule Outcome = "invalid_module"
	// OutcomeHostError: the run could not be carried out: a missing or
	// broken runtime, an invalid module, a host failure.
	OutcomeHostError Outcome = "host_error"
)

// Limits are the policy figures a run was fenced by, as reported.
type Limits struct {
	// FuelBudget is the fuel the run was given.
	FuelBudget uint64 `json:"fuel_budget"`
	// MemoryBytes is the memory cap.
	MemoryBytes uint64 `json:"memory_bytes"`
	// StdoutMaxBytes is the stdout cap.
	StdoutMaxBytes int64 `json:"stdout_max_bytes"`
	// StderrMaxBytes is the stderr cap.
	StderrMaxBytes int64 `json:"stderr_max_bytes"`
	// TimeoutMS is the wall-clock limit in milliseconds.
	TimeoutMS int64 `json:"timeout_ms"`
	// DiskBytes is the workspace quota, in bytes of disk blocks.
	DiskBytes uint64 `json:"disk_bytes,omitempty"`
	// DiskFiles is the workspace quota, in entries.
	DiskFiles uint64 `json:"disk_files,omitempty"`
}

// LimitsOf reports the limits of a policy.
func LimitsOf(p Policy) Limits {
	return Limits{
		FuelBudget:     p.FuelBudget,
		MemoryBytes:    p.MemoryBytes,
		StdoutMaxBytes: p.StdoutMaxBytes,
		StderrMaxBytes: p.StderrMaxBytes,
		TimeoutMS:      p.Timeout.Milliseconds(),
		DiskBytes:      p.DiskBytes,
		DiskFiles:      p.DiskFiles,
	}
}

// DiskUsage is what a workspace takes on disk.
type DiskUsage struct {
	// Bytes counts the blocks really allocated (a sparse file counts for
	// what it holds, not its apparent size).
	Bytes uint64 `json:"bytes"`
	// Entries counts files, directories and links.
	Entries uint64 `json:"entries"`
}

// FileChange is one file the run created, modified or deleted in the
// workspace.
type FileChange struct {
	// Path is relative to the workspace root (the guest's /app), with
	// forward slashes.
	Path string `json:"path"`
	// Size is the size in bytes after the run (before it, for deletions).
	Size int64 `json:"size"`
}

// FileChanges lists what a run did to the workspace.
type FileChanges struct {
	// Created are files that did not exist before the run.
	Created []FileChange `json:"created"`
	// Modified are files whose size or modification time changed.
	Modified []FileChange `json:"modified"`
	// Deleted are files that existed before the run and are gone.
	Deleted []FileChange `json:"deleted"`
}

// MaxFileChanges bounds the changes a Result lists (created, modified and
// deleted together): each is kept in the history, reports and answers.
const MaxFileChanges = 1000

// Cap keeps at most n changes, created first, then modified, then
// deleted, and returns how many it dropped.
func (c *FileChanges) Cap(n int) (dropped int) {
	for _, list := range []*[]FileChange{&c.Created, &c.Modified, &c.Deleted} {
		keep := min(len(*list), n)
		dropped += len(*list) - keep
		*list = (*list)[:keep]
		n -= keep
	}
	return dropped
}

// Empty reports whether the run touched no file.
func (c FileChanges) Empty() bool {
	return len(c.Created) == 0 && len(c.Modified) == 0 && len(c.Deleted) == 0
}

// Result is everything known about a finished run.
type Result struct {
	// ID identifies the run within its runner.
	ID ID `json:"run_id"`
	// Runtime is the canonical runtime name.
	Runtime string `json:"runtime"`
	// Start says how the guest started: StartCold or StartSnapshot.
	Start string `json:"start,omitempty"`
	// Success is true exactly when Outcome is OutcomeOK.
	Success bool `json:"success"`
	// Outcome says how the run ended.
	Outcome Outcome `json:"outcome"`
	// ExitCode is the guest's exit status; -1 when it did not exit (a trap,
	// a limit, a cancel).
	ExitCode int `json:"exit_code"`
	// Message explains an outcome other than ok/exit_nonzero: the trap
	// message, the limit that was hit, the host error.
	Message string `json:"message,omitempty"`

	// Stdout is the kept standard output (at most the stdout cap).
	Stdout []byte `json:"-"`
	// Stderr is the kept standard error (at most the stderr cap).
	Stderr []byte `json:"-"`
	// StdoutTruncated is true when the guest wrote more than was kept.
	StdoutTruncated bool `json:"stdout_truncated"`
	// StderrTruncated is true when the guest wrote more than was kept.
	StderrTruncated bool `json:"stderr_truncated"`
	// StdoutBytes is how much the guest wrote to stdout, kept or not.
	StdoutBytes int64 `json:"stdout_bytes"`
	// StderrBytes is how much the guest wrote to stderr, kept or not.
	StderrBytes int64 `json:"stderr_bytes"`

	// FuelConsumed is the fuel the guest burned.
	FuelConsumed uint64 `json:"fuel_consumed"`
	// FuelExact is false when FuelConsumed is a lower bound: a run stopped
	// from outside (cancel, timeout) loses the part of the count the guest
	// had not yet written back.
	FuelExact bool `json:"fuel_exact"`

	// MemoryPages is the guest's linear memory at the end, in 64 KiB pages.
	MemoryPages uint64 `json:"memory_pages"`
	// PeakMemoryPages is the most the memory reached, in pages.
	PeakMemoryPages uint64 `json:"peak_memory_pages"`
	// MemoryBytes is MemoryPages in bytes.
	MemoryBytes uint64 `json:"memory_bytes"`
	// PeakMemoryBytes is PeakMemoryPages in bytes.
	PeakMemoryBytes uint64 `json:"peak_memory_bytes"`
	// MemoryGrowDenied counts memory growth the cap refused.
	MemoryGrowDenied uint64 `json:"memory_grow_denied"`

	// QueuedFor is how long the run waited for a free slot.
	QueuedFor time.Duration `json:"-"`
	// Duration is the wall-clock time from start to end of the guest.
	Duration time.Duration `json:"-"`
	// StartedAt is when the guest started (after queueing).
	StartedAt time.Time `json:"started_at"`
	// FinishedAt is when the run ended.
	FinishedAt time.Time `json:"finished_at"`

	// Files lists what the run did to the workspace.
	Files FileChanges `json:"files"`
	// FilesTruncated is set when the workspace had more entries than can
	// be listed (Files is then left empty rather than guessed), or the run
	// changed more than MaxFileChanges files (Files lists the first ones).
	FilesTruncated bool `json:"files_truncated,omitempty"`
	// Disk is what the workspace took when the run ended.
	Disk DiskUsage `json:"disk"`
	// DiskRefused counts writes and new files the disk quota refused; a
	// run that failed after one ends OutcomeDiskLimit.
	DiskRefused uint64 `json:"disk_refused"`
	// Limits are the policy limits the run was fenced by.
	Limits Limits `json:"limits"`

	// Vars are the variables the run left for the next one ({"vars":
	// {...}}), set only for a successful run of a job that keeps them.
	Vars []byte `json:"-"`
	// VarsReport names the variables carried, for a job that keeps them.
	VarsReport *VarsReport `json:"state,omitempty"`
}

// EmptyFileChanges is a FileChanges with empty (not nil) lists, as the
// JSON forms want them.
func EmptyFileChanges() FileChanges {
	return FileChanges{Created: []FileChange{}, Modified: []FileChange{}, Deleted: []FileChange{}}
}

// VarsReport says which variables a run that keeps them carried.
type VarsReport struct {
	// Restored are the variables the run started with.
	Restored []string `json:"restored"`
	// Saved are the variables kept for the next run.
	Saved []string `json:"saved"`
	// Skipped are the variables not kept, each with the reason
	// ("f (function)").
	Skipped []string `json:"skipped"`
	// Problem says why nothing was saved (a failed run, a state too big).
	Problem string `json:"problem,omitempty"`
}

// fileChangeJSON is FileChange's wire form. A path that is not valid UTF-8
// (a guest may create such names) is given twice, as ResultJSON gives
// output: as text with U+FFFD for each bad byte, and exactly in base64.
type fileChangeJSON struct {
	Path       string `json:"path"`
	PathBase64 string `json:"path_base64,omitempty"`
	// PathEncoding is how records written before path_base64 carried such
	// a path: base64 in "path" itself. It is read, never written.
	PathEncoding string `json:"path_encoding,omitempty"`
	Size         int64  `json:"size"`
}

// MarshalJSON writes the change (see fileChangeJSON).
func (f FileChange) MarshalJSON() ([]byte, error) {
	w := fileChangeJSON{Size: f.Size}
	w.Path, w.PathBase64 = textAndExact([]byte(f.Path))
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON wrote, and the older form.
func (f *FileChange) UnmarshalJSON(b []byte) error {
	var w fileChangeJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	p := w.Path
	switch {
	case w.PathBase64 != "":
		raw, err := base64.StdEncoding.DecodeString(w.PathBase64)
		if err != nil {
			return fmt.Errorf("path_base64: %w", err)
		}
		p = string(raw)
	case w.PathEncoding == "base64":
		raw, err := base64.StdEncoding.DecodeString(w.Path)
		if err != nil {
			return fmt.Errorf("path: bad base64: %w", err)
		}
		p = string(raw)
	case w.PathEncoding != "":
		return fmt.Errorf("path: unknown encoding %q", w.PathEncoding)
	}
	*f = FileChange{Path: p, Size: w.Size}
	return nil
}
