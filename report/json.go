package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wasmplay/wasmplay/guidance"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/textsafe"
)

// SchemaVersion is the version of the JSON report. It changes only when
// a field changes meaning or goes away; new fields may be added within a
// version. docs/REPORT.md documents every field.
const SchemaVersion = 1

// Kind is the value of the report's "kind" field, so a script can tell a
// report from other wasmplay JSON.
const Kind = "wasmplay.report"

// Report is the JSON form of a report. Every field is always present;
// lists are [] rather than null. docs/REPORT.md documents each field.
type Report struct {
	// Schema is SchemaVersion.
	Schema int `json:"schema"`
	// Kind is the constant Kind.
	Kind string `json:"kind"`
	// Headline sums the run up in one sentence.
	Headline string `json:"headline"`
	// Session is the session's name or ID; "" outside a session.
	Session string `json:"session"`
	// Run is the run's number in the session history; 0 when unknown.
	Run int `json:"run"`
	// Origin says who ran it; "" when unknown.
	Origin string `json:"origin"`
	// Runtime is the canonical runtime name.
	Runtime string `json:"runtime"`
	// Outcome says how the run ended.
	Outcome run.Outcome `json:"outcome"`
	// Success is true exactly when Outcome is ok.
	Success bool `json:"success"`
	// ExitCode is the guest's exit status; -1 when it did not exit.
	ExitCode int `json:"exit_code"`
	// Message is the sandbox's explanation of the outcome, trimmed.
	Message string `json:"message"`
	// Error is the exception the run ended with; nil when none was found.
	Error *ErrorJSON `json:"error"`
	// Code is the code that ran.
	Code CodeJSON `json:"code"`
	// Stdin is what the run read on standard input (at most 64 KiB);
	// absent when it read nothing.
	Stdin string `json:"stdin,omitempty"`
	// Stdout is the standard output, trimmed.
	Stdout StreamJSON `json:"stdout"`
	// Stderr is the standard error, trimmed.
	Stderr StreamJSON `json:"stderr"`
	// Fuel is the fuel used against the budget.
	Fuel FuelJSON `json:"fuel"`
	// Memory is the linear memory against the cap.
	Memory MemoryJSON `json:"memory"`
	// Disk is the workspace's disk use against its quota.
	Disk DiskJSON `json:"disk"`
	// Time is the wall-clock time against the timeout.
	Time TimeJSON `json:"time"`
	// Files lists what the run did in /app.
	Files FilesJSON `json:"files"`
	// Advice is what to change, most specific first.
	Advice []AdviceJSON `json:"advice"`
}

// ErrorJSON is the exception the run ended with and where it points.
type ErrorJSON struct {
	// Message is the exception line.
	Message string `json:"message"`
	// Line is the line of the user's code, from 1; 0 when unknown.
	Line int `json:"line"`
	// Column is the column, from 1; 0 when unknown.
	Column int `json:"column"`
}

// CodeJSON is the code that ran.
type CodeJSON struct {
	// Language is the runtime, usable as a Markdown fence tag.
	Language string `json:"language"`
	// Lines is the number of lines.
	Lines int `json:"lines"`
	// Bytes is the size in bytes.
	Bytes int `json:"bytes"`
	// Text is the code, complete; invalid UTF-8 is replaced by U+FFFD.
	Text string `json:"text"`
	// TextBase64 is the exact code, only when it is not valid UTF-8.
	TextBase64 string `json:"text_base64,omitempty"`
}

// StreamJSON is one output stream. When OmittedBytes is 0, Text is the
// whole kept output and Tail is empty; otherwise Text is its beginning,
// Tail its end, and OmittedBytes were left out between them.
type StreamJSON struct {
	// Text is the kept output, or its beginning; invalid UTF-8 is
	// replaced by U+FFFD.
	Text string `json:"text"`
	// TextBase64 is Text's exact bytes, only when they are not valid UTF-8.
	TextBase64 string `json:"text_base64,omitempty"`
	// Tail is the end of the kept output when bytes were omitted.
	Tail string `json:"tail"`
	// TailBase64 is Tail's exact bytes, only when they are not valid UTF-8.
	TailBase64 string `json:"tail_base64,omitempty"`
	// OmittedBytes is how much the report left out between Text and Tail.
	OmittedBytes int `json:"omitted_bytes"`
	// KeptBytes is how much the sandbox kept.
	KeptBytes int `json:"kept_bytes"`
	// WrittenBytes is how much the guest wrote, kept or not.
	WrittenBytes int64 `json:"written_bytes"`
	// RunnerTruncated is true when the sandbox dropped output past its cap.
	RunnerTruncated bool `json:"runner_truncated"`
	// CapBytes is the sandbox's cap for the stream.
	CapBytes int64 `json:"cap_bytes"`
}

// FuelJSON is the fuel used against the budget (guidance.FuelAnalysis).
type FuelJSON struct {
	// Consumed is the fuel burned (a lower bound when Exact is false).
	Consumed uint64 `json:"consumed"`
	// Budget is the fuel budget.
	Budget uint64 `json:"budget"`
	// Percent is Consumed as a percentage of Budget, to 2 decimals.
	Percent float64 `json:"percent"`
	// Exact is false when Consumed is a lower bound.
	Exact bool `json:"exact"`
	// Band rates Percent: efficient, moderate, warning, critical,
	// exhausted or unknown.
	Band string `json:"band"`
	// SuggestedBudget is a budget to try next; 0 when none is advised.
	SuggestedBudget uint64 `json:"suggested_budget"`
	// Note explains the analysis in a sentence.
	Note string `json:"note"`
}

// MemoryJSON is the guest's linear memory against the cap.
type MemoryJSON struct {
	// PeakBytes is the most the memory reached.
	PeakBytes uint64 `json:"peak_bytes"`
	// PeakPages is PeakBytes in 64 KiB pages.
	PeakPages uint64 `json:"peak_pages"`
	// FinalBytes is the memory at the end.
	FinalBytes uint64 `json:"final_bytes"`
	// CapBytes is the memory cap.
	CapBytes uint64 `json:"cap_bytes"`
	// GrowDenied counts memory growth the cap refused.
	GrowDenied uint64 `json:"grow_denied"`
}

// DiskJSON is the workspace's disk use against its quota.
type DiskJSON struct {
	// Bytes is the blocks the workspace takes at the end.
	Bytes uint64 `json:"bytes"`
	// Entries counts its files, directories and links.
	Entries uint64 `json:"entries"`
	// CapBytes is the disk quota (0 for runs recorded before quotas).
	CapBytes uint64 `json:"cap_bytes"`
	// CapEntries is the entries quota (0 likewise).
	CapEntries uint64 `json:"cap_entries"`
	// Refused counts writes and new files the quota refused.
	Refused uint64 `json:"refused"`
}

// TimeJSON is the wall-clock time against the timeout.
type TimeJSON struct {
	// DurationMS is the time from start to end of the guest.
	DurationMS float64 `json:"duration_ms"`
	// TimeoutMS is the wall-clock limit.
	TimeoutMS int64 `json:"timeout_ms"`
	// QueuedMS is the time the run waited for a free slot.
	QueuedMS float64 `json:"queued_ms"`
}

// FilesJSON lists what the run did in the workspace (/app).
type FilesJSON struct {
	// Created are files that did not exist before the run.
	Created []FileJSON `json:"created"`
	// Modified are files whose size or modification time changed.
	Modified []FileJSON `json:"modified"`
	// Deleted are files that existed before the run and are gone.
	Deleted []FileJSON `json:"deleted"`
}

// FileJSON is one file of the workspace.
type FileJSON struct {
	// Path is relative to /app, with forward slashes.
	Path string `json:"path"`
	// Size is the size in bytes after the run (before it, for deletions).
	Size int64 `json:"size"`
}

// AdviceJSON is one guidance entry (guidance.Advice).
type AdviceJSON struct {
	// ID is the stable catalogue ID.
	ID string `json:"id"`
	// Title is a short heading.
	Title string `json:"title"`
	// Cause says what happened, in one line.
	Cause string `json:"cause"`
	// Steps are concrete things to do.
	Steps []string `json:"steps"`
	// Before is a snippet showing the problem; "" when there is none.
	Before string `json:"before"`
	// After is the snippet changed to work in the sandbox.
	After string `json:"after"`
	// Lang is the snippets' language, a Markdown fence tag.
	Lang string `json:"lang"`
}

// NewReport builds the JSON form of a report.
func NewReport(in Input) Report {
	v := newView(in)
	res := v.res
	r := Report{
		Schema:   SchemaVersion,
		Kind:     Kind,
		Headline: v.headline.String(),
		Session:  in.Session,
		Run:      in.Run,
		Origin:   textsafe.Line(in.Origin),
		Runtime:  v.runtime,
		Outcome:  res.Outcome,
		Success:  res.Success,
		ExitCode: res.ExitCode,
		Message:  v.message,
		Code: CodeJSON{
			Language: v.runtime,
			Lines:    len(codeLines(string(in.Code))),
			Bytes:    len(in.Code),
		},
		Stdout: streamJSON(v.stdout, res.Limits.StdoutMaxBytes),
		Stderr: streamJSON(v.stderr, res.Limits.StderrMaxBytes),
		Fuel: FuelJSON{
			Consumed:        v.fuel.Consumed,
			Budget:          v.fuel.Budget,
			Percent:         math.Round(v.fuel.Percent*100) / 100,
			Exact:           v.fuel.Exact,
			Band:            string(v.fuel.Band),
			SuggestedBudget: v.fuel.Suggested,
			Note:            v.fuel.Note,
		},
		Memory: MemoryJSON{
			PeakBytes:  res.PeakMemoryBytes,
			PeakPages:  res.PeakMemoryPages,
			FinalBytes: res.MemoryBytes,
			CapBytes:   res.Limits.MemoryBytes,
			GrowDenied: res.MemoryGrowDenied,
		},
		Disk: DiskJSON{
			Bytes:      res.Disk.Bytes,
			Entries:    res.Disk.Entries,
			CapBytes:   res.Limits.DiskBytes,
			CapEntries: res.Limits.DiskFiles,
			Refused:    res.DiskRefused,
		},
		Time: TimeJSON{
			DurationMS: milliseconds(res.Duration),
			TimeoutMS:  res.Limits.TimeoutMS,
			QueuedMS:   milliseconds(res.QueuedFor),
		},
		Files: FilesJSON{
			Created:  filesJSON(res.Files.Created),
			Modified: filesJSON(res.Files.Modified),
			Deleted:  filesJSON(res.Files.Deleted),
		},
		Advice: adviceJSON(in.Advice),
	}
	r.Code.Text, r.Code.TextBase64 = textAndExact(in.Code)
	if stdin := in.Stdin; len(stdin) > 0 {
		r.Stdin = strings.ToValidUTF8(string(stdin[:min(len(stdin), maxReportStdin)]), "\uFFFD")
	}
	if v.location.Message != "" || v.location.Line > 0 {
		r.Error = &ErrorJSON{Message: v.location.Message, Line: v.location.Line, Column: v.location.Column}
	}
	return r
}

// JSON renders the report as indented JSON (see Report and
// docs/REPORT.md), ending with a newline.
func JSON(in Input) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "<module>" readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(NewReport(in)); err != nil {
		return nil, err
	}
	return textsafe.JSON(buf.Bytes()), nil
}

// streamJSON converts a trimmed stream.
func streamJSON(s stream, capBytes int64) StreamJSON {
	j := StreamJSON{
		OmittedBytes:    s.omitted,
		KeptBytes:       s.kept,
		WrittenBytes:    s.written,
		RunnerTruncated: s.capped,
		CapBytes:        capBytes,
	}
	j.Text, j.TextBase64 = textAndExact(s.head)
	j.Tail, j.TailBase64 = textAndExact(s.tail)
	return j
}

// textAndExact returns b as text (invalid UTF-8 replaced by U+FFFD) and,
// only when b is not valid UTF-8, its exact bytes in base64, as
// run.NewResultJSON does.
func textAndExact(b []byte) (text, exact string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), base64.StdEncoding.EncodeToString(b)
}

// filesJSON converts a file list, never returning nil.
func filesJSON(files []run.FileChange) []FileJSON {
	out := make([]FileJSON, 0, len(files))
	for _, f := range files {
		out = append(out, FileJSON{Path: f.Path, Size: f.Size})
	}
	return out
}

// adviceJSON converts the advice, never returning nil.
func adviceJSON(advice []guidance.Advice) []AdviceJSON {
	out := make([]AdviceJSON, 0, len(advice))
	for _, a := range advice {
		steps := append([]string{}, a.Steps...)
		out = append(out, AdviceJSON{ID: a.ID, Title: a.Title, Cause: a.Cause, Steps: steps, Before: a.Before, After: a.After, Lang: a.Lang})
	}
	return out
}

// milliseconds converts a duration to fractional milliseconds.
func milliseconds(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}
