package tui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/guidance"
	"github.com/wasmplay/wasmplay/report"
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
	in.Session, in.Run = sv.sess.String(), last.Number
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
	return guidance.MatchOptions{AvailablePackages: m.deps.Packages, Code: code}
}
