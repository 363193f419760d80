package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/guidance"
	"github.com/wasmplay/wasmplay/report"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/tui/editor"
)

// copyRunOutput copies the shown output of a run to the clipboard.
func (m *Model) copyRunOutput(req *outputRequest) tea.Cmd {
	sv := m.current
	if sv == nil || req.copyRun == 0 {
		return m.setFlash("no run output to copy yet", false)
	}
	text := sv.out.runText(req.copyRun)
	if text == "" {
		return m.setFlash("that run printed nothing", false)
	}
	name := fmt.Sprintf("output-%s.txt", req.copyRun)
	return tea.Batch(tea.SetClipboard(text), m.do(writeReportCmd(sv.sess, name, []byte(text), "run output")))
}

// copyReport copies a report of the session's last run for a model, in
// Markdown or JSON, and saves it in the session (the visible fallback when
// the terminal has no clipboard).
func (m *Model) copyReport(asJSON bool) tea.Cmd {
	sv := m.current
	if sv == nil || sv.last == nil {
		return m.setFlash("no run to report yet: run the code first", false)
	}
	last := sv.last
	in := report.NewInput(last.Code, last.Result, m.matchOptions(last.Code))
	in.Session, in.Run, in.Stdin = sv.sess.String(), last.Number, last.Stdin
	if last.Origin.Kind != "" {
		in.Origin = last.Origin.String()
	}
	var data []byte
	name := fmt.Sprintf("run-%d-report", last.Number)
	what := "Markdown report"
	if asJSON {
		b, err := report.JSON(in)
		if err != nil {
			return m.setFlash("report: "+err.Error(), true)
		}
		data, name, what = b, name+".json", "JSON report"
	} else {
		data, name = []byte(report.Markdown(in)), name+".md"
	}
	return tea.Batch(tea.SetClipboard(string(data)), m.do(writeReportCmd(sv.sess, name, data, what)))
}

// matchOptions tells guidance what a run's Result does not: the code and
// the packages the guest could have imported.
func (m *Model) matchOptions(code []byte) guidance.MatchOptions {
	return guidance.MatchOptions{AvailablePackages: m.deps.Playground.Packages, Code: code}
}

// copiedText keeps what the editor copied, for pasting where the terminal
// does not answer clipboard reads, and says what was copied.
func (m *Model) copiedText(msg editor.CopiedMsg) tea.Cmd {
	m.register = msg.Text
	what := "copied"
	if msg.Cut {
		what = "cut"
	}
	lines := strings.Count(msg.Text, "\n")
	if !strings.HasSuffix(msg.Text, "\n") {
		lines++
	}
	unit := "lines"
	if lines == 1 {
		unit = "line"
	}
	return m.setFlash(fmt.Sprintf("%s %d %s (%s) · ctrl+v pastes it here; the system clipboard gets it too where the terminal allows (OSC 52)",
		what, lines, unit, run.FormatBytes(uint64(len(msg.Text)))), false)
}

// pasteFromRegister pastes the last copy in the app when the terminal did
// not answer the clipboard read.
func (m *Model) pasteFromRegister() tea.Cmd {
	sv := m.current
	if sv == nil || sv.activeTab() == nil || m.focus != PaneEditor {
		return nil
	}
	if m.register == "" {
		return m.setFlash("nothing to paste: this terminal does not share its clipboard; use its own paste (often ctrl+shift+v)", true)
	}
	if t := sv.activeTab(); t.pastRun != 0 {
		return m.setFlash(m.pastRunHint(t), false)
	}
	sv.activeTab().ed.Paste(m.register)
	return tea.Batch(m.afterEdit(nil), m.setFlash("pasted your last copy in wasmplay (the terminal did not share its clipboard)", false))
}
