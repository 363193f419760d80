package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/demos"
	"github.com/wasmplay/wasmplay/guidance"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/report"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/tui/editor"
)

// runStartedMsg says whether a run the user asked for has started.
type runStartedMsg struct {
	id   string // the session
	tab  *editorTab
	code []byte
	demo *demos.Demo
	run  *playground.Run
	err  error
}

// runEventMsg carries one event of a run in flight.
type runEventMsg struct {
	run *playground.Run
	ev  run.Event
}

// inputSentMsg reports input sent to (or end of input for) a run.
type inputSentMsg struct {
	run  *playground.Run
	text string // what was sent ("" with eof)
	eof  bool
	err  error
}

// startRun asks the playground to run the active tab of the current
// session. Starting reads the session (its limits and kept variables), so
// it happens in a command.
func (m *Model) startRun() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	if sv.run != nil || sv.starting {
		return m.setFlash("a run is already in flight in this session: "+m.keys.Cancel.Help().Key+" cancels it", true)
	}
	t := sv.activeTab()
	if t == nil {
		return nil
	}
	if t.approval != nil {
		return m.answerWithTab(sv, t, true) // it runs in the agent's process, shown here live
	}
	if t.pastRun != 0 {
		// A run from the history runs again as the person's own, from the
		// scratch tab; its record stays as it was.
		return m.do(editRunCmd(sv.sess, editRunIntent{n: t.pastRun, rerun: true}))
	}
	if _, code := m.deps.Playground.Registry().ForPath(t.path); t.path != "" && !code {
		// A data or text file (Markdown, CSV, ...) is never run as the
		// scratch buffer's language.
		return m.setFlash(fmt.Sprintf("/app/%s is not code wasmplay runs (%s): %s switches to the scratch tab or a code file",
			sanitize(t.path, 4), runnableExtensions(m.deps.Playground.Registry()), m.keys.PrevTab.Help().Key), true)
	}
	if msg := m.prep[t.runtime]; m.prepErr[t.runtime] {
		return m.setFlash(t.runtime+" is not available: "+msg, true)
	}
	code := []byte(t.ed.Value())
	demo := sv.demo
	sv.demo = nil
	if demo != nil && (demo.Code != string(code) || demo.Runtime != t.runtime) {
		demo = nil // edited since it was loaded: an ordinary run
	}
	req := playground.Request{Session: sv.sess, Runtime: t.runtime, Code: code, Interactive: true, Demo: demo,
		Origin: sessions.Origin{Kind: sessions.OriginPerson, Client: "wasmplay app"}}
	sv.starting = true
	var waiting tea.Cmd
	if len(sv.remotes) > 0 {
		// Runs in a session take turns (one quota, one set of kept
		// variables): this one starts when the other process's ends.
		waiting = m.setFlash("another run is in flight in this session ("+originLabel(sv.remotes[0].info.Origin)+
			"'s): yours starts when it ends", false)
	}
	pg, id := m.deps.Playground, sv.sess.ID()
	// Starting may wait for another run of the session (runs take turns):
	// the cancel key, closing the session and quitting withdraw it.
	ctx, withdraw := context.WithCancel(context.Background())
	sv.withdrawStart = withdraw
	start := func() tea.Msg {
		r, err := pg.Start(ctx, req)
		return runStartedMsg{id: id, tab: t, code: code, demo: demo, run: r, err: err}
	}
	return tea.Batch(m.do(start), m.autosaveTab(sv, t), waiting)
}

// runStarted shows a run that started (or why it did not) and follows it.
func (m *Model) runStarted(msg runStartedMsg) tea.Cmd {
	sv := m.views[msg.id]
	if sv == nil {
		if msg.run != nil {
			msg.run.Cancel() // the session was closed meanwhile
		}
		return nil
	}
	sv.starting = false
	sv.withdrawStart = nil
	if msg.err != nil && errors.Is(msg.err, context.Canceled) {
		return m.setFlash("the run you asked for was withdrawn before it started", false)
	}
	if msg.err != nil {
		return m.setFlash("cannot run: "+limitsMessage(msg.err), true)
	}
	r := msg.run
	sv.run, sv.runCode, sv.runRuntime, sv.runTab = r, msg.code, r.Runtime(), msg.tab
	m.runs[r] = sv
	if d := msg.demo; d != nil && d.Stdin != "" {
		sv.out.append(lineInput, r.ID(), "› "+strings.TrimSuffix(d.Stdin, "\n")+"   (typed by the demo)")
	}
	number := len(sv.runs.runs) + 1
	sv.out.append(lineHeader, r.ID(), fmt.Sprintf("▶ run %d · %s · %s", number, r.Runtime(), time.Now().Format("15:04:05")))
	sv.metrics.start(r.Limits(), r.KeepsVars(), run.VarNames(r.VarsBefore()))
	if msg.tab != nil {
		msg.tab.ed.SetMarks(nil)
	}
	cmds := []tea.Cmd{sv.out.setInput(true), listenRun(r)}
	if d := msg.demo; d != nil && d.Stdin != "" {
		// The demo types its own answer on stdin.
		cmds = append(cmds, m.do(sendInputCmd(r, d.Stdin, true)))
	}
	return tea.Batch(cmds...)
}

// listenRun waits for the next event of a run.
func listenRun(r *playground.Run) tea.Cmd {
	ch := r.Events()
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return nil
		}
		return runEventMsg{run: r, ev: ev}
	}
}

// sendInputCmd writes to a run's stdin, then ends it when eof; a guest
// that does not read makes the write fail in a moment instead of holding
// up the app.
func sendInputCmd(r *playground.Run, text string, eof bool) tea.Cmd {
	return func() tea.Msg {
		var err error
		if text != "" {
			err = r.SendInput([]byte(text))
		}
		if eof && err == nil {
			err = r.CloseInput()
		}
		if errors.Is(err, run.ErrInputClosed) && eof {
			err = nil
		}
		return inputSentMsg{run: r, text: text, eof: eof, err: err}
	}
}

// inputSent shows what was sent on a run's stdin.
func (m *Model) inputSent(msg inputSentMsg) tea.Cmd {
	sv := m.runs[msg.run]
	if sv == nil {
		return nil
	}
	if msg.err != nil {
		return m.setFlash("input not sent: "+msg.err.Error(), true)
	}
	// The guest echoes nothing (no terminal): show what was sent.
	if msg.text != "" && !msg.eof {
		sv.out.append(lineInput, msg.run.ID(), "› "+strings.TrimSuffix(msg.text, "\n"))
	}
	if msg.eof && msg.text == "" {
		sv.out.append(lineInput, msg.run.ID(), "[end of input]")
	}
	return nil
}

// cancelRun cancels the current session's run, or says how to quit.
func (m *Model) cancelRun() tea.Cmd {
	sv := m.current
	if sv != nil && sv.run == nil && sv.shownRemote() != nil {
		return m.cancelRemote(sv)
	}
	if sv != nil && sv.run == nil && sv.withdrawStart != nil {
		sv.withdrawStart()
		return m.setFlash("withdrawing the run that waits for its turn…", false)
	}
	if sv == nil || sv.run == nil {
		return m.setFlash("nothing is running · "+m.keys.Quit.Help().Key+" quits", false)
	}
	sv.run.Cancel()
	return m.setFlash("canceling the run…", false)
}

// handleRunEvent routes a run's event to its session.
func (m *Model) handleRunEvent(msg runEventMsg) tea.Cmd {
	sv := m.runs[msg.run]
	if sv == nil {
		return nil // a run of a session closed since
	}
	sv.showEvent(msg.ev.Run(), msg.ev)
	switch e := msg.ev.(type) {
	case run.Metrics:
		waiting := e.Activity == run.ActivityWaitingInput
		if waiting != sv.out.waiting {
			sv.out.waiting = waiting
			// The first time the guest waits for input, take the user to
			// the stdin line (and back when the run ends).
			if waiting && !sv.inputFocus && sv == m.current && m.focus != PaneOutput {
				sv.inputFocus, sv.focusBefore = true, m.focus
				m.setFocus(PaneOutput)
			}
		}
	case run.Finished:
		return m.runFinished(sv, msg.run.Wait())
	}
	return listenRun(msg.run)
}

// runFinished shows a run's summary, guidance and marks, and updates the
// runs list and the files.
func (m *Model) runFinished(sv *sessionView, o playground.Outcome) tea.Cmd {
	delete(m.runs, sv.run)
	res := o.Result
	id := res.ID
	sv.run = nil
	sv.out.closeOpen()
	cmds := []tea.Cmd{sv.out.setInput(false), m.do(listFilesCmd(sv.sess))}
	if sv.inputFocus {
		sv.inputFocus = false
		if sv == m.current && m.focus == PaneOutput {
			m.setFocus(sv.focusBefore)
		}
	}
	if o.RecordErr != nil {
		cmds = append(cmds, m.setFlash("the run was not recorded in the session history: "+o.RecordErr.Error(), true))
	}
	sv.last = &o
	sv.metrics.finish(res, o.Number)
	sv.files.markRun(res.Files)
	kind := lineSummary
	if !res.Success {
		kind = lineFailure
	}
	sv.out.append(kind, id, summaryText(res, o.Number))
	for _, w := range o.Warnings {
		sv.out.append(lineNote, id, "warning: "+w)
	}
	if res.StdoutTruncated || res.StderrTruncated {
		sv.out.append(lineNote, id, fmt.Sprintf("output truncated at the limits: kept %s of %s stdout, %s of %s stderr (F4 raises them)",
			run.FormatBytes(uint64(len(res.Stdout))), run.FormatBytes(uint64(res.StdoutBytes)),
			run.FormatBytes(uint64(len(res.Stderr))), run.FormatBytes(uint64(res.StderrBytes))))
	}
	for _, a := range o.Advice {
		sv.out.append(lineHint, id, "hint: "+a.Title+" — "+a.Cause)
		for _, step := range a.Steps {
			sv.out.append(lineHint, id, "  • "+step)
		}
	}
	if frames := guidance.UserFrames(string(res.Stderr), sv.runRuntime); !res.Success && len(frames) > 0 && sv.runTab != nil {
		sv.runTab.ed.SetMarks(frameMarks(frames))
		sv.runTab.frames, sv.runTab.frame = nil, -1
		for _, f := range frames {
			sv.runTab.frames = append(sv.runTab.frames, f.Line)
		}
		hint := fmt.Sprintf("line %d is marked in the editor · %s jumps to it", frames[0].Line, m.keys.JumpError.Help().Key)
		if n := len(frames) - 1; n > 0 {
			callers := "callers"
			if n == 1 {
				callers = "caller"
			}
			hint = fmt.Sprintf("line %d and its %d %s are marked in the editor · %s walks them, innermost first", frames[0].Line,
				n, callers, m.keys.JumpError.Help().Key)
		}
		sv.out.append(lineHint, id, hint)
	}
	if fa := o.Fuel; fa.Suggested > 0 {
		sv.out.append(lineHint, id, fmt.Sprintf("fuel %s: %s applies a budget of %s and runs again",
			fa.Band, m.keys.ApplyBudget.Help().Key, run.FormatFuel(fa.Suggested)))
	}
	if v := o.Verdict; v != nil {
		if v.Met {
			sv.out.append(lineSummary, id, "demo expectation met ✓ — "+v.Expect)
		} else {
			sv.out.append(lineFailure, id, "demo expectation NOT met ✗ — "+v.Why)
		}
	}
	if vo := o.Vars; vo != nil && vo.Report != nil {
		rep := vo.Report
		switch {
		case vo.SaveErr != nil:
			cmds = append(cmds, m.setFlash("the kept variables were not saved: "+vo.SaveErr.Error(), true))
		case vo.Saved:
			sv.out.append(lineNote, id, "kept for the next run: "+listOrNone(rep.Saved))
			if len(vo.Merged) > 0 {
				sv.out.append(lineNote, id, "also kept, changed meanwhile by another run: "+strings.Join(vo.Merged, ", "))
			}
		case rep.Problem != "":
			sv.out.append(lineNote, id, "variables: "+rep.Problem)
		}
		if len(rep.Skipped) > 0 {
			sv.out.append(lineNote, id, "not kept (not JSON-representable): "+strings.Join(rep.Skipped, ", "))
		}
	}
	if o.Number > 0 {
		rec := sessions.NewRecord(o.Code, o.Stdin, &o.Origin, res)
		rec.Number = o.Number
		sv.runs.add(rec.Summary())
	}
	return tea.Batch(cmds...)
}

// listOrNone joins names, or says there are none.
func listOrNone(names []string) string {
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}

// varsListedMsg delivers the variables a session keeps, per runtime.
type varsListedMsg struct {
	id   string
	vars map[string][]string
	err  error
}

// toggleKeepVars turns the session's "keep variables" switch.
func (m *Model) toggleKeepVars() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	sess := sv.sess
	on := !sess.Meta().KeepVars
	save := func() tea.Msg {
		if err := sess.SetKeepVars(on); err != nil {
			return flashMsg{text: err.Error(), err: true}
		}
		if !on {
			vars, err := keptVars(sess)
			return varsListedMsg{id: sess.ID(), vars: vars, err: err}
		}
		return flashMsg{text: "variables are kept between successful runs: Python's public globals, JavaScript's state object"}
	}
	return m.do(save)
}

// keptVars lists the variables a session keeps, per runtime.
func keptVars(sess *sessions.Session) (map[string][]string, error) {
	out := map[string][]string{}
	for _, rt := range runtimes.VarsRuntimes() {
		data, err := sess.LoadVars(rt)
		if err != nil {
			return nil, err
		}
		if names := run.VarNames(data); len(names) > 0 {
			out[rt] = names
		}
	}
	return out, nil
}

// varsListed offers to forget the variables kept, after keeping was
// turned off.
func (m *Model) varsListed(msg varsListedMsg) tea.Cmd {
	sv := m.views[msg.id]
	if sv == nil {
		return nil
	}
	if msg.err != nil {
		return m.setFlash("variables are no longer kept between runs; the kept ones could not be read: "+msg.err.Error(), true)
	}
	var names, kept []string
	for rt, n := range msg.vars {
		names = append(names, n...)
		kept = append(kept, rt)
	}
	if len(kept) == 0 {
		return m.setFlash("variables are no longer kept between runs", false)
	}
	slices.Sort(names)
	sess := sv.sess
	m.dialog = &confirmDialog{
		question: "Variables are no longer kept between runs.\n\nForget the ones kept so far (" + strings.Join(names, ", ") +
			")?\nNo keeps them for when you turn this back on.",
		yes: func(m *Model) tea.Cmd { return m.do(clearVarsCmd(sess, kept)) },
	}
	return m.setFlash("variables are no longer kept between runs", false)
}

// summaryText is the line that ends a run in the output pane.
func summaryText(res run.Result, number int) string {
	lead := outcomeIcon(res.Outcome) + " "
	if number > 0 {
		lead += fmt.Sprintf("run %d · ", number)
	}
	return lead + report.SummaryLine(res)
}

// sendInput writes a line to the current run's stdin, or ends it.
func (m *Model) sendInput(req *outputRequest) tea.Cmd {
	sv := m.current
	if sv == nil || sv.run == nil {
		return nil
	}
	if req.eof {
		return m.do(sendInputCmd(sv.run, "", true))
	}
	return m.do(sendInputCmd(sv.run, req.send, false))
}

// showRecord shows a past run from the history: its code in a read-only
// tab, what it read and printed in the output pane, its figures in the
// metrics pane.
func (m *Model) showRecord(msg runRecordMsg) tea.Cmd {
	sv := m.views[msg.id]
	if sv == nil {
		return nil
	}
	if msg.err != nil {
		return m.setFlash(msg.err.Error(), true)
	}
	rec := msg.rec
	res := rec.Result()
	id := run.ID(0)
	sv.out.pastRun = rec.Number
	defer func() { sv.out.pastRun = 0 }()
	sv.out.append(lineHeader, id, fmt.Sprintf("◆ run %d from the history · %s · %s", rec.Number, rec.Runtime,
		rec.StartedAt.Local().Format("2006-01-02 15:04:05")))
	l := rec.Limits
	sv.out.append(lineNote, id, fmt.Sprintf("limits: fuel %s · memory %s · time %s · stdout %s · stderr %s · code in the tab \"run %d\"",
		run.FormatFuel(l.FuelBudget), run.FormatBytes(l.MemoryBytes), run.FormatDuration(time.Duration(l.TimeoutMS)*time.Millisecond),
		run.FormatBytes(uint64(max(l.StdoutMaxBytes, 0))), run.FormatBytes(uint64(max(l.StderrMaxBytes, 0))), rec.Number))
	// What it read, then what it printed: the whole run.
	if rec.Stdin != "" {
		for _, l := range strings.Split(strings.TrimRight(rec.Stdin, "\n"), "\n") {
			sv.out.append(lineInput, id, "› "+l)
		}
	}
	if rec.Stdout != "" {
		sv.out.write(id, run.Stdout, []byte(rec.Stdout))
		sv.out.closeOpen()
	}
	if rec.Stderr != "" {
		sv.out.write(id, run.Stderr, []byte(rec.Stderr))
		sv.out.closeOpen()
	}
	kind := lineSummary
	if !res.Success {
		kind = lineFailure
	}
	sv.out.append(kind, id, summaryText(res, rec.Number))
	sv.metrics.showResult(res, rec.Number)
	// Reports and copies are of this run from now on: its own code,
	// input and figures.
	sv.last = &playground.Outcome{Result: res, Code: []byte(rec.Code), Stdin: []byte(rec.Stdin), Session: sv.sess,
		Number: rec.Number}
	if rec.Origin != nil {
		sv.last.Origin = *rec.Origin
	}
	sv.out.followOut = true
	sv.out.scrollToEnd()
	m.showPastRunTab(sv, rec)
	return m.setFlash(fmt.Sprintf("run %d: its code is in a read-only tab, its input and output in the output pane · %s edits it, %s runs it again (%s compares, in the runs pane)",
		rec.Number, m.keys.EditRun.Help().Key, m.keys.RerunRun.Help().Key, m.keys.DiffRuns.Help().Key), false)
}

// applySuggestedBudget sets the suggested fuel budget and runs again.
func (m *Model) applySuggestedBudget() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	s := sv.metrics.suggestedBudget()
	if s == 0 {
		return m.setFlash("no fuel suggestion: the last run used its budget comfortably", false)
	}
	if s <= sv.limits.FuelBudget {
		// The last run had a smaller budget of its own (a demo's): the
		// session's is already enough, and it is never lowered.
		return tea.Batch(m.setFlash(fmt.Sprintf("the session's budget, %s, is already at least the suggested %s: running again",
			run.FormatFuel(sv.limits.FuelBudget), run.FormatFuel(s)), false), m.startRun())
	}
	limits := sv.sess.Meta().Limits
	limits.FuelBudget = &s
	sv.limits.FuelBudget = s
	return tea.Sequence(m.do(saveLimitsCmd(m.deps.Playground, sv.sess, limits)), m.startRun())
}

// limitsSaved shows what a run gets after the session's limits changed.
func (m *Model) limitsSaved(msg limitsSavedMsg) tea.Cmd {
	sv := m.views[msg.id]
	if sv == nil {
		return nil
	}
	if msg.saveErr != nil {
		return m.setFlash("limits not saved: "+msg.saveErr.Error(), true)
	}
	sv.limits, sv.limitsErr = msg.limits, msg.err
	if sv.run == nil {
		sv.metrics.limits = run.LimitsOf(msg.limits)
	}
	if msg.err != nil {
		return m.setFlash("limits saved, but runs cannot start until they are fixed: "+limitsMessage(msg.err), true)
	}
	return m.setFlash("limits saved for this session", false)
}

// limitsMessage phrases the errors of starting a run for the app: limits
// by the names the F4 dialog gives them.
func limitsMessage(err error) string {
	return run.Phrase(err, func(src run.Source, f run.Field) string {
		name := limitLabel(f)
		switch src {
		case run.SourceConfig:
			return name + " in the config file (" + config.PolicyKey(f) + ")"
		case run.SourceSession:
			return name + " of this session (F4)"
		case run.SourceDemo:
			return "the demo's " + name
		}
		return name
	})
}

// prepared records that a runtime is loaded (or why it is not).
func (m *Model) prepared(msg preparedMsg) tea.Cmd {
	if msg.err != nil {
		m.prep[msg.runtime] = msg.err.Error()
		m.prepErr[msg.runtime] = true
		return m.setFlash(msg.runtime+" is not available: "+msg.err.Error(), true)
	}
	delete(m.prep, msg.runtime)
	if msg.took > 2*time.Second {
		return m.setFlash(fmt.Sprintf("%s compiled for this machine in %.1f s (cached from now on)", msg.runtime, msg.took.Seconds()), false)
	}
	return nil
}

// prepTickMsg refreshes the loading status of runtimes.
type prepTickMsg struct{}

func prepTick() tea.Cmd {
	return tea.Tick(500*time.Millisecond, func(time.Time) tea.Msg { return prepTickMsg{} })
}

// prepProgress shows how long runtimes have been loading: past a second
// it is a first-time compile, which takes seconds.
func (m *Model) prepProgress() tea.Cmd {
	pending := false
	for rt, status := range m.prep {
		if m.prepErr[rt] || status == "" {
			continue
		}
		pending = true
		if el := time.Since(m.prepStart); el > time.Second {
			m.prep[rt] = fmt.Sprintf("compiling for this machine, first use only: %.0f s", el.Seconds())
		}
	}
	if !pending {
		return nil
	}
	return prepTick()
}

// runnableExtensions lists the file extensions of the runtimes, for
// messages: ".py, .js, .mjs, .cjs, .wat".
func runnableExtensions(reg *runtimes.Registry) string {
	var exts []string
	for _, rt := range reg.All() {
		exts = append(exts, rt.Extensions...)
	}
	return strings.Join(exts, ", ")
}

// frameMarks marks every frame of a traceback in the user's code: the
// line that raised, and its callers (where the mistake usually is).
func frameMarks(frames []guidance.Location) []editor.Mark {
	marks := []editor.Mark{{Line: frames[0].Line, Kind: editor.Error, Message: frames[0].Message}}
	for i, f := range frames[1:] {
		marks = append(marks, editor.Mark{Line: f.Line, Kind: editor.Warning,
			Message: fmt.Sprintf("caller %d of %d on the way to line %d: %s", i+1, len(frames)-1, frames[0].Line, frames[0].Message)})
	}
	return marks
}
