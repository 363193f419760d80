// Package mcpserver is wasmplay's MCP server: a front end over the
// playground through which coding agents run code, keep sessions and move
// files, while a person watches, approves and takes over in the app.
//
// Every tool is typed (input and output schemas from Go types, unknown
// arguments refused), answers with structured content and a readable text,
// and keeps no protocol-level state: the session ID a tool returns is the
// handle. The agent is held to the [mcp] table's ceilings.
package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/live"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/sessions"
)

// Approver asks a person to approve an agent's run (live.Hub is one).
type Approver interface {
	// Approve waits for a person's decision on req, until ctx ends. It
	// fails with live.ErrNobodyWatching at once when nobody could answer.
	Approve(ctx context.Context, req live.ApprovalRequest) (live.Decision, error)
}

// Options configure a Server.
type Options struct {
	// Playground runs the code; it must have a sessions store and the
	// policy's ceilings. Required.
	Playground *playground.Playground
	// Policy is the [mcp] table decided.
	Policy config.MCPPolicy
	// Approver asks a person when approval is required; nil means nobody
	// can be asked (runs that need approval are refused).
	Approver Approver
	// Version is wasmplay's version, told to clients.
	Version string
	// Diagnostics receives the server's own messages (never stdout, which
	// carries the protocol on stdio).
	Diagnostics io.Writer
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Server is the MCP server.
type Server struct {
	opts  Options
	pg    *playground.Playground
	store *sessions.Store
	mcp   *mcp.Server

	// createMu serialises session creation, so max_sessions holds when
	// calls race.
	createMu sync.Mutex
	// writeMu serialises write_file, so that two writes cannot both fit
	// the quota that only one fits.
	writeMu sync.Mutex
}

// DefaultSession is the session a run_code call without one runs in.
const DefaultSession = "agent"

// New makes the server and registers its tools and resources.
func New(opts Options) (*Server, error) {
	if opts.Playground == nil || opts.Playground.Store() == nil {
		return nil, errors.New("mcpserver: a playground with a sessions store is required")
	}
	if opts.Diagnostics == nil {
		opts.Diagnostics = io.Discard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, pg: opts.Playground, store: opts.Playground.Store()}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "wasmplay", Title: "wasmplay: run untrusted code in a WebAssembly sandbox",
		Version: opts.Version}, &mcp.ServerOptions{Instructions: instructions,
		// No logging capability (deprecated in 2026-07-28): tools and
		// resources, whose lists never change.
		Capabilities: &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{}, Resources: &mcp.ResourceCapabilities{}}})
	s.addTools()
	s.addResources()
	return s, nil
}

// instructions tell the agent what the server is for.
const instructions = `wasmplay runs Python 3.13, JavaScript (QuickJS) and WebAssembly text in a WebAssembly sandbox: no network, no processes, only the session's workspace at /app (read-write), limited fuel (instructions), memory, time, output and disk. A person may be watching each run live in the wasmplay app, and may be asked to approve it first.

Use run_code to run code; give a session to keep files and history between calls (create_session makes one; without one, runs go to the session "agent"). Move files with write_file, read_file and list_files rather than through the code. A failed run's answer carries advice on what to change; one that ran out of fuel suggests a budget.`

// MCP returns the underlying SDK server.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// ServeStdio serves one client over r and w (stdin and stdout) until it
// disconnects or ctx ends.
func (s *Server) ServeStdio(ctx context.Context, r io.ReadCloser, w io.WriteCloser) error {
	out := &lockedWriter{w: w}
	ss, err := s.mcp.Connect(ctx, &mcp.IOTransport{Reader: guardStdin(r, out), Writer: out, MaxLineLength: MaxMessageBytes}, nil)
	if err != nil {
		return fmt.Errorf("mcpserver: connect: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- ss.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		ss.Close()
		<-done
		return nil
	}
}
