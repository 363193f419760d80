package tui

import (
	"cmp"
	"fmt"
	"slices"

	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/guidance"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/tui/editor"
)

// autosaveTab saves a tab's text into the session if it changed.
func (m *Model) autosaveTab(sv *sessionView, t *editorTab) tea.Cmd {
	rev := t.ed.Revision()
	if rev == t.autosaved || t.approval != nil || t.pastRun != 0 {
		return nil
	}
	if t.path != "" && !t.ed.Dirty() {
		return nil // the file on disk holds it
	}
	return m.do(autosaveCmd(sv.sess, t, t.bufferName(), t.text(), rev))
}

func (m *Model) autosaveAll() tea.Cmd {
	var cmds []tea.Cmd
	for _, sv := range m.views {
		for _, t := range sv.tabs {
			if cmd := m.autosaveTab(sv, t); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	return tea.Batch(cmds...)
}

func (m *Model) saved(msg savedMsg) tea.Cmd {
	if msg.err != nil {
		return m.setFlash("not saved: "+msg.err.Error(), true)
	}
	msg.tab.autosaved = max(msg.tab.autosaved, msg.revision)
	if msg.toFile {
		if msg.tab.ed.Revision() == msg.revision {
			msg.tab.ed.MarkSaved()
		}
		return m.setFlash("saved /app/"+msg.tab.path, false)
	}
	return nil
}

// save writes a file tab to the workspace; a scratch buffer is saved to
// the session (it is autosaved anyway).
func (m *Model) save() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	t := sv.activeTab()
	if t == nil {
		return nil
	}
	if t.pastRun != 0 {
		return m.setFlash(m.pastRunHint(t), false)
	}
	if t.path != "" {
		return m.do(saveFileCmd(sv.sess, t, t.path, t.text(), t.ed.Revision()))
	}
	rev := t.ed.Revision()
	return tea.Batch(m.do(autosaveCmd(sv.sess, t, t.bufferName(), t.ed.Value(), rev)),
		m.setFlash("scratch "+t.runtime+" saved in session "+sv.displayName()+" (it is also autosaved as you type)", false))
}

// switchRuntime cycles the runtime of the active tab. The scratch tab
// keeps one text per runtime.
func (m *Model) switchRuntime() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	t := sv.activeTab()
	if t == nil {
		return nil
	}
	if t.approval != nil {
		return m.setFlash("the agent chose the language of its code", false)
	}
	if t.pastRun != 0 {
		return m.setFlash(fmt.Sprintf("run %d ran as %s: %s", t.pastRun, t.runtime, m.pastRunHint(t)), false)
	}
	var names []string
	for _, lang := range runtimes.Languages() {
		names = append(names, lang.Name)
	}
	next := names[0]
	for i, n := range names {
		if n == t.runtime {
			next = names[(i+1)%len(names)]
		}
	}
	return m.setTabRuntime(sv, t, next)
}

// setTabRuntime changes a tab's runtime (swapping the scratch text).
func (m *Model) setTabRuntime(sv *sessionView, t *editorTab, rt string) tea.Cmd {
	var cmds []tea.Cmd
	if t.path == "" {
		cmds = append(cmds, m.autosaveTab(sv, t))
		t.scratch[t.runtime] = t.ed.Value()
		text := t.scratch[rt]
		delete(t.scratch, rt)
		t.runtime = rt
		t.ed = newEditor(m.st, m.keys.Editor, rt, text)
		m.relayout()
		m.setFocus(m.focus)
		cmds = append(cmds, m.do(saveRuntimeCmd(sv.sess, rt)))
	} else {
		t.runtime = rt
		t.ed.SetSyntax(syntaxOf(rt))
	}
	cmds = append(cmds, m.setFlash("runtime: "+rt, false))
	return tea.Batch(cmds...)
}

func (m *Model) moveTab(dir int) {
	sv := m.current
	if sv == nil || len(sv.tabs) < 2 {
		return
	}
	sv.active = (sv.active + dir + len(sv.tabs)) % len(sv.tabs)
	m.setFocus(PaneEditor)
}

// closeTab closes a file tab; its unsaved edits stay as a draft in the
// session until saved or discarded.
func (m *Model) closeTab() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	t := sv.activeTab()
	if t != nil && t.approval != nil {
		return m.answerWithTab(sv, t, false) // closing the agent's code refuses it
	}
	if t == nil || t.path == "" && t.pastRun == 0 {
		return m.setFlash("the scratch tab stays open", false)
	}
	remove := func(m *Model, discard bool) tea.Cmd {
		for i, x := range sv.tabs {
			if x == t {
				sv.tabs = append(sv.tabs[:i], sv.tabs[i+1:]...)
				break
			}
		}
		sv.active = min(sv.active, len(sv.tabs)-1)
		m.setFocus(PaneEditor)
		if discard {
			name := t.bufferName()
			return m.do(fileOpCmd(sv.sess, "closed "+t.path+" without saving", func() error { return sv.sess.DeleteBuffer(name) }))
		}
		return nil
	}
	if t.ed.Dirty() && t.pastRun == 0 {
		m.dialog = &confirmDialog{
			question: "/app/" + t.path + " has unsaved edits. Close it and discard them?",
			yes:      func(m *Model) tea.Cmd { return remove(m, true) },
		}
		return nil
	}
	return remove(m, false)
}

func (m *Model) jumpToError() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	// The marked tab: the active one first, then the others.
	order := []int{sv.active}
	for i := range sv.tabs {
		if i != sv.active {
			order = append(order, i)
		}
	}
	for _, i := range order {
		t := sv.tabs[i]
		marks := t.ed.Marks()
		if len(marks) == 0 {
			continue
		}
		// In the traceback's order (innermost first) when the marks are
		// its frames, else the error first, then by line; each press the
		// next.
		slices.SortStableFunc(marks, func(a, b editor.Mark) int { return cmp.Compare(b.Kind, a.Kind) })
		if len(t.frames) == len(marks) {
			byLine := map[int]editor.Mark{}
			for _, mk := range marks {
				byLine[mk.Line] = mk
			}
			ordered := make([]editor.Mark, 0, len(marks))
			for _, l := range t.frames {
				if mk, ok := byLine[l]; ok {
					ordered = append(ordered, mk)
				}
			}
			if len(ordered) == len(marks) {
				marks = ordered
			}
		}
		t.frame = (t.frame + 1) % len(marks)
		mk := marks[t.frame]
		sv.active = i
		t.ed.GotoLine(mk.Line)
		m.setFocus(PaneEditor)
		return m.setFlash(fmt.Sprintf("line %d (%d of %d): %s", mk.Line, t.frame+1, len(marks), mk.Message), false)
	}
	return m.setFlash("no error line is marked", false)
}

// gotoCodeLine shows line n of the code that ran (the tab of the last run,
// else the scratch tab) in the editor; n < 0 says the output in view names
// no line.
func (m *Model) gotoCodeLine(n, pastRun int) tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	if n < 0 {
		return m.setFlash("no traceback line of your code (File \"/code/…\", line N) is in view", false)
	}
	t := sv.runTab
	if pastRun != 0 {
		// The line is in the output of a run reopened from the history:
		// its code is in that run's tab.
		if t = sv.pastRunTab(pastRun); t == nil {
			return m.setFlash(fmt.Sprintf("run %d's tab is closed: open the run again from the runs pane (%s)", pastRun,
				m.keys.FocusRuns.Help().Key), false)
		}
	}
	if t == nil {
		t = sv.scratchTab()
	}
	if t == nil {
		return nil
	}
	for i, x := range sv.tabs {
		if x == t {
			sv.active = i
		}
	}
	t.ed.GotoLine(n)
	m.setFocus(PaneEditor)
	return m.setFlash(fmt.Sprintf("line %d, named by the traceback", n), false)
}

// pastRunHint says what a read-only tab of a past run offers.
func (m *Model) pastRunHint(t *editorTab) string {
	return fmt.Sprintf("run %d's code is read-only: %s puts it in the scratch tab to edit, %s runs it again as yours, %s closes the tab",
		t.pastRun, m.keys.EditRun.Help().Key, m.keys.RerunRun.Help().Key, m.keys.CloseTab.Help().Key)
}

// maxPastRunTabs is how many runs from the history stay open as tabs;
// opening one more closes the oldest.
const maxPastRunTabs = 4

// showPastRunTab opens run rec's code in a read-only tab (or brings its
// open tab forward) and makes it the active tab.
func (m *Model) showPastRunTab(sv *sessionView, rec sessions.RunRecord) *editorTab {
	t := sv.pastRunTab(rec.Number)
	if t == nil {
		var open []int
		for i, x := range sv.tabs {
			if x.pastRun != 0 {
				open = append(open, i)
			}
		}
		if len(open) >= maxPastRunTabs {
			sv.tabs = append(sv.tabs[:open[0]], sv.tabs[open[0]+1:]...)
		}
		ed := editor.New(editor.Options{TabWidth: 4, Syntax: syntaxOf(rec.Runtime), Styles: m.st.editorStyles(),
			Keys: m.keys.Editor, ReadOnly: true})
		ed.SetValue(rec.Code)
		t = &editorTab{runtime: rec.Runtime, ed: ed, pastRun: rec.Number, frame: -1}
		if frames := guidance.UserFrames(rec.Stderr, rec.Runtime); rec.Outcome != run.OutcomeOK && len(frames) > 0 {
			ed.SetMarks(frameMarks(frames))
			for _, f := range frames {
				t.frames = append(t.frames, f.Line)
			}
		}
		sv.tabs = append(sv.tabs, t)
		m.relayout()
	}
	for i, x := range sv.tabs {
		if x == t {
			sv.active = i
		}
	}
	m.setFocus(PaneEditor)
	return t
}
