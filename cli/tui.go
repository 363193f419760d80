package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/demos"
	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/live"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/report"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/themes"
	"github.com/wasmplay/wasmplay/tui"
	"github.com/wasmplay/wasmplay/workers"
)

// appOptions are the root command's own flags.
type appOptions struct {
	session   string
	showDemos bool
	mcp       string // HOST:PORT to serve MCP on, or ""
}

// runTUI opens the playground.
func runTUI(g *globals, o appOptions) error {
	cfg, err := g.loadConfig(true)
	if err != nil {
		return err
	}
	reg, err := g.registry(cfg)
	if err != nil {
		return err
	}
	theme, err := pickTheme(cfg, g.dirs)
	if err != nil {
		return usageError("config: %v", err)
	}
	keys := tui.DefaultKeyMap()
	keyWarnings := keys.Remap(cfg.Keys)
	configLayer, err := cfg.Policy.Layer()
	if err != nil {
		return usageError("config: %v", err)
	}
	store, err := g.sessionStore()
	if err != nil {
		return err
	}
	pool, rn, err := g.newPoolRunner(cfg, reg)
	if err != nil {
		return err
	}
	pg, err := playground.New(playground.Options{Runner: rn, Registry: reg, Store: store, Config: configLayer,
		Packages: g.pythonModules})
	if err != nil {
		return &exitError{code: ExitHostError, err: err}
	}
	// The app follows the runs other processes (an agent's wasmplay mcp)
	// make in its sessions.
	watcher := live.Watch(store.Root())
	defer watcher.Close()
	serveCtx, stopServing := context.WithCancel(context.Background())
	defer stopServing()
	served := make(chan error, 1)
	var notice strings.Builder
	for _, w := range keyWarnings {
		fmt.Fprintf(&notice, "config: %s\n", w)
	}
	if o.mcp != "" {
		srv, hub, err := g.mcpServerOver(cfg, reg, store, rn, "wasmplay app")
		if err != nil {
			return err
		}
		defer hub.Close()
		ln, token, err := g.listenMCP(o.mcp, &notice)
		if err != nil {
			return err
		}
		go func() { served <- serveHTTP(serveCtx, ln, srv.HTTPHandler(token)) }()
	}
	model := tui.New(tui.Deps{
		Live:       watcher,
		Notice:     strings.TrimSpace(strings.ReplaceAll(notice.String(), "\n", " · ")),
		Playground: pg,
		Theme:      theme,
		Keys:       keys,
		Session:    o.session,
		ShowDemos:  o.showDemos,
		SaveTheme:  func(name string) error { return saveTheme(g.dirs, name) },
		Prepare: func(rt string) error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			return pool.Prepare(ctx, rt)
		},
	})
	// The terminal closing (SIGHUP) ends the app as quitting does, so runs
	// in flight are canceled and recorded, not lost with the process.
	// (Bubble Tea turns SIGTERM into a quit itself.)
	hup, stopHup := signal.NotifyContext(context.Background(), syscall.SIGHUP)
	defer stopHup()
	_, runErr := tea.NewProgram(model, tea.WithContext(hup)).Run()
	if hup.Err() != nil && errors.Is(runErr, tea.ErrProgramKilled) {
		runErr = nil
	}
	stopServing()
	if o.mcp != "" {
		if err := <-served; err != nil {
			fmt.Fprintln(g.stderr, "wasmplay: mcp:", err)
		}
	}

	// Shut down in order: the app's own commands (saves, lock releases),
	// then cancel and wait for runs, then stop the workers.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := model.Wait(ctx); err != nil {
		fmt.Fprintln(g.stderr, "wasmplay:", err)
	}
	closeErr := rn.Close(ctx)
	pool.Close(ctx)
	if runErr != nil {
		return &exitError{code: ExitHostError, err: runErr}
	}
	if closeErr != nil {
		return &exitError{code: ExitHostError, err: closeErr}
	}
	return nil
}

// newPoolRunner starts the warm pool of worker processes guests run in (a
// fault in the engine costs a run, never the process) and a runner over
// it, with the config's slots.
func (g *globals) newPoolRunner(cfg config.Config, reg *runtimes.Registry) (*workers.Pool, *runner.Runner, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, &exitError{code: ExitHostError, err: fmt.Errorf("find the wasmplay executable for its workers: %w", err)}
	}
	slots := cfg.Slots
	if slots <= 0 {
		slots = runtime.NumCPU()
	}
	pool, err := workers.NewPool(workers.PoolConfig{
		Command: []string{exe, "__worker", "--bin-dir", reg.BinDir(), "--cache-dir", g.dirs.Cache,
			"--config", g.dirs.ConfigFile},
		Env:     workers.WorkerEnv(),
		Size:    slots,
		Prepare: runtimes.Interpreters(),
	})
	if err != nil {
		return nil, nil, &exitError{code: ExitHostError, err: err}
	}
	rn, err := runner.New(runner.Config{Executor: pool, Slots: slots})
	if err != nil {
		pool.Close(context.Background())
		return nil, nil, &exitError{code: ExitHostError, err: err}
	}
	return pool, rn, nil
}

// themeFile, beside the config file, remembers the theme last chosen with
// ctrl+t.
const themeFile = "theme"

// pickTheme chooses the theme: none at all under NO_COLOR, else the one
// last chosen in the app (when it still exists), else the configured one.
func pickTheme(cfg config.Config, dirs config.Dirs) (themes.Theme, error) {
	if os.Getenv("NO_COLOR") != "" {
		return themes.Mono(), nil
	}
	if data, err := hostfs.ReadFile(filepath.Join(filepath.Dir(dirs.ConfigFile), themeFile), 256); err == nil {
		if t, err := themes.Lookup(strings.TrimSpace(string(data))); err == nil {
			return t, nil
		}
	}
	name := cfg.Theme
	if name == "" {
		name = themes.Default
	}
	return themes.Lookup(name)
}

// saveTheme remembers the theme chosen in the app for its next start.
func saveTheme(dirs config.Dirs, name string) error {
	dir := filepath.Dir(dirs.ConfigFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, themeFile), []byte(name+"\n"), 0o600)
}

// newWorkerCommand is the hidden command a worker process runs: it serves
// the runner's worker protocol on stdin/stdout.
func newWorkerCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:    "__worker",
		Short:  "serve guest runs for the app (internal)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig(false)
			if err != nil {
				return err
			}
			reg, err := g.registry(cfg)
			if err != nil {
				return err
			}
			local, err := g.newLocal(reg)
			if err != nil {
				return err
			}
			prepare := func(rt string, onCompile func(run.Compiling)) error {
				_, err := local.Prepare(rt, onCompile)
				return err
			}
			if err := workers.Serve(g.stdin, g.stdout, local, prepare); err != nil {
				return &exitError{code: ExitHostError, err: err}
			}
			return nil
		},
	}
}

// newKeysCommand lists the actions the config's [keys] table remaps.
func newKeysCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "keys",
		Short: "List the app's actions and their keys (remap them in the config's [keys] table)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig(false)
			if err != nil {
				return err
			}
			keys := tui.DefaultKeyMap()
			for _, w := range keys.Remap(cfg.Keys) {
				fmt.Fprintln(g.stderr, "wasmplay: config: "+w)
			}
			for _, line := range keys.Describe() {
				fmt.Fprintln(g.stdout, line)
			}
			return nil
		},
	}
}

// newDemoCommand opens the gallery in a fresh session, lists it, or runs
// one demo headlessly and checks its expectation.
func newDemoCommand(g *globals) *cobra.Command {
	var list bool
	cmd := &cobra.Command{
		Use:   "demo [ID]",
		Short: "Open the demo gallery in a fresh session (or run one demo and check it)",
		Long: `With no ID, open the app in a fresh session with the demo gallery: ready
examples (files in /app, JSON and CSV, fuel and memory) and sandbox probes
that show the walls holding (/etc/passwd, escapes with .. and symlinks, an
infinite loop, a memory bomb, an output flood, environment snooping).

With an ID, run that demo headlessly and say whether what it states
should happen did happen (exit status 0 when it did, 1 when not).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				for _, d := range demos.All() {
					kind := "example"
					if d.Probe {
						kind = "probe"
					}
					fmt.Fprintf(g.stdout, "%-15s %-8s %-11s %s\n", d.ID, kind, d.Runtime, d.Title)
				}
				return nil
			}
			if len(args) == 1 {
				return runDemoHeadless(cmd.Context(), g, args[0])
			}
			name := "demo-" + time.Now().Format("20060102-150405")
			return runTUI(g, appOptions{session: name, showDemos: true})
		},
	}
	cmd.Flags().BoolVar(&list, "list", false, "list the demos")
	return cmd
}

// runDemoHeadless runs one demo through the playground (the user's
// config, then the demo's own limits) in a temporary workspace, and says
// whether it met its expectation.
func runDemoHeadless(ctx context.Context, g *globals, id string) error {
	d, ok := demos.Lookup(id)
	if !ok {
		return usageError("no demo %q (wasmplay demo --list shows them)", id)
	}
	_, configLayer, reg, err := g.configured()
	if err != nil {
		return err
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
	pg, err := playground.New(playground.Options{Runner: rn, Registry: reg, Config: configLayer, Packages: g.pythonModules})
	if err != nil {
		return &exitError{code: ExitHostError, err: err}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	r, err := pg.Start(ctx, playground.Request{Runtime: d.Runtime, Code: []byte(d.Code), Demo: &d,
		Origin: sessions.Origin{Kind: sessions.OriginPerson, Client: "wasmplay demo"}})
	if err != nil {
		return g.startError(err, nil)
	}
	out := r.Wait()
	res := out.Result
	g.stdout.Write(res.Stdout)
	g.stderr.Write(res.Stderr)
	fmt.Fprintln(g.stderr, "── "+report.SummaryLine(res))
	fmt.Fprintf(g.stdout, "\nexpected: %s\n", d.Expect)
	if !out.Verdict.Met {
		fmt.Fprintf(g.stdout, "NOT MET: %s\n", out.Verdict.Why)
		return &exitError{code: 1}
	}
	fmt.Fprintln(g.stdout, "met")
	return nil
}
