package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/textsafe"
)

// sessionStore opens the sessions root; problems with it are reported
// as bad input (a path the user gave or the environment set).
func (g *globals) sessionStore() (*sessions.Store, error) {
	store, err := sessions.Open(g.dirs.Sessions, sessions.Options{Warn: func(err error) {
		fmt.Fprintln(g.stderr, "wasmplay: warning:", err)
	}})
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	return store, nil
}

// sessionError turns a sessions error into a command error.
func sessionError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: ExitUsage, err: err}
}

func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	// Guest strings are in it: C1 controls and bidi characters are
	// written as \u escapes (the same values, safe bytes).
	_, err = w.Write(append(textsafe.JSON(data), '\n'))
	return err
}

func newSessionsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "List, inspect, rename, export and delete sessions",
		Long: `A session keeps a workspace (the guest's /app), the editor's code and the
history of every run. Sessions are named by ID, by name, or by a unique
prefix of the ID (at least 4 characters).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return sessionsList(g, false)
		},
	}
	var jsonOut bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List sessions, most recently used first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return sessionsList(g, jsonOut)
		},
	}
	list.Flags().BoolVar(&jsonOut, "json", false, "print JSON")

	var showJSON bool
	var showRun int
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a session and its runs (with --run N, one run in full)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return sessionsShow(g, args[0], showRun, showJSON)
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")
	show.Flags().IntVar(&showRun, "run", 0, "show run N in full: code, output, files")

	rm := &cobra.Command{
		Use:     "rm ID...",
		Aliases: []string{"delete"},
		Short:   "Delete sessions: workspace, history and buffers",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.sessionStore()
			if err != nil {
				return err
			}
			for _, ref := range args {
				if err := store.Delete(ref); err != nil {
					return sessionError(err)
				}
				fmt.Fprintf(g.stdout, "deleted %s\n", ref)
			}
			return nil
		},
	}

	var olderThan string
	var dryRun, pruneJSON bool
	prune := &cobra.Command{
		Use:   "prune --older-than AGE [--dry-run]",
		Short: "Delete sessions not used for AGE (e.g. 7d, 12h); try --dry-run first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if olderThan == "" {
				return usageError("prune needs --older-than AGE, e.g. --older-than 7d")
			}
			age, err := run.ParseAge(olderThan)
			if err != nil {
				return usageError("%v", err)
			}
			store, err := g.sessionStore()
			if err != nil {
				return err
			}
			report, err := store.Prune(age, dryRun)
			if err != nil {
				return sessionError(err)
			}
			if pruneJSON {
				return writeJSON(g.stdout, report)
			}
			printPruneReport(g.stdout, report, dryRun)
			return nil
		},
	}
	prune.Flags().StringVar(&olderThan, "older-than", "", "age of the last use, e.g. 7d, 2w, 36h")
	prune.Flags().BoolVar(&dryRun, "dry-run", false, "only say what would be deleted")
	prune.Flags().BoolVar(&pruneJSON, "json", false, "print JSON")

	rename := &cobra.Command{
		Use:   "rename ID NAME",
		Short: "Give a session a name (\"\" removes it)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.sessionStore()
			if err != nil {
				return err
			}
			if err := store.Rename(args[0], args[1]); err != nil {
				return sessionError(err)
			}
			fmt.Fprintf(g.stdout, "renamed %s to %q\n", args[0], args[1])
			return nil
		},
	}

	export := &cobra.Command{
		Use:   "export ID PATH",
		Short: "Export a session: PATH ending .tar.gz makes an archive, else a directory",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.sessionStore()
			if err != nil {
				return err
			}
			if err := store.Export(args[0], args[1]); err != nil {
				return sessionError(err)
			}
			fmt.Fprintf(g.stdout, "exported %s to %s\n", args[0], args[1])
			return nil
		},
	}

	path := &cobra.Command{
		Use:   "path [ID]",
		Short: "Print a session's directory (or the sessions root)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.sessionStore()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				fmt.Fprintln(g.stdout, store.Root())
				return nil
			}
			sess, err := store.Resolve(args[0])
			if err != nil {
				return sessionError(err)
			}
			fmt.Fprintln(g.stdout, sess.Dir())
			return nil
		},
	}
	var varsOn, varsOff, varsClear, varsJSON bool
	vars := &cobra.Command{
		Use:   "vars ID [--on | --off] [--clear]",
		Short: "Show the variables a session keeps between runs; switch keeping on or off, or forget them",
		Long: `A session can keep variables between runs (alt+k in the app, or
wasmplay run --keep-state): Python's public JSON-representable globals and
JavaScript's state object are saved after each successful run and restored
before the next. vars lists them per runtime.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if varsOn && varsOff {
				return usageError("--on and --off contradict each other; give one")
			}
			return sessionsVars(g, args[0], varsOn, varsOff, varsClear, varsJSON)
		},
	}
	vars.Flags().BoolVar(&varsOn, "on", false, "keep variables between runs from now on")
	vars.Flags().BoolVar(&varsOff, "off", false, "stop keeping variables (the kept ones stay unless --clear)")
	vars.Flags().BoolVar(&varsClear, "clear", false, "forget the kept variables of every runtime")
	vars.Flags().BoolVar(&varsJSON, "json", false, "print JSON")
	cmd.AddCommand(list, show, rm, prune, rename, export, path, vars)
	return cmd
}

func sessionsList(g *globals, jsonOut bool) error {
	store, err := g.sessionStore()
	if err != nil {
		return err
	}
	list, err := store.List()
	if err != nil {
		return sessionError(err)
	}
	if jsonOut {
		if list == nil {
			list = []sessions.Summary{}
		}
		return writeJSON(g.stdout, list)
	}
	if len(list) == 0 {
		fmt.Fprintln(g.stdout, "no sessions yet: `wasmplay` opens one, `wasmplay run --session NAME --new` makes one")
		return nil
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tRUNTIME\tLAST USED\tRUNS\tSIZE\tLAST OUTCOME")
	now := time.Now()
	for _, s := range list {
		if s.Error != "" {
			fmt.Fprintf(tw, "%s\t\t\t%s\t\t\tunreadable: %s\n", s.ID, ago(now, s.LastUsedAt), textsafe.Line(s.Error))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", s.ID, dash(s.Name), dash(s.Runtime), ago(now, s.LastUsedAt),
			s.Runs, run.FormatBytes(uint64(s.SizeBytes)), dash(string(s.LastOutcome)))
	}
	return tw.Flush()
}

// sessionShowJSON is `sessions show --json`.
type sessionShowJSON struct {
	Session sessions.Meta         `json:"session"`
	Dir     string                `json:"dir"`
	Runs    []sessions.RunSummary `json:"runs"`
	Run     *sessions.RunRecord   `json:"run,omitempty"`
}

// resolveSession opens the store and finds a session by ID, name or
// unique prefix.
func (g *globals) resolveSession(ref string) (*sessions.Session, error) {
	store, err := g.sessionStore()
	if err != nil {
		return nil, err
	}
	sess, err := store.Resolve(ref)
	if err != nil {
		return nil, sessionError(err)
	}
	return sess, nil
}

func sessionsShow(g *globals, ref string, runNumber int, jsonOut bool) error {
	sess, err := g.resolveSession(ref)
	if err != nil {
		return err
	}
	runs, err := sess.Runs()
	if err != nil {
		return sessionError(err)
	}
	var full *sessions.RunRecord
	if runNumber != 0 {
		rec, err := sess.Run(runNumber)
		if err != nil {
			return sessionError(err)
		}
		full = &rec
	}
	if jsonOut {
		out := sessionShowJSON{Session: sess.Meta(), Dir: sess.Dir(), Runs: runs}
		if out.Runs == nil {
			out.Runs = []sessions.RunSummary{}
		}
		out.Run = full
		return writeJSON(g.stdout, out)
	}
	m := sess.Meta()
	w := g.stdout
	fmt.Fprintf(w, "session   %s\n", m.ID)
	if m.Name != "" {
		fmt.Fprintf(w, "name      %s\n", m.Name)
	}
	fmt.Fprintf(w, "runtime   %s\n", dash(m.Runtime))
	fmt.Fprintf(w, "created   %s\n", m.CreatedAt.Local().Format(time.DateTime))
	fmt.Fprintf(w, "last used %s\n", m.LastUsedAt.Local().Format(time.DateTime))
	fmt.Fprintf(w, "size      %s\n", run.FormatBytes(uint64(m.Stats.SizeBytes)))
	fmt.Fprintf(w, "directory %s\n", sess.Dir())
	if m.KeepVars {
		fmt.Fprintf(w, "variables kept between runs (wasmplay sessions vars %s lists them)\n", m.ID)
	}
	if full != nil {
		fmt.Fprintln(w)
		printRunRecord(w, *full)
		return nil
	}
	fmt.Fprintf(w, "\n%d runs\n", len(runs))
	if len(runs) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tRUNTIME\tOUTCOME\tEXIT\tFUEL\tPEAK PAGES\tDURATION\tBY")
	for _, r := range runs {
		fuel := run.FormatFuel(r.FuelConsumed)
		if !r.FuelExact {
			fuel = "≥" + fuel
		}
		exit := "-" // a run that did not exit has no status
		if r.Outcome == run.OutcomeOK || r.Outcome == run.OutcomeExitNonzero {
			exit = strconv.Itoa(r.ExitCode)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Number, r.StartedAt.Local().Format(time.DateTime), r.Runtime,
			r.Outcome, exit, fuel, r.MemoryPeak, formatDuration(time.Duration(r.DurationMS*float64(time.Millisecond))),
			textsafe.Line(r.Origin.String()))
	}
	return tw.Flush()
}

// printRunRecord prints one run in full.
func printRunRecord(w io.Writer, r sessions.RunRecord) {
	fmt.Fprintf(w, "run %d (%s) · %s · %s", r.Number, r.RunID, r.Runtime, r.Outcome)
	if r.Outcome == run.OutcomeOK || r.Outcome == run.OutcomeExitNonzero {
		fmt.Fprintf(w, " · exit %d", r.ExitCode)
	}
	fmt.Fprintf(w, " · by %s\n", textsafe.Line(r.Origin.String()))
	fmt.Fprintf(w, "started %s · %s\n", r.StartedAt.Local().Format(time.DateTime), formatDuration(time.Duration(r.DurationMS*float64(time.Millisecond))))
	fuel := run.FormatFuel(r.FuelConsumed)
	if !r.FuelExact {
		fuel = "≥" + fuel + " (lower bound)"
	}
	fmt.Fprintf(w, "fuel %s of %s · memory %d pages peak, %d final, cap %s · timeout %s\n", fuel, run.FormatFuel(r.Limits.FuelBudget),
		r.MemoryPagesPeak, r.MemoryPagesFinal, run.FormatBytes(r.Limits.MemoryBytes), time.Duration(r.Limits.TimeoutMS)*time.Millisecond)
	if r.Limits.DiskBytes > 0 {
		fmt.Fprintf(w, "disk %s in %d entries, quota %s in %d", run.FormatBytes(r.Disk.Bytes), r.Disk.Entries,
			run.FormatBytes(r.Limits.DiskBytes), r.Limits.DiskFiles)
		if r.DiskRefused > 0 {
			fmt.Fprintf(w, " · refused %d writes", r.DiskRefused)
		}
		fmt.Fprintln(w)
	}
	if r.Message != "" {
		fmt.Fprintf(w, "message: %s\n", textsafe.Line(r.Message))
	}
	fmt.Fprintln(w, "\n--- code")
	fmt.Fprintln(w, textsafe.Text(strings.TrimRight(r.Code, "\n")))
	fmt.Fprintln(w, "--- stdout")
	fmt.Fprint(w, textsafe.Text(r.Stdout))
	if r.StdoutTruncated {
		fmt.Fprintf(w, "\n[truncated: kept %s of %s]", run.FormatBytes(uint64(len(r.Stdout))), run.FormatBytes(uint64(r.StdoutBytes)))
	}
	fmt.Fprintln(w, "\n--- stderr")
	fmt.Fprint(w, textsafe.Text(r.Stderr))
	if r.StderrTruncated {
		fmt.Fprintf(w, "\n[truncated: kept %s of %s]", run.FormatBytes(uint64(len(r.Stderr))), run.FormatBytes(uint64(r.StderrBytes)))
	}
	fmt.Fprintln(w, "\n--- files")
	switch {
	case r.FilesTruncated && r.Files.Empty():
		fmt.Fprintln(w, "(the workspace held too many entries to list the changes)")
	case r.FilesTruncated:
		fmt.Fprintf(w, "(the first %d changes of more)\n", run.MaxFileChanges)
	}
	for _, c := range r.Files.Created {
		fmt.Fprintf(w, "+ %s (%s)\n", textsafe.Line(c.Path), run.FormatBytes(uint64(c.Size)))
	}
	for _, c := range r.Files.Modified {
		fmt.Fprintf(w, "~ %s (%s)\n", textsafe.Line(c.Path), run.FormatBytes(uint64(c.Size)))
	}
	for _, c := range r.Files.Deleted {
		fmt.Fprintf(w, "- %s\n", textsafe.Line(c.Path))
	}
}

func printPruneReport(w io.Writer, r sessions.PruneReport, dryRun bool) {
	verb := "deleted"
	if dryRun {
		verb = "would delete"
	}
	for _, s := range r.Removed {
		fmt.Fprintf(w, "%s %s (%s, last used %s)\n", verb, s.ID, run.FormatBytes(uint64(s.SizeBytes)), s.LastUsedAt.Local().Format(time.DateTime))
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "kept %s: %s\n", s.ID, s.Reason)
	}
	fmt.Fprintf(w, "%s %d sessions, %s\n", verb, len(r.Removed), run.FormatBytes(uint64(r.ReclaimedBytes)))
	if dryRun && len(r.Removed) > 0 {
		fmt.Fprintln(w, "(dry run: nothing was deleted; run again without --dry-run)")
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ago renders how long ago t was ("3m ago", "2d ago").
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// formatDuration renders a run's duration compactly ("29 ms", "1.52 s").
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// sessionVarsJSON is `sessions vars --json`.
type sessionVarsJSON struct {
	KeepState bool                `json:"keep_state"`
	Vars      map[string][]string `json:"vars"`
}

func sessionsVars(g *globals, ref string, on, off, clear, jsonOut bool) error {
	sess, err := g.resolveSession(ref)
	if err != nil {
		return err
	}
	if on || off {
		if err := sess.SetKeepVars(on); err != nil {
			return sessionError(err)
		}
	}
	kept := map[string][]string{}
	for _, rt := range runtimes.VarsRuntimes() {
		if clear {
			if err := sess.ClearVars(rt); err != nil {
				return sessionError(err)
			}
			continue
		}
		state, err := sess.LoadVars(rt)
		if err != nil {
			return sessionError(err)
		}
		if state != nil {
			kept[rt] = run.VarNames(state)
		}
	}
	if jsonOut {
		return writeJSON(g.stdout, sessionVarsJSON{KeepState: sess.Meta().KeepVars, Vars: kept})
	}
	switch {
	case sess.Meta().KeepVars:
		fmt.Fprintf(g.stdout, "session %s keeps variables between successful runs\n", sess)
	default:
		fmt.Fprintf(g.stdout, "session %s does not keep variables between runs (--on turns it on)\n", sess)
	}
	if clear {
		fmt.Fprintln(g.stdout, "kept variables forgotten")
		return nil
	}
	if len(kept) == 0 {
		fmt.Fprintln(g.stdout, "no variables kept")
	}
	for _, rt := range runtimes.VarsRuntimes() {
		if names, ok := kept[rt]; ok {
			fmt.Fprintf(g.stdout, "%-12s %s\n", rt+":", listOrNothing(names))
		}
	}
	return nil
}

// listOrNothing joins names, or says there are none.
func listOrNothing(names []string) string {
	if len(names) == 0 {
		return "nothing"
	}
	safe := make([]string, len(names))
	for i, n := range names {
		safe[i] = textsafe.Line(n) // the guest chose them
	}
	return strings.Join(safe, ", ")
}
