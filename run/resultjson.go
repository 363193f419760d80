package run

import (
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"
)

// ResultJSONSchema is the version of ResultJSON. It changes only when a
// field changes meaning or goes away; new fields may be added within it.
const ResultJSONSchema = 1

// ResultJSON is the stable JSON form of a Result, printed by
// `wasmplay run --json` and documented in docs/CLI.md.
//
// Output that is valid UTF-8 is a plain string. Output that is not is
// given twice: as a string with each invalid byte replaced by U+FFFD (for
// reading) and exactly, base64-encoded, in *_base64 (for machines).
type ResultJSON struct {
	Schema          int         `json:"schema"`
	Runtime         string      `json:"runtime"`
	Start           string      `json:"start"`
	Success         bool        `json:"success"`
	Outcome         Outcome     `json:"outcome"`
	ExitCode        int         `json:"exit_code"`
	Message         string      `json:"message"`
	Stdout          string      `json:"stdout"`
	StdoutBase64    string      `json:"stdout_base64,omitempty"`
	Stderr          string      `json:"stderr"`
	StderrBase64    string      `json:"stderr_base64,omitempty"`
	StdoutTruncated bool        `json:"stdout_truncated"`
	StderrTruncated bool        `json:"stderr_truncated"`
	StdoutBytes     int64       `json:"stdout_bytes"`
	StderrBytes     int64       `json:"stderr_bytes"`
	FuelConsumed    uint64      `json:"fuel_consumed"`
	FuelExact       bool        `json:"fuel_exact"`
	MemoryPages     uint64      `json:"memory_pages"`
	PeakMemoryPages uint64      `json:"peak_memory_pages"`
	MemoryBytes     uint64      `json:"memory_bytes"`
	PeakMemoryBytes uint64      `json:"peak_memory_bytes"`
	MemoryDenied    uint64      `json:"memory_grow_denied"`
	DurationMS      float64     `json:"duration_ms"`
	QueuedMS        float64     `json:"queued_ms"`
	StartedAt       time.Time   `json:"started_at"`
	FinishedAt      time.Time   `json:"finished_at"`
	Files           FileChanges `json:"files"`
	FilesTruncated  bool        `json:"files_truncated,omitempty"`
	Disk            DiskUsage   `json:"disk"`
	DiskRefused     uint64      `json:"disk_refused"`
	Limits          Limits      `json:"limits"`
	State           *VarsReport `json:"state,omitempty"`
}

// NewResultJSON converts a Result to its stable JSON form.
func NewResultJSON(r Result) ResultJSON {
	j := ResultJSON{
		Schema:          ResultJSONSchema,
		Runtime:         r.Runtime,
		Start:           r.Start,
		Success:         r.Success,
		Outcome:         r.Outcome,
		ExitCode:        r.ExitCode,
		Message:         r.Message,
		StdoutTruncated: r.StdoutTruncated,
		StderrTruncated: r.StderrTruncated,
		StdoutBytes:     r.StdoutBytes,
		StderrBytes:     r.StderrBytes,
		FuelConsumed:    r.FuelConsumed,
		FuelExact:       r.FuelExact,
		MemoryPages:     r.MemoryPages,
		PeakMemoryPages: r.PeakMemoryPages,
		MemoryBytes:     r.MemoryBytes,
		PeakMemoryBytes: r.PeakMemoryBytes,
		MemoryDenied:    r.MemoryGrowDenied,
		DurationMS:      float64(r.Duration) / float64(time.Millisecond),
		QueuedMS:        float64(r.QueuedFor) / float64(time.Millisecond),
		StartedAt:       r.StartedAt,
		FinishedAt:      r.FinishedAt,
		Files:           r.Files,
		FilesTruncated:  r.FilesTruncated,
		DiskRefused:     r.DiskRefused,
		Disk:            r.Disk,
		Limits:          r.Limits,
		State:           r.VarsReport,
	}
	j.Stdout, j.StdoutBase64 = textAndExact(r.Stdout)
	j.Stderr, j.StderrBase64 = textAndExact(r.Stderr)
	return j
}

// textAndExact returns b as text, plus base64 of the exact bytes when b
// is not valid UTF-8.
func textAndExact(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), base64.StdEncoding.EncodeToString(b)
}
