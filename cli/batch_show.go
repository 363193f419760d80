package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/wasmplay/wasmplay/batch"
	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/textsafe"
	"github.com/wasmplay/wasmplay/tui"
)

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
