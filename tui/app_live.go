package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/pmezard/go-difflib/difflib"

	"github.com/wasmplay/wasmplay/live"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
)

// The app watches the other processes that run code in its sessions (an
// agent's `wasmplay mcp`): their runs show live in the session's panes,
// marked as theirs; the person cancels them, and answers their requests
// for approval.

// liveMsg is one message from another process.
type liveMsg struct{ m live.Message }

// listenLive waits for the next message.
func listenLive(w *live.Watcher) tea.Cmd {
	ch := w.Messages()
	return func() tea.Msg {
		m, ok := <-ch
		if !ok {
			return nil
		}
		return liveMsg{m}
	}
}

// remoteRun is another process's run shown in a session.
type remoteRun struct {
	info  live.RunInfo
	id    run.ID // the output pane's name for it
	shown bool   // its output is in the panes (no run of the person's was in flight)
}

// remoteIDBase keeps the output pane's IDs of other processes' runs apart
// from the runner's own.
const remoteIDBase = run.ID(1) << 62

// runsReloadedMsg delivers a session's history after another process
// added to it.
type runsReloadedMsg struct {
	id   string
	runs []sessions.RunSummary
	err  error
}

func reloadRunsCmd(sess *sessions.Session) tea.Cmd {
	return func() tea.Msg {
		runs, err := sess.Runs()
		return runsReloadedMsg{id: sess.ID(), runs: runs, err: err}
	}
}

// handleLive routes a message from another process.
func (m *Model) handleLive(msg liveMsg) tea.Cmd {
	next := listenLive(m.deps.Live)
	lm := msg.m
	switch lm.Op {
	case live.OpBegin:
		return tea.Batch(next, m.remoteBegin(*lm.Run))
	case live.OpEvent:
		m.remoteEvent(lm)
	case live.OpEnd:
		return tea.Batch(next, m.remoteEnd(lm))
	case live.OpApprove:
		if lm.Request != nil {
			m.approvals = append(m.approvals, *lm.Request)
			return tea.Batch(next, m.nextApproval())
		}
	case live.OpApprovalClosed:
		return tea.Batch(next, m.approvalClosed(lm.ID, lm.Closed))
	case live.OpGone:
		// Runs that ended before this app saw them are in the history.
		if sv := m.current; sv != nil && sv.sess != nil {
			return tea.Batch(next, m.do(reloadRunsCmd(sv.sess)), m.do(listFilesCmd(sv.sess)))
		}
	}
	return next
}

// originLabel names who runs, for the panes: "agent claude-code 1.2".
func originLabel(o sessions.Origin) string {
	label := o.Kind
	if o.Client != "" {
		label += " " + o.Client
		if o.Version != "" {
			label += " " + o.Version
		}
	}
	return label
}

func (m *Model) remoteBegin(info live.RunInfo) tea.Cmd {
	sv := m.views[info.SessionID]
	if sv == nil {
		return nil
	}
	m.nextRemote++
	rr := &remoteRun{info: info, id: remoteIDBase + run.ID(m.nextRemote)}
	sv.remotes = append(sv.remotes, rr)
	if sv.run != nil || sv.starting || sv.shownRemote() != nil {
		// The panes follow the person's own run (or an earlier one).
		return m.setFlash(fmt.Sprintf("%s started a run in session %s (shown when the panes are free)", originLabel(info.Origin), sv.sess), false)
	}
	rr.shown = true
	sv.out.append(lineHeader, rr.id, fmt.Sprintf("▶ %s run · %s · %s · %s cancels it", originLabel(info.Origin), info.Runtime,
		info.Began.Local().Format("15:04:05"), m.keys.Cancel.Help().Key))
	sv.metrics.start(info.Limits, false, nil)
	if sv == m.current {
		return m.setFlash(originLabel(info.Origin)+" is running code in this session", false)
	}
	return nil
}

// remoteFor finds the session view and run of a run key.
func (m *Model) remoteFor(key string) (*sessionView, *remoteRun) {
	for _, sv := range m.views {
		for _, rr := range sv.remotes {
			if rr.info.Key == key {
				return sv, rr
			}
		}
	}
	return nil, nil
}

func (m *Model) remoteEvent(lm live.Message) {
	if lm.Event == nil {
		return
	}
	sv, rr := m.remoteFor(lm.Key)
	if rr == nil || !rr.shown {
		return
	}
	if lm.Event.Dropped > 0 {
		sv.out.append(lineNote, rr.id, fmt.Sprintf("[%s of output not shown: the app read too slowly; the run's record has it all]",
			run.FormatBytes(uint64(lm.Event.Dropped))))
		return
	}
	sv.showEvent(rr.id, lm.Event.RunEvent())
}

// showEvent puts one event of a run (this app's or another process's,
// named id in the output pane) in the panes.
func (sv *sessionView) showEvent(id run.ID, ev run.Event) {
	switch e := ev.(type) {
	case run.Queued:
		sv.metrics.queued(e.Position)
	case run.Started:
		sv.metrics.phase = phaseRunning
	case run.Output:
		for _, c := range e.Chunks {
			sv.out.write(id, c.Stream, c.Data)
		}
	case run.Metrics:
		sv.metrics.sample(e)
	}
}

func (m *Model) remoteEnd(lm live.Message) tea.Cmd {
	if lm.Run == nil {
		return nil
	}
	sv, rr := m.remoteFor(lm.Run.Key)
	if rr == nil {
		return nil
	}
	for i, x := range sv.remotes {
		if x == rr {
			sv.remotes = append(sv.remotes[:i], sv.remotes[i+1:]...)
			break
		}
	}
	cmds := []tea.Cmd{m.do(reloadRunsCmd(sv.sess)), m.do(listFilesCmd(sv.sess))}
	if !rr.shown {
		return tea.Batch(cmds...)
	}
	sv.out.closeOpen()
	if lm.Result == nil {
		sv.out.append(lineFailure, rr.id, "the process running it went away; its history has what was recorded")
		sv.metrics.phase = phaseIdle
		return tea.Batch(cmds...)
	}
	res := *lm.Result
	kind := lineSummary
	if !res.Success {
		kind = lineFailure
	}
	sv.out.append(kind, rr.id, summaryText(res, lm.Number)+" · "+originLabel(rr.info.Origin))
	sv.out.append(lineHint, rr.id, "its code, output and report are in the runs pane: open the run, then copy a report or edit and run it yourself")
	sv.metrics.finish(res, 0)
	return tea.Batch(cmds...)
}

// shownRemote is the other process's run the panes follow, if any.
func (sv *sessionView) shownRemote() *remoteRun {
	for _, rr := range sv.remotes {
		if rr.shown {
			return rr
		}
	}
	return nil
}

// cancelRemote asks the process of the run the panes follow to cancel it.
func (m *Model) cancelRemote(sv *sessionView) tea.Cmd {
	rr := sv.shownRemote()
	if rr == nil || m.deps.Live == nil {
		return nil
	}
	w, key := m.deps.Live, rr.info.Key
	label := originLabel(rr.info.Origin)
	return m.do(func() tea.Msg { return resultFlash("asked "+label+" to stop its run", w.Cancel(key)) })
}

// nextApproval opens the oldest approval request when no dialog is open.
func (m *Model) nextApproval() tea.Cmd {
	if m.dialog != nil || len(m.approvals) == 0 {
		return nil
	}
	req := m.approvals[0]
	m.approvals = m.approvals[1:]
	if time.Now().After(req.Deadline) {
		return m.nextApproval()
	}
	m.dialog = newApprovalDialog(m.st, req, m.keys)
	return nil
}

// approvalClosed drops a request that timed out or was answered elsewhere.
func (m *Model) approvalClosed(id, why string) tea.Cmd {
	for i, r := range m.approvals {
		if r.ID == id {
			m.approvals = append(m.approvals[:i], m.approvals[i+1:]...)
			break
		}
	}
	if d, ok := m.dialog.(*approvalDialog); ok && d.req.ID == id && why != "answered" {
		m.dialog = nil
		return tea.Batch(m.setFlash("the approval request closed: "+why, true), m.nextApproval())
	}
	return nil
}

// decideCmd sends the person's answer.
func (m *Model) decideCmd(id string, d live.Decision) tea.Cmd {
	w := m.deps.Live
	what := "approved the run"
	switch {
	case !d.Approved:
		what = "refused the run"
	case d.Edited:
		what = "ran your edit of the code"
	}
	return m.do(func() tea.Msg { return resultFlash(what, w.Decide(id, d)) })
}

// resultFlash says what was done, or why it could not be.
func resultFlash(done string, err error) flashMsg {
	if err != nil {
		return flashMsg{text: err.Error(), err: true}
	}
	return flashMsg{text: done}
}

// editApproval opens an agent's code in an editor tab of its session:
// running the tab answers the request with the edited code.
func (m *Model) editApproval(req live.ApprovalRequest) tea.Cmd {
	sv := m.views[req.SessionID]
	if sv == nil {
		// Not open here: approve as it is is not what was asked; put it back.
		m.approvals = append([]live.ApprovalRequest{req}, m.approvals...)
		return m.setFlash("open session "+req.SessionID+" (ctrl+o) to edit the agent's code, then "+m.keys.Approvals.Help().Key, true)
	}
	focus := m.switchTo(sv)
	t := &editorTab{runtime: req.Runtime, approval: &req}
	t.ed = newEditor(m.st, m.keys.Editor, req.Runtime, req.Code)
	sv.tabs = append(sv.tabs, t)
	sv.active = len(sv.tabs) - 1
	m.relayout()
	m.setFocus(PaneEditor)
	return tea.Batch(focus, m.setFlash("edit the agent's code, then "+m.keys.Run.Help().Key+" runs your version for it · "+
		m.keys.CloseTab.Help().Key+" refuses", false))
}

// answerWithTab answers an approval with the tab's (edited) code, and
// closes the tab: the run itself happens in the agent's process and shows
// here live.
func (m *Model) answerWithTab(sv *sessionView, t *editorTab, approve bool) tea.Cmd {
	req := *t.approval
	code := t.ed.Value()
	for i, x := range sv.tabs {
		if x == t {
			sv.tabs = append(sv.tabs[:i], sv.tabs[i+1:]...)
			break
		}
	}
	sv.active = min(sv.active, len(sv.tabs)-1)
	m.relayout()
	d := live.Decision{Note: "the person closed the code without running it"}
	if approve {
		d = live.Decision{Approved: true, Code: code, Edited: code != req.Code}
		if d.Edited {
			d.Note = "the person watching edited the code before running it"
		}
	}
	return tea.Batch(m.decideCmd(req.ID, d), m.nextApproval())
}

// approvalDiff is the diff of a request's code against the session's
// previous run.
func approvalDiff(req live.ApprovalRequest) string {
	if req.PreviousCode == "" {
		return ""
	}
	d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: difflib.SplitLines(req.PreviousCode),
		B: difflib.SplitLines(req.Code), FromFile: "previous run", ToFile: "this request", Context: 2})
	if err != nil {
		return ""
	}
	return strings.TrimRight(d, "\n")
}

// editRunIntent asks for a past run's code in the scratch tab, and with
// rerun to run it again at once.
type editRunIntent struct {
	n     int
	rerun bool
}

// editRunLoadedMsg delivers a run's code to edit (or run again).
type editRunLoadedMsg struct {
	id    string
	rec   sessions.RunRecord
	rerun bool
	err   error
}

func editRunCmd(sess *sessions.Session, in editRunIntent) tea.Cmd {
	return func() tea.Msg {
		rec, err := sess.Run(in.n)
		return editRunLoadedMsg{id: sess.ID(), rec: rec, rerun: in.rerun, err: err}
	}
}

// editRunLoaded puts a run's code in the scratch tab (in the run's
// language), where the person edits and runs it as their own.
func (m *Model) editRunLoaded(msg editRunLoadedMsg) tea.Cmd {
	sv := m.views[msg.id]
	if sv == nil {
		return nil
	}
	if msg.err != nil {
		return m.setFlash(msg.err.Error(), true)
	}
	t := sv.scratchTab()
	if t == nil {
		return nil
	}
	var cmds []tea.Cmd
	if t.runtime != msg.rec.Runtime {
		cmds = append(cmds, m.setTabRuntime(sv, t, msg.rec.Runtime))
	}
	t.ed.ReplaceAll(msg.rec.Code)
	for i, x := range sv.tabs {
		if x == t {
			sv.active = i
		}
	}
	m.setFocus(PaneEditor)
	by := ""
	if msg.rec.Origin != nil {
		by = " (" + originLabel(*msg.rec.Origin) + "'s)"
	}
	if msg.rerun {
		cmds = append(cmds, m.afterEdit(nil), m.setFlash(fmt.Sprintf("running run %d's code%s again, as yours", msg.rec.Number, by), false))
		return tea.Sequence(tea.Batch(cmds...), func() tea.Msg { return startRunMsg{id: msg.id} })
	}
	cmds = append(cmds, m.afterEdit(nil), m.setFlash(fmt.Sprintf("run %d's code%s is in the scratch tab: %s runs it as yours",
		msg.rec.Number, by, m.keys.Run.Help().Key), false))
	return tea.Batch(cmds...)
}

// startRunMsg asks to run the current tab of session id (sent after the
// tab was filled, so the run takes what is in it).
type startRunMsg struct{ id string }

// askApprovalSetMsg reports the session's approval switch changed.
type askApprovalSetMsg struct {
	id  string
	on  bool
	err error
}

// toggleAskApproval turns "ask before running agent code" on or off for
// the current session.
func (m *Model) toggleAskApproval() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	sess, on := sv.sess, !sv.sess.Meta().RequireApproval
	return m.do(func() tea.Msg {
		return askApprovalSetMsg{id: sess.ID(), on: on, err: sess.SetRequireApproval(on)}
	})
}

func (m *Model) askApprovalSet(msg askApprovalSetMsg) tea.Cmd {
	if msg.err != nil {
		return m.setFlash(msg.err.Error(), true)
	}
	if msg.on {
		return m.setFlash("agent runs in this session now wait for your approval (here, in the app)", false)
	}
	return m.setFlash("agent runs in this session run without asking", false)
}
