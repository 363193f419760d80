package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/wasmplay/wasmplay/guidance"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/report"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/sandbox"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/textsafe"
)

// Exit statuses of `wasmplay run`. A guest's own exit status is passed
// through when it is 0-124; a higher one (WASI allows any 32-bit status,
// which a process cannot return) is 125, with the exact status in the
// summary and the JSON, so that it can never pass for success (256 would
// wrap to 0) or for one of wasmplay's own. wasmplay's outcomes use 126-128
// (as shells do for "cannot run"), 130 for a cancel (as for ctrl+c), and
// 160 and up for limits and traps, clear of the 129-159 a shell reports
// for a process killed by a signal.
const (
	// ExitGuestHigh: the guest exited with a status above 124.
	ExitGuestHigh = 125
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
	// ExitDiskLimit: the workspace's disk quota stopped the guest.
	ExitDiskLimit = 165
	// ExitInvalidModule: the code is not a module that can run (a WAT
	// syntax error, a missing _start, an unknown import).
	ExitInvalidModule = 166
)

// exitStatusFor maps a result to the process exit status.
func exitStatusFor(res run.Result) int {
	switch res.Outcome {
	case run.OutcomeOK:
		return 0
	case run.OutcomeExitNonzero:
		if res.ExitCode < 1 || res.ExitCode >= ExitGuestHigh {
			return ExitGuestHigh
		}
		return res.ExitCode
	case run.OutcomeOutOfFuel:
		return ExitOutOfFuel
	case run.OutcomeMemoryLimit:
		return ExitMemoryLimit
	case run.OutcomeStackOverflow:
		return ExitStackOverflow
	case run.OutcomeTimeout:
		return ExitTimeout
	case run.OutcomeDiskLimit:
		return ExitDiskLimit
	case run.OutcomeInvalidModule:
		return ExitInvalidModule
	case run.OutcomeCanceled:
		return ExitCanceled
	case run.OutcomeTrap:
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
	disk      string
	files     string
	raw       bool
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
	f.StringVarP(&o.runtime, "runtime", "r", "", "python, javascript (js) or wat (WebAssembly text or a binary module)")
	f.StringVarP(&o.code, "code", "c", "", "the code to run")
	f.StringVar(&o.fuel, "fuel", "", "fuel budget, e.g. 25G, 500M, 5e9 (default 25G: about a second of native CPython compute)")
	f.StringVar(&o.memory, "memory", "", "memory cap, e.g. 64MiB (default 128MiB)")
	f.StringVar(&o.timeout, "timeout", "", "wall-clock limit, e.g. 10s (default 30s)")
	f.StringVar(&o.stdoutMax, "stdout-max", "", "stdout kept, e.g. 2MiB (default 2MiB)")
	f.StringVar(&o.stderrMax, "stderr-max", "", "stderr kept, e.g. 1MiB (default 1MiB)")
	f.StringVar(&o.disk, "disk", "", "disk the workspace may take, e.g. 256MiB (default 1GiB)")
	f.StringVar(&o.files, "files", "", "files, directories and links the workspace may hold (default 100000)")
	f.StringVar(&o.workspace, "workspace", "", "host directory mounted at /app (default: a temporary one, removed afterwards)")
	f.StringArrayVar(&o.env, "env", nil, "guest environment variable K=V, or K to pass the host's value (repeatable)")
	f.StringArrayVar(&o.mounts, "mount", nil, "read-only mount HOST_DIR:GUEST_PATH, e.g. ./data:/data (repeatable)")
	f.StringVar(&o.stdinFile, "stdin", "", "file the guest reads as standard input (- for this process's stdin); default: empty")
	f.StringVar(&o.session, "session", "", "run in this session (ID, name or unique prefix): its workspace and limits, recorded in its history")
	f.BoolVar(&o.newSess, "new", false, "with --session: create the session if it does not exist")
	f.BoolVar(&o.keepState, "keep-state", false, "with --session: carry variables in from the session's last kept run and keep them for the next (--keep-state=false: not this run; default: the session's switch, alt+k in the app)")
	f.StringVar(&o.markdown, "from-markdown", "", "take the code from a fenced code block of a Markdown file (an LLM answer); - reads standard input")
	f.IntVar(&o.block, "block", 0, "with --from-markdown: which code block, counting from 1 (needed when there are several)")
	f.BoolVar(&o.raw, "raw", false, "on a terminal, pass the guest's escape sequences through as they are (by default only colours pass; a pipe or a file always gets the exact bytes)")
	f.BoolVar(&o.jsonOut, "json", false, "print one JSON object with the result instead of streaming")
	f.StringVar(&o.report, "report", "", "print a report for a model instead: md (Markdown) or json (schema in docs/REPORT.md)")
	f.StringVar(&o.reportMax, "report-max-output", "", "with --report: keep at most this much of each output stream, e.g. 8KiB (default 4KiB)")
	f.SortFlags = false
	return cmd
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
		n, err := run.ParseBytes(o.reportMax)
		if err != nil || n == 0 || n > uint64(run.MaxOutputBytes) {
			return usageError("--report-max-output %q: give a size such as 8KiB", o.reportMax)
		}
		reportMax = int(n)
	}
	reg, err := g.registry(cfg)
	if err != nil {
		return err
	}
	rt, err := reg.Lookup(runtimeFor(o, hintRuntime, source, code))
	if err != nil {
		return &exitError{code: ExitRuntimeUnavailable, err: err}
	}
	limits, err := requestLimits(o)
	if err != nil {
		return err
	}
	env, err := parseEnv(o.env)
	if err != nil {
		return err
	}
	mounts, err := parseMounts(o.mounts)
	if err != nil {
		return err
	}
	stdin, err := readStdin(g, o, source)
	if err != nil {
		return err
	}
	configLayer, err := cfg.Policy.Layer()
	if err != nil {
		return usageError("config: %v", err)
	}

	var store *sessions.Store
	var sess *sessions.Session
	if o.session != "" || o.newSess {
		switch {
		case o.session == "":
			return usageError("--new needs --session ID")
		case o.workspace != "":
			return usageError("--workspace and --session both name a workspace; give one")
		}
		if store, err = g.sessionStore(); err != nil {
			return err
		}
	}
	local, err := g.newLocal(reg)
	if err != nil {
		return err
	}
	rn, err := runner.New(runner.Config{Executor: local, Slots: 1})
	if err != nil {
		return &exitError{code: ExitHostError, err: err}
	}
	defer rn.Close(context.Background())
	pg, err := playground.New(playground.Options{Runner: rn, Registry: reg, Store: store, Config: configLayer,
		Packages: g.pythonModules})
	if err != nil {
		return &exitError{code: ExitHostError, err: err}
	}
	if o.session != "" {
		sess, err = pg.OpenSession(o.session, o.newSess, rt.Name)
		if errors.Is(err, sessions.ErrNotFound) {
			return usageError("session %q not found (add --new to create it)", o.session)
		}
		if err != nil {
			return usageError("%v", err)
		}
	}
	req := playground.Request{Session: sess, Workspace: o.workspace, Runtime: rt.Name, Code: code, Limits: limits,
		Stdin: stdin, Args: guestArgs, Env: env, Mounts: mounts,
		Origin: sessions.Origin{Kind: sessions.OriginPerson, Client: "wasmplay run"}}
	if o.keepStateSet {
		req.KeepVars = &o.keepState
	}
	streaming := !o.jsonOut && o.report == ""
	guestOut, guestErr := guestStream(g.stdout, o.raw), guestStream(g.stderr, o.raw)
	if streaming {
		req.OnEvent = func(ev run.Event) {
			out, ok := ev.(run.Output)
			if !ok {
				return
			}
			for _, c := range out.Chunks {
				if c.Stream == run.Stderr {
					guestErr.Write(c.Data)
				} else {
					guestOut.Write(c.Data)
				}
			}
		}
	}
	var onCompile func(run.Compiling)
	if streaming {
		onCompile = func(c run.Compiling) {
			fmt.Fprintf(g.stderr, "wasmplay: compiling %s once for this machine (a few seconds)…\n", filepath.Base(c.Path))
		}
	}
	if _, err := local.Prepare(rt.Name, onCompile); err != nil {
		code := ExitHostError
		var unavailable *sandbox.RuntimeUnavailableError
		if errors.As(err, &unavailable) {
			code = ExitRuntimeUnavailable
		}
		return &exitError{code: code, err: err}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	// ctrl+c, kill and the terminal closing cancel the run, which is then
	// recorded as canceled; a second signal ends the process at once.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	context.AfterFunc(ctx, stop)
	r, err := pg.Start(ctx, req)
	if err != nil {
		return g.startError(err, sess)
	}
	out := r.Wait()
	res := out.Result
	guestOut.Close() // colours the guest left on end before wasmplay writes
	guestErr.Close()
	if out.RecordErr != nil {
		fmt.Fprintf(g.stderr, "wasmplay: THE RUN WAS NOT RECORDED in session %s: %v\n", sess, out.RecordErr)
	}
	for _, w := range out.Warnings {
		fmt.Fprintln(g.stderr, "wasmplay: warning:", textsafe.Line(w))
	}
	if out.Vars != nil && out.Vars.SaveErr != nil {
		fmt.Fprintf(g.stderr, "wasmplay: the kept variables were not saved: %v\n", out.Vars.SaveErr)
	}
	switch {
	case o.report != "":
		in := report.NewInput(code, res, guidance.MatchOptions{AvailablePackages: pg.Packages})
		in.Runtime, in.MaxOutputBytes, in.Origin, in.Stdin = rt.Name, reportMax, out.Origin.String(), out.Stdin
		if out.Number > 0 {
			in.Session, in.Run = sess.String(), out.Number
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
		doc := runJSON{ResultJSON: run.NewResultJSON(res)}
		if out.Number > 0 {
			doc.Session = &sessionRef{ID: sess.ID(), Name: sess.Name(), Run: out.Number}
		}
		if err := writeJSON(g.stdout, doc); err != nil {
			return &exitError{code: ExitHostError, err: err}
		}
	default:
		printVarsOutcome(g.stderr, out.Vars)
		line := "── " + report.SummaryLine(res)
		if out.Number > 0 {
			line += fmt.Sprintf(" · session %s run %d", sess, out.Number)
		}
		fmt.Fprintln(g.stderr, line)
	}
	if out.RecordErr != nil {
		// Whatever the guest did, the history the user asked for is
		// missing it: a script must not take this for success.
		return &exitError{code: ExitHostError}
	}
	if status := exitStatusFor(res); status != 0 {
		return &exitError{code: status}
	}
	return nil
}

// runJSON is the --json output: the result, and where it was recorded.
type runJSON struct {
	run.ResultJSON
	Session *sessionRef `json:"session,omitempty"`
}

// sessionRef names the session and history entry of a run.
type sessionRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Run  int    `json:"run"`
}

// printVarsOutcome says on w what a run that keeps variables did with them.
func printVarsOutcome(w io.Writer, vo *playground.VarsOutcome) {
	if vo == nil || vo.Report == nil {
		return
	}
	// The names are the guest's: escaped like every guest string.
	rep := vo.Report
	if len(rep.Restored) > 0 {
		fmt.Fprintf(w, "wasmplay: carried in: %s\n", listOrNothing(rep.Restored))
	}
	switch {
	case vo.Saved:
		fmt.Fprintf(w, "wasmplay: kept for the next run: %s\n", listOrNothing(rep.Saved))
		if len(vo.Merged) > 0 {
			fmt.Fprintf(w, "wasmplay: also kept, changed meanwhile by another run: %s\n", listOrNothing(vo.Merged))
		}
		if len(vo.Conflicts) > 0 {
			fmt.Fprintf(w, "wasmplay: changed by another run meanwhile too, this run's values kept: %s\n", listOrNothing(vo.Conflicts))
		}
	case rep.Problem != "":
		fmt.Fprintf(w, "wasmplay: variables: %s\n", textsafe.Line(rep.Problem))
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintf(w, "wasmplay: not kept (not JSON-representable): %s\n", listOrNothing(rep.Skipped))
	}
}

// guestStream is where a stream of the guest's output goes. On a terminal
// it is filtered (textsafe.Terminal: colours pass, other escape sequences
// are dropped, controls escaped), so the guest cannot retitle the window,
// write the clipboard or repaint the screen; to a pipe or a file, or with
// --raw, the bytes are exact.
func guestStream(w io.Writer, raw bool) io.WriteCloser {
	if f, ok := w.(*os.File); ok && !raw && term.IsTerminal(f.Fd()) {
		return textsafe.NewTerminal(w)
	}
	return nopCloser{w}
}

// nopCloser is an io.WriteCloser whose Close does nothing.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
