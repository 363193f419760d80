package sessions

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wasmplay/wasmplay/run"
)

// RecordVersion is the version stamped on each history record ("v").
const RecordVersion = 1

// RunRecord is one line of history.jsonl: everything known about one run.
//
// Text fields that come from the guest or the user (Code, Message, Stdout,
// Stderr, file paths) may hold any bytes. In JSON each is written as a
// plain string when it is valid UTF-8; otherwise as base64 with a sibling
// "<field>_encoding": "base64" (e.g. "stdout": "/w==", "stdout_encoding":
// "base64"). Either way the Go string read back is byte-for-byte what was
// appended.
type RunRecord struct {
	// Version is the record format (RecordVersion), set by AppendRun.
	Version int `json:"v"`
	// Number is the run's number within the session, 1, 2, 3, ...,
	// assigned by AppendRun.
	Number int `json:"number"`
	// RunID is a UUID for the run; AppendRun sets one if empty.
	RunID string `json:"run_id"`
	// StartedAt and FinishedAt bracket the run; AppendRun fills zero ones
	// with the current time.
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Runtime is the runtime name ("python", ...).
	Runtime string `json:"runtime"`
	// Code is the program that ran.
	Code string `json:"code"`
	// Origin says who asked for the run; nil for runs recorded before
	// wasmplay kept it.
	Origin *Origin `json:"origin,omitempty"`
	// Limits are the limits the run was fenced by.
	Limits run.Limits `json:"policy"`
	// Outcome says how the run ended (required).
	Outcome run.Outcome `json:"outcome"`
	// ExitCode is the guest's exit status; meaningful for OutcomeOK and
	// OutcomeExitNonzero, 0 otherwise.
	ExitCode int `json:"exit_code"`
	// Message is the trap or host error text, if any.
	Message string `json:"message,omitempty"`
	// FuelConsumed is the fuel used; a lower bound unless FuelExact.
	FuelConsumed uint64 `json:"fuel_consumed"`
	// FuelExact is false when FuelConsumed is only a lower bound (e.g.
	// after a cancel).
	FuelExact bool `json:"fuel_exact"`
	// MemoryPagesFinal and MemoryPagesPeak are 64 KiB wasm pages.
	MemoryPagesFinal uint64 `json:"memory_pages_final"`
	MemoryPagesPeak  uint64 `json:"memory_pages_peak"`
	// DurationMS is the run's wall-clock time in milliseconds.
	DurationMS float64 `json:"duration_ms"`
	// Stdin is what the run read on standard input: the fixed input it
	// was given, or what was typed while it ran.
	Stdin string `json:"stdin,omitempty"`
	// Stdout and Stderr are the output as captured (possibly partial, for
	// a run that was canceled or failed).
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	// StdoutTruncated and StderrTruncated say the capture hit its limit.
	StdoutTruncated bool `json:"stdout_truncated"`
	StderrTruncated bool `json:"stderr_truncated"`
	// StdoutBytes and StderrBytes are the totals the guest wrote, kept or
	// not.
	StdoutBytes int64 `json:"stdout_bytes"`
	StderrBytes int64 `json:"stderr_bytes"`
	// Files lists the workspace changes the run made.
	Files run.FileChanges `json:"files"`
	// FilesTruncated says the workspace was too large to list the
	// changes.
	FilesTruncated bool `json:"files_truncated,omitempty"`
	// Disk is what the workspace took when the run ended; zero for runs
	// recorded before wasmplay measured it.
	Disk run.DiskUsage `json:"disk"`
	// DiskRefused counts writes and new files the disk quota refused.
	DiskRefused uint64 `json:"disk_refused,omitempty"`
}

// Who asked for a run.
const (
	// OriginPerson is someone at the app or the command line.
	OriginPerson = "person"
	// OriginAgent is an agent calling the MCP server.
	OriginAgent = "agent"
	// OriginBatch is an item of a batch.
	OriginBatch = "batch"
)

// Origin says who asked for a run.
type Origin struct {
	// Kind is OriginPerson, OriginAgent or OriginBatch.
	Kind string `json:"kind"`
	// Client names the program that asked: the MCP client's name from its
	// handshake, "wasmplay run", "wasmplay app".
	Client string `json:"client,omitempty"`
	// Version is the client's version, if it gave one.
	Version string `json:"version,omitempty"`
}

// Short is a one-word mark of who asked: "person", "agent", "batch", "?".
func (o *Origin) Short() string {
	if o == nil || o.Kind == "" {
		return "?"
	}
	return o.Kind
}

// String renders the origin for people: "agent (claude-code 1.2)".
func (o *Origin) String() string {
	if o == nil || o.Kind == "" {
		return "unknown"
	}
	s := o.Kind
	if o.Client != "" {
		s += " (" + o.Client
		if o.Version != "" {
			s += " " + o.Version
		}
		s += ")"
	}
	return s
}

// encodeText returns s as JSON-safe text: itself if valid UTF-8, else its
// base64 and the encoding name.
func encodeText(s string) (text, encoding string) {
	if utf8.ValidString(s) {
		return s, ""
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), "base64"
}

// decodeText reverses encodeText.
func decodeText(field, text, encoding string) (string, error) {
	switch encoding {
	case "":
		return text, nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return "", fmt.Errorf("%s: bad base64: %w", field, err)
		}
		return string(b), nil
	default:
		return "", fmt.Errorf("%s: unknown encoding %q", field, encoding)
	}
}

// recordJSON is RunRecord's wire form: the outer fields shadow the
// RunRecord fields of the same JSON name (encoding/json prefers the
// shallower field), adding the *_encoding siblings.
type recordJSON struct {
	plainRecord
	Code            string `json:"code"`
	CodeEncoding    string `json:"code_encoding,omitempty"`
	Message         string `json:"message,omitempty"`
	MessageEncoding string `json:"message_encoding,omitempty"`
	Stdin           string `json:"stdin,omitempty"`
	StdinEncoding   string `json:"stdin_encoding,omitempty"`
	Stdout          string `json:"stdout"`
	StdoutEncoding  string `json:"stdout_encoding,omitempty"`
	Stderr          string `json:"stderr"`
	StderrEncoding  string `json:"stderr_encoding,omitempty"`
}

// plainRecord has RunRecord's fields but not its methods.
type plainRecord RunRecord

// MarshalJSON writes the record, base64-encoding text that is not UTF-8.
func (r RunRecord) MarshalJSON() ([]byte, error) {
	w := recordJSON{plainRecord: plainRecord(r)}
	// Empty lists are written as [] rather than null, for readers in
	// other languages.
	for _, l := range []*[]run.FileChange{&w.Files.Created, &w.Files.Modified, &w.Files.Deleted} {
		if *l == nil {
			*l = []run.FileChange{}
		}
	}
	w.Code, w.CodeEncoding = encodeText(r.Code)
	w.Message, w.MessageEncoding = encodeText(r.Message)
	w.Stdin, w.StdinEncoding = encodeText(r.Stdin)
	w.Stdout, w.StdoutEncoding = encodeText(r.Stdout)
	w.Stderr, w.StderrEncoding = encodeText(r.Stderr)
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (r *RunRecord) UnmarshalJSON(b []byte) error {
	var w recordJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	rec := RunRecord(w.plainRecord)
	for _, l := range []*[]run.FileChange{&rec.Files.Created, &rec.Files.Modified, &rec.Files.Deleted} {
		if len(*l) == 0 {
			*l = nil // as MarshalJSON was given
		}
	}
	var err error
	if rec.Code, err = decodeText("code", w.Code, w.CodeEncoding); err != nil {
		return err
	}
	if rec.Message, err = decodeText("message", w.Message, w.MessageEncoding); err != nil {
		return err
	}
	if rec.Stdin, err = decodeText("stdin", w.Stdin, w.StdinEncoding); err != nil {
		return err
	}
	if rec.Stdout, err = decodeText("stdout", w.Stdout, w.StdoutEncoding); err != nil {
		return err
	}
	if rec.Stderr, err = decodeText("stderr", w.Stderr, w.StderrEncoding); err != nil {
		return err
	}
	*r = rec
	return nil
}

// RunSummary is the cheap view of a run kept in the run index: enough for
// a history list, without code or output. Run(n) returns the full record.
//
// Fields without a comment mean what the RunRecord field of the same name
// means.
type RunSummary struct {
	Number     int         `json:"number"`
	RunID      string      `json:"run_id"`
	StartedAt  time.Time   `json:"started_at"`
	FinishedAt time.Time   `json:"finished_at"`
	Runtime    string      `json:"runtime"`
	Outcome    run.Outcome `json:"outcome"`
	ExitCode   int         `json:"exit_code"`
	// Message is the first line of the record's message, shortened and
	// made valid UTF-8.
	Message      string `json:"message,omitempty"`
	FuelConsumed uint64 `json:"fuel_consumed"`
	FuelExact    bool   `json:"fuel_exact"`
	// MemoryPeak is RunRecord.MemoryPagesPeak.
	MemoryPeak uint64  `json:"memory_pages_peak"`
	DurationMS float64 `json:"duration_ms"`
	// CodeBytes, StdoutBytes and StderrBytes are sizes: of the code, and of
	// all the output the guest wrote.
	CodeBytes       int   `json:"code_bytes"`
	StdoutBytes     int64 `json:"stdout_bytes"`
	StderrBytes     int64 `json:"stderr_bytes"`
	StdoutTruncated bool  `json:"stdout_truncated"`
	StderrTruncated bool  `json:"stderr_truncated"`
	// FilesChanged counts created, modified and deleted files.
	FilesChanged int `json:"files_changed"`
	// Origin says who asked for the run (nil for runs recorded before
	// wasmplay kept it).
	Origin *Origin `json:"origin,omitempty"`
	// CodeHead is the code's first line that is not blank, shortened and
	// made valid UTF-8 (raw: escape it before showing it).
	CodeHead string `json:"code_head,omitempty"`
}

// maxCodeHead bounds RunSummary.CodeHead.
const maxCodeHead = 80

// codeHead is the first line of code that is not blank, trimmed and cut
// to maxCodeHead bytes on a character boundary.
func codeHead(code string) string {
	for len(code) > 0 {
		line, rest, _ := strings.Cut(code, "\n")
		code = rest
		line = strings.TrimSpace(strings.ToValidUTF8(line, "\uFFFD"))
		if line == "" {
			continue
		}
		return clip(line, maxCodeHead)
	}
	return ""
}

// clip cuts valid UTF-8 s to at most n bytes on a character boundary,
// marking a cut with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// maxSummaryMessage bounds RunSummary.Message.
const maxSummaryMessage = 200

// Summary returns the record's RunSummary.
func (r *RunRecord) Summary() RunSummary {
	msg, _, _ := strings.Cut(strings.ToValidUTF8(r.Message, "\uFFFD"), "\n")
	msg = clip(msg, maxSummaryMessage)
	return RunSummary{
		Number:          r.Number,
		RunID:           r.RunID,
		StartedAt:       r.StartedAt,
		FinishedAt:      r.FinishedAt,
		Runtime:         r.Runtime,
		Outcome:         r.Outcome,
		ExitCode:        r.ExitCode,
		Message:         msg,
		FuelConsumed:    r.FuelConsumed,
		FuelExact:       r.FuelExact,
		MemoryPeak:      r.MemoryPagesPeak,
		DurationMS:      r.DurationMS,
		CodeBytes:       len(r.Code),
		StdoutBytes:     r.StdoutBytes,
		StderrBytes:     r.StderrBytes,
		StdoutTruncated: r.StdoutTruncated,
		StderrTruncated: r.StderrTruncated,
		FilesChanged:    len(r.Files.Created) + len(r.Files.Modified) + len(r.Files.Deleted),
		Origin:          r.Origin,
		CodeHead:        codeHead(r.Code),
	}
}

// NewRecord is the one place a finished run becomes its history record:
// the code that ran, what it read on stdin, who asked for it, and its
// Result. AppendRun numbers it.
func NewRecord(code, stdin []byte, origin *Origin, res run.Result) RunRecord {
	rec := RunRecord{
		StartedAt:        res.StartedAt,
		FinishedAt:       res.FinishedAt,
		Runtime:          res.Runtime,
		Code:             string(code),
		Origin:           origin,
		Limits:           res.Limits,
		Outcome:          res.Outcome,
		ExitCode:         res.ExitCode,
		Message:          res.Message,
		FuelConsumed:     res.FuelConsumed,
		FuelExact:        res.FuelExact,
		MemoryPagesFinal: res.MemoryPages,
		MemoryPagesPeak:  res.PeakMemoryPages,
		DurationMS:       float64(res.Duration) / float64(time.Millisecond),
		Stdin:            string(stdin),
		Stdout:           string(res.Stdout),
		Stderr:           string(res.Stderr),
		StdoutTruncated:  res.StdoutTruncated,
		StderrTruncated:  res.StderrTruncated,
		StdoutBytes:      res.StdoutBytes,
		StderrBytes:      res.StderrBytes,
		Files:            res.Files,
		FilesTruncated:   res.FilesTruncated,
		Disk:             res.Disk,
		DiskRefused:      res.DiskRefused,
	}
	if rec.ExitCode < 0 {
		rec.ExitCode = 0 // the record keeps exit codes only for runs that exited
	}
	return rec
}

// Result rebuilds the Result of a recorded run, for showing and reporting
// it as a fresh one would be.
func (r RunRecord) Result() run.Result {
	res := run.Result{
		Runtime:         r.Runtime,
		Success:         r.Outcome == run.OutcomeOK,
		Outcome:         r.Outcome,
		ExitCode:        r.ExitCode,
		Message:         r.Message,
		Stdout:          []byte(r.Stdout),
		Stderr:          []byte(r.Stderr),
		StdoutTruncated: r.StdoutTruncated,
		StderrTruncated: r.StderrTruncated,
		StdoutBytes:     r.StdoutBytes,
		StderrBytes:     r.StderrBytes,
		FuelConsumed:    r.FuelConsumed,
		FuelExact:       r.FuelExact,
		MemoryPages:     r.MemoryPagesFinal,
		PeakMemoryPages: r.MemoryPagesPeak,
		MemoryBytes:     r.MemoryPagesFinal * run.WasmPageSize,
		PeakMemoryBytes: r.MemoryPagesPeak * run.WasmPageSize,
		StartedAt:       r.StartedAt,
		FinishedAt:      r.FinishedAt,
		Duration:        time.Duration(r.DurationMS * float64(time.Millisecond)),
		Limits:          r.Limits,
		Files:           r.Files,
		FilesTruncated:  r.FilesTruncated,
		Disk:            r.Disk,
		DiskRefused:     r.DiskRefused,
	}
	if res.Outcome != run.OutcomeOK && res.Outcome != run.OutcomeExitNonzero {
		res.ExitCode = -1
	}
	return res
}
