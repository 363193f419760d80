// Command wasmplay is a terminal playground for code you do not trust:
// Python, JavaScript and WebAssembly text run inside a wasmtime sandbox,
// fenced by fuel, memory, output and wall-clock limits.
//
// With no arguments it opens the playground; `wasmplay run` runs code
// headlessly; `wasmplay sessions` and `wasmplay runtimes` manage what the
// playground keeps and runs on. `wasmplay help` lists everything.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

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
	binDir      string
	cacheDir    string
	sessionsDir string
	configPath  string

	stdin          io.Reader
	stdout, stderr io.Writer
}

// run executes the command line and returns the process exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
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
	root.RunE = func(cmd *cobra.Command, args []string) error {
		return runTUI(g, app)
	}
	flags := root.PersistentFlags()
	flags.StringVar(&g.binDir, "bin-dir", "", "directory holding the guest runtimes (default: $WASMPLAY_BIN_DIR, or bin/ beside the executable, or ./bin)")
	flags.StringVar(&g.cacheDir, "cache-dir", "", "compiled-module cache (default: $WASMPLAY_CACHE_DIR or $XDG_CACHE_HOME/wasmplay)")
	flags.StringVar(&g.sessionsDir, "sessions-dir", "", "where sessions live (default: $WASMPLAY_SESSIONS_DIR or $XDG_DATA_HOME/wasmplay/sessions)")
	flags.StringVar(&g.configPath, "config", "", "configuration file (default: $WASMPLAY_CONFIG or $XDG_CONFIG_HOME/wasmplay/config.toml)")
	root.PersistentFlags().SortFlags = false

	root.AddCommand(newRunCommand(g), newSessionsCommand(g), newRuntimesCommand(g), newKeysCommand(g), newDemoCommand(g), newPackagesCommand(g), newWorkerCommand(g))
	return root
}

// resolvedBinDir finds the runtimes directory.
func (g *globals) resolvedBinDir() string {
	if g.binDir != "" {
		return g.binDir
	}
	if dir := os.Getenv("WASMPLAY_BIN_DIR"); dir != "" {
		return dir
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			dir := filepath.Join(filepath.Dir(real), "bin")
			if _, err := os.Stat(filepath.Join(dir, runtimes.ManifestFile)); err == nil {
				return dir
			}
		}
	}
	return "bin"
}

func (g *globals) resolvedCacheDir() string {
	if g.cacheDir != "" {
		return g.cacheDir
	}
	return runner.DefaultCacheDir()
}

func (g *globals) resolvedConfigPath() string {
	if g.configPath != "" {
		return g.configPath
	}
	return DefaultConfigPath()
}

// loadConfig reads the configuration; create says whether to write the
// commented default file when there is none (the app does, scripts do not).
func (g *globals) loadConfig(create bool) (Config, error) {
	cfg, err := LoadConfig(g.resolvedConfigPath(), create)
	if err != nil {
		return cfg, &exitError{code: ExitUsage, err: err}
	}
	return cfg, nil
}

// registry builds the runtime registry with the configured overrides.
func (g *globals) registry(cfg Config) (*runtimes.Registry, error) {
	reg, err := runtimes.NewRegistry(g.resolvedBinDir(), cfg.Overrides())
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	return reg, nil
}
