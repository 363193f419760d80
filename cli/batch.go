package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wasmplay/wasmplay/batch"
	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/textsafe"
	"github.com/wasmplay/wasmplay/tui"
)

// batchOptions are the flags of `wasmplay batch`.
type batchOptions struct {
	out       string
	jobs      int
	order     string
	stable    bool
	jsonOut   bool
	outputMax string
	shard     string
	limits    runOptions // only the limit flags are used
	nats      natsFlags
}

// natsFlags are the NATS connection flags, by NATS's conventions.
type natsFlags struct {
	url, creds, ca, cert, key string
}

// add puts the flags on a command.
func (n *natsFlags) add(f *pflag.FlagSet, what string) {
	f.StringVar(&n.url, "nats", "", what+" (nats://host:4222; several comma-separated)")
	f.StringVar(&n.creds, "nats-creds", "", "NATS credentials file (.creds)")
	f.StringVar(&n.ca, "nats-ca", "", "CA certificate to trust for the NATS server's TLS")
	f.StringVar(&n.cert, "nats-cert", "", "client certificate for NATS TLS")
	f.StringVar(&n.key, "nats-key", "", "key of the client certificate")
}

// conn is the connection the flags describe.
func (n natsFlags) conn(name string, log io.Writer) batch.NATS {
	return batch.NATS{URL: n.url, Credentials: n.creds, RootCA: n.ca, Cert: n.cert, Key: n.key, Name: name, Log: log}
}

func newBatchCommand(g *globals) *cobra.Command {
	var o batchOptions
	cmd := &cobra.Command{
		Use:   "batch [flags] IN.jsonl",
		Short: "Run many programs (one JSON item per line) and write one result line each",
		Long: `Run every item of a JSONL file in the sandbox, in parallel, each in a fresh
workspace, through the same worker processes as the app (an engine fault
costs one item, never the batch).

An item: {"id": ..., "language": "python", "code": "...", "tests": "...",
"stdin": "...", "args": [...], "limits": {"fuel": "10G"}}; "markdown" (with
"block") takes the code from an LLM answer instead of "code". A result line:
id, line, outcome, exit_code, passed (with tests), stdout, stderr (capped,
with truncation flags), fuel, memory, duration, advice. docs/BATCH.md has
the schemas.

Results are appended as items finish. Killed (ctrl+c, SIGTERM, kill -9),
the batch loses at most the items in flight; run the same command again
and it skips what the output already answers. A bad line is answered with
its error; the batch goes on.

The limit flags are the batch's limits and its ceilings: an item's own
limits may lower them, never raise them.`,
		Example: `  wasmplay batch answers.jsonl -o results.jsonl
  wasmplay batch --fuel 100G --timeout 10s --order input mbpp.jsonl
  wasmplay batch --shard 2/8 items.jsonl -o part-2.jsonl   # the 2nd of 8 shares
  wasmplay batch show results.jsonl --outcome out_of_fuel`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBatch(cmd.Context(), g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.out, "output", "o", "", "the results file (default: IN with .results.jsonl)")
	f.IntVarP(&o.jobs, "jobs", "j", 0, "items run at once (default: one per core)")
	f.StringVar(&o.order, "order", "finish", "order of the result lines: finish (as items end) or input (rewritten at the end)")
	f.BoolVar(&o.stable, "stable", false, "byte-stable output: input order and no durations")
	f.BoolVar(&o.jsonOut, "json", false, "print the summary as JSON on standard output")
	f.StringVar(&o.outputMax, "output-max", "", "output kept per stream and item in the results, e.g. 16KiB (default 64KiB)")
	f.StringVar(&o.shard, "shard", "", "run only share I of N, e.g. 3/8 (for N copies started by a batch scheduler)")
	f.StringVar(&o.limits.fuel, "fuel", "", "fuel per item, e.g. 100G")
	f.StringVar(&o.limits.memory, "memory", "", "memory per item, e.g. 128MiB")
	f.StringVar(&o.limits.timeout, "timeout", "", "wall-clock limit per item, e.g. 10s")
	f.StringVar(&o.limits.stdoutMax, "stdout-max", "", "stdout an item's run keeps")
	f.StringVar(&o.limits.stderrMax, "stderr-max", "", "stderr an item's run keeps")
	o.nats.add(f, "run the items on `wasmplay worker --nats` processes through this NATS server")
	f.SortFlags = false
	cmd.AddCommand(newBatchShowCommand(g), newBatchOpenCommand(g))
	return cmd
}

// parseShard reads "I/N".
func parseShard(s string) (batch.Shard, error) {
	if s == "" {
		return batch.Shard{}, nil
	}
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(i)
	of, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || of < 1 || index < 1 || index > of {
		return batch.Shard{}, usageError("--shard %q: give I/N with 1 <= I <= N, e.g. 2/8", s)
	}
	return batch.Shard{Index: index, Of: of}, nil
}

func runBatch(ctx context.Context, g *globals, o batchOptions, in string) error {
	// ctrl+c, SIGTERM and a closed terminal stop the batch the same way:
	// no new items, those running canceled and left for the next start,
	// the summary of what is written.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// NATS reports a lost server from its own goroutines.
	g = g.withLockedStderr()
	if o.order != "finish" && o.order != "input" {
		return usageError("--order %q: use finish or input", o.order)
	}
	shard, err := parseShard(o.shard)
	if err != nil {
		return err
	}
	input, err := hostfs.OpenRegular(in)
	if err != nil {
		return usageError("the batch input: %v", err)
	}
	defer input.Close()
	out := o.out
	if out == "" {
		out = strings.TrimSuffix(in, ".jsonl") + ".results.jsonl"
	}
	if same, _ := sameFile(in, out); same {
		return usageError("-o %s is the input: give another results file", out)
	}
	outputMax := 0
	if o.outputMax != "" {
		n, err := run.ParseBytes(o.outputMax)
		if err != nil || n == 0 || n > uint64(run.MaxOutputBytes) {
			return usageError("--output-max %q: give a size such as 16KiB", o.outputMax)
		}
		outputMax = int(n)
	}
	limits, err := requestLimits(o.limits)
	if err != nil {
		return err
	}
	cfg, configLayer, reg, err := g.configured()
	if err != nil {
		return err
	}
	jobs := o.jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	var pg *playground.Playground
	if o.nats.url == "" {
		// The batch's limits are its ceilings too: an item may lower them.
		var closePG func()
		if pg, closePG, err = g.itemPlayground(cfg, reg, configLayer, limits, jobs); err != nil {
			return err
		}
		defer closePG()
	}
	total, err := batch.CountLines(input, shard)
	if err != nil {
		return usageError("%v", err)
	}
	if _, err := input.Seek(0, io.SeekStart); err != nil {
		return usageError("the batch input: %v", err)
	}
	results, ans, err := batch.OpenOutput(out)
	if err != nil {
		return usageError("%v", err)
	}
	defer results.Close()

	bar := newProgressBar(g.stderr, g.stderrFile, total)
	if bar != nil && len(ans.Results) > 0 {
		fmt.Fprintf(g.stderr, "wasmplay batch: %s already answers %d items: they are skipped\n", out, len(ans.Results))
	}
	opts := batch.Options{Playground: pg, Registry: reg, Jobs: jobs, Limits: limits, OutputMax: outputMax, Stable: o.stable,
		Shard: shard, Name: batchFieldName(g)}
	if bar != nil {
		opts.Progress = bar.update
	}
	var p batch.Progress
	var runErr error
	if o.nats.url != "" {
		p, runErr = batch.RunNATS(ctx, input, results, ans, opts, o.nats.conn("wasmplay batch", g.stderr), batch.BatchID(out))
	} else {
		p, runErr = batch.Run(ctx, input, results, ans, opts)
	}
	if bar != nil {
		bar.finish(p)
	}
	if err := results.Sync(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr == nil && (o.order == "input" || o.stable) {
		runErr = batch.SortByLine(out)
	}
	summary := batch.Summarize(ans.Results)
	if o.jsonOut {
		b, _ := json.MarshalIndent(summary, "", "  ")
		fmt.Fprintln(g.stdout, string(b))
	} else {
		summary.WriteTable(g.stderr)
		fmt.Fprintf(g.stderr, "\nresults: %s\n", out)
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return &exitError{code: ExitCanceled, err: fmt.Errorf("batch stopped: %d items answered, the rest run when the same command is given again", len(ans.Results))}
		}
		return &exitError{code: ExitHostError, err: runErr}
	}
	return nil
}

// itemPlayground is the playground batch items run in, on a pool of jobs
// worker processes, outside any session: limits is its layer of limits
// over the config's, and its ceilings too. stop stops the pool.
func (g *globals) itemPlayground(cfg config.Config, reg *runtimes.Registry, configLayer, limits run.Overrides,
	jobs int) (pg *playground.Playground, stop func(), err error) {
	ceilings, err := batchCeilings(configLayer, limits)
	if err != nil {
		return nil, nil, err
	}
	cfg.Slots = jobs
	pool, rn, err := g.newPoolRunner(cfg, reg)
	if err != nil {
		return nil, nil, err
	}
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rn.Close(ctx)
		pool.Close(ctx)
	}
	pg, err = playground.New(playground.Options{Runner: rn, Registry: reg, Config: configLayer, Ceilings: ceilings,
		Packages: g.pythonModules})
	if err != nil {
		stop()
		return nil, nil, &exitError{code: ExitHostError, err: err}
	}
	return pg, stop, nil
}

// batchCeilings are the ceilings of a batch's items: the batch's limits,
// else the config's, for the limits an item may set.
func batchCeilings(configLayer, limits run.Overrides) (run.Overrides, error) {
	policy, err := run.Resolve([]run.Layer{{Source: run.SourceConfig, Limits: configLayer},
		{Source: run.SourceRequest, Limits: limits}}, run.Overrides{})
	if err != nil {
		return run.Overrides{}, usageError("%v", err)
	}
	all := run.OverridesOf(policy)
	return run.Overrides{FuelBudget: all.FuelBudget, MemoryBytes: all.MemoryBytes, Timeout: all.Timeout,
		StdoutMaxBytes: all.StdoutMaxBytes, StderrMaxBytes: all.StderrMaxBytes}, nil
}

// batchFieldName phrases limits in an item's errors.
func batchFieldName(g *globals) func(run.Source, run.Field) string {
	return func(src run.Source, f run.Field) string {
		switch src {
		case run.SourceCeiling:
			for _, lf := range limitFlags {
				if lf.field == f {
					return "the batch's " + lf.flag + " (an item may lower it, not raise it)"
				}
			}
		case run.SourceConfig:
			return config.PolicyKey(f) + " in " + g.dirs.ConfigFile
		}
		return "limits." + string(f)
	}
}

// sameFile reports whether two paths name one file.
func sameFile(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	ib, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ia, ib), nil
}

// progressBar draws a batch's progress on a terminal's last line.
type progressBar struct {
	w     io.Writer
	total int
	last  time.Time
}

// newProgressBar returns a bar writing to w when w (or file, the file w
// wraps) is a terminal, else nil (a pipe or a file gets no bar).
func newProgressBar(w io.Writer, file *os.File, total int) *progressBar {
	if file == nil {
		file, _ = w.(*os.File)
	}
	if file == nil || !term.IsTerminal(file.Fd()) {
		return nil
	}
	return &progressBar{w: w, total: total}
}

// update redraws the bar, at most 10 times a second.
func (b *progressBar) update(p batch.Progress) {
	if time.Since(b.last) < 100*time.Millisecond && p.Done+p.Skipped < b.total {
		return
	}
	b.last = time.Now()
	b.draw(p)
}

func (b *progressBar) draw(p batch.Progress) {
	done := p.Done + p.Skipped
	const width = 24
	filled := 0
	if b.total > 0 {
		filled = min(width, width*done/b.total)
	}
	rate := float64(p.Done) / max(p.Elapsed.Seconds(), 1e-3)
	eta := "—"
	if rate > 0 && done < b.total {
		eta = (time.Duration(float64(b.total-done)/rate) * time.Second).Round(time.Second).String()
	}
	line := fmt.Sprintf("[%s%s] %d/%d", strings.Repeat("█", filled), strings.Repeat("░", width-filled), done, b.total)
	if p.Passed+p.Failed > 0 {
		line += fmt.Sprintf(" · %d passed · %d failed", p.Passed, p.Failed)
	}
	if p.OK+p.NotOK > 0 {
		line += fmt.Sprintf(" · %d ok · %d not ok", p.OK, p.NotOK)
	}
	if p.BadInput > 0 {
		line += fmt.Sprintf(" · %d bad lines", p.BadInput)
	}
	line += fmt.Sprintf(" · %.1f/s · ETA %s", rate, eta)
	fmt.Fprintf(b.w, "\r\x1b[2K%s", textsafe.Line(line))
}

// finish draws the last state and ends the bar's line.
func (b *progressBar) finish(p batch.Progress) {
	b.draw(p)
	fmt.Fprintln(b.w)
}

// batchShowOptions are the flags of `wasmplay batch show`.
type batchShowOptions struct {
	outcome string
	grep    string
	failed  bool
	limit   int
	list    bool
}

func newBatchShowCommand(g *globals) *cobra.Command {
	var o batchShowOptions
	var input string
	cmd := &cobra.Command{
		Use:   "show [flags] OUT.jsonl",
		Short: "List a batch's results, filtered by outcome or by text in the output",
		Long: `List the results of a batch, one line each: input line, id, outcome, the
verdict of its tests, fuel, duration, and the first line of its error or
stderr. On a terminal the list is interactive: type to filter (by outcome,
"failed", an error's text, an id, text in the output), and Enter takes the
item into a new session and opens the app on it, its code in the editor
and its batch run in the history (as wasmplay batch open does). Piped, or
with --list, it prints the list.`,
		Example: `  wasmplay batch show results.jsonl --failed
  wasmplay batch show results.jsonl --outcome out_of_fuel
  wasmplay batch show results.jsonl --grep ZeroDivisionError`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			results, err := batch.ReadResults(args[0])
			if err != nil {
				return usageError("%v", err)
			}
			if out, isFile := g.stdout.(*os.File); isFile && term.IsTerminal(out.Fd()) && !o.list {
				return pickBatchItem(g, args[0], input, results, o)
			}
			w := cmd.OutOrStdout()
			shown := 0
			fmt.Fprintf(w, "%-6s %-24s %-14s %-7s %8s %10s  %s\n", "line", "id", "outcome", "tests", "fuel", "time", "first line of the error")
			for _, r := range results {
				if !o.matches(r) {
					continue
				}
				if o.limit > 0 && shown == o.limit {
					fmt.Fprintf(w, "… more: raise --limit\n")
					break
				}
				shown++
				tests := ""
				if r.Passed != nil {
					tests = map[bool]string{true: "passed", false: "failed"}[*r.Passed]
				}
				dur := ""
				if r.DurationMS != nil {
					dur = fmt.Sprintf("%.1f ms", *r.DurationMS)
				}
				fmt.Fprintf(w, "%-6d %-24s %-14s %-7s %8s %10s  %s\n", r.Line, textsafe.Clip(textsafe.Line(strings.Trim(string(r.ID), `"`)), 24),
					r.Outcome, tests, run.FormatFuel(r.Fuel), dur, textsafe.Clip(textsafe.Line(firstProblemLine(r)), 60))
			}
			fmt.Fprintf(w, "%d of %d results shown\n", shown, len(results))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.outcome, "outcome", "", "only this outcome (ok, exit_nonzero, out_of_fuel, timeout, memory_limit, trap, bad_input, ...)")
	f.StringVar(&o.grep, "grep", "", "only results whose stdout, stderr or error holds this text")
	f.BoolVar(&o.failed, "failed", false, "only results that failed their tests or did not end ok")
	f.IntVar(&o.limit, "limit", 200, "at most this many lines (0: all)")
	f.BoolVar(&o.list, "list", false, "print the list, even on a terminal")
	f.StringVarP(&input, "input", "i", "", "the batch's input file, to open an item from (default: OUT without .results)")
	return cmd
}

// pickBatchItem lets the person pick a result on the terminal and opens
// it in the app.
func pickBatchItem(g *globals, out, input string, results []batch.Result, o batchShowOptions) error {
	var rows []tui.BatchRow
	var ids []string
	for _, r := range results {
		if !o.matches(r) {
			continue
		}
		row := tui.BatchRow{Line: r.Line, ID: strings.Trim(string(r.ID), `"`), Outcome: r.Outcome, Fuel: run.FormatFuel(r.Fuel),
			Problem: firstProblemLine(r), Text: r.Stdout + "\n" + r.Stderr}
		if r.Passed != nil {
			row.Tests = map[bool]string{true: "passed", false: "failed"}[*r.Passed]
		}
		if r.DurationMS != nil {
			row.Duration = fmt.Sprintf("%.1f ms", *r.DurationMS)
		}
		rows = append(rows, row)
		ids = append(ids, string(r.ID))
	}
	cfg, err := g.loadConfig(false)
	if err != nil {
		return err
	}
	theme, err := pickTheme(cfg, g.dirs)
	if err != nil {
		return err
	}
	keys := tui.DefaultKeyMap()
	keys.Remap(cfg.Keys)
	picked, err := tui.PickBatchRow(rows, "batch results: "+out, theme, keys, g.stdin, g.stdout)
	if err != nil {
		return &exitError{code: ExitHostError, err: err}
	}
	if picked < 0 {
		return nil
	}
	sess, err := openBatchItem(g, out, strings.Trim(ids[picked], `"`), input, "")
	if err != nil {
		return err
	}
	return runTUI(g, appOptions{session: sess.ID()})
}

// matches reports whether a result passes the filters.
func (o batchShowOptions) matches(r batch.Result) bool {
	if o.outcome != "" && r.Outcome != o.outcome {
		return false
	}
	if o.failed && (r.Passed != nil && *r.Passed || r.Passed == nil && r.Outcome == string(run.OutcomeOK) && r.ExitCode == 0) {
		return false
	}
	if o.grep != "" && !strings.Contains(r.Stdout, o.grep) && !strings.Contains(r.Stderr, o.grep) && !strings.Contains(r.Error, o.grep) {
		return false
	}
	return true
}

// firstProblemLine is the line that says what went wrong: the error, or
// the last line of stderr (a traceback's exception).
func firstProblemLine(r batch.Result) string {
	if r.Error != "" {
		return strings.SplitN(r.Error, "\n", 2)[0]
	}
	// The last line that is not a stack frame: Python's exception comes
	// last, JavaScript's before its "    at ..." lines.
	lines := strings.Split(strings.TrimRight(r.Stderr, "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if t := strings.TrimSpace(lines[i]); t != "" && !strings.HasPrefix(t, "at ") {
			return lines[i]
		}
	}
	return lines[len(lines)-1]
}

func newBatchOpenCommand(g *globals) *cobra.Command {
	var input, name string
	var noApp bool
	cmd := &cobra.Command{
		Use:   "open [flags] OUT.jsonl ID",
		Short: "Take one batch item into a new session and open it in the app",
		Long: `Make a session of one batch item: its code (tests included) in the scratch
tab and its batch run as run 1 of the history, then open the app on it, to
edit, run again, compare with the batch's run (d in the runs pane) and copy
a report. The input file gives the code: -i, else OUT with .results.jsonl
replaced by .jsonl.`,
		Example: `  wasmplay batch open results.jsonl 17
  wasmplay batch open -i mbpp.jsonl results.jsonl task-123 --session slow-one`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			sess, err := openBatchItem(g, args[0], args[1], input, name)
			if err != nil {
				return err
			}
			out, isFile := g.stdout.(*os.File)
			if noApp || !isFile || !term.IsTerminal(out.Fd()) {
				ref := sess.Name()
				if ref == "" {
					ref = sess.ID()
				}
				fmt.Fprintf(g.stdout, "session %s holds item %s: wasmplay --session %s\n", ref, textsafe.Line(args[1]), ref)
				return nil
			}
			return runTUI(g, appOptions{session: sess.ID()})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&input, "input", "i", "", "the batch's input file (default: OUT without .results)")
	f.StringVar(&name, "session", "", "name of the session to make (default: batch-ID)")
	f.BoolVar(&noApp, "no-app", false, "make the session but do not open the app")
	return cmd
}

// openBatchItem makes a session of one batch item: code in the scratch
// buffer, its batch run recorded.
func openBatchItem(g *globals, out, id, input, name string) (*sessions.Session, error) {
	results, err := batch.ReadResults(out)
	if err != nil {
		return nil, usageError("%v", err)
	}
	var res *batch.Result
	for i, r := range results {
		if strings.Trim(string(r.ID), `"`) == id || string(r.ID) == id {
			res = &results[i]
		}
	}
	if res == nil {
		return nil, usageError("%s has no item with id %s (wasmplay batch show lists them)", out, textsafe.Line(id))
	}
	if input == "" {
		input = strings.TrimSuffix(out, ".results.jsonl") + ".jsonl"
	}
	cfg, err := g.loadConfig(false)
	if err != nil {
		return nil, err
	}
	reg, err := g.registry(cfg)
	if err != nil {
		return nil, err
	}
	in, err := hostfs.OpenRegular(input)
	if err != nil {
		return nil, usageError("the batch input (-i): %v", err)
	}
	defer in.Close()
	item, err := batch.ItemAt(in, res.Line, reg)
	if err != nil {
		return nil, usageError("%s line %d: %v", input, res.Line, err)
	}
	if string(item.ID) != string(res.ID) {
		return nil, usageError("%s line %d holds item %s, not %s: is -i the input of this batch?", input, res.Line,
			textsafe.Line(string(item.ID)), textsafe.Line(id))
	}
	store, err := g.sessionStore()
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = batchSessionName(store, id)
	}
	sess, err := store.Create(sessions.CreateOptions{Name: name, Runtime: item.Runtime})
	if err != nil {
		return nil, usageError("%v", err)
	}
	if err := sess.SaveBuffer(item.Runtime, string(item.Code)); err != nil {
		return nil, &exitError{code: ExitHostError, err: err}
	}
	now := time.Now()
	dur := time.Duration(0)
	if res.DurationMS != nil {
		dur = time.Duration(*res.DurationMS * float64(time.Millisecond))
	}
	record := sessions.NewRecord(item.Code, item.Stdin, &sessions.Origin{Kind: sessions.OriginBatch, Client: "wasmplay batch " + out},
		run.Result{Runtime: item.Runtime, Outcome: run.Outcome(res.Outcome), ExitCode: res.ExitCode, Message: res.Error,
			Stdout: []byte(res.Stdout), Stderr: []byte(res.Stderr), StdoutTruncated: res.StdoutTruncated, StderrTruncated: res.StderrTruncated,
			FuelConsumed: res.Fuel, FuelExact: res.FuelExact, Limits: run.Limits{FuelBudget: res.FuelBudget},
			PeakMemoryPages: res.MemoryPeakBytes / 65536, StartedAt: now.Add(-dur), FinishedAt: now, Duration: dur,
			Files: run.EmptyFileChanges()})
	if _, err := sess.AppendRun(record); err != nil {
		return nil, &exitError{code: ExitHostError, err: err}
	}
	return sess, nil
}

// batchSessionName is "batch-ID" made a valid, unused session name.
func batchSessionName(store *sessions.Store, id string) string {
	var b strings.Builder
	for _, r := range strings.Trim(id, `"`) {
		if r < 128 && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	base := b.String() // ASCII: cut by bytes, with no marker (names allow none)
	base = "batch-" + base[:min(len(base), 40)]
	name := base
	for n := 2; ; n++ {
		if _, err := store.Resolve(name); err != nil {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, n)
	}
}

func newNATSWorkerCommand(g *globals) *cobra.Command {
	var n natsFlags
	var jobs int
	var ackWait time.Duration
	var limits runOptions
	cmd := &cobra.Command{
		Use:   "worker --nats URL [flags]",
		Short: "Run batch items that wasmplay batch --nats publishes, until stopped",
		Long: `Pull the items of every wasmplay batch --nats from the NATS server's work
queue, run each in the sandbox (the same worker processes and limits as a
local batch), and publish its result. Start as many as you like, on as
many machines. An item is acknowledged only once its result is stored: a
worker killed mid-item has the item given to another after --ack-wait.

The limit flags are this worker's ceilings, whatever an item or its batch
asks for.`,
		Example: `  wasmplay worker --nats nats://queue.internal:4222 --jobs 8
  wasmplay worker --nats tls://queue:4222 --nats-creds worker.creds --fuel 200G --timeout 2m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if n.url == "" {
				return usageError("--nats URL: the NATS server to take items from")
			}
			layer, err := requestLimits(limits)
			if err != nil {
				return err
			}
			cfg, configLayer, reg, err := g.configured()
			if err != nil {
				return err
			}
			if jobs <= 0 {
				jobs = runtime.NumCPU()
			}
			pg, closePG, err := g.itemPlayground(cfg, reg, configLayer, layer, jobs)
			if err != nil {
				return err
			}
			defer closePG()
			fmt.Fprintf(g.stderr, "wasmplay worker: taking batch items from %s, %d at a time\n", textsafe.Line(n.url), jobs)
			name := func(src run.Source, f run.Field) string {
				if src == run.SourceCeiling {
					return "the worker's " + string(f) + " ceiling (wasmplay worker --" + strings.ReplaceAll(string(f), "_", "-") + ")"
				}
				return batchFieldName(g)(src, f)
			}
			g := g.withLockedStderr() // items are logged from several goroutines
			// Stopped, a worker hands its items in flight back to the queue.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			err = batch.Work(ctx, n.conn("wasmplay worker", g.stderr), batch.WorkerOptions{Playground: pg, Jobs: jobs,
				AckWait: ackWait, Name: name, Log: g.stderr})
			if err != nil {
				return &exitError{code: ExitHostError, err: err}
			}
			return nil
		},
	}
	f := cmd.Flags()
	n.add(f, "the NATS server batches publish their items to")
	f.IntVarP(&jobs, "jobs", "j", 0, "items run at once (default: one per core)")
	f.DurationVar(&ackWait, "ack-wait", 30*time.Second, "how long an item of a worker that stopped answering waits before another worker takes it")
	f.StringVar(&limits.fuel, "fuel", "", "the most fuel an item may have, e.g. 100G")
	f.StringVar(&limits.memory, "memory", "", "the most memory an item may have")
	f.StringVar(&limits.timeout, "timeout", "", "the longest an item may run")
	f.StringVar(&limits.stdoutMax, "stdout-max", "", "the most stdout an item's run keeps")
	f.StringVar(&limits.stderrMax, "stderr-max", "", "the most stderr an item's run keeps")
	f.SortFlags = false
	return cmd
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// withLockedStderr is g with its standard error safe for writes from
// several goroutines (a terminal's file is; a test's buffer is not). The
// progress bar still sees the file it wraps, to know a terminal.
func (g *globals) withLockedStderr() *globals {
	c := *g
	c.stderrFile, _ = g.stderr.(*os.File)
	c.stderr = &lockedWriter{w: g.stderr}
	return &c
}
