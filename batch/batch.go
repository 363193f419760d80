package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
)

// DefaultOutputMax is how much of each output stream a result line keeps.
const DefaultOutputMax = 64 << 10

// Options configure a batch.
type Options struct {
	// Playground runs the items (outside any session, each in a fresh
	// temporary workspace), held to its ceilings. RunNATS needs none.
	Playground *playground.Playground
	// Registry names the runtimes items may ask for (default: the
	// playground's).
	Registry *runtimes.Registry
	// Jobs is how many items run at once (at least 1).
	Jobs int
	// Limits is the batch's layer of limits, under each item's own.
	Limits run.Overrides
	// OutputMax is how much of each stream a result keeps
	// (DefaultOutputMax when 0).
	OutputMax int
	// Stable leaves durations out of the results, so the same input gives
	// the same bytes (with results in input order: SortByLine).
	Stable bool
	// Shard, when Of > 0, runs only the lines whose number n has
	// (n-1) % Of == Index-1: share Index of Of.
	Shard Shard
	// Progress, if not nil, is told of every item answered (on one
	// goroutine, in order).
	Progress func(Progress)
	// Name phrases a limit's source and field in error messages ("the
	// batch's --fuel"); nil uses the item's field names.
	Name func(run.Source, run.Field) string
}

// name phrases a limit for an item's error.
func (o Options) name(src run.Source, f run.Field) string {
	if o.Name != nil {
		return o.Name(src, f)
	}
	if src == run.SourceCeiling {
		return "the batch's " + string(f) + " limit"
	}
	return "limits." + string(f)
}

// Shard is one share of a batch split across Of processes (Kubernetes
// Indexed Jobs, Slurm arrays): Index counts from 1.
type Shard struct{ Index, Of int }

// takes reports whether input line n is this shard's.
func (s Shard) takes(n int) bool { return s.Of <= 0 || (n-1)%s.Of == s.Index-1 }

// Progress is a batch's state after each item.
type Progress struct {
	// Done counts the items answered in this batch so far, Skipped those
	// answered by an earlier batch into the same output.
	Done, Skipped int
	// Passed and Failed count the items with tests by verdict; OK and
	// NotOK count the items without tests by outcome.
	Passed, Failed, OK, NotOK int
	// BadInput counts the lines that could not run.
	BadInput int
	// Elapsed is the time since the batch started.
	Elapsed time.Duration
	// Last is the result just written.
	Last Result
}

// Run reads items from in and runs each (except those ans already holds)
// through the playground, appending a result line to out as each
// finishes. A line that is not a good item is answered with its error;
// the batch goes on. Canceling ctx stops starting items and cancels those
// running (their results are not written: a restart runs them again).
func Run(ctx context.Context, in io.Reader, out io.Writer, ans *Answered, opts Options) (Progress, error) {
	jobs := max(opts.Jobs, 1)
	outputMax := opts.OutputMax
	if outputMax <= 0 {
		outputMax = DefaultOutputMax
	}
	start := time.Now()
	items := make(chan Item)
	results := make(chan Result, jobs)

	// The reader parses lines and answers bad ones itself; the workers
	// run the items. results closes once all of them are done.
	var readErr error
	var all sync.WaitGroup
	before := ans.frozen() // the reader's view: ans grows as results come in
	all.Add(1)
	go func() {
		defer all.Done()
		defer close(items)
		readErr = readItems(ctx, in, before, opts, func(it Item) bool {
			select {
			case items <- it:
				return true
			case <-ctx.Done():
				return false
			}
		}, func(r Result) bool {
			select {
			case results <- r:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	for range jobs {
		all.Add(1)
		go func() {
			defer all.Done()
			for it := range items {
				if r, ok := runItem(ctx, opts, it, outputMax); ok {
					results <- r
				} // else canceled: not answered, a restart runs it
			}
		}()
	}
	go func() {
		all.Wait()
		close(results)
	}()

	p := Progress{Skipped: len(ans.Results)}
	var writeErr error
	for r := range results {
		if writeErr != nil {
			continue // drain
		}
		if err := writeResult(out, r); err != nil {
			writeErr = err
			continue
		}
		ans.add(r)
		p.count(r)
		p.Elapsed = time.Since(start)
		if opts.Progress != nil {
			opts.Progress(p)
		}
	}
	p.Elapsed = time.Since(start)
	err := readErr // set before results closed
	switch {
	case writeErr != nil:
		return p, fmt.Errorf("batch: write a result: %w", writeErr)
	case ctx.Err() != nil:
		return p, ctx.Err()
	case err != nil:
		return p, err
	}
	return p, nil
}

// count adds a result to the figures.
func (p *Progress) count(r Result) {
	p.Done++
	p.Last = r
	switch {
	case r.Outcome == OutcomeBadInput:
		p.BadInput++
	case r.Passed != nil && *r.Passed:
		p.Passed++
	case r.Passed != nil:
		p.Failed++
	case r.Outcome == string(run.OutcomeOK) && r.ExitCode == 0:
		p.OK++
	default:
		p.NotOK++
	}
}

// writeResult appends one line in one write, so a batch killed at any
// moment leaves whole lines (and at most one cut short at the end).
func writeResult(out io.Writer, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = out.Write(append(b, '\n'))
	return err
}

// readItems reads the input line by line (a line over MaxLineBytes is
// read past, not held), skipping what ans answers and what another shard
// takes, and hands each item to start and each bad line's result to answer.
// Duplicate ids are bad lines: the first one runs.
func readItems(ctx context.Context, in io.Reader, ans *Answered, opts Options, start func(Item) bool, answer func(Result) bool) error {
	br := bufio.NewReaderSize(in, 1<<16)
	seen := map[string]int{} // item key -> its line
	reg := opts.Registry
	if reg == nil {
		reg = opts.Playground.Registry()
	}
	for n := 1; ; n++ {
		if ctx.Err() != nil {
			return nil
		}
		data, tooLong, err := readLine(br)
		if err == io.EOF && len(data) == 0 && !tooLong {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("batch: read the input: %w", err)
		}
		if len(bytes.TrimSpace(data)) == 0 && !tooLong {
			if err == io.EOF {
				return nil
			}
			continue // blank lines are no items
		}
		if !opts.Shard.takes(n) {
			continue
		}
		var res *Result
		var it Item
		if tooLong {
			r := badLine(n, salvageID(data), fmt.Errorf("the line is longer than %s", run.FormatBytes(MaxLineBytes)))
			res = &r
		} else if it, err = ParseItem(n, data, reg); err != nil {
			var le *LineError
			errors.As(err, &le)
			r := badLine(n, le.ID, err)
			res = &r
		} else if first, dup := seen[it.Key]; dup {
			r := badLine(n, it.ID, fmt.Errorf("duplicate id %s: line %d has it too (that one runs)", it.Key, first))
			res = &r
		}
		key := it.Key
		if res != nil {
			key = ""
		} else {
			seen[it.Key] = n
		}
		if ans.has(n, key) {
			continue
		}
		if res != nil {
			if !answer(*res) {
				return nil
			}
			continue
		}
		if !start(it) {
			return nil
		}
	}
}

// readLine reads one line without its newline. A line longer than
// MaxLineBytes is read to its end but only its start is returned, with
// tooLong set.
func readLine(br *bufio.Reader) (data []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if len(data)+len(chunk) <= MaxLineBytes {
			data = append(data, chunk...)
		} else {
			if !tooLong {
				// Keep the start only, for the error to name the id.
				if len(data) < 4096 {
					data = append(data, chunk[:min(len(chunk), 4096-len(data))]...)
				}
				data = append([]byte(nil), data[:min(len(data), 4096)]...) // the rest is let go
			}
			tooLong = true
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			return bytes.TrimSuffix(data, []byte("\n")), tooLong, nil
		default:
			return data, tooLong, err
		}
	}
}

// runItem runs one item; ok is false when the batch was canceled first.
func runItem(ctx context.Context, opts Options, it Item, outputMax int) (Result, bool) {
	limits := it.Limits.Over(opts.Limits)
	r, err := opts.Playground.Start(ctx, playground.Request{Runtime: it.Runtime, Code: it.Code, Stdin: it.Stdin,
		Args: it.Args, Limits: limits, Origin: sessions.Origin{Kind: sessions.OriginBatch, Client: "wasmplay batch"}})
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, false
		}
		return badLine(it.Line, it.ID, errors.New(run.Phrase(err, opts.name))), true
	}
	o := r.Wait()
	if ctx.Err() != nil && o.Result.Outcome == run.OutcomeCanceled {
		return Result{}, false
	}
	return resultOf(it, o, outputMax, opts.Stable), true
}

// CountLines counts the lines of in holding something that are this
// shard's, for the progress bar's total; it streams, holding no line.
func CountLines(in io.Reader, shard Shard) (int, error) {
	br := bufio.NewReaderSize(in, 1<<16)
	total := 0
	for n := 1; ; n++ {
		data, tooLong, err := readLine(br)
		if len(bytes.TrimSpace(data)) > 0 || tooLong {
			if shard.takes(n) {
				total++
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return 0, fmt.Errorf("batch: %w", err)
		}
	}
}
