package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// quit asks first when a run is in flight or a file has unsaved edits,
// saves every buffer, releases the sessions and exits.
func (m *Model) quit() tea.Cmd {
	var reasons []string
	if n := len(m.runs); n > 0 {
		reasons = append(reasons, fmt.Sprintf("%d run(s) in flight will be canceled", n))
	}
	dirty := 0
	for _, sv := range m.views {
		for _, t := range sv.tabs {
			if t.path != "" && t.ed.Dirty() {
				dirty++
			}
		}
	}
	if dirty > 0 {
		reasons = append(reasons, fmt.Sprintf("%d file(s) have unsaved edits (kept as drafts in the session, not written to /app)", dirty))
	}
	if len(reasons) == 0 || m.quitting {
		return m.quitNow()
	}
	m.dialog = &confirmDialog{
		question: "Quit wasmplay?\n\n• " + strings.Join(reasons, "\n• "),
		yes:      func(m *Model) tea.Cmd { return m.quitNow() },
	}
	return nil
}

func (m *Model) quitNow() tea.Cmd {
	m.quitting = true
	for r := range m.runs {
		r.Cancel()
	}
	for _, sv := range m.views {
		if sv.withdrawStart != nil {
			sv.withdrawStart()
		}
	}
	var saves []tea.Cmd
	for _, sv := range m.views {
		for _, t := range sv.tabs {
			if cmd := m.autosaveTab(sv, t); cmd != nil {
				saves = append(saves, cmd)
			}
		}
	}
	var closes []tea.Cmd
	for _, sv := range m.views {
		closes = append(closes, m.do(closeSessionCmd(sv)))
	}
	return tea.Sequence(tea.Batch(saves...), tea.Batch(closes...), tea.Quit)
}
