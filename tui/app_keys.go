package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/themes"
)

// handleKey routes a key: to an open dialog first, then the app-wide
// bindings, then the focused pane.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.keys.Quit) {
		if _, asking := m.dialog.(*confirmDialog); !asking {
			m.dialog = nil
			return m.quit()
		}
	}
	if m.dialog != nil {
		return m.applyDialog(msg)
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	sv := m.current
	if sv == nil {
		return nil
	}
	in, cmd, used := sv.pane(m.focus).key(msg, m.keys)
	if in != nil {
		return m.carryOut(sv, in, cmd)
	}
	if used {
		return cmd
	}
	// Keys no pane used: tab and "?" still move focus / open help.
	switch {
	case msg.String() == "tab":
		m.cycleFocus(1)
	case msg.String() == "shift+tab":
		m.cycleFocus(-1)
	case msg.String() == "?":
		m.openHelp()
	}
	return nil
}

// globalKey handles the app-wide bindings. In the editor, keys that type
// text or that the editor owns (tab, ?) stay with the editor.
func (m *Model) globalKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.keys
	s := msg.String()
	inEditor := m.focus == PaneEditor
	typing := m.focus == PaneOutput && m.current != nil && (m.current.out.inputOn || m.current.out.searching)
	if (inEditor || typing) && (s == "tab" || s == "shift+tab" || s == "?") {
		return nil, false
	}
	if typing && msg.Text != "" {
		return nil, false
	}
	if !inEditor && !typing && (s == "tab" || s == "shift+tab" || s == "?") {
		// These move focus or open help outside the editor; handled below
		// after the pane had its chance (a list may use them).
		if m.focus != PaneOutput && m.focus != PaneFiles && m.focus != PaneRuns {
			return nil, false
		}
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit(), true
	case key.Matches(msg, k.Run):
		return m.startRun(), true
	case key.Matches(msg, k.Cancel):
		return m.cancelRun(), true
	case key.Matches(msg, k.Help) && s != "?":
		m.openHelp()
		return nil, true
	case key.Matches(msg, k.NextPane) && s != "tab":
		m.cycleFocus(1)
		return nil, true
	case key.Matches(msg, k.PrevPane) && s != "shift+tab":
		m.cycleFocus(-1)
		return nil, true
	case key.Matches(msg, k.FocusEditor):
		m.setFocus(PaneEditor)
		return nil, true
	case key.Matches(msg, k.FocusOutput):
		m.setFocus(PaneOutput)
		return nil, true
	case key.Matches(msg, k.FocusMetric):
		m.setFocus(PaneMetrics)
		return nil, true
	case key.Matches(msg, k.FocusFiles):
		m.setFocus(PaneFiles)
		return nil, true
	case key.Matches(msg, k.FocusRuns):
		m.setFocus(PaneRuns)
		return nil, true
	case key.Matches(msg, k.Zoom):
		m.zoomed = !m.zoomed
		m.relayout()
		return nil, true
	case key.Matches(msg, k.Save):
		return m.save(), true
	case key.Matches(msg, k.Sessions):
		return m.openPicker(), true
	case key.Matches(msg, k.NewSession):
		return m.newSession(), true
	case key.Matches(msg, k.Theme):
		return m.nextTheme(), true
	case key.Matches(msg, k.Runtime):
		return m.switchRuntime(), true
	case key.Matches(msg, k.Policy):
		m.openPolicy()
		return nil, true
	case key.Matches(msg, k.ApplyBudget):
		return m.applySuggestedBudget(), true
	case key.Matches(msg, k.CopyReport):
		return m.copyReport(false), true
	case key.Matches(msg, k.CopyJSON):
		return m.copyReport(true), true
	case key.Matches(msg, k.Demos):
		return m.openDemos(), true
	case key.Matches(msg, k.KeepState):
		return m.toggleKeepVars(), true
	case key.Matches(msg, k.Approvals):
		if len(m.approvals) == 0 {
			return m.setFlash("no agent run is waiting for approval", false), true
		}
		return m.nextApproval(), true
	case key.Matches(msg, k.AskApproval):
		return m.toggleAskApproval(), true
	case key.Matches(msg, k.NextTab):
		m.moveTab(1)
		return nil, true
	case key.Matches(msg, k.PrevTab):
		m.moveTab(-1)
		return nil, true
	case key.Matches(msg, k.CloseTab):
		return m.closeTab(), true
	case key.Matches(msg, k.Messages):
		return m.openMessages(), true
	case key.Matches(msg, k.Find):
		return m.openFind(), true
	case key.Matches(msg, k.FindNext), key.Matches(msg, k.FindPrev):
		return m.findAgain(key.Matches(msg, k.FindPrev)), true
	case key.Matches(msg, k.GotoLine):
		return m.openGotoLine(), true
	case key.Matches(msg, k.JumpError):
		return m.jumpToError(), true
	}
	return nil, false
}

func (m *Model) cycleFocus(dir int) {
	p := (int(m.focus) + dir + int(paneCount)) % int(paneCount)
	m.setFocus(Pane(p))
}

func (m *Model) openHelp() {
	var extra []string
	for _, group := range m.keys.Editor.FullHelp() {
		for _, b := range group {
			h := b.Help()
			if h.Key != "" {
				extra = append(extra, fmt.Sprintf("%-18s %s", h.Key, h.Desc))
			}
		}
	}
	m.dialog = &helpDialog{keys: m.keys, extra: extra, packages: m.deps.Playground.Packages()}
}

func (m *Model) nextTheme() tea.Cmd {
	if m.st.Theme.Mono {
		return m.setFlash("NO_COLOR is set: themes are off", false)
	}
	t := themes.Next(m.st.Theme.Name)
	m.st = NewStyles(t)
	for _, sv := range m.views {
		for _, tab := range sv.tabs {
			tab.ed.SetStyles(m.st.editorStyles())
		}
	}
	flash := m.setFlash("theme: "+t.Title, false)
	save := m.deps.SaveTheme
	if save == nil {
		return flash
	}
	return tea.Batch(flash, m.do(func() tea.Msg {
		if err := save(t.Name); err != nil {
			return flashMsg{text: "the theme will not be remembered: " + err.Error(), err: true}
		}
		return nil
	}))
}

// newSession asks for a name and opens a new session.
func (m *Model) newSession() tea.Cmd {
	rt := runtimes.Default
	if m.current != nil {
		if t := m.current.scratchTab(); t != nil {
			rt = t.runtime
		}
	}
	m.dialog = newPromptDialog("New session", "", "a name (optional): letters, digits, - and _", func(name string) (action, error) {
		if name != "" {
			if _, err := sessions.CanonicalID(name); err != nil {
				return nil, err
			}
		}
		return func(m *Model) tea.Cmd { return m.do(newSessionCmd(m.deps.Playground, name, rt)) }, nil
	})
	return nil
}

// carryOut does what a pane asked, with the pane's own command.
func (m *Model) carryOut(sv *sessionView, in intent, cmd tea.Cmd) tea.Cmd {
	switch in := in.(type) {
	case editedIntent:
		return m.afterEdit(cmd)
	case openRunIntent:
		return tea.Batch(cmd, m.do(runRecordCmd(sv.sess, in.n)))
	case editRunIntent:
		return tea.Batch(cmd, m.do(editRunCmd(sv.sess, in)))
	case diffRunsIntent:
		return tea.Batch(cmd, m.do(runsDiffCmd(sv.sess, in.a, in.b)))
	case *filesRequest:
		return tea.Batch(cmd, m.filesRequest(in))
	case *outputRequest:
		if in.gotoLine != 0 {
			return tea.Batch(cmd, m.gotoCodeLine(in.gotoLine, in.pastRun))
		}
		if in.copyRun != 0 || (in.send == "" && !in.eof) {
			return tea.Batch(cmd, m.copyRunOutput(in))
		}
		return tea.Batch(cmd, m.sendInput(in))
	}
	return cmd
}
