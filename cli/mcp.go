package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/live"
	"github.com/wasmplay/wasmplay/mcpserver"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
)

// version is what wasmplay tells MCP clients it is.
const version = "0.2.0"

// mcpOptions are the flags of `wasmplay mcp`.
type mcpOptions struct {
	http string
}

func newMCPCommand(g *globals) *cobra.Command {
	var o mcpOptions
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve coding agents over the Model Context Protocol (stdio, or HTTP with --http)",
		Long: `Serve MCP: agents run code in the sandbox (run_code), keep sessions and move
files, within the [mcp] table's ceilings. Over stdio (what agents start as a
subprocess) stdout carries only the protocol; messages go to stderr. With
--http HOST:PORT it serves streamable HTTP instead; an address other than a
loopback one requires the bearer token kept in the config directory.

A person can watch every run live in the app (wasmplay, in another
terminal), and approve runs when the session or the server asks for it.`,
		Example: `  wasmplay mcp
  wasmplay mcp --http 127.0.0.1:8765`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runMCP(cmd.Context(), g, o) },
	}
	cmd.Flags().StringVar(&o.http, "http", "", "serve streamable HTTP on HOST:PORT instead of stdio")
	return cmd
}

// mcpSetup is what serving MCP needs, however it is served.
type mcpSetup struct {
	server  *mcpserver.Server
	closers []func(context.Context)
}

func (m *mcpSetup) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := len(m.closers) - 1; i >= 0; i-- {
		m.closers[i](ctx)
	}
}

// newMCPServer builds the server over a worker pool and the sessions store.
func (g *globals) newMCPServer() (*mcpSetup, error) {
	cfg, err := g.loadConfig(true)
	if err != nil {
		return nil, err
	}
	reg, err := g.registry(cfg)
	if err != nil {
		return nil, err
	}
	store, err := g.sessionStore()
	if err != nil {
		return nil, err
	}
	pool, rn, err := g.newPoolRunner(cfg, reg)
	if err != nil {
		return nil, err
	}
	setup := &mcpSetup{closers: []func(context.Context){
		func(ctx context.Context) { pool.Close(ctx) },
		func(ctx context.Context) { rn.Close(ctx) },
	}}
	srv, hub, err := g.mcpServerOver(cfg, reg, store, rn, "wasmplay mcp")
	if err != nil {
		setup.close()
		return nil, err
	}
	setup.server = srv
	setup.closers = append(setup.closers, func(context.Context) { hub.Close() })
	return setup, nil
}

// mcpServerOver builds the MCP server on a runner: its own playground,
// held to the [mcp] ceilings, whose runs are published live (a watching
// app shows them and answers approvals) under name.
func (g *globals) mcpServerOver(cfg config.Config, reg *runtimes.Registry, store *sessions.Store, rn *runner.Runner,
	name string) (*mcpserver.Server, *live.Hub, error) {
	policy, err := cfg.MCP.Policy()
	if err != nil {
		return nil, nil, usageError("config: %v", err)
	}
	configLayer, err := cfg.Policy.Layer()
	if err != nil {
		return nil, nil, usageError("config: %v", err)
	}
	hub, err := live.Listen(store.Root(), name)
	if err != nil {
		return nil, nil, &exitError{code: ExitHostError, err: err}
	}
	pg, err := playground.New(playground.Options{Runner: rn, Registry: reg, Store: store, Config: configLayer,
		Ceilings: policy.Ceilings, Packages: g.pythonModules, Bus: hub})
	if err != nil {
		hub.Close()
		return nil, nil, &exitError{code: ExitHostError, err: err}
	}
	srv, err := mcpserver.New(mcpserver.Options{Playground: pg, Policy: policy, Approver: hub, Version: version, Diagnostics: g.stderr})
	if err != nil {
		hub.Close()
		return nil, nil, &exitError{code: ExitHostError, err: err}
	}
	return srv, hub, nil
}

func runMCP(ctx context.Context, g *globals, o mcpOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	setup, err := g.newMCPServer()
	if err != nil {
		return err
	}
	defer setup.close()
	go setup.server.ExpireIdle(ctx, time.Hour)
	if o.http == "" {
		in, _ := g.stdin.(*os.File)
		out, _ := g.stdout.(*os.File)
		if in == nil || out == nil {
			return usageError("mcp: stdio needs the process's own stdin and stdout")
		}
		if err := setup.server.ServeStdio(ctx, in, out); err != nil && !errors.Is(err, context.Canceled) {
			return &exitError{code: ExitHostError, err: err}
		}
		return nil
	}
	return g.serveMCPHTTP(ctx, setup.server, o.http)
}

// serveMCPHTTP serves srv on addr until ctx ends.
func (g *globals) serveMCPHTTP(ctx context.Context, srv *mcpserver.Server, addr string) error {
	ln, token, err := g.listenMCP(addr, g.stderr)
	if err != nil {
		return err
	}
	return serveHTTP(ctx, ln, srv.HTTPHandler(token))
}

// listenMCP listens on addr for MCP over HTTP, with the token a
// non-loopback address needs; what clients must know is said on w.
func (g *globals) listenMCP(addr string, w io.Writer) (net.Listener, string, error) {
	loopback, err := mcpserver.IsLoopback(addr)
	if err != nil {
		return nil, "", usageError("--http: %v", err)
	}
	token := ""
	if !loopback {
		var created bool
		token, created, err = mcpserver.LoadToken(mcpConfigDir(g.dirs))
		if err != nil {
			return nil, "", &exitError{code: ExitHostError, err: fmt.Errorf("mcp token: %w", err)}
		}
		where := filepath.Join(mcpConfigDir(g.dirs), mcpserver.TokenFile)
		if created {
			fmt.Fprintf(w, "wasmplay mcp: made a token for clients off this machine: %s\n", where)
		}
		fmt.Fprintf(w, "wasmplay mcp: %s is not a loopback address: clients must send Authorization: Bearer $(cat %s)\n", addr, where)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", usageError("--http: %v", err)
	}
	fmt.Fprintf(w, "wasmplay mcp: serving MCP on http://%s/\n", ln.Addr())
	return ln, token, nil
}

// serveHTTP serves h on ln until ctx ends.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return &exitError{code: ExitHostError, err: err}
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
		return nil
	}
}

// mcpConfigDir is where the token lives (beside the config file).
func mcpConfigDir(dirs config.Dirs) string { return filepath.Dir(dirs.ConfigFile) }
