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
	"github.com/wasmplay/wasmplay/textsafe"
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
