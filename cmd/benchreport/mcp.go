package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/workers"
)

// ---- mcp -----------------------------------------------------------------------

// mcpWorld is one sessions directory and config file that the measured
// `wasmplay mcp` processes (and the app) share.
type mcpWorld struct {
	b                     *bench
	dir, sessions, config string
}

func (b *bench) newMCPWorld() (*mcpWorld, error) {
	dir, err := os.MkdirTemp("", "wasmplay-bench-mcp-")
	if err != nil {
		return nil, err
	}
	w := &mcpWorld{b: b, dir: dir, sessions: filepath.Join(dir, "sessions"), config: filepath.Join(dir, "config.toml")}
	// A budget no measured loop exhausts: the cancel is what stops it.
	if err := os.WriteFile(w.config, []byte("[policy]\nfuel = \"1T\"\n\n[mcp]\nmax_fuel = \"1T\"\n"), 0o600); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *mcpWorld) close() { os.RemoveAll(w.dir) }

// command is `wasmplay ARGS` in the world.
func (w *mcpWorld) command(args ...string) *exec.Cmd {
	all := append([]string{"--bin-dir", w.b.reg.BinDir(), "--cache-dir", w.b.cacheDir, "--config", w.config,
		"--sessions-dir", w.sessions}, args...)
	return exec.Command(w.b.wasmplay, all...)
}

// stdioClient starts `wasmplay mcp` and connects to it as an agent does.
func (w *mcpWorld) stdioClient(ctx context.Context, progress func(*mcp.ProgressNotificationParams)) (*mcp.ClientSession, error) {
	return connect(ctx, &mcp.CommandTransport{Command: w.command("mcp")}, progress)
}

// httpClient starts `wasmplay mcp --http` on a free loopback port and
// connects to it; stop ends the server.
func (w *mcpWorld) httpClient(ctx context.Context) (*mcp.ClientSession, func(), error) {
	cmd := w.command("mcp", "--http", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	lines := bufio.NewScanner(stderr)
	url := ""
	for url == "" && lines.Scan() {
		url, _ = strings.CutPrefix(lines.Text(), "wasmplay mcp: serving MCP on ")
	}
	if url == "" {
		stop()
		return nil, nil, errors.New("wasmplay mcp --http never said where it serves")
	}
	go io.Copy(io.Discard, stderr)
	cs, err := connect(ctx, &mcp.StreamableClientTransport{Endpoint: url}, nil)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return cs, stop, nil
}

func connect(ctx context.Context, t mcp.Transport, progress func(*mcp.ProgressNotificationParams)) (*mcp.ClientSession, error) {
	opts := &mcp.ClientOptions{}
	if progress != nil {
		opts.ProgressNotificationHandler = func(_ context.Context, req *mcp.ProgressNotificationClientRequest) { progress(req.Params) }
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "benchreport", Version: "1"}, opts)
	return client.Connect(ctx, t, nil)
}

// runCode calls run_code and checks that the run succeeded.
func runCode(ctx context.Context, cs *mcp.ClientSession, session, code string) error {
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "run_code", Arguments: map[string]any{
		"language": "python", "code": code, "session": session}})
	if err != nil {
		return err
	}
	if res.IsError {
		return fmt.Errorf("run_code: %s", contentText(res))
	}
	if out, _ := res.StructuredContent.(map[string]any); out != nil {
		if rep, _ := out["report"].(map[string]any); rep != nil && rep["outcome"] == string(run.OutcomeOK) {
			return nil
		}
	}
	return fmt.Errorf("run_code did not succeed: %v", res.StructuredContent)
}

// createSession makes a named session through the server.
func createSession(ctx context.Context, cs *mcp.ClientSession, name string) error {
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "create_session", Arguments: map[string]any{"name": name, "language": "python"}})
	if err != nil {
		return err
	}
	if res.IsError {
		return fmt.Errorf("create_session: %s", contentText(res))
	}
	return nil
}

// contentText is the text of a tool result.
func contentText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

// mcpSection measures what the MCP layer costs an agent, and how soon a
// watching person sees an agent's output.
func (b *bench) mcpSection() (string, error) {
	world, err := b.newMCPWorld()
	if err != nil {
		return "", err
	}
	defer world.close()
	var out strings.Builder
	out.WriteString("How long an agent waits for `run_code` through `wasmplay mcp` (a subprocess over stdio, and streamable HTTP on loopback), against the same run started through the playground in this process on the same kind of worker pool; interleaved, after warm-up. Each MCP server is its own process with its own warm worker.\n\n")
	if err := b.mcpRoundTrips(world, &out); err != nil {
		return "", err
	}
	if err := b.mcpCancel(world, &out); err != nil {
		return "", err
	}
	if err := b.mcpScreenDelay(world, &out); err != nil {
		return "", err
	}
	return out.String(), nil
}

// inProcessPlayground is a playground over a worker pool of the wasmplay
// binary, as `wasmplay mcp` builds one.
func (w *mcpWorld) inProcessPlayground() (*playground.Playground, func(), error) {
	pool, err := workers.NewPool(workers.PoolConfig{
		Command: []string{w.b.wasmplay, "__worker", "--bin-dir", w.b.reg.BinDir(), "--cache-dir", w.b.cacheDir, "--config", w.config},
		Env:     workers.WorkerEnv(), Size: 1, Prepare: []string{runtimes.Python},
	})
	if err != nil {
		return nil, nil, err
	}
	rn, err := runner.New(runner.Config{Executor: pool, Slots: 1})
	if err != nil {
		pool.Close(context.Background())
		return nil, nil, err
	}
	store, err := sessions.Open(filepath.Join(w.dir, "in-process"), sessions.Options{})
	if err != nil {
		rn.Close(context.Background())
		pool.Close(context.Background())
		return nil, nil, err
	}
	pg, err := playground.New(playground.Options{Runner: rn, Registry: w.b.reg, Store: store})
	stop := func() {
		rn.Close(context.Background())
		pool.Close(context.Background())
	}
	if err != nil {
		stop()
		return nil, nil, err
	}
	return pg, stop, nil
}

func (b *bench) mcpRoundTrips(world *mcpWorld, w *strings.Builder) error {
	ctx := context.Background()
	pg, stopPG, err := world.inProcessPlayground()
	if err != nil {
		return err
	}
	defer stopPG()
	sess, err := pg.OpenSession("bench", true, runtimes.Python)
	if err != nil {
		return err
	}
	stdio, err := world.stdioClient(ctx, nil)
	if err != nil {
		return err
	}
	defer stdio.Close()
	httpCS, stopHTTP, err := world.httpClient(ctx)
	if err != nil {
		return err
	}
	defer stopHTTP()
	defer httpCS.Close()
	for name, cs := range map[string]*mcp.ClientSession{"bench-stdio": stdio, "bench-http": httpCS} {
		if err := createSession(ctx, cs, name); err != nil {
			return err
		}
	}

	const code = "print(1)"
	variants := []struct {
		label string
		call  func() error
	}{
		{"in-process playground", func() error {
			r, err := pg.Start(ctx, playground.Request{Session: sess, Runtime: runtimes.Python, Code: []byte(code)})
			if err != nil {
				return err
			}
			if o := r.Wait(); o.Result.Outcome != run.OutcomeOK {
				return fmt.Errorf("in-process: %s %s", o.Result.Outcome, o.Result.Message)
			}
			return nil
		}},
		{"`wasmplay mcp`, stdio", func() error { return runCode(ctx, stdio, "bench-stdio", code) }},
		{"`wasmplay mcp --http`, loopback", func() error { return runCode(ctx, httpCS, "bench-http", code) }},
	}
	n := b.reps(40, 6)
	times := make([][]time.Duration, len(variants))
	for i := 0; i < n+3; i++ {
		for j, v := range variants {
			start := time.Now()
			if err := v.call(); err != nil {
				return fmt.Errorf("%s: %w", v.label, err)
			}
			if i >= 3 {
				times[j] = append(times[j], time.Since(start))
			}
		}
	}
	w.WriteString("### `run_code` round trip, `print(1)`\n\n| path | median | p95 | over in-process |\n|---|---|---|---|\n")
	base := statsOf(times[0]).median
	for j, v := range variants {
		s := statsOf(times[j])
		over := "-"
		if j > 0 {
			over = fmt.Sprintf("+%s (%.2f×)", ms(s.median-base), float64(s.median)/float64(base))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", v.label, ms(s.median), ms(s.p95), over)
	}
	w.WriteString("\nThe MCP figure includes recording the run in the session's history, the report and the answer's JSON, as the in-process figure includes recording it.\n\n")
	return nil
}

// mcpCancel measures how soon a canceled request ends its run: from the
// agent's cancel (the first progress notification showing fuel burning)
// to the run's record in the history saying canceled, polled with get_run.
func (b *bench) mcpCancel(world *mcpWorld, w *strings.Builder) error {
	ctx := context.Background()
	burning := make(chan struct{}, 1)
	cs, err := world.stdioClient(ctx, func(p *mcp.ProgressNotificationParams) {
		if p.Progress > 0 {
			select {
			case burning <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		return err
	}
	defer cs.Close()
	session := "bench-cancel"
	if err := createSession(ctx, cs, session); err != nil {
		return err
	}
	if err := runCode(ctx, cs, session, "print('warm')"); err != nil {
		return err
	}
	var lat []time.Duration
	n := b.reps(15, 3)
	for i := 0; i < n; i++ {
		number := 2 + i
		callCtx, cancel := context.WithCancel(ctx)
		params := &mcp.CallToolParams{Name: "run_code", Arguments: map[string]any{"language": "python", "code": "while True: pass", "session": session}}
		params.SetProgressToken(fmt.Sprintf("loop-%d", i))
		returned := make(chan struct{})
		go func() {
			cs.CallTool(callCtx, params)
			close(returned)
		}()
		select {
		case <-burning:
		case <-time.After(30 * time.Second):
			cancel()
			return errors.New("cancel: no progress from the loop")
		}
		start := time.Now()
		cancel()
		<-returned
		for {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_run", Arguments: map[string]any{"session": session, "run": number}})
			if err != nil {
				return err
			}
			if !res.IsError {
				out, _ := res.StructuredContent.(map[string]any)
				result, _ := out["result"].(map[string]any)
				if result["outcome"] != string(run.OutcomeCanceled) {
					return fmt.Errorf("cancel: the loop was recorded as %v", result["outcome"])
				}
				break
			}
			if time.Since(start) > 10*time.Second {
				return errors.New("cancel: the run was never recorded")
			}
		}
		lat = append(lat, time.Since(start))
	}
	s := statsOf(lat)
	fmt.Fprintf(w, "### Cancel through MCP\n\nFrom the agent canceling a `while True: pass` request (over stdio, once progress shows fuel burning) to `get_run` finding the run recorded as canceled: median %s, p95 %s over %d cancels (each poll is itself a round trip, so this bounds the latency from above).\n\n", ms(s.median), ms(s.p95), s.n)
	return nil
}

// mcpScreenDelay measures the delay from a guest's print, in a run an
// agent started, to the line on the screen of a watching app: the app runs
// in tmux, the guest prints the wall-clock time it prints at, and the
// screen is read until the line shows.
func (b *bench) mcpScreenDelay(world *mcpWorld, w *strings.Builder) error {
	if _, err := exec.LookPath("tmux"); err != nil {
		return errors.New("the screen delay needs tmux (apt-get install tmux)")
	}
	ctx := context.Background()
	sock := fmt.Sprintf("wasmplay-bench-%d", os.Getpid())
	tmux := func(args ...string) ([]byte, error) {
		return exec.Command("tmux", append([]string{"-L", sock}, args...)...).Output()
	}
	app := world.command("--session", "watched")
	if _, err := tmux(append([]string{"new-session", "-d", "-s", "bench", "-x", "160", "-y", "50"}, shellQuote(app.Args)...)...); err != nil {
		return fmt.Errorf("start the app in tmux: %w", err)
	}
	defer tmux("kill-server")
	screen := func() string {
		out, _ := tmux("capture-pane", "-p", "-t", "bench")
		return string(out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(screen(), "session watched") {
		if time.Now().After(deadline) {
			return fmt.Errorf("the app never opened: %s", screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cs, err := world.stdioClient(ctx, nil)
	if err != nil {
		return err
	}
	defer cs.Close()
	if err := runCode(ctx, cs, "watched", "print('warm')"); err != nil {
		return err
	}
	var delays []time.Duration
	var captures []time.Duration
	n := b.reps(20, 4)
	for i := 0; i < n; i++ {
		mark := fmt.Sprintf("mark%03d", i)
		code := fmt.Sprintf("import time\nprint(%q, time.time_ns(), flush=True)\ntime.sleep(0.3)\n", mark)
		done := make(chan error, 1)
		go func() { done <- runCode(ctx, cs, "watched", code) }()
		re := regexp.MustCompile(mark + ` (\d{19})`)
		var seen time.Time
		var printed int64
		for seen.IsZero() {
			before := time.Now()
			s := screen()
			after := time.Now()
			captures = append(captures, after.Sub(before))
			if m := re.FindStringSubmatch(s); m != nil {
				seen = after // shown at the latest when this capture ended
				printed, _ = strconv.ParseInt(m[1], 10, 64)
			}
			if after.After(deadline.Add(time.Minute)) {
				return fmt.Errorf("%s never showed: %s", mark, s)
			}
		}
		if err := <-done; err != nil {
			return err
		}
		delays = append(delays, seen.Sub(time.Unix(0, printed)))
	}
	s, c := statsOf(delays), statsOf(captures)
	fmt.Fprintf(w, "### From a guest's `print` to the watching app's screen\n\nAn agent's run (`wasmplay mcp`, stdio) prints the wall-clock time; the app (in tmux, another process, following the live channel) is read with `tmux capture-pane` until the line shows, taking the end of the first capture that holds it (an upper bound): median %s, p95 %s, worst %s over %d runs (target: under 100 ms). One capture takes %s (median), which the figure can be late by.\n\n",
		ms(s.median), ms(s.p95), ms(s.max), s.n, ms(c.median))
	return nil
}

// shellQuote makes args one tmux command line.
func shellQuote(args []string) []string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return []string{strings.Join(quoted, " ")}
}
