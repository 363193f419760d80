package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/live"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
	"github.com/wasmplay/wasmplay/sessions"
)

var (
	localOnce sync.Once
	local     *sandbox.Local
	localErr  error
)

func testLocal(t *testing.T) *sandbox.Local {
	t.Helper()
	localOnce.Do(func() {
		var reg *runtimes.Registry
		if reg, localErr = runtimes.NewRegistry(testenv.BinDir(), nil); localErr == nil {
			local, localErr = sandbox.NewLocal(reg, testenv.CacheDir())
		}
	})
	if localErr != nil {
		t.Fatal(localErr)
	}
	testenv.Need(t, local.Registry().ArtifactPath(must(local.Registry().Lookup("python"))), "the python runtime", "make runtimes")
	return local
}

func must[T any](v T, e error) T {
	if e != nil {
		panic(e)
	}
	return v
}

// fixture is a server on a fresh store, and a client connected to it.
type fixture struct {
	t        *testing.T
	store    *sessions.Store
	server   *Server
	client   *mcp.ClientSession
	progress chan *mcp.ProgressNotificationParams
	// hangUp closes the client's side of the connection, as an agent
	// that dies does; served is closed when ServeStdio has returned.
	hangUp func()
	served chan struct{}
}

func newFixture(t *testing.T, edit func(*config.MCPConfig), approver Approver) *fixture {
	t.Helper()
	srv, _ := newTestServer(t, edit, approver)
	return newFixtureFor(t, srv)
}

// newFixtureFor connects a client to srv.
func newFixtureFor(t *testing.T, srv *Server) *fixture {
	t.Helper()
	f := &fixture{t: t, store: srv.store, server: srv, progress: make(chan *mcp.ProgressNotificationParams, 1000)}
	// The client talks to ServeStdio over pipes, as an agent does.
	ctx, stop := context.WithCancel(context.Background())
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	f.served = make(chan struct{})
	go func() {
		srv.ServeStdio(ctx, toServer, fromServer)
		close(f.served)
	}()
	f.hangUp = func() { fromClient.Close() }
	t.Cleanup(func() {
		stop()
		fromClient.Close()
		<-f.served
	})
	ct := &mcp.IOTransport{Reader: toClient, Writer: fromClient, MaxLineLength: MaxMessageBytes}
	client := mcp.NewClient(&mcp.Implementation{Name: "test-agent", Version: "9.9"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			select {
			case f.progress <- req.Params:
			default:
			}
		}})
	var e error
	f.client, e = client.Connect(ctx, ct, nil)
	if e != nil {
		t.Fatal(e)
	}
	t.Cleanup(func() { f.client.Close() })
	return f
}

// newTestServer is a server on a fresh store, with the MCP settings edit
// makes.
func newTestServer(t *testing.T, edit func(*config.MCPConfig), approver Approver) (*Server, *sessions.Store) {
	t.Helper()
	return newTestServerOn(t, testLocal(t), edit, approver)
}

// newTestServerOn is newTestServer running its code on l.
func newTestServerOn(t *testing.T, l *sandbox.Local, edit func(*config.MCPConfig), approver Approver) (*Server, *sessions.Store) {
	t.Helper()
	store, e := sessions.Open(t.TempDir(), sessions.Options{})
	if e != nil {
		t.Fatal(e)
	}
	cfg := config.MCPConfig{}
	if edit != nil {
		edit(&cfg)
	}
	policy, e := cfg.Policy()
	if e != nil {
		t.Fatal(e)
	}
	rn, e := runner.New(runner.Config{Executor: l, Slots: 2})
	if e != nil {
		t.Fatal(e)
	}
	t.Cleanup(func() { rn.Close(context.Background()) })
	pg, e := playground.New(playground.Options{Runner: rn, Registry: l.Registry(), Store: store, Ceilings: policy.Ceilings})
	if e != nil {
		t.Fatal(e)
	}
	srv, e := New(Options{Playground: pg, Policy: policy, Approver: approver, Version: "test"})
	if e != nil {
		t.Fatal(e)
	}
	return srv, store
}

// call calls a tool and decodes its structured content into out (when
// not nil); it returns the result.
func (f *fixture) call(ctx context.Context, name string, args any, out any) *mcp.CallToolResult {
	f.t.Helper()
	res, e := f.client.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if e != nil {
		f.t.Fatalf("%s: protocol error: %v", name, e)
	}
	if out != nil && !res.IsError {
		data, _ := json.Marshal(res.StructuredContent)
		if e := json.Unmarshal(data, out); e != nil {
			f.t.Fatalf("%s: structured content %s: %v", name, data, e)
		}
	}
	return res
}

// errorText is the text of an error result ("" when it is not one).
func errorText(res *mcp.CallToolResult) string {
	if !res.IsError {
		return ""
	}
	return toText(res)
}

func TestTools_ListedInOrderWithSchemas(t *testing.T) {
	f := newFixture(t, nil, nil)
	res, e := f.client.ListTools(context.Background(), nil)
	if e != nil {
		t.Fatal(e)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		if tool.InputSchema == nil || tool.OutputSchema == nil || tool.Annotations == nil || tool.Description == "" {
			t.Errorf("%s lacks a schema, annotations or a description", tool.Name)
		}
	}
	want := slices.Sorted(slices.Values(ToolNames)) // the SDK lists tools by name
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("tools %v, want %v", names, want)
	}
}

func TestRunCode_AnswersWithTheRun(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	var sess SessionInfo
	f.call(ctx, "create_session", map[string]any{"name": "work", "language": "python"}, &sess)
	f.call(ctx, "write_file", map[string]any{"session": "work", "path": "in/data.txt", "content": "21"}, nil)
	var out RunCodeOutput
	res := f.call(ctx, "run_code", map[string]any{"language": "python", "session": "work",
		"code": "n = int(open('/app/in/data.txt').read())\nopen('/app/out.txt', 'w').write(str(n * 2))\nprint('doubled', n * 2)"}, &out)
	if res.IsError {
		t.Fatalf("run_code failed: %s", errorText(res))
	}
	r := out.Report
	if r.Outcome != "ok" || r.Stdout.Text != "doubled 42\n" || out.Run != 1 || out.Session.ID != sess.ID || r.Fuel.Consumed == 0 {
		t.Fatalf("answer: outcome %s stdout %q run %d session %+v fuel %d", r.Outcome, r.Stdout.Text, out.Run, out.Session, r.Fuel.Consumed)
	}
	if r.Code.Text != "" {
		t.Error("the answer echoes the agent's own code back")
	}
	want := workspaceURI(sess.ID, "out.txt")
	if len(out.Files) != 1 || out.Files[0] != want {
		t.Fatalf("files %v, want [%s]", out.Files, want)
	}
	var link *mcp.ResourceLink
	for _, c := range res.Content {
		if l, ok := c.(*mcp.ResourceLink); ok {
			link = l
		}
	}
	if link == nil || link.URI != want {
		t.Fatalf("no resource link to %s in %v", want, res.Content)
	}
	rr, e := f.client.ReadResource(ctx, &mcp.ReadResourceParams{URI: want})
	if e != nil || len(rr.Contents) != 1 || rr.Contents[0].Text != "42" {
		t.Fatalf("read %s: %+v, %v", want, rr, e)
	}
	var file ReadFileOutput
	f.call(ctx, "read_file", map[string]any{"session": "work", "path": "out.txt"}, &file)
	if file.Content != "42" || file.Encoding != "text" {
		t.Errorf("read_file: %+v", file)
	}
	// The run is recorded as the agent's.
	var rec RunRecordOutput
	f.call(ctx, "get_run", map[string]any{"session": "work"}, &rec)
	if rec.Number != 1 || rec.Origin != "agent (test-agent 9.9)" || !strings.Contains(rec.Code, "doubled") {
		t.Errorf("get_run: number %d origin %q", rec.Number, rec.Origin)
	}
}

func TestRunCode_DefaultSessionAndAdvice(t *testing.T) {
	f := newFixture(t, nil, nil)
	var out RunCodeOutput
	f.call(context.Background(), "run_code", map[string]any{"language": "py", "code": "import numpy"}, &out)
	if out.Session.ID != DefaultSession || out.Report.Outcome != "exit_nonzero" || len(out.Report.Advice) == 0 ||
		out.Report.Advice[0].ID != "missing_module" {
		t.Fatalf("session %s outcome %s advice %+v", out.Session.ID, out.Report.Outcome, out.Report.Advice)
	}
}

func TestTools_BadInput(t *testing.T) {
	f := newFixture(t, func(c *config.MCPConfig) {
		c.MaxFuel, c.MaxSessions = "1G", intp(2)
	}, nil)
	ctx := context.Background()
	f.call(ctx, "create_session", map[string]any{"name": "one"}, nil)
	tests := []struct {
		name string
		tool string
		args map[string]any
		want string
	}{
		{"unknown argument", "run_code", map[string]any{"language": "python", "code": "1", "sesion": "x"}, "sesion"},
		{"mistyped argument", "run_code", map[string]any{"language": "python", "code": 1}, "code"},
		{"missing argument", "run_code", map[string]any{"language": "python"}, "code"},
		{"unknown language", "run_code", map[string]any{"language": "cobol", "code": "1"}, "cobol"},
		{"code over the cap", "run_code", map[string]any{"language": "python", "code": strings.Repeat("#", MaxCodeBytes+1)}, "code"},
		{"fuel above the ceiling", "run_code", map[string]any{"language": "python", "code": "1", "limits": map[string]any{"fuel": "5G"}}, "ceiling"},
		{"limit that does not parse", "run_code", map[string]any{"language": "python", "code": "1", "limits": map[string]any{"memory": "lots"}}, "limits.memory"},
		{"session with ..", "run_code", map[string]any{"language": "python", "code": "1", "session": "../x"}, "session"},
		{"session with /", "list_files", map[string]any{"session": "a/b"}, "session"},
		{"missing session", "read_file", map[string]any{"session": "nope", "path": "x"}, "no session"},
		{"path outside the workspace", "write_file", map[string]any{"session": "one", "path": "../escape.txt", "content": "x"}, "path"},
		{"absolute path", "read_file", map[string]any{"session": "one", "path": "/etc/passwd"}, "path"},
		{"write over the cap", "write_file", map[string]any{"session": "one", "path": "big", "content": strings.Repeat("x", MaxWriteBytes+1)}, "write_file takes"},
		{"path deeper than a workspace holds", "write_file", map[string]any{"session": "one", "path": strings.Repeat("a/", 200) + "f", "content": "x"}, "deeper than 128"},
		{"name longer than a file system takes", "write_file", map[string]any{"session": "one", "path": strings.Repeat("n", 300), "content": "x"}, "longer than 255"},
		{"bad base64", "write_file", map[string]any{"session": "one", "path": "b", "content": "%%%", "encoding": "base64"}, "base64"},
		{"missing run", "get_run", map[string]any{"session": "one", "run": 7}, "no run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, e := f.client.CallTool(ctx, &mcp.CallToolParams{Name: tt.tool, Arguments: tt.args})
			text := ""
			switch {
			case e != nil:
				text = e.Error()
			case res.IsError:
				text = errorText(res)
			default:
				t.Fatalf("%s succeeded", tt.tool)
			}
			if !strings.Contains(text, tt.want) {
				t.Fatalf("error %q does not name %q", text, tt.want)
			}
		})
	}
	// More sessions than allowed: one exists, the default makes two.
	f.call(ctx, "run_code", map[string]any{"language": "python", "code": "1"}, nil)
	if res := f.call(ctx, "create_session", map[string]any{"name": "three"}, nil); !strings.Contains(errorText(res), "mcp.max_sessions") {
		t.Errorf("a third session: %q", errorText(res))
	}
	// The server is still up.
	var out RunCodeOutput
	f.call(ctx, "run_code", map[string]any{"language": "python", "code": "print(1)"}, &out)
	if out.Report.Outcome != "ok" {
		t.Fatalf("after bad input: %s", out.Report.Outcome)
	}
}

func intp(n int) *int { return &n }

func TestSessions_Tools(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	var a SessionInfo
	f.call(ctx, "create_session", map[string]any{"name": "alpha"}, &a)
	if !a.CreatedByAgent {
		t.Error("the agent's session is not marked as the agent's")
	}
	f.call(ctx, "write_file", map[string]any{"session": "alpha", "path": "x.bin", "content": "AAEC/w==", "encoding": "base64"}, nil)
	var file ReadFileOutput
	f.call(ctx, "read_file", map[string]any{"session": "alpha", "path": "x.bin"}, &file)
	if file.Encoding != "base64" || file.Content != "AAEC/w==" {
		t.Errorf("binary read back: %+v", file)
	}
	var files ListFilesOutput
	f.call(ctx, "list_files", map[string]any{"session": "alpha"}, &files)
	if len(files.Files) != 1 || files.Files[0].Path != "x.bin" {
		t.Errorf("list_files: %+v", files)
	}
	f.call(ctx, "reset_workspace", map[string]any{"session": "alpha"}, nil)
	f.call(ctx, "list_files", map[string]any{"session": "alpha"}, &files)
	if len(files.Files) != 0 {
		t.Errorf("after reset: %+v", files.Files)
	}
	// A session a person has open in the app (another process: another
	// store) is not deleted under them.
	app, e := sessions.Open(f.store.Root(), sessions.Options{})
	if e != nil {
		t.Fatal(e)
	}
	sess, _ := app.Resolve("alpha")
	release, e := sess.AcquireOwner()
	if e != nil {
		t.Fatal(e)
	}
	if res := f.call(ctx, "delete_session", map[string]any{"session": "alpha"}, nil); !strings.Contains(errorText(res), "open in a wasmplay app") {
		t.Errorf("delete of an owned session: %q", errorText(res))
	}
	release()
	var done DoneOutput
	f.call(ctx, "delete_session", map[string]any{"session": "alpha"}, &done)
	var list ListSessionsOutput
	f.call(ctx, "list_sessions", struct{}{}, &list)
	if !done.Done || len(list.Sessions) != 0 {
		t.Errorf("after delete: %+v, %+v", done, list)
	}
}

func TestRunCode_DeletingSessionsIsOff(t *testing.T) {
	off := false
	f := newFixture(t, func(c *config.MCPConfig) { c.AllowDeleteSessions = &off; c.AllowCreateSessions = &off }, nil)
	ctx := context.Background()
	if res := f.call(ctx, "create_session", map[string]any{}, nil); !strings.Contains(errorText(res), "allow_create_sessions") {
		t.Errorf("create: %q", errorText(res))
	}
	if res := f.call(ctx, "run_code", map[string]any{"language": "python", "code": "1"}, nil); !strings.Contains(errorText(res), "allow_create_sessions") {
		t.Errorf("the default session made anyway: %q", errorText(res))
	}
	f.store.Create(sessions.CreateOptions{ID: "mine"})
	if res := f.call(ctx, "delete_session", map[string]any{"session": "mine"}, nil); !strings.Contains(errorText(res), "allow_delete_sessions") {
		t.Errorf("delete: %q", errorText(res))
	}
}

func TestRunCode_ProgressAndCancel(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, _ := f.client.CallTool(ctx, &mcp.CallToolParams{Name: "run_code", Arguments: map[string]any{"language": "python",
			"session": "", "code": "print('started', flush=True)\nwhile True: pass", "limits": map[string]any{"fuel": "50G"}},
			Meta: mcp.Meta{"progressToken": "p1"}})
		done <- res
	}()
	// Progress comes: fuel rising against the budget, the latest line.
	deadline := time.After(20 * time.Second)
	for seen := false; !seen; {
		select {
		case p := <-f.progress:
			seen = p.Total == 50e9 && p.Progress > 0 && p.Message == "started"
		case <-deadline:
			t.Fatal("no progress notification with fuel and the output line")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the canceled call did not end")
	}
	// The run is recorded as canceled.
	sess, e := f.store.Resolve(DefaultSession)
	if e != nil {
		t.Fatal(e)
	}
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		if runs, _ := sess.Runs(); len(runs) == 1 {
			if runs[0].Outcome != "canceled" {
				t.Fatalf("recorded %s", runs[0].Outcome)
			}
			return
		}
	}
	t.Fatal("the canceled run was not recorded")
}

// An agent that goes away mid-run (its end of the connection closes)
// cancels the run, which is recorded as canceled, and ServeStdio returns.
func TestRunCode_ClientGoesAway(t *testing.T) {
	f := newFixture(t, nil, nil)
	go f.client.CallTool(context.Background(), &mcp.CallToolParams{Name: "run_code", Arguments: map[string]any{"language": "python",
		"code": "while True: pass", "limits": map[string]any{"fuel": "50G"}}, Meta: mcp.Meta{"progressToken": "p1"}})
	for deadline := time.After(20 * time.Second); ; {
		select {
		case p := <-f.progress:
			if p.Progress == 0 {
				continue
			}
		case <-deadline:
			t.Fatal("no progress from the loop")
		}
		break
	}
	f.hangUp()
	select {
	case <-f.served:
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStdio did not return after the client went away")
	}
	sess, e := f.store.Resolve(DefaultSession)
	if e != nil {
		t.Fatal(e)
	}
	runs, e := sess.Runs()
	if e != nil || len(runs) != 1 || runs[0].Outcome != run.OutcomeCanceled {
		t.Fatalf("runs %+v %v, want one canceled", runs, e)
	}
}

func TestRunCode_ManyAtOnce(t *testing.T) {
	f := newFixture(t, nil, nil)
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out RunCodeOutput
			res := f.call(context.Background(), "run_code", map[string]any{"language": "python", "code": fmt.Sprintf("print(%d)", i)}, &out)
			if res.IsError || out.Report.Stdout.Text != fmt.Sprintf("%d\n", i) {
				errs <- fmt.Sprintf("call %d: %s %q", i, errorText(res), out.Report.Stdout.Text)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	sess, _ := f.store.Resolve(DefaultSession)
	if runs, _ := sess.Runs(); len(runs) != 20 {
		t.Errorf("%d runs recorded, want 20", len(runs))
	}
}

// approver answers approval requests as a test tells it.
type approver struct {
	decide func(live.ApprovalRequest) (live.Decision, error)
	asked  chan live.ApprovalRequest
}

func (a *approver) Approve(ctx context.Context, req live.ApprovalRequest) (live.Decision, error) {
	a.asked <- req
	return a.decide(req)
}

func TestRunCode_Approval(t *testing.T) {
	yesApproval := true
	a := &approver{asked: make(chan live.ApprovalRequest, 10)}
	f := newFixture(t, func(c *config.MCPConfig) { c.RequireApproval = &yesApproval }, a)
	ctx := context.Background()

	a.decide = func(r live.ApprovalRequest) (live.Decision, error) {
		return live.Decision{Approved: true, Code: strings.Replace(r.Code, "1", "2", 1), Edited: true, Note: "two is better"}, nil
	}
	var out RunCodeOutput
	f.call(ctx, "run_code", map[string]any{"language": "python", "code": "print(1)"}, &out)
	if out.Report.Stdout.Text != "2\n" || out.Approval == nil || !out.Approval.Edited || !strings.Contains(out.Approval.Diff, "+print(2)") ||
		out.Report.Code.Text != "print(2)" || out.Approval.Note != "two is better" {
		t.Fatalf("edited run: stdout %q approval %+v code %q", out.Report.Stdout.Text, out.Approval, out.Report.Code.Text)
	}
	if req := <-a.asked; req.Code != "print(1)" || req.Origin.Client != "test-agent" {
		t.Errorf("the request: %+v", req)
	}

	a.decide = func(live.ApprovalRequest) (live.Decision, error) {
		return live.Decision{Note: "no network code please"}, nil
	}
	res := f.call(ctx, "run_code", map[string]any{"language": "python", "code": "print(3)"}, nil)
	if !strings.Contains(errorText(res), "refused the run: no network code please") {
		t.Errorf("refusal: %q", errorText(res))
	}
	if req := <-a.asked; !strings.Contains(req.PreviousCode, "print(2)") {
		t.Errorf("the previous run's code, for the diff: %q", req.PreviousCode)
	}

	a.decide = func(live.ApprovalRequest) (live.Decision, error) { return live.Decision{}, live.ErrNobodyWatching }
	if res := f.call(ctx, "run_code", map[string]any{"language": "python", "code": "print(4)"}, nil); !strings.Contains(errorText(res), "no wasmplay app is watching") {
		t.Errorf("nobody watching: %q", errorText(res))
	}
	sess, _ := f.store.Resolve(DefaultSession)
	if runs, _ := sess.Runs(); len(runs) != 1 {
		t.Errorf("%d runs recorded; refused runs must not run", len(runs))
	}
}

// Deleting (or resetting) a session while a run is in flight in it is
// refused with a clear error; the run goes on, is answered and recorded,
// and the session can be deleted once it is over.
func TestRunCode_SessionDeletedMidRun(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	f.call(ctx, "create_session", map[string]any{"name": "busy"}, nil)
	done := make(chan RunCodeOutput, 1)
	go func() {
		var out RunCodeOutput
		res, e := f.client.CallTool(ctx, &mcp.CallToolParams{Name: "run_code", Arguments: map[string]any{"language": "python", "session": "busy",
			"code": "import time\nprint('up', flush=True)\ntime.sleep(1.5)\nprint('done')"}, Meta: mcp.Meta{"progressToken": "p1"}})
		if e == nil && !res.IsError {
			data, _ := json.Marshal(res.StructuredContent)
			json.Unmarshal(data, &out)
		}
		done <- out
	}()
	for deadline := time.After(20 * time.Second); ; {
		select {
		case p := <-f.progress:
			if p.Message != "up" {
				continue
			}
		case <-deadline:
			t.Fatal("the run never printed")
		}
		break
	}
	for _, tool := range []string{"delete_session", "reset_workspace"} {
		res := f.call(ctx, tool, map[string]any{"session": "busy"}, nil)
		if text := errorText(res); !strings.Contains(text, "run in progress") {
			t.Errorf("%s mid-run: %q, want a refusal naming the run in progress", tool, text)
		}
	}
	out := <-done
	if out.Report.Outcome != "ok" || out.Report.Stdout.Text != "up\ndone\n" || out.Run != 1 {
		t.Fatalf("the run: outcome %s stdout %q run %d", out.Report.Outcome, out.Report.Stdout.Text, out.Run)
	}
	var gone DoneOutput
	if res := f.call(ctx, "delete_session", map[string]any{"session": "busy"}, &gone); res.IsError || !gone.Done {
		t.Fatalf("delete after the run: %s", errorText(res))
	}
}

// A language this machine has not built is answered with what to do, and
// listed as unavailable; the languages that are built still run.
func TestRunCode_LanguageNotBuilt(t *testing.T) {
	testLocal(t)
	bin := t.TempDir()
	for _, name := range []string{"runtimes.json", "python", "packages"} {
		if e := os.Symlink(filepath.Join(testenv.BinDir(), name), filepath.Join(bin, name)); e != nil {
			t.Fatal(e)
		}
	}
	reg, e := runtimes.NewRegistry(bin, nil)
	if e != nil {
		t.Fatal(e)
	}
	l, e := sandbox.NewLocal(reg, testenv.CacheDir())
	if e != nil {
		t.Fatal(e)
	}
	srv, _ := newTestServerOn(t, l, nil, nil)
	f := newFixtureFor(t, srv)
	ctx := context.Background()
	res := f.call(ctx, "run_code", map[string]any{"language": "javascript", "code": "console.log(1)"}, nil)
	if text := errorText(res); !strings.Contains(text, "javascript") || !strings.Contains(text, "make runtimes") {
		t.Errorf("run_code in an unbuilt language: %q, want what to build", text)
	}
	var rts ListRuntimesOutput
	f.call(ctx, "list_runtimes", struct{}{}, &rts)
	for _, rt := range rts.Runtimes {
		if rt.Name == "javascript" && (rt.Available || !strings.Contains(rt.Problem, "not built")) {
			t.Errorf("list_runtimes: %+v", rt)
		}
	}
	var out RunCodeOutput
	if f.call(ctx, "run_code", map[string]any{"language": "python", "code": "print(1)"}, &out); out.Report.Outcome != "ok" {
		t.Errorf("python after: %s", out.Report.Outcome)
	}
}
