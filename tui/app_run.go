package tui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runner/guidance"
	"github.com/wasmplay/wasmplay/runner/history"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/tui/editor"
)

// startRun submits the active tab of the current session.
func (m *Model) startRun() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	if sv.run != 0 {
		return m.setFlash("a run is already in flight in this session: "+m.keys.Cancel.Help().Key+" cancels it", true)
	}
	t := sv.activeTab()
	if t == nil {
		return nil
	}
	if msg := m.prep[t.runtime]; m.prepErr[t.runtime] {
		return m.setFlash(t.runtime+" is not available: "+msg, true)
	}
	code := []byte(t.ed.Value())
	policy := sv.policy
	demo := sv.demo
	sv.demo = nil
	if demo != nil {
		if demo.Code != string(code) || demo.Runtime != t.runtime {
			demo = nil // edited since it was loaded: an ordinary run
		} else {
			policy = demo.ApplyPolicy(policy)
			policy.Stdin = nil // fed through the interactive stdin below
		}
	}
	job := runner.Job{
		Runtime:     t.runtime,
		Code:        code,
		Policy:      policy,
		Workspace:   sv.sess.WorkspaceDir(),
		Interactive: true,
		Tag:         sv.sess.ID(),
		Recorder:    history.SessionRecorder{Session: sv.sess},
		KeepState:   sv.keepState,
		State:       sv.state[t.runtime],
	}
	id, err := m.deps.Runner.Submit(job)
	if err != nil {
		return m.setFlash("cannot run: "+err.Error(), true)
	}
	sv.run, sv.runCode, sv.runRuntime, sv.runTab, sv.runDemo = id, code, t.runtime, t, demo
	m.runs[id] = sv
	if demo != nil && demo.Stdin != "" {
		// The demo types its own answer on stdin.
		_ = m.deps.Runner.SendInput(id, []byte(demo.Stdin))
		_ = m.deps.Runner.CloseInput(id)
		sv.out.append(lineInput, id, "› "+strings.TrimSuffix(demo.Stdin, "\n")+"   (typed by the demo)")
	}
	number := len(sv.runs.runs) + 1
	sv.out.append(lineHeader, id, fmt.Sprintf("▶ run %d · %s · %s", number, t.runtime, time.Now().Format("15:04:05")))
	sv.metrics.start(runner.LimitsOf(policy.WithDefaults()), job.KeepState, runner.StateNames(job.State))
	t.ed.SetMarks(nil)
	cmds := []tea.Cmd{sv.out.setInput(true), m.autosaveTab(sv, t)}
	return tea.Batch(cmds...)
}

// cancelRun cancels the current session's run, or says how to quit.
func (m *Model) cancelRun() tea.Cmd {
	sv := m.current
	if sv == nil || sv.run == 0 {
		return m.setFlash("nothing is running · "+m.keys.Quit.Help().Key+" quits", false)
	}
	m.deps.Runner.Cancel(sv.run)
	return m.setFlash("canceling the run…", false)
}

// handleRunEvent routes a runner event to its session.
func (m *Model) handleRunEvent(ev runner.Event) tea.Cmd {
	sv := m.runs[ev.Run()]
	if sv == nil {
		return nil // a run of a session closed since, or of another client
	}
	switch e := ev.(type) {
	case runner.Queued:
		sv.metrics.queued(e.Position)
	case runner.Started:
		sv.metrics.phase = phaseRunning
	case runner.Output:
		for _, c := range e.Chunks {
			sv.out.write(e.ID, c.Stream, c.Data)
		}
	case runner.Metrics:
		sv.metrics.sample(e)
		waiting := e.Activity == runner.ActivityWaitingInput
		if waiting != sv.out.waiting {
			sv.out.waiting = waiting
			// The first time the guest waits for input, take the user to
			// the stdin line (and back when the run ends).
			if waiting && !sv.inputFocus && sv == m.current && m.focus != PaneOutput {
				sv.inputFocus, sv.focusBefore = true, m.focus
				m.setFocus(PaneOutput)
			}
		}
	case runner.Finished:
		return m.runFinished(sv, e)
	}
	return nil
}

// runFinished shows a run's summary, guidance and marks, and updates the
// runs list and the files.
func (m *Model) runFinished(sv *sessionView, f runner.Finished) tea.Cmd {
	delete(m.runs, f.ID)
	res := f.Result
	sv.run = 0
	sv.out.closeOpen()
	cmds := []tea.Cmd{sv.out.setInput(false), listFilesCmd(sv.sess)}
	if sv.inputFocus {
		sv.inputFocus = false
		if sv == m.current && m.focus == PaneOutput {
			m.setFocus(sv.focusBefore)
		}
	}
	number := f.HistoryNumber
	if f.HistoryErr != nil {
		cmds = append(cmds, m.setFlash("the run was not recorded in the session history: "+f.HistoryErr.Error(), true))
	}
	sv.last, sv.lastCode, sv.lastNumber = &res, sv.runCode, number
	sv.metrics.finish(res)
	sv.files.markRun(res.Files)
	kind := lineSummary
	if !res.Success {
		kind = lineFailure
	}
	sv.out.append(kind, f.ID, summaryText(res, number))
	if res.StdoutTruncated || res.StderrTruncated {
		sv.out.append(lineNote, f.ID, fmt.Sprintf("output truncated at the limits: kept %s of %s stdout, %s of %s stderr (F4 raises them)",
			runner.FormatBytes(uint64(len(res.Stdout))), runner.FormatBytes(uint64(res.StdoutBytes)),
			runner.FormatBytes(uint64(len(res.Stderr))), runner.FormatBytes(uint64(res.StderrBytes))))
	}
	sv.lastAdvice = nil
	if !res.Success {
		sv.lastAdvice = guidance.MatchWithOptions(res, sv.runRuntime, m.matchOptions(sv.lastCode))
		for _, a := range sv.lastAdvice {
			sv.out.append(lineHint, f.ID, "hint: "+a.Title+" — "+a.Cause)
			for _, step := range a.Steps {
				sv.out.append(lineHint, f.ID, "  • "+step)
			}
		}
		if loc, ok := guidance.ErrorLocation(string(res.Stderr), sv.runRuntime); ok && sv.runTab != nil {
			sv.runTab.ed.SetMarks([]editor.Mark{{Line: loc.Line, Kind: editor.Error, Message: loc.Message}})
			sv.out.append(lineHint, f.ID, fmt.Sprintf("line %d is marked in the editor · %s jumps to it", loc.Line, m.keys.JumpError.Help().Key))
		}
	}
	if fa := guidance.AnalyzeFuel(res.FuelConsumed, res.Limits.FuelBudget, res.Outcome, res.FuelExact); fa.Suggested > 0 {
		sv.out.append(lineHint, f.ID, fmt.Sprintf("fuel %s: %s applies a budget of %s and runs again",
			fa.Band, m.keys.ApplyBudget.Help().Key, runner.FormatFuel(fa.Suggested)))
	}
	if d := sv.runDemo; d != nil {
		sv.runDemo = nil
		if ok, why := d.Verdict(res); ok {
			sv.out.append(lineSummary, f.ID, "demo expectation met ✓ — "+d.Expect)
		} else {
			sv.out.append(lineFailure, f.ID, "demo expectation NOT met ✗ — "+why)
		}
	}
	if rep := res.StateReport; rep != nil {
		if res.State != nil {
			sv.state[sv.runRuntime] = res.State
			cmds = append(cmds, saveStateCmd(sv.sess, sv.runRuntime, res.State))
			sv.out.append(lineNote, f.ID, "kept for the next run: "+listOrNone(rep.Saved))
		} else if rep.Problem != "" {
			sv.out.append(lineNote, f.ID, "variables: "+rep.Problem)
		}
		if len(rep.Skipped) > 0 {
			sv.out.append(lineNote, f.ID, "not kept (not JSON-representable): "+strings.Join(rep.Skipped, ", "))
		}
	}
	if number > 0 {
		sv.runs.add(summaryOf(res, number, len(sv.runCode)))
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

// toggleKeepState turns the session's "keep variables" switch.
func (m *Model) toggleKeepState() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	sv.keepState = !sv.keepState
	sess, on := sv.sess, sv.keepState
	save := func() tea.Msg {
		if err := sess.SetKeepState(on); err != nil {
			return flashMsg{text: err.Error(), err: true}
		}
		return nil
	}
	if !on {
		var names, kept []string
		for rt, state := range sv.state {
			if n := runner.StateNames(state); len(n) > 0 {
				names = append(names, n...)
				kept = append(kept, rt)
			}
		}
		if len(kept) == 0 {
			return tea.Batch(save, m.setFlash("variables are no longer kept between runs", false))
		}
		slices.Sort(names)
		m.dialog = &confirmDialog{
			question: "Variables are no longer kept between runs.\n\nForget the ones kept so far (" + strings.Join(names, ", ") +
				")?\nNo keeps them for when you turn this back on.",
			yes: func(m *Model) tea.Cmd {
				for _, rt := range kept {
					delete(sv.state, rt)
				}
				return clearStateCmd(sess, kept)
			},
		}
		return tea.Batch(save, m.setFlash("variables are no longer kept between runs", false))
	}
	return tea.Batch(save, m.setFlash("variables are kept between successful runs: Python's public globals, JavaScript's state object", false))
}

// summaryText is the line that ends a run in the output pane.
func summaryText(res runner.Result, number int) string {
	var b strings.Builder
	b.WriteString(outcomeIcon(res.Outcome) + " ")
	if number > 0 {
		fmt.Fprintf(&b, "run %d · ", number)
	}
	b.WriteString(outcomeLabel(res.Outcome))
	switch res.Outcome {
	case runner.OutcomeOK, runner.OutcomeExitNonzero:
		fmt.Fprintf(&b, " · exit %d", res.ExitCode)
	default:
		if res.Message != "" {
			fmt.Fprintf(&b, " · %s", strings.SplitN(res.Message, "\n", 2)[0])
		}
	}
	fuel := runner.FormatFuel(res.FuelConsumed)
	if !res.FuelExact {
		fuel = "≥" + fuel
	}
	fmt.Fprintf(&b, " · fuel %s/%s · peak %d pages (%s) · %s", fuel, runner.FormatFuel(res.Limits.FuelBudget),
		res.PeakMemoryPages, runner.FormatBytes(res.PeakMemoryBytes), formatElapsed(res.Duration))
	if n := len(res.Files.Created) + len(res.Files.Modified) + len(res.Files.Deleted); n > 0 {
		fmt.Fprintf(&b, " · files +%d ~%d -%d", len(res.Files.Created), len(res.Files.Modified), len(res.Files.Deleted))
	}
	return b.String()
}

// summaryOf makes the runs-list entry of a finished run.
func summaryOf(res runner.Result, number, codeBytes int) sessions.RunSummary {
	return sessions.RunSummary{
		Number:          number,
		StartedAt:       res.StartedAt,
		FinishedAt:      res.FinishedAt,
		Runtime:         res.Runtime,
		Outcome:         sessions.Outcome(res.Outcome),
		ExitCode:        max(res.ExitCode, 0),
		Message:         strings.SplitN(res.Message, "\n", 2)[0],
		FuelConsumed:    res.FuelConsumed,
		FuelExact:       res.FuelExact,
		MemoryPeak:      res.PeakMemoryPages,
		DurationMS:      float64(res.Duration) / float64(time.Millisecond),
		CodeBytes:       codeBytes,
		StdoutBytes:     res.StdoutBytes,
		StderrBytes:     res.StderrBytes,
		StdoutTruncated: res.StdoutTruncated,
		StderrTruncated: res.StderrTruncated,
		FilesChanged:    len(res.Files.Created) + len(res.Files.Modified) + len(res.Files.Deleted),
	}
}

// sendInput writes a line to the current run's stdin.
func (m *Model) sendInput(req *outputRequest) tea.Cmd {
	sv := m.current
	if sv == nil || sv.run == 0 {
		return nil
	}
	if req.eof {
		if err := m.deps.Runner.CloseInput(sv.run); err != nil && !errors.Is(err, runner.ErrUnknownRun) {
			return m.setFlash(err.Error(), true)
		}
		sv.out.append(lineInput, sv.run, "[end of input]")
		return nil
	}
	if err := m.deps.Runner.SendInput(sv.run, []byte(req.send)); err != nil {
		return m.setFlash("input not sent: "+err.Error(), true)
	}
	// The guest echoes nothing (no terminal): show what was sent.
	sv.out.append(lineInput, sv.run, "› "+strings.TrimSuffix(req.send, "\n"))
	return nil
}

// showRecord shows a past run from the history in the output and
// metrics panes.
func (m *Model) showRecord(msg runRecordMsg) tea.Cmd {
	sv := m.views[msg.id]
	if sv == nil {
		return nil
	}
	if msg.err != nil {
		return m.setFlash(msg.err.Error(), true)
	}
	rec := msg.rec
	res := resultOfRecord(rec)
	id := runner.RunID(0)
	sv.out.append(lineHeader, id, fmt.Sprintf("◆ run %d from the history · %s · %s", rec.Number, rec.Runtime,
		rec.StartedAt.Local().Format("2006-01-02 15:04:05")))
	if rec.Stdout != "" {
		sv.out.write(id, runner.Stdout, []byte(rec.Stdout))
		sv.out.closeOpen()
	}
	if rec.Stderr != "" {
		sv.out.write(id, runner.Stderr, []byte(rec.Stderr))
		sv.out.closeOpen()
	}
	kind := lineSummary
	if !res.Success {
		kind = lineFailure
	}
	sv.out.append(kind, id, summaryText(res, rec.Number))
	sv.metrics.showResult(res)
	sv.lastNumber = rec.Number
	sv.out.followOut = true
	sv.out.scrollToEnd()
	m.setFocus(PaneOutput)
	return m.setFlash(fmt.Sprintf("run %d: its code is in the history (wasmplay sessions show %s --run %d)", rec.Number, sv.sess.ID(), rec.Number), false)
}

// resultOfRecord rebuilds a Result from a history record.
func resultOfRecord(rec sessions.RunRecord) runner.Result {
	res := runner.Result{
		Runtime:         rec.Runtime,
		Outcome:         runner.Outcome(rec.Outcome),
		ExitCode:        rec.ExitCode,
		Message:         rec.Message,
		Stdout:          []byte(rec.Stdout),
		Stderr:          []byte(rec.Stderr),
		StdoutTruncated: rec.StdoutTruncated,
		StderrTruncated: rec.StderrTruncated,
		StdoutBytes:     rec.StdoutBytes,
		StderrBytes:     rec.StderrBytes,
		FuelConsumed:    rec.FuelConsumed,
		FuelExact:       rec.FuelExact,
		MemoryPages:     rec.MemoryPagesFinal,
		PeakMemoryPages: rec.MemoryPagesPeak,
		MemoryBytes:     rec.MemoryPagesFinal * runner.WasmPageSize,
		PeakMemoryBytes: rec.MemoryPagesPeak * runner.WasmPageSize,
		StartedAt:       rec.StartedAt,
		FinishedAt:      rec.FinishedAt,
		Duration:        time.Duration(rec.DurationMS * float64(time.Millisecond)),
		Limits: runner.Limits{FuelBudget: rec.Policy.FuelBudget, MemoryBytes: rec.Policy.MemoryBytes,
			StdoutMaxBytes: rec.Policy.StdoutMaxBytes, StderrMaxBytes: rec.Policy.StderrMaxBytes, TimeoutMS: rec.Policy.TimeoutMS},
	}
	res.Success = res.Outcome == runner.OutcomeOK
	for _, c := range rec.Files.Created {
		res.Files.Created = append(res.Files.Created, runner.FileChange{Path: c.Path, Size: c.Size})
	}
	for _, c := range rec.Files.Modified {
		res.Files.Modified = append(res.Files.Modified, runner.FileChange{Path: c.Path, Size: c.Size})
	}
	for _, c := range rec.Files.Deleted {
		res.Files.Deleted = append(res.Files.Deleted, runner.FileChange{Path: c.Path, Size: c.Size})
	}
	return res
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
	sv.policy.FuelBudget = s
	return tea.Sequence(savePolicyCmd(sv.sess, sv.policy), m.startRun())
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
