package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"syscall"
	"unicode/utf8"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
)

// OutcomeBadInput is the outcome of a line that could not run: not an
// item, no id, a duplicate id, an unknown language, code too large,
// limits above the batch's ceilings. Error says which.
const OutcomeBadInput = "bad_input"

// Result is one output line: how one item ran.
type Result struct {
	// ID is the item's id as the input gave it; absent when the line had
	// none.
	ID json.RawMessage `json:"id,omitempty"`
	// Line is the item's input line, from 1.
	Line int `json:"line"`
	// Outcome is the run's outcome (run.Outcome), or OutcomeBadInput.
	Outcome string `json:"outcome"`
	// ExitCode is the guest's exit status.
	ExitCode int `json:"exit_code"`
	// Passed, for an item with tests, says whether they passed: the
	// program and its tests ran to the end with exit status 0.
	Passed *bool `json:"passed,omitempty"`
	// Stdout and Stderr are the output, each cut to the batch's
	// output cap (flagged in the Truncated fields).
	Stdout          string `json:"stdout"`
	StdoutTruncated bool   `json:"stdout_truncated,omitempty"`
	Stderr          string `json:"stderr"`
	StderrTruncated bool   `json:"stderr_truncated,omitempty"`
	// Fuel is the fuel used, of FuelBudget; FuelExact is false when it
	// is a lower bound.
	Fuel       uint64 `json:"fuel"`
	FuelExact  bool   `json:"fuel_exact"`
	FuelBudget uint64 `json:"fuel_budget"`
	// MemoryPeakBytes is the linear memory's peak.
	MemoryPeakBytes uint64 `json:"memory_peak_bytes"`
	// DurationMS is the run's wall-clock time (absent with stable output).
	DurationMS *float64 `json:"duration_ms,omitempty"`
	// Advice names what the guidance says went wrong.
	Advice []string `json:"advice,omitempty"`
	// Error says why a bad line did not run, or what the host could not do.
	Error string `json:"error,omitempty"`
}

// resultOf turns a playground outcome into a result line.
func resultOf(it Item, o playground.Outcome, outputMax int, stable bool) Result {
	res := o.Result
	r := Result{ID: it.ID, Line: it.Line, Outcome: string(res.Outcome), ExitCode: res.ExitCode,
		Fuel: res.FuelConsumed, FuelExact: res.FuelExact, FuelBudget: res.Limits.FuelBudget,
		MemoryPeakBytes: res.PeakMemoryBytes}
	r.Stdout, r.StdoutTruncated = clip(res.Stdout, outputMax, res.StdoutTruncated)
	r.Stderr, r.StderrTruncated = clip(res.Stderr, outputMax, res.StderrTruncated)
	if it.HasTests {
		passed := res.Outcome == run.OutcomeOK && res.ExitCode == 0
		r.Passed = &passed
	}
	if !stable {
		ms := float64(res.Duration.Microseconds()) / 1000
		r.DurationMS = &ms
	}
	for _, a := range o.Advice {
		r.Advice = append(r.Advice, a.Title)
	}
	if res.Outcome == run.OutcomeHostError {
		r.Error = res.Message
	}
	return r
}

// badLine is the result of a line that did not run.
func badLine(line int, id json.RawMessage, err error) Result {
	var le *LineError
	if errors.As(err, &le) {
		err = le.Err
	}
	return Result{ID: id, Line: line, Outcome: OutcomeBadInput, Error: err.Error()}
}

// clip keeps at most max bytes of b (on a character boundary), as text.
func clip(b []byte, max int, truncated bool) (string, bool) {
	if len(b) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		return string(b[:cut]), true
	}
	return string(b), truncated
}

// Answered is what an output file already holds: the items a restarted
// batch skips.
type Answered struct {
	// IDs are the keys of the items that ran.
	IDs map[string]bool
	// Lines are the input lines answered as bad input.
	Lines map[int]bool
	// Results are the lines, for the summary of the whole batch.
	Results []Result
}

// has reports whether an input line (with its item's key, "" for none)
// is answered.
func (a *Answered) has(line int, key string) bool {
	return a.Lines[line] || key != "" && a.IDs[key]
}

// frozen is a copy of what is answered now, for the reader to consult
// while results keep coming in.
func (a *Answered) frozen() *Answered {
	c := &Answered{IDs: make(map[string]bool, len(a.IDs)), Lines: make(map[int]bool, len(a.Lines))}
	for k := range a.IDs {
		c.IDs[k] = true
	}
	for k := range a.Lines {
		c.Lines[k] = true
	}
	return c
}

// add records a result: a run by its item's id, a bad line by its line
// (a duplicate's error must not count as its id's answer).
func (a *Answered) add(r Result) {
	if r.Outcome == OutcomeBadInput || len(r.ID) == 0 {
		a.Lines[r.Line] = true
	} else {
		a.IDs[string(r.ID)] = true
	}
	a.Results = append(a.Results, r)
}

// OpenOutput opens (or creates) an output file to append to, and reads
// what it already answers. A last line cut short (the batch was killed
// while writing it) is removed, so appending goes on from whole lines.
func OpenOutput(path string) (*os.File, *Answered, error) {
	// Never blocking on a named pipe given as the output, and refusing
	// anything but a regular file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("batch: open the output: %w", err)
	}
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("batch: the output %s is not a regular file", path)
	}
	ans, good, err := readAnswered(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("batch: read %s: %w", path, err)
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("batch: drop the cut line of %s: %w", path, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("batch: %w", err)
	}
	return f, ans, nil
}

// readAnswered reads the result lines of r; good is the length of its
// whole lines. A line that is no result (another file given as the
// output) is an error: nothing is appended to it.
func readAnswered(r io.Reader) (*Answered, int64, error) {
	ans := &Answered{IDs: map[string]bool{}, Lines: map[int]bool{}}
	br := bufio.NewReaderSize(r, 1<<16)
	var good int64
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return ans, good, nil // a line without its newline was cut short
		}
		if err != nil {
			return nil, 0, err
		}
		var res Result
		if json.Unmarshal(bytes.TrimSpace(line), &res) != nil || res.Line < 1 || res.Outcome == "" {
			return nil, 0, fmt.Errorf("line %d is not a batch result: give a new output file, or the one this batch wrote", n)
		}
		ans.add(res)
		good += int64(len(line))
	}
}

// ReadResults reads a whole output file (a regular file: a named pipe or
// a device given instead is refused, never waited on).
func ReadResults(path string) ([]Result, error) {
	f, err := hostfs.OpenRegular(path)
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	defer f.Close()
	ans, _, err := readAnswered(f)
	if err != nil {
		return nil, fmt.Errorf("batch: %s: %w", path, err)
	}
	return ans.Results, nil
}

// SortByLine rewrites an output file in input order, atomically.
func SortByLine(path string) error {
	results, err := ReadResults(path)
	if err != nil {
		return err
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].Line < results[j].Line })
	tmp, err := os.CreateTemp(dirOf(path), ".wasmplay-batch-*")
	if err != nil {
		return fmt.Errorf("batch: sort the output: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	for _, r := range results {
		b, err := json.Marshal(r)
		if err != nil {
			tmp.Close()
			return err
		}
		w.Write(append(b, '\n'))
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("batch: sort the output: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("batch: sort the output: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("batch: sort the output: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

// dirOf is the directory of path ("." for a bare name).
func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[:i+1]
		}
	}
	return "."
}
