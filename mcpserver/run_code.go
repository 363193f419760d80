package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/wasmplay/wasmplay/live"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/report"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/textsafe"
)

// RunCodeInput is run_code's arguments.
type RunCodeInput struct {
	Language      string       `json:"language" jsonschema:"python, javascript or wat (WebAssembly text); aliases such as py and js work"`
	Code          string       `json:"code" jsonschema:"the program"`
	Session       string       `json:"session,omitempty" jsonschema:"the session to run in (ID or name, from create_session or list_sessions); default: the session named agent"`
	Stdin         string       `json:"stdin,omitempty" jsonschema:"standard input; the program sees end-of-file after it"`
	Args          []string     `json:"args,omitempty" jsonschema:"arguments after the script (sys.argv[1:], scriptArgs)"`
	KeepVariables *bool        `json:"keep_variables,omitempty" jsonschema:"carry global variables in from the session's last kept run and keep this run's for the next; default: the session's switch"`
	Limits        *LimitsInput `json:"limits,omitempty" jsonschema:"limits for this run, within the server's ceilings (list_runtimes shows them)"`
	MaxOutput     string       `json:"max_output,omitempty" jsonschema:"how much of each output stream to put in the answer: its beginning and end, e.g. 16KiB (default 16KiB; the whole capped output is kept in the session)"`
}

// LimitsInput are a run's limits as people write them.
type LimitsInput struct {
	Fuel      string `json:"fuel,omitempty" jsonschema:"fuel budget (instructions): 500M, 5G, 5e9"`
	Memory    string `json:"memory,omitempty" jsonschema:"linear-memory cap: 64MiB, 1GiB"`
	Timeout   string `json:"timeout,omitempty" jsonschema:"wall-clock limit: 10s, 2m"`
	StdoutMax string `json:"stdout_max,omitempty" jsonschema:"stdout kept: 2MiB"`
	StderrMax string `json:"stderr_max,omitempty" jsonschema:"stderr kept: 1MiB"`
	Disk      string `json:"disk,omitempty" jsonschema:"the workspace's disk quota: 256MiB"`
	Files     string `json:"files,omitempty" jsonschema:"the workspace's quota of files, directories and links"`
}

// overrides turns the input into a layer of limits; errors name the
// argument.
func (l *LimitsInput) overrides() (run.Overrides, error) {
	var o run.Overrides
	if l == nil {
		return o, nil
	}
	for _, f := range []struct {
		name, text string
		field      run.Field
	}{
		{"fuel", l.Fuel, run.FieldFuel}, {"memory", l.Memory, run.FieldMemory}, {"timeout", l.Timeout, run.FieldTimeout},
		{"stdout_max", l.StdoutMax, run.FieldStdoutMax}, {"stderr_max", l.StderrMax, run.FieldStderrMax},
		{"disk", l.Disk, run.FieldDisk}, {"files", l.Files, run.FieldFiles},
	} {
		if f.text == "" {
			continue
		}
		if err := o.Set(f.field, f.text); err != nil {
			return o, fmt.Errorf("limits.%s: %q: %w", f.name, f.text, err)
		}
	}
	return o, nil
}

// RunCodeOutput is run_code's answer: the run's report (docs/REPORT.md;
// the code itself is left out unless the person edited it), where it was
// recorded, and what the person did.
type RunCodeOutput struct {
	Report report.Report `json:"report" jsonschema:"the run: outcome, exit code, output (beginning and end), fuel, memory, disk, time, files and advice"`
	// Session and Run say where the run was recorded.
	Session SessionRef `json:"session" jsonschema:"the session the run happened in"`
	Run     int        `json:"run" jsonschema:"the run's number in the session's history (0: not recorded); get_run reads it back"`
	// Files are the workspace files the run created or modified, as
	// resource URIs.
	Files []string `json:"files" jsonschema:"workspace:// URIs of the files the run created or modified"`
	// Approval says what the person did, when the run waited for one.
	Approval *ApprovalOutcome `json:"approval,omitempty" jsonschema:"present when the run waited for a person's approval"`
	// Warnings are what the run did that later runs will feel.
	Warnings []string `json:"warnings" jsonschema:"what this run did that later runs will feel (a file shadowing a standard-library module)"`
}

// SessionRef names a session.
type SessionRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// ApprovalOutcome is what the person answered.
type ApprovalOutcome struct {
	Approved bool   `json:"approved"`
	Edited   bool   `json:"edited" jsonschema:"the person changed the code before running it: report.code.text is what ran, diff shows the change"`
	Diff     string `json:"diff,omitempty" jsonschema:"a unified diff from the code sent to the code run"`
	Note     string `json:"note,omitempty" jsonschema:"the person's note"`
}

// defaultAnswerOutput is how much of each stream an answer carries.
const defaultAnswerOutput = 16 << 10

// progressInterval bounds the rate of progress notifications.
const progressInterval = 250 * time.Millisecond

func (s *Server) runCode(ctx context.Context, req *mcp.CallToolRequest, in RunCodeInput) (*mcp.CallToolResult, RunCodeOutput, error) {
	var out RunCodeOutput
	if len(in.Code) > MaxCodeBytes {
		return nil, out, fmt.Errorf("code: %s is more than the %s run_code takes", run.FormatBytes(uint64(len(in.Code))), run.FormatBytes(MaxCodeBytes))
	}
	limits, err := in.Limits.overrides()
	if err != nil {
		return nil, out, err
	}
	maxOutput := defaultAnswerOutput
	if in.MaxOutput != "" {
		n, err := run.ParseBytes(in.MaxOutput)
		if err != nil || n == 0 || n > uint64(run.MaxOutputBytes) {
			return nil, out, fmt.Errorf("max_output: %q: give a size such as 16KiB, at most %s", in.MaxOutput, run.FormatBytes(uint64(run.MaxOutputBytes)))
		}
		maxOutput = int(n)
	}
	rt, err := s.pg.Registry().Lookup(in.Language)
	if err != nil {
		return nil, out, fmt.Errorf("language: %w", err)
	}
	origin := originOf(req)
	sess, err := s.sessionFor(in.Session, rt.Name, origin)
	if err != nil {
		return nil, out, err
	}
	out.Session = SessionRef{ID: sess.ID(), Name: sess.Name()}

	code := []byte(in.Code)
	progress := newProgress(ctx, req)
	defer progress.stop()
	if s.approvalRequired(sess) {
		progress.say("waiting for a person to approve the run in the wasmplay app")
		decision, err := s.askApproval(ctx, sess, rt.Name, in.Code, origin)
		if err != nil {
			return nil, out, err
		}
		out.Approval = &ApprovalOutcome{Approved: decision.Approved, Edited: decision.Edited, Note: decision.Note}
		if !decision.Approved {
			msg := "the person watching the session refused the run"
			if decision.Note != "" {
				msg += ": " + decision.Note
			}
			return nil, out, errors.New(msg)
		}
		if decision.Edited {
			out.Approval.Diff = unifiedDiff(in.Code, decision.Code)
			code = []byte(decision.Code)
		}
	}

	r, err := s.pg.Start(ctx, playground.Request{Session: sess, Runtime: rt.Name, Code: code, Limits: limits,
		KeepVars: in.KeepVariables, Stdin: []byte(in.Stdin), Args: in.Args, Origin: origin, OnEvent: progress.event})
	if err != nil {
		return nil, out, startError(err)
	}
	o := r.Wait()
	progress.stop()

	rin := report.Input{Runtime: rt.Name, Code: code, Result: o.Result, Session: sess.String(), Run: o.Number, Origin: origin.String(),
		Advice: o.Advice, Fuel: o.Fuel, MaxOutputBytes: maxOutput}
	out.Report = report.NewReport(rin)
	if out.Approval == nil || !out.Approval.Edited {
		out.Report.Code.Text, out.Report.Code.TextBase64 = "", "" // the agent has it
	}
	out.Run = o.Number
	out.Warnings = append([]string{}, o.Warnings...)
	if o.RecordErr != nil {
		out.Warnings = append(out.Warnings, "the run was not recorded in the session's history: "+o.RecordErr.Error())
	}
	content := []mcp.Content{&mcp.TextContent{Text: answerText(out, o)}}
	out.Files = []string{}
	for _, list := range [][]run.FileChange{o.Result.Files.Created, o.Result.Files.Modified} {
		for _, f := range list {
			uri := workspaceURI(sess.ID(), f.Path)
			out.Files = append(out.Files, uri)
			size := f.Size
			content = append(content, &mcp.ResourceLink{URI: uri, Name: f.Path, MIMEType: mimeOf(f.Path), Size: &size})
		}
	}
	return &mcp.CallToolResult{Content: content}, out, nil
}

// answerText is the readable form of a run's answer: the summary line,
// the output, files and advice.
func answerText(out RunCodeOutput, o playground.Outcome) string {
	var b strings.Builder
	b.WriteString(textsafe.Line(out.Report.Headline) + "\n")
	b.WriteString(report.SummaryLine(o.Result))
	if out.Run > 0 {
		fmt.Fprintf(&b, " · session %s run %d", out.Session.ID, out.Run)
	}
	b.WriteString("\n")
	if out.Approval != nil && out.Approval.Edited {
		b.WriteString("\nThe person watching edited the code before running it:\n" + out.Approval.Diff)
		if out.Approval.Note != "" {
			b.WriteString("Their note: " + out.Approval.Note + "\n")
		}
	}
	for _, st := range []struct {
		name string
		s    report.StreamJSON
	}{{"stdout", out.Report.Stdout}, {"stderr", out.Report.Stderr}} {
		if st.s.Text == "" && st.s.Tail == "" {
			continue
		}
		fmt.Fprintf(&b, "\n--- %s\n%s", st.name, textsafe.Text(st.s.Text))
		if st.s.OmittedBytes > 0 {
			fmt.Fprintf(&b, "\n[… %d bytes omitted …]\n%s", st.s.OmittedBytes, textsafe.Text(st.s.Tail))
		}
		if !strings.HasSuffix(b.String(), "\n") {
			b.WriteString("\n")
		}
	}
	// Causes and warnings quote the guest (its exception, its file names).
	for _, a := range out.Report.Advice {
		fmt.Fprintf(&b, "\nAdvice (%s): %s. %s\n", a.ID, a.Title, textsafe.Line(a.Cause))
		for _, step := range a.Steps {
			b.WriteString("- " + textsafe.Line(step) + "\n")
		}
	}
	for _, w := range out.Warnings {
		b.WriteString("\nWarning: " + textsafe.Line(w) + "\n")
	}
	return b.String()
}

// approvalRequired says whether an agent's run in sess waits for a person.
func (s *Server) approvalRequired(sess *sessions.Session) bool {
	return s.opts.Policy.RequireApproval || sess.Meta().RequireApproval
}

// askApproval waits for the person's decision, within the approval
// timeout.
func (s *Server) askApproval(ctx context.Context, sess *sessions.Session, runtime, code string, origin sessions.Origin) (live.Decision, error) {
	if s.opts.Approver == nil {
		return live.Decision{}, live.ErrNobodyWatching
	}
	previous := ""
	if runs, err := sess.Runs(); err == nil && len(runs) > 0 {
		if rec, err := sess.Run(runs[len(runs)-1].Number); err == nil {
			previous = rec.Code
		}
	}
	deadline := s.opts.Now().Add(s.opts.Policy.ApprovalTimeout)
	actx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	d, err := s.opts.Approver.Approve(actx, live.ApprovalRequest{SessionID: sess.ID(), SessionName: sess.Name(),
		Runtime: runtime, Code: code, PreviousCode: previous, Origin: origin, Deadline: deadline})
	switch {
	case err == nil:
		return d, nil
	case ctx.Err() != nil:
		return d, fmt.Errorf("canceled while waiting for approval: %w", ctx.Err())
	case errors.Is(err, context.DeadlineExceeded):
		return d, fmt.Errorf("%w (%s)", live.ErrApprovalTimeout, s.opts.Policy.ApprovalTimeout)
	}
	return d, err
}

// startError phrases a refused request for the agent: the argument it
// names as the agent wrote it.
func startError(err error) error {
	var parts []string
	for _, e := range unjoin(err) {
		var le *run.LimitError
		var re *playground.RequestError
		var fe *run.FieldError
		switch {
		case errors.As(e, &le):
			name := "limits." + string(le.Field)
			switch le.Source {
			case run.SourceSession:
				name = "the session's own " + string(le.Field) + " limit"
			case run.SourceConfig:
				name = "the server's policy." + string(le.Field)
			case run.SourceCeiling:
				name = "the server's mcp." + string(le.Field) + " ceiling"
			}
			parts = append(parts, name+": "+le.Problem)
		case errors.As(e, &re):
			parts = append(parts, string(re.Field)+": "+re.Err.Error())
		case errors.As(e, &fe):
			parts = append(parts, fe.Error())
		default:
			parts = append(parts, e.Error())
		}
	}
	return errors.New(strings.Join(parts, "; "))
}

// unjoin lists the errors errors.Join put together (or err itself).
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// maxClientInfo bounds the client's name and version as recorded with
// every run.
const maxClientInfo = 100

// clip cuts s to at most n bytes, on a character boundary, marking a cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// originOf says which agent called, from the handshake or the request's
// metadata.
func originOf(req *mcp.CallToolRequest) sessions.Origin {
	o := sessions.Origin{Kind: sessions.OriginAgent, Client: "mcp client"}
	if info := req.ClientInfo(); info != nil {
		if info.Name != "" {
			o.Client = textsafe.Line(clip(info.Name, maxClientInfo))
		}
		o.Version = textsafe.Line(clip(info.Version, maxClientInfo))
	}
	return o
}

// progress sends a run's progress notifications, at most one per
// progressInterval, from its own goroutine: a client slow to read never
// slows the run.
type progress struct {
	ctx     context.Context
	req     *mcp.CallToolRequest
	token   any
	mu      sync.Mutex
	latest  *mcp.ProgressNotificationParams
	line    string
	kick    chan struct{} // something new to send
	quit    chan struct{} // closed by stop
	stopped sync.Once
}

func newProgress(ctx context.Context, req *mcp.CallToolRequest) *progress {
	p := &progress{ctx: ctx, req: req, kick: make(chan struct{}, 1), quit: make(chan struct{})}
	if req.Params != nil {
		p.token = req.Params.GetProgressToken()
	}
	if p.token != nil {
		go p.loop()
	}
	return p
}

// say sends a message with no figures (waiting for approval).
func (p *progress) say(msg string) {
	p.set(&mcp.ProgressNotificationParams{Message: msg})
}

// event takes a run event (on the run's goroutine: it only records it).
func (p *progress) event(ev run.Event) {
	if p.token == nil {
		return
	}
	switch ev := ev.(type) {
	case run.Output:
		for _, c := range ev.Chunks {
			p.noteLine(c.Data)
		}
	case run.Metrics:
		p.mu.Lock()
		line := p.line
		p.mu.Unlock()
		p.set(&mcp.ProgressNotificationParams{Progress: float64(ev.FuelConsumed), Total: float64(ev.FuelBudget), Message: line})
	case run.Queued:
		p.set(&mcp.ProgressNotificationParams{Message: fmt.Sprintf("queued: position %d", ev.Position)})
	}
}

// noteLine keeps the latest complete (or partial) output line.
func (p *progress) noteLine(data []byte) {
	text := strings.TrimRight(string(data), "\n")
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[i+1:]
	}
	if text == "" {
		return
	}
	if len(text) > 200 {
		text = text[:200]
	}
	p.mu.Lock()
	p.line = textsafe.Line(strings.ToValidUTF8(text, "\uFFFD"))
	p.mu.Unlock()
}

func (p *progress) set(params *mcp.ProgressNotificationParams) {
	if p.token == nil {
		return
	}
	p.mu.Lock()
	p.latest = params
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *progress) loop() {
	var last float64
	for {
		select {
		case <-p.kick:
		case <-p.quit:
			return
		case <-p.ctx.Done():
			return
		}
		p.mu.Lock()
		params := p.latest
		p.mu.Unlock()
		if params == nil {
			continue
		}
		// Progress must increase; a message alone carries the last figure.
		if params.Progress < last {
			params.Progress = last
		}
		last = params.Progress
		params.ProgressToken = p.token
		_ = p.req.Session.NotifyProgress(p.ctx, params)
		select {
		case <-time.After(progressInterval):
		case <-p.quit:
			return
		case <-p.ctx.Done():
			return
		}
	}
}

// stop ends the notifications (idempotent); the answer follows.
func (p *progress) stop() { p.stopped.Do(func() { close(p.quit) }) }
