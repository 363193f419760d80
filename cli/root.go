// Package cli is wasmplay's command line: the app, `wasmplay run`,
// sessions, packages, runtimes, the demo gallery and the worker process
// the app's pool starts. Commands translate flags into requests of the
// playground layer and phrase its errors; they decide nothing themselves.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
)

// exitError carries a process exit status out of a command.
type exitError struct {
	code int
	err  error // nil: the status says it all (nothing more to print)
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad input to a command: exit status ExitUsage.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// globals are the settings every command shares.
type globals struct {
	flags config.Dirs // as given on the command line
	dirs  config.Dirs // resolved (see config.ResolveDirs)

	stdin          io.Reader
	stdout, stderr io.Writer
	// stderrFile, when stderr wraps a file (withLockedStderr), is that
	// file, to tell a terminal.
	stderrFile *os.File
}

// Run executes the command line args (without the program name) and
// returns the process exit status.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	sandbox.ServeCompileHelper(args) // exits when this process is one
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentPreRun = func(*cobra.Command, []string) { g.dirs = config.ResolveDirs(g.flags) }
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "wasmplay:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "wasmplay:", err)
	return ExitUsage
}

func newRootCommand(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "wasmplay",
		Short: "A terminal playground for code you do not trust",
		Long: `wasmplay runs Python, JavaScript and WebAssembly text inside a wasmtime
sandbox, fenced by fuel, memory, output and wall-clock limits, and shows
what the code does while it runs.

With no command it opens the playground.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
	}
	var app appOptions
	root.Flags().StringVar(&app.session, "session", "", "open this session (ID or name; created if it does not exist) instead of the last one used")
	root.Flags().StringVar(&app.mcp, "mcp", "", "also serve MCP over streamable HTTP on `HOST:PORT` from the app, as wasmplay mcp --http does")
	root.RunE = func(cmd *cobra.Command, args []string) error {
		return runTUI(g, app)
	}
	flags := root.PersistentFlags()
	flags.StringVar(&g.flags.Bin, "bin-dir", "", "directory holding the guest runtimes (default: $WASMPLAY_BIN_DIR, or bin/ beside the executable, or ./bin)")
	flags.StringVar(&g.flags.Cache, "cache-dir", "", "compiled-module cache (default: $WASMPLAY_CACHE_DIR or $XDG_CACHE_HOME/wasmplay)")
	flags.StringVar(&g.flags.Sessions, "sessions-dir", "", "where sessions live (default: $WASMPLAY_SESSIONS_DIR or $XDG_DATA_HOME/wasmplay/sessions)")
	flags.StringVar(&g.flags.ConfigFile, "config", "", "configuration file (default: $WASMPLAY_CONFIG or $XDG_CONFIG_HOME/wasmplay/config.toml)")
	root.PersistentFlags().SortFlags = false

	root.AddCommand(newRunCommand(g), newSessionsCommand(g), newRuntimesCommand(g), newKeysCommand(g), newDemoCommand(g), newPackagesCommand(g), newMCPCommand(g), newBatchCommand(g), newNATSWorkerCommand(g), newWorkerCommand(g))
	return root
}

// loadConfig reads the configuration; create says whether to write the
// commented default file when there is none (the app does, scripts do not).
func (g *globals) loadConfig(create bool) (config.Config, error) {
	cfg, err := config.Load(g.dirs.ConfigFile, create)
	if err != nil {
		return cfg, &exitError{code: ExitUsage, err: err}
	}
	return cfg, nil
}

// configured loads the config file and returns it with its layer of
// limits ([policy]) and the runtime registry it configures: what a
// command that runs code outside the app needs first.
func (g *globals) configured() (config.Config, run.Overrides, *runtimes.Registry, error) {
	cfg, err := g.loadConfig(false)
	if err != nil {
		return cfg, run.Overrides{}, nil, err
	}
	layer, err := cfg.Policy.Layer()
	if err != nil {
		return cfg, run.Overrides{}, nil, usageError("config: %v", err)
	}
	reg, err := g.registry(cfg)
	if err != nil {
		return cfg, run.Overrides{}, nil, err
	}
	return cfg, layer, reg, nil
}

// registry builds the runtime registry with the configured overrides.
// newLocal creates the in-process executor, compiling large guest modules
// in helper processes of this executable (killable, memory-capped).
func (g *globals) newLocal(reg *runtimes.Registry) (*sandbox.Local, error) {
	local, err := sandbox.NewLocal(reg, g.dirs.Cache)
	if err != nil {
		return nil, &exitError{code: ExitHostError, err: err}
	}
	if exe, err := os.Executable(); err == nil {
		local.SetCompileHelper(exe)
	}
	return local, nil
}

func (g *globals) registry(cfg config.Config) (*runtimes.Registry, error) {
	reg, err := runtimes.NewRegistry(g.dirs.Bin, cfg.Overrides())
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	return reg, nil
}
