package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runner/guidance"
	"github.com/wasmplay/wasmplay/runner/history"
	"github.com/wasmplay/wasmplay/runner/report"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/runtimes/codeblocks"
	"github.com/wasmplay/wasmplay/sessions"
)

// Exit statuses of `wasmplay run`. A guest's own exit status (0-125: WASI
// allows no more) is passed through. wasmplay's own outcomes use 126-128
// (as shells do for "cannot run"), 130 for a cancel (as for ctrl+c), and
// 160 and up for limits and traps, clear of the 129-159 a shell reports
// for a process killed by a signal.
const (
	// ExitUsage: bad flags or input (a missing file, an invalid limit).
	ExitUsage = 126
	// ExitRuntimeUnavailable: unknown runtime, or its binary is not built.
	ExitRuntimeUnavailable = 127
	// ExitHostError: the run could not be carried out.
	ExitHostError = 128
	// ExitCanceled: canceled (ctrl+c).
	ExitCanceled = 130
	// ExitTrap: the guest trapped.
	ExitTrap = 160
	// ExitOutOfFuel: the fuel budget ran out.
	ExitOutOfFuel = 161
	// ExitMemoryLimit: the memory cap stopped the guest.
	ExitMemoryLimit = 162
	// ExitStackOverflow: the guest exhausted its stack.
	ExitStackOverflow = 163
	// ExitTimeout: the wall-clock limit passed.
	ExitTimeout = 164
)

// exitStatusFor maps a result to the process exit status.
func exitStatusFor(res runner.Result) int {
	switch res.Outcome {
	case runner.OutcomeOK:
		return 0
	case runner.OutcomeExitNonzero:
		return res.ExitCode
	case runner.OutcomeOutOfFuel:
		return ExitOutOfFuel
	case runner.OutcomeMemoryLimit:
		return ExitMemoryLimit
	case runner.OutcomeStackOverflow:
		return ExitStackOverflow
	case runner.OutcomeTimeout:
		return ExitTimeout
	case runner.OutcomeCanceled:
		return ExitCanceled
	case runner.OutcomeTrap:
		return ExitTrap
	}
	return ExitHostError
}

// runOptions are the flags of `wasmplay run`.
type runOptions struct {
	runtime   string
	code      string
	codeSet   bool
	fuel      string
	memory    string
	timeout   string
	stdoutMax string
	stderrMax string
	workspace string
	env       []string
	mounts    []string
	stdinFile string
	jsonOut   bool
	session   string
	newSess   bool
	markdown  string
	block     int
	report    string
	reportMax string
	// keepState is --keep-state; keepStateSet tells whether it was given
	// (without it the session's own switch decides).
	keepState    bool
	keepStateSet bool
}

func newRunCommand(g *globals) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [flags] [FILE | -] [-- ARGS...]",
		Short: "Run code headlessly and print its output and a summary",
		Long: `Run code in the sandbox without the playground.

The code comes from -c, a FILE, or - (standard input). The runtime is taken
from -r, else from the file's extension (.py, .js/.mjs, .wat), else python.
Arguments after -- reach the guest (sys.argv[1:], scriptArgs).

Output streams as the guest writes it, followed by a one-line summary on
standard error. With --json nothing streams: one JSON object (documented in
docs/CLI.md) is printed at the end.

Exit status: the guest's own (0-125), or 126 bad input, 127 runtime
unavailable, 128 host error, 130 canceled, 160 trap, 161 out of fuel,
162 memory limit, 163 stack overflow, 164 timeout.`,
		Example: `  wasmplay run -c 'print(sum(range(10)))'
  wasmplay run script.py -- --verbose
  echo 'console.log(1+1)' | wasmplay run -r js -
  wasmplay run --fuel 500M --memory 64MiB --timeout 5s --json answer.py`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.codeSet = cmd.Flags().Changed("code")
			o.keepStateSet = cmd.Flags().Changed("keep-state")
			dash := cmd.ArgsLenAtDash()
			var files, guestArgs []string
			if dash >= 0 {
				files, guestArgs = args[:dash], args[dash:]
			} else {
				files = args
			}
			return runHeadless(cmd.Context(), g, o, files, guestArgs)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.runtime, "runtime", "r", "", "python, javascript (js) or wat")
	f.StringVarP(&o.code, "code", "c", "", "the code to run")
	f.StringVar(&o.fuel, "fuel", "", "fuel budget, e.g. 5G, 500M, 5e9 (default 5G)")
	f.StringVar(&o.memory, "memory", "", "memory cap, e.g. 64MiB (default 128MiB)")
	f.StringVar(&o.timeout, "timeout", "", "wall-clock limit, e.g. 10s (default 30s)")
	f.StringVar(&o.stdoutMax, "stdout-max", "", "stdout kept, e.g. 2MiB (default 2MiB)")
	f.StringVar(&o.stderrMax, "stderr-max", "", "stderr kept, e.g. 1MiB (default 1MiB)")
	f.StringVar(&o.workspace, "workspace", "", "host directory mounted at /app (default: a temporary one, removed afterwards)")
	f.StringArrayVar(&o.env, "env", nil, "guest environment variable K=V, or K to pass the host's value (repeatable)")
	f.StringArrayVar(&o.mounts, "mount", nil, "read-only mount HOST_DIR:GUEST_PATH, e.g. ./data:/data (repeatable)")
	f.StringVar(&o.stdinFile, "stdin", "", "file the guest reads as standard input (- for this process's stdin); default: empty")
	f.StringVar(&o.session, "session", "", "run in this session (ID, name or unique prefix): its workspace and limits, recorded in its history")
	f.BoolVar(&o.newSess, "new", false, "with --session: create the session if it does not exist")
	f.BoolVar(&o.keepState, "keep-state", false, "with --session: carry variables in from the session's last kept run and keep them for the next (--keep-state=false: not this run; default: the session's switch, alt+k in the app)")
	f.StringVar(&o.markdown, "from-markdown", "", "take the code from a fenced code block of a Markdown file (an LLM answer); - reads standard input")
	f.IntVar(&o.block, "block", 0, "with --from-markdown: which code block, counting from 1 (needed when there are several)")
	f.BoolVar(&o.jsonOut, "json", false, "print one JSON object with the result instead of streaming")
	f.StringVar(&o.report, "report", "", "print a report for a model instead: md (Markdown) or json (schema in docs/REPORT.md)")
	f.StringVar(&o.reportMax, "report-max-output", "", "with --report: keep at most this much of each output stream, e.g. 8KiB (default 4KiB)")
	f.SortFlags = false
	return cmd
}

// runtimeForFile guesses a runtime from a file name.
func runtimeForFile(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".py":
		return runtimes.Python
	case ".js", ".mjs", ".cjs":
		return runtimes.JavaScript
	case ".wat", ".wast":
		return runtimes.WAT
	}
	return ""
}

// buildPolicy layers flags over the session's overrides over the
// configuration over the defaults.
func buildPolicy(cfg Config, sess *sessions.Session, o runOptions, guestArgs []string) (runner.Policy, error) {
	p, err := cfg.Policy.Apply(runner.Policy{})
	if err != nil {
		return p, usageError("%v", err)
	}
	if sess != nil {
		p = history.ApplyOverrides(p, sess.Meta().Policy)
	}
	flagPolicy := PolicyConfig{Fuel: o.fuel, Memory: o.memory, Timeout: o.timeout, StdoutMax: o.stdoutMax, StderrMax: o.stderrMax}
	if p, err = flagPolicy.Apply(p); err != nil {
		return p, usageError("%s", strings.Replace(err.Error(), "policy.", "--", 1))
	}
	p.Args = guestArgs
	if len(o.env) > 0 {
		p.Env = map[string]string{}
		for _, kv := range o.env {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				host, present := os.LookupEnv(k)
				if !present {
					return p, usageError("--env %s: not set in this environment (use --env %s=VALUE)", k, k)
				}
				v = host
			}
			p.Env[k] = v
		}
	}
	for _, m := range o.mounts {
		host, guest, ok := strings.Cut(m, ":")
		if !ok || host == "" || guest == "" {
			return p, usageError("--mount %q: use HOST_DIR:GUEST_PATH, e.g. ./data:/data", m)
		}
		abs, err := filepath.Abs(host)
		if err != nil {
			return p, usageError("--mount %q: %v", m, err)
		}
		p.Mounts = append(p.Mounts, runner.Mount{HostPath: abs, GuestPath: guest})
	}
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return p, usageError("%v", err)
	}
	return p, nil
}

// readCode gets the program from -c, a file, stdin or a Markdown block.
// hintRuntime is the runtime a Markdown fence named (or guessed).
func readCode(g *globals, o runOptions, files []string) (code []byte, source, hintRuntime string, err error) {
	if o.markdown != "" {
		return readMarkdownCode(g, o, files)
	}
	if o.block != 0 {
		return nil, "", "", usageError("--block needs --from-markdown")
	}
	code, source, err = readPlainCode(g, o, files)
	return code, source, "", err
}

// readMarkdownCode extracts a fenced code block from an LLM answer.
func readMarkdownCode(g *globals, o runOptions, files []string) ([]byte, string, string, error) {
	if o.codeSet || len(files) > 0 {
		return nil, "", "", usageError("--from-markdown takes the code from the Markdown: give no -c or FILE")
	}
	var text []byte
	var err error
	if o.markdown == "-" {
		text, err = io.ReadAll(io.LimitReader(g.stdin, runner.MaxCodeBytes+1))
	} else {
		text, err = os.ReadFile(o.markdown)
	}
	if err != nil {
		return nil, "", "", usageError("--from-markdown: %v", err)
	}
	if len(text) > runner.MaxCodeBytes {
		return nil, "", "", usageError("--from-markdown: the text is larger than %s", runner.FormatBytes(runner.MaxCodeBytes))
	}
	blocks := codeblocks.Extract(string(text))
	b, err := codeblocks.Select(blocks, o.block)
	if errors.Is(err, codeblocks.ErrNoBlocks) {
		fmt.Fprintf(g.stderr, "wasmplay: %s has no fenced code block; running the whole text as code\n", o.markdown)
		return text, o.markdown, "", nil
	}
	if err != nil {
		return nil, "", "", usageError("%s: %v", o.markdown, err)
	}
	if err := codeblocks.Runnable(b); err != nil && o.runtime == "" {
		return nil, "", "", usageError("%v (or give -r RUNTIME)", err)
	}
	if b.Guessed {
		fmt.Fprintf(g.stderr, "wasmplay: code block %d has no language tag; it looks like %s (-r overrides)\n", b.Index, b.Runtime)
	}
	return []byte(b.Code), o.markdown, b.Runtime, nil
}

// readPlainCode gets the program from -c, a file or stdin.
func readPlainCode(g *globals, o runOptions, files []string) (code []byte, source string, err error) {
	switch {
	case o.codeSet && len(files) > 0:
		return nil, "", usageError("give the code with -c or as a FILE, not both")
	case o.codeSet:
		return []byte(o.code), "-c", nil
	case len(files) == 0:
		return nil, "", usageError("no code to run: give -c CODE, a FILE, or - to read standard input")
	case len(files) > 1:
		return nil, "", usageError("one FILE at a time (got %d); guest arguments go after --", len(files))
	case files[0] == "-":
		data, err := io.ReadAll(io.LimitReader(g.stdin, runner.MaxCodeBytes+1))
		if err != nil {
			return nil, "", usageError("read code from standard input: %v", err)
		}
		if len(data) > runner.MaxCodeBytes {
			return nil, "", usageError("code on standard input is larger than %s", runner.FormatBytes(runner.MaxCodeBytes))
		}
		return data, "-", nil
	}
	info, err := os.Stat(files[0])
	if err != nil {
		return nil, "", usageError("%v", err)
	}
	if info.IsDir() {
		return nil, "", usageError("%s is a directory; give a source file", files[0])
	}
	if info.Size() > runner.MaxCodeBytes {
		return nil, "", usageError("%s is %s, larger than the %s a job may be", files[0],
			runner.FormatBytes(uint64(info.Size())), runner.FormatBytes(runner.MaxCodeBytes))
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return nil, "", usageError("%v", err)
	}
	return data, files[0], nil
}

func runHeadless(ctx context.Context, g *globals, o runOptions, files, guestArgs []string) error {
	cfg, err := g.loadConfig(false)
	if err != nil {
		return err
	}
	code, source, hintRuntime, err := readCode(g, o, files)
	if err != nil {
		return err
	}
	switch o.report {
	case "", "md", "markdown", "json":
	default:
		return usageError("--report %q: use md or json", o.report)
	}
	if o.report != "" && o.jsonOut {
		return usageError("--report and --json are two output formats; give one")
	}
	reportMax := 0
	if o.reportMax != "" {
		n, err := runner.ParseBytes(o.reportMax)
		if err != nil || n == 0 || n > uint64(runner.MaxOutputBytes) {
			return usageError("--report-max-output %q: give a size such as 8KiB", o.reportMax)
		}
		reportMax = int(n)
	}
	rtName := o.runtime
	if rtName == "" {
		rtName = hintRuntime
	}
	if rtName == "" {
		rtName = runtimeForFile(source)
	}
	if rtName == "" {
		rtName = runtimes.Python
	}
	reg, err := g.registry(cfg)
	if err != nil {
		return err
	}
	rt, err := reg.Lookup(rtName)
	if err != nil {
		return &exitError{code: ExitRuntimeUnavailable, err: err}
	}
	rtName = rt.Name // "js" and "py" are aliases: sessions record the canonical name

	var sess *sessions.Session
	if o.session != "" {
		if o.workspace != "" {
			return usageError("--workspace and --session both name a workspace; give one")
		}
		if sess, err = g.openSessionForRun(o.session, o.newSess, rtName); err != nil {
			return err
		}
	} else if o.newSess {
		return usageError("--new needs --session ID")
	}
	keepState, state, err := stateForRun(rt, sess, o)
	if err != nil {
		return err
	}
	policy, err := buildPolicy(cfg, sess, o, guestArgs)
	if err != nil {
		return err
	}
	switch o.stdinFile {
	case "":
	case "-":
		if source == "-" {
			return usageError("--stdin -: standard input already carries the code")
		}
		data, err := io.ReadAll(io.LimitReader(g.stdin, runner.MaxStdinBytes+1))
		if err != nil {
			return usageError("read standard input: %v", err)
		}
		policy.Stdin = data
	default:
		data, err := os.ReadFile(o.stdinFile)
		if err != nil {
			return usageError("--stdin: %v", err)
		}
		policy.Stdin = data
	}
	if err := policy.Validate(); err != nil {
		return usageError("%v", err)
	}

	workspace := o.workspace
	if sess != nil {
		workspace = sess.WorkspaceDir()
	}
	if workspace == "" {
		dir, err := os.MkdirTemp("", "wasmplay-workspace-")
		if err != nil {
			return &exitError{code: ExitHostError, err: err}
		}
		defer os.RemoveAll(dir)
		workspace = dir
	}

	local, err := runner.NewLocal(reg, g.resolvedCacheDir())
	if err != nil {
		return &exitError{code: ExitHostError, err: err}
	}
	rn, err := runner.New(runner.Config{Executor: local, Slots: 1})
	if err != nil {
		return &exitError{code: ExitHostError, err: err}
	}
	defer rn.Close(context.Background())
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	job := runner.Job{Runtime: rtName, Code: code, Policy: policy, Workspace: workspace, KeepState: keepState, State: state}
	if sess != nil {
		job.Recorder = history.SessionRecorder{Session: sess}
	}
	var onEvent func(runner.Event)
	var onCompile func(runner.Compiling)
	if !o.jsonOut && o.report == "" {
		onEvent = func(ev runner.Event) {
			out, ok := ev.(runner.Output)
			if !ok {
				return
			}
			for _, c := range out.Chunks {
				if c.Stream == runner.Stderr {
					g.stderr.Write(c.Data)
				} else {
					g.stdout.Write(c.Data)
				}
			}
		}
		onCompile = func(c runner.Compiling) {
			fmt.Fprintf(g.stderr, "wasmplay: compiling %s once for this machine (a few seconds)…\n", filepath.Base(c.Path))
		}
	}
	if _, err := local.Prepare(rtName, onCompile); err != nil {
		code := ExitHostError
		var unavailable *runner.RuntimeUnavailableError
		if errors.As(err, &unavailable) {
			code = ExitRuntimeUnavailable
		}
		return &exitError{code: code, err: err}
	}
	fin := rn.Run(ctx, job, onEvent)
	res := fin.Result
	if fin.HistoryErr != nil {
		fmt.Fprintf(g.stderr, "wasmplay: the run was not recorded in session %s: %v\n", sess, fin.HistoryErr)
	}
	if res.State != nil && sess != nil {
		if err := sess.SaveState(rtName, res.State); err != nil {
			fmt.Fprintf(g.stderr, "wasmplay: the kept variables were not saved: %v\n", err)
		}
	}
	switch {
	case o.report != "":
		in := report.NewInput(code, res, guidance.MatchOptions{AvailablePackages: g.pythonModules()})
		in.Runtime, in.MaxOutputBytes = rtName, reportMax
		if sess != nil && fin.HistoryErr == nil {
			in.Session, in.Run = sess.String(), fin.HistoryNumber
		}
		if o.report == "json" {
			data, err := report.JSON(in)
			if err != nil {
				return &exitError{code: ExitHostError, err: err}
			}
			g.stdout.Write(append(data, '\n'))
		} else {
			io.WriteString(g.stdout, report.Markdown(in))
		}
	case o.jsonOut:
		out := runJSON{ResultJSON: runner.NewResultJSON(res)}
		if sess != nil && fin.HistoryErr == nil {
			out.Session = &sessionRef{ID: sess.ID(), Name: sess.Name(), Run: fin.HistoryNumber}
		}
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return &exitError{code: ExitHostError, err: err}
		}
	default:
		printStateReport(g.stderr, res.StateReport, res.State != nil)
		line := summaryLine(res)
		if sess != nil && fin.HistoryErr == nil {
			line += fmt.Sprintf(" · session %s run %d", sess, fin.HistoryNumber)
		}
		fmt.Fprintln(g.stderr, line)
	}
	status := exitStatusFor(res)
	if status == 0 {
		return nil
	}
	return &exitError{code: status}
}

// runJSON is the --json output: the result, and where it was recorded.
type runJSON struct {
	runner.ResultJSON
	Session *sessionRef `json:"session,omitempty"`
}

// sessionRef names the session and history entry of a run.
type sessionRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Run  int    `json:"run"`
}

// openSessionForRun resolves --session, creating it with --new.
func (g *globals) openSessionForRun(ref string, create bool, runtime string) (*sessions.Session, error) {
	store, err := g.sessionStore()
	if err != nil {
		return nil, err
	}
	sess, err := store.Resolve(ref)
	if errors.Is(err, sessions.ErrNotFound) && create {
		sess, err = store.Create(sessions.CreateOptions{ID: ref, Runtime: runtime})
		if errors.Is(err, sessions.ErrExists) {
			sess, err = store.Resolve(ref) // another process created it first
		}
	}
	if errors.Is(err, sessions.ErrNotFound) {
		return nil, usageError("session %q not found (add --new to create it)", ref)
	}
	if err != nil {
		return nil, usageError("%v", err)
	}
	return sess, nil
}

// summaryLine renders the one-line summary printed after a run.
func summaryLine(res runner.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "── %s", res.Outcome)
	switch res.Outcome {
	case runner.OutcomeOK, runner.OutcomeExitNonzero:
		fmt.Fprintf(&b, " · exit %d", res.ExitCode)
	default:
		if res.Message != "" {
			fmt.Fprintf(&b, " · %s", strings.SplitN(res.Message, "\n", 2)[0])
		}
	}
	fuel := runner.FormatFuel(res.FuelConsumed)
	if !res.FuelExact {
		fuel = "≥" + fuel
	}
	pct := 0.0
	if res.Limits.FuelBudget > 0 {
		pct = 100 * float64(res.FuelConsumed) / float64(res.Limits.FuelBudget)
	}
	fmt.Fprintf(&b, " · fuel %s of %s (%.1f%%)", fuel, runner.FormatFuel(res.Limits.FuelBudget), pct)
	fmt.Fprintf(&b, " · memory %s peak of %s (%d pages)", runner.FormatBytes(res.PeakMemoryBytes),
		runner.FormatBytes(res.Limits.MemoryBytes), res.PeakMemoryPages)
	fmt.Fprintf(&b, " · %s", formatDuration(res.Duration))
	if res.StdoutTruncated {
		fmt.Fprintf(&b, " · stdout truncated (kept %s of %s)", runner.FormatBytes(uint64(len(res.Stdout))), runner.FormatBytes(uint64(res.StdoutBytes)))
	}
	if res.StderrTruncated {
		fmt.Fprintf(&b, " · stderr truncated (kept %s of %s)", runner.FormatBytes(uint64(len(res.Stderr))), runner.FormatBytes(uint64(res.StderrBytes)))
	}
	if n := len(res.Files.Created) + len(res.Files.Modified) + len(res.Files.Deleted); n > 0 {
		fmt.Fprintf(&b, " · files +%d ~%d -%d", len(res.Files.Created), len(res.Files.Modified), len(res.Files.Deleted))
	}
	return b.String()
}

// stateForRun decides whether a run keeps variables (--keep-state, else the
// session's switch) and loads the ones kept before.
func stateForRun(rt *runtimes.Runtime, sess *sessions.Session, o runOptions) (keep bool, state []byte, err error) {
	if sess == nil {
		if o.keepStateSet && o.keepState {
			return false, nil, usageError("--keep-state needs --session: variables are kept in a session")
		}
		return false, nil, nil
	}
	keep = sess.Meta().KeepState
	if o.keepStateSet {
		keep = o.keepState
	}
	if !keep {
		return false, nil, nil
	}
	if !rt.SupportsState() {
		if o.keepStateSet {
			return false, nil, usageError("--keep-state: %s runs cannot keep variables (python and javascript can)", rt.Name)
		}
		return false, nil, nil
	}
	state, err = sess.LoadState(rt.Name)
	if err != nil {
		return false, nil, &exitError{code: ExitHostError, err: err}
	}
	return true, state, nil
}

// printStateReport says on w what a run that keeps variables did with them.
func printStateReport(w io.Writer, rep *runner.StateReport, saved bool) {
	if rep == nil {
		return
	}
	if len(rep.Restored) > 0 {
		fmt.Fprintf(w, "wasmplay: carried in: %s\n", strings.Join(rep.Restored, ", "))
	}
	switch {
	case saved:
		kept := "nothing"
		if len(rep.Saved) > 0 {
			kept = strings.Join(rep.Saved, ", ")
		}
		fmt.Fprintf(w, "wasmplay: kept for the next run: %s\n", kept)
	case rep.Problem != "":
		fmt.Fprintf(w, "wasmplay: variables: %s\n", rep.Problem)
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintf(w, "wasmplay: not kept (not JSON-representable): %s\n", strings.Join(rep.Skipped, ", "))
	}
}
