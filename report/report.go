// Package report renders the report of one run that a person hands back
// to the model that wrote the code: what happened (outcome, exit code,
// the error and the line it points at), the code with line numbers, the
// output (trimmed), the limits the run was fenced by and how much of them
// it used, the files it touched, and what to change (the guidance
// catalogue).
//
// Two formats are produced from the same Input: Markdown, for pasting
// into a chat, and JSON, for scripts. The JSON schema is versioned
// (SchemaVersion) and documented field by field in docs/REPORT.md.
package report

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wasmplay/wasmplay/guidance"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// DefaultMaxOutputBytes is how much of each output stream a report keeps
// when Input.MaxOutputBytes is 0.
const DefaultMaxOutputBytes = 4 << 10

// Input is everything a report is made from.
type Input struct {
	// Runtime is the canonical runtime name; when empty, Result.Runtime.
	Runtime string
	// Code is the code that ran.
	Code []byte
	// Stdin is what the run read on standard input (typed while it ran,
	// or given); nil for none.
	Stdin []byte
	// Result is the run's result.
	Result run.Result
	// Session is the session's name or ID; empty when the run was not in
	// a session.
	Session string
	// Run is the run's number in the session history; 0 when unknown.
	Run int
	// Origin says who ran it ("agent (claude-code 1.2)"); "" when unknown.
	Origin string
	// Advice is what to change (guidance.Match); nil for none.
	Advice []guidance.Advice
	// Fuel is the fuel analysis (guidance.AnalyzeFuel). When its Band is
	// empty the report computes it from Result.
	Fuel guidance.FuelAnalysis
	// MaxOutputBytes is how much of each output stream (and of a long
	// Result.Message) to keep: the beginning and the end, with a
	// "… N bytes omitted …" note between. 0 means DefaultMaxOutputBytes.
	MaxOutputBytes int
}

// NewInput prepares an Input for a finished run: the advice from
// guidance.MatchWithOptions (opts.Code defaults to code) and the fuel
// analysis. Set Session, Run and MaxOutputBytes on the result as needed.
func NewInput(code []byte, res run.Result, opts guidance.MatchOptions) Input {
	if opts.Code == nil {
		opts.Code = code
	}
	return Input{
		Runtime: res.Runtime,
		Code:    code,
		Result:  res,
		Advice:  guidance.MatchWithOptions(res, res.Runtime, opts),
		Fuel:    guidance.AnalyzeFuel(res.FuelConsumed, res.Limits.FuelBudget, res.Outcome, res.FuelExact),
	}
}

// view is an Input digested for rendering, shared by both formats.
type view struct {
	in       Input
	res      run.Result
	runtime  string
	headline summary
	location guidance.Location // Line is 0 when no line is known; Message "" when no exception is
	message  string            // Result.Message, trimmed
	stdout   stream
	stderr   stream
	fuel     guidance.FuelAnalysis
}

// stream is one output stream, trimmed for the report.
type stream struct {
	head    []byte // the kept output, or its beginning when omitted > 0
	tail    []byte // its end when omitted > 0
	omitted int    // bytes left out between head and tail
	kept    int    // bytes the runner kept
	written int64  // bytes the guest wrote
	capped  bool   // the runner dropped output past its cap
}

// newView digests in.
func newView(in Input) view {
	v := view{in: in, res: in.Result, runtime: in.Runtime, fuel: in.Fuel}
	if v.runtime == "" {
		v.runtime = v.res.Runtime
	}
	if v.fuel.Band == "" {
		v.fuel = guidance.AnalyzeFuel(v.res.FuelConsumed, v.res.Limits.FuelBudget, v.res.Outcome, v.res.FuelExact)
	}
	limit := in.MaxOutputBytes
	if limit <= 0 {
		limit = DefaultMaxOutputBytes
	}
	v.stdout = newStream(v.res.Stdout, v.res.StdoutBytes, v.res.StdoutTruncated, limit)
	v.stderr = newStream(v.res.Stderr, v.res.StderrBytes, v.res.StderrTruncated, limit)
	head, tail, omitted := trim([]byte(v.res.Message), limit)
	v.message = joinTrimmed(head, tail, omitted)
	v.location = errorLocation(v.res, v.runtime)
	v.headline = headline(v)
	return v
}

// errorLocation finds the exception a failed run ended with and the line
// it points at. Only a run that ended by itself has one: an ok run may
// print a handled traceback, and a run stopped for fuel or time was cut
// off mid-flight.
func errorLocation(res run.Result, runtime string) guidance.Location {
	switch res.Outcome {
	case run.OutcomeExitNonzero, run.OutcomeMemoryLimit, run.OutcomeDiskLimit, run.OutcomeStackOverflow,
		run.OutcomeTrap, run.OutcomeInvalidModule, run.OutcomeHostError:
	default:
		return guidance.Location{}
	}
	loc, ok := guidance.ErrorLocation(string(res.Stderr), runtime)
	if !ok && runtime == runtimes.WAT {
		// The WAT compiler's error is the Message of a host error.
		if watLoc, watOK := guidance.ErrorLocation(res.Message, runtime); watOK || loc.Message == "" {
			loc = watLoc
		}
	}
	return loc
}

// newStream trims one output stream.
func newStream(data []byte, written int64, capped bool, limit int) stream {
	head, tail, omitted := trim(data, limit)
	return stream{head: head, tail: tail, omitted: omitted, kept: len(data), written: written, capped: capped}
}

// trim keeps at most limit bytes of b: all of it when it fits, else
// about half from the beginning and half from the end. Each cut moves to
// a line boundary when one is near (within a quarter of the half), else
// to a UTF-8 character boundary, so valid text stays valid.
func trim(b []byte, limit int) (head, tail []byte, omitted int) {
	if len(b) <= limit {
		return b, nil, 0
	}
	half := limit / 2
	cut := half
	if i := bytes.LastIndexByte(b[half-half/4:half], '\n'); i >= 0 {
		cut = half - half/4 + i + 1
	} else {
		for n := 0; n < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(b[cut]); n++ {
			cut--
		}
	}
	start := len(b) - (limit - half)
	if i := bytes.IndexByte(b[start:start+half/4], '\n'); i >= 0 {
		start += i + 1
	} else {
		for n := 0; n < utf8.UTFMax-1 && start < len(b) && !utf8.RuneStart(b[start]); n++ {
			start++
		}
	}
	return b[:cut], b[start:], start - cut
}

// omissionNote is the line that stands for the bytes trim left out.
func omissionNote(n int) string {
	return fmt.Sprintf("… %d bytes omitted …", n)
}

// joinTrimmed renders a trimmed text as one string, with the omission
// note on a line of its own and invalid UTF-8 replaced by U+FFFD.
func joinTrimmed(head, tail []byte, omitted int) string {
	s := strings.ToValidUTF8(string(head), "\uFFFD")
	if omitted == 0 {
		return s
	}
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s + omissionNote(omitted) + "\n" + strings.ToValidUTF8(string(tail), "\uFFFD")
}

// summary sums the run up in one sentence: a lead, the exception or
// reason quoted from the run (Markdown shows it as code), and a tail.
type summary struct {
	lead   string // "The code failed:"
	detail string // "ModuleNotFoundError: No module named 'numpy'"; may be empty
	tail   string // " (line 1)"; may be empty
}

// String renders the summary as plain text.
func (s summary) String() string {
	if s.detail == "" {
		return s.lead + s.tail
	}
	return s.lead + " " + s.detail + s.tail
}

// headline sums up a run.
func headline(v view) summary {
	res := v.res
	exc := v.location.Message
	at := ""
	if v.location.Line > 0 {
		at = fmt.Sprintf(" (line %d)", v.location.Line)
	}
	switch res.Outcome {
	case run.OutcomeOK:
		return summary{lead: "The code ran successfully (exit code 0)."}
	case run.OutcomeExitNonzero:
		if exc != "" {
			return summary{"The code failed:", exc, at}
		}
		return summary{lead: fmt.Sprintf("The code exited with status %d.", res.ExitCode)}
	case run.OutcomeOutOfFuel:
		return summary{lead: fmt.Sprintf("The code ran out of fuel: it used its whole budget of %s instructions.", run.FormatFuel(res.Limits.FuelBudget))}
	case run.OutcomeMemoryLimit:
		lead := fmt.Sprintf("The code hit the %s memory limit", run.FormatBytes(res.Limits.MemoryBytes))
		if exc != "" {
			return summary{lead + ":", exc, at}
		}
		return summary{lead: lead + "."}
	case run.OutcomeDiskLimit:
		lead := "The code hit the workspace's disk quota"
		if res.Limits.DiskBytes > 0 {
			lead = fmt.Sprintf("The code hit the workspace's quota of %s in %d files", run.FormatBytes(res.Limits.DiskBytes), res.Limits.DiskFiles)
		}
		if exc != "" {
			return summary{lead + ":", exc, at}
		}
		return summary{lead: lead + "."}
	case run.OutcomeStackOverflow:
		return summary{lead: "The code overflowed the WebAssembly stack (runaway recursion)."}
	case run.OutcomeTimeout:
		return summary{lead: fmt.Sprintf("The code was stopped by the %s wall-clock limit.", formatTimeout(res.Limits.TimeoutMS))}
	case run.OutcomeCanceled:
		return summary{lead: "The run was canceled before it finished."}
	case run.OutcomeTrap:
		return summary{lead: "The code trapped:", detail: trapSummary(res.Message)}
	case run.OutcomeInvalidModule:
		if exc != "" {
			return summary{"The code could not be compiled:", exc, at}
		}
		return summary{lead: "The module cannot run:", detail: firstLine(res.Message)}
	case run.OutcomeHostError:
		if exc != "" {
			return summary{"The code could not be compiled:", exc, at}
		}
		return summary{lead: "The run could not be carried out:", detail: firstLine(res.Message)}
	}
	return summary{lead: fmt.Sprintf("The run ended with outcome %s.", res.Outcome)}
}

// trapSummary picks the reason out of a wasmtime trap message.
func trapSummary(message string) string {
	for _, line := range strings.Split(message, "\n") {
		if _, reason, ok := strings.Cut(line, "wasm trap: "); ok {
			return strings.TrimSpace(reason)
		}
	}
	return firstLine(message)
}

// firstLine returns the first line of s, made valid UTF-8.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.ToValidUTF8(line, "\uFFFD")
}

// formatTimeout renders a timeout in milliseconds ("30s", "1.5s").
func formatTimeout(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).String()
}

// formatDuration renders a run's duration ("87.6 ms", "1.25 s").
func formatDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// codeLines splits code into lines for numbering, without line endings.
func codeLines(code string) []string {
	if code == "" {
		return nil
	}
	code = strings.ReplaceAll(code, "\r\n", "\n")
	return strings.Split(strings.TrimSuffix(code, "\n"), "\n")
}
