package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/mcpserver"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
)

// The real MCP clients from the npm registry (pinned in
// mcpserver/testdata/clients/package-lock.json, installed by `make
// mcp-clients`) drive `wasmplay mcp` as agents do: as a subprocess over
// stdio, and over streamable HTTP.

// clientsDir is where the npm clients are installed.
func clientsDir() string { return filepath.Join(testenv.Root(), "mcpserver", "testdata", "clients") }

// needClients fails (under WASMPLAY_REQUIRE_RUNTIMES) or skips when node
// or the installed clients are missing.
func needClients(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		node = "node" // Need reports it missing
	}
	testenv.Need(t, node, "node", "make mcp-clients")
	testenv.Need(t, filepath.Join(clientsDir(), "node_modules", "@modelcontextprotocol", "inspector", "package.json"),
		"the MCP Inspector", "make mcp-clients")
	testenv.Need(t, filepath.Join(clientsDir(), "node_modules", "@modelcontextprotocol", "sdk", "package.json"),
		"the MCP TypeScript SDK", "make mcp-clients")
	return node
}

// wasmplayCommand is this test binary acting as `wasmplay` in e's world:
// the command line and environment a client starts it with.
func (e *cliEnv) wasmplayCommand(args ...string) (string, []string, []string) {
	self, err := os.Executable()
	if err != nil {
		e.t.Fatal(err)
	}
	all := append([]string{"--bin-dir", testenv.BinDir(), "--cache-dir", testenv.CacheDir(),
		"--config", e.config, "--sessions-dir", e.sessions}, args...)
	return self, all, append(os.Environ(), beWasmplayEnv+"=1")
}

// serveHTTP starts `wasmplay mcp --http addr` and returns its URL; the
// server stops with the test.
func (e *cliEnv) serveHTTP(addr string) string {
	e.t.Helper()
	self, args, env := e.wasmplayCommand("mcp", "--http", addr)
	cmd := exec.Command(self, args...)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "wasmplay mcp: serving MCP on "); ok {
			go io.Copy(io.Discard, stderr)
			return strings.Replace(rest, "[::]", "127.0.0.1", 1)
		}
	}
	e.t.Fatalf("wasmplay mcp --http %s never said where it serves", addr)
	return ""
}

// inspector runs the MCP Inspector's CLI mode with args and returns what
// it printed on stdout.
func inspector(t *testing.T, node string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(node, append([]string{filepath.Join(clientsDir(), "node_modules", ".bin", "mcp-inspector"), "--cli"}, args...)...)
	cmd.Env = append(os.Environ(), beWasmplayEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mcp-inspector --cli %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}

// checkInspector lists the tools and runs code through the Inspector
// talking to the server target (a command line, or a URL with its
// transport flags).
func checkInspector(t *testing.T, node string, target ...string) {
	var listed struct {
		Tools []struct {
			Name         string          `json:"name"`
			InputSchema  json.RawMessage `json:"inputSchema"`
			OutputSchema json.RawMessage `json:"outputSchema"`
		} `json:"tools"`
	}
	// --strict fails on a schema problem a client could reject a tool for.
	out := inspector(t, node, append(slices.Clone(target), "--method", "tools/list", "--strict")...)
	if err := json.Unmarshal(out, &listed); err != nil {
		t.Fatalf("tools/list: %v: %s", err, out)
	}
	var names []string
	for _, tool := range listed.Tools {
		names = append(names, tool.Name)
		if len(tool.InputSchema) == 0 || len(tool.OutputSchema) == 0 {
			t.Errorf("tool %s has no input or output schema", tool.Name)
		}
	}
	want := slices.Sorted(slices.Values(mcpserver.ToolNames))
	if !slices.Equal(names, want) {
		t.Fatalf("tools/list gave %v, want %v", names, want)
	}

	args := `{"language": "python", "code": "import sys\nprint('inspected', sys.argv[1:])", "args": ["a b"]}`
	out = inspector(t, node, append(slices.Clone(target), "--method", "tools/call", "--tool-name", "run_code", "--tool-args-json", args)...)
	var called struct {
		IsError    bool `json:"isError"`
		Structured struct {
			Report struct {
				Outcome string `json:"outcome"`
				Stdout  struct {
					Text string `json:"text"`
				} `json:"stdout"`
			} `json:"report"`
			Session struct {
				ID string `json:"id"`
			} `json:"session"`
			Run int `json:"run"`
		} `json:"structuredContent"`
	}
	if err := json.Unmarshal(out, &called); err != nil {
		t.Fatalf("tools/call: %v: %s", err, out)
	}
	got := called.Structured
	if called.IsError || got.Report.Outcome != "ok" || got.Report.Stdout.Text != "inspected ['a b']\n" || got.Session.ID != "agent" || got.Run < 1 {
		t.Fatalf("run_code through the Inspector: %s", out)
	}
}

func TestMCPClients_Inspector(t *testing.T) {
	node := needClients(t)
	e := newCLIEnv(t)
	t.Run("stdio", func(t *testing.T) {
		// The Inspector gives a server only the variables -e names, and
		// takes flags such as --config for its own: the settings go as
		// variables.
		self, _, _ := e.wasmplayCommand()
		checkInspector(t, node, "-e", beWasmplayEnv+"=1", "-e", "WASMPLAY_BIN_DIR="+testenv.BinDir(),
			"-e", "WASMPLAY_CACHE_DIR="+testenv.CacheDir(), "-e", "WASMPLAY_CONFIG="+e.config,
			"-e", "WASMPLAY_SESSIONS_DIR="+e.sessions, self, "mcp")
	})
	t.Run("http", func(t *testing.T) {
		url := e.serveHTTP("127.0.0.1:0")
		checkInspector(t, node, url, "--transport", "http")
	})
}

// agentReport is what agent.mjs prints.
type agentReport struct {
	Tools                 []string `json:"tools"`
	PrintMS               float64  `json:"print_ms"`
	FirstRun              int      `json:"first_run"`
	ProgressNotifications int      `json:"progress_notifications"`
	CancelMS              float64  `json:"cancel_ms"`
}

// runAgent runs agent.mjs with args and decodes its report.
func runAgent(t *testing.T, node string, args ...string) agentReport {
	t.Helper()
	cmd := exec.Command(node, append([]string{filepath.Join(clientsDir(), "agent.mjs")}, args...)...)
	cmd.Env = append(os.Environ(), beWasmplayEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("agent.mjs %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	var rep agentReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("agent.mjs printed %q: %v", stdout.Bytes(), err)
	}
	if rep.ProgressNotifications == 0 || rep.FirstRun < 1 {
		t.Fatalf("agent.mjs: %+v", rep)
	}
	return rep
}

// The TypeScript SDK's client sees progress while a loop runs and cancels
// it with an abort signal; the run is recorded as canceled (agent.mjs
// checks each step).
func TestMCPClients_TypeScriptSDK(t *testing.T) {
	node := needClients(t)
	e := newCLIEnv(t)
	t.Run("stdio", func(t *testing.T) {
		self, args, _ := e.wasmplayCommand("mcp")
		runAgent(t, node, append([]string{"stdio", self}, args...)...)
	})
	t.Run("http", func(t *testing.T) {
		runAgent(t, node, "http", e.serveHTTP("127.0.0.1:0"))
	})
	t.Run("http off loopback, with the token", func(t *testing.T) {
		url := e.serveHTTP("0.0.0.0:0")
		token, err := os.ReadFile(filepath.Join(filepath.Dir(e.config), mcpserver.TokenFile))
		if err != nil {
			t.Fatalf("the token file: %v", err)
		}
		if info, err := os.Stat(filepath.Join(filepath.Dir(e.config), mcpserver.TokenFile)); err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("the token file is not private: %v %v", info.Mode(), err)
		}
		for _, auth := range []string{"", "Bearer wrong", "Bearer " + strings.TrimSpace(string(token)) + "x"} {
			req, _ := http.NewRequest("POST", url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("Authorization %q: status %d, want 401", auth, res.StatusCode)
			}
		}
		runAgent(t, node, "http", url, strings.TrimSpace(string(token)))
	})
}

// An agent that goes away mid-run (its process dies, stdin closes) cancels
// the run; it is recorded as canceled and the rest of the session stays.
func TestMCP_ClientDisconnectsMidRun(t *testing.T) {
	e := newCLIEnv(t)
	self, args, env := e.wasmplayCommand("mcp")
	cmd := exec.Command(self, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	progressed := make(chan struct{}, 1)
	client := mcp.NewClient(&mcp.Implementation{Name: "vanishing-agent", Version: "1"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			if req.Params.Progress > 0 {
				select {
				case progressed <- struct{}{}:
				default:
				}
			}
		}})
	ctx := context.Background()
	toServer, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	fromServer, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cs, err := client.Connect(ctx, &mcp.IOTransport{Reader: fromServer, Writer: toServer}, nil)
	if err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "run_code", Arguments: map[string]any{
		"language": "python", "code": "open('kept.txt', 'w').write('still here')"}}); err != nil || res.IsError {
		t.Fatalf("first run: %v %+v", err, res)
	}
	params := &mcp.CallToolParams{Name: "run_code", Arguments: map[string]any{"language": "python", "code": "while True: pass",
		"limits": map[string]any{"fuel": "40G", "timeout": "60s"}}}
	params.SetProgressToken("loop")
	answered := make(chan string, 1)
	go func() {
		res, err := cs.CallTool(ctx, params)
		answered <- fmt.Sprintf("%v %+v", err, res)
	}()
	select {
	case <-progressed:
	case got := <-answered:
		t.Fatalf("the loop answered before any progress: %s", got)
	case <-time.After(30 * time.Second):
		t.Fatal("no progress from the loop")
	}
	// Close the server's stdin as a dying agent does (a client's Close
	// would wait for its calls); the server must end the run and exit.
	start := time.Now()
	toServer.Close()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case <-waited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the server did not exit after its client went away; stderr: %s", stderr.Bytes())
	}
	store, err := sessions.Open(e.sessions, sessions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := store.Resolve("agent")
	if err != nil {
		t.Fatal(err)
	}
	runs, err := sess.Runs()
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs %+v, %v; want 2", runs, err)
	}
	if got := runs[1].Outcome; got != run.OutcomeCanceled {
		t.Fatalf("the abandoned loop was recorded as %s (%s, fuel %d, %.0f ms; the server exited %v after the close), want canceled; stderr: %s",
			got, runs[1].Message, runs[1].FuelConsumed, runs[1].DurationMS, time.Since(start), stderr.Bytes())
	}
	if data, err := os.ReadFile(filepath.Join(sess.WorkspaceDir(), "kept.txt")); err != nil || string(data) != "still here" {
		t.Fatalf("the workspace lost a file: %q %v", data, err)
	}
	t.Logf("the server ended the run and exited %v after its client went away", time.Since(start).Round(time.Millisecond))
}
