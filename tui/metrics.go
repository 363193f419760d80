package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/wasmplay/wasmplay/guidance"
	"github.com/wasmplay/wasmplay/run"
)

// runPhase is where the session's current (or last) run is.
type runPhase int

const (
	phaseIdle runPhase = iota
	phaseQueued
	phaseRunning
	phaseDone
)

// maxSparkPoints bounds the memory sparkline's samples; when full, every
// other sample is dropped so it always spans the whole run.
const maxSparkPoints = 256

// metricsPane shows the live figures of the run in flight (at the rate
// the runner samples) and keeps the last run's figures afterwards.
type metricsPane struct {
	phase    runPhase
	queuedAt int
	live     run.Metrics
	haveLive bool
	pages    []uint64
	every    int // keep one sample in `every`
	seen     int
	result   *run.Result
	number   int // the run's number in the history (0: not recorded)
	limits   run.Limits
	vars     []string // variables carried in (during a run) or kept (after)
	varsOn   bool     // the run keeps variables
	varsWord string   // "carried in" or "kept"

	width  int
	height int
}

func (m *metricsPane) setSize(w, h int) { m.width, m.height = w, h }

// start resets the pane for a run that was just started; carried lists
// the variables it starts with when it keeps them (nil otherwise).
func (m *metricsPane) start(limits run.Limits, keepVars bool, carried []string) {
	*m = metricsPane{phase: phaseRunning, limits: limits, every: 1, width: m.width, height: m.height,
		varsOn: keepVars, vars: carried, varsWord: "carried in"}
}

func (m *metricsPane) queued(pos int) {
	m.phase = phaseQueued
	m.queuedAt = pos
}

// sample records a live Metrics event.
func (m *metricsPane) sample(s run.Metrics) {
	m.phase = phaseRunning
	m.live, m.haveLive = s, true
	m.seen++
	if m.seen%m.every == 0 {
		m.pages = append(m.pages, s.MemoryPages())
		if len(m.pages) >= maxSparkPoints {
			kept := m.pages[:0]
			for i := 0; i < len(m.pages); i += 2 {
				kept = append(kept, m.pages[i])
			}
			m.pages = kept
			m.every *= 2
		}
	}
}

// finish records the final result of run number (0: not recorded).
func (m *metricsPane) finish(res run.Result, number int) {
	m.phase = phaseDone
	m.result = &res
	m.number = number
	m.limits = res.Limits
	if rep := res.VarsReport; rep != nil && res.Vars != nil {
		m.vars, m.varsWord = rep.Saved, "kept"
	}
	if len(m.pages) == 0 || m.pages[len(m.pages)-1] != res.PeakMemoryPages {
		m.pages = append(m.pages, res.PeakMemoryPages)
	}
}

// showResult shows past run number (from history) without live data.
func (m *metricsPane) showResult(res run.Result, number int) {
	*m = metricsPane{phase: phaseDone, result: &res, number: number, limits: res.Limits, every: 1, width: m.width, height: m.height,
		pages: []uint64{res.PeakMemoryPages}}
}

// fuel returns the fuel figures to show: consumed, whether it is a lower
// bound, and the analysis.
func (m *metricsPane) fuel() (uint64, bool, guidance.FuelAnalysis) {
	if m.phase == phaseDone && m.result != nil {
		r := m.result
		return r.FuelConsumed, !r.FuelExact, guidance.AnalyzeFuel(r.FuelConsumed, r.Limits.FuelBudget, r.Outcome, r.FuelExact)
	}
	if m.haveLive {
		return m.live.FuelConsumed, m.live.FuelStale, guidance.AnalyzeFuel(m.live.FuelConsumed, m.live.FuelBudget, "", !m.live.FuelStale)
	}
	return 0, false, guidance.AnalyzeFuel(0, m.limits.FuelBudget, "", true)
}

// suggestedBudget is the budget the apply-budget key would apply (0: none).
func (m *metricsPane) suggestedBudget() uint64 {
	if m.phase != phaseDone || m.result == nil {
		return 0
	}
	_, _, fa := m.fuel()
	return fa.Suggested
}

func (m *metricsPane) render(st Styles, keys KeyMap) string {
	w := m.width
	var rows []string
	rows = append(rows, m.stateLine(st))

	consumed, lowerBound, fa := m.fuel()
	budget := m.limits.FuelBudget
	bandStyle := bandStyleOf(st, fa.Band)
	label := st.Muted.Render("fuel ")
	// "fuel " + gauge + " 100.0% exhausted": 5 + gauge + 17 cells.
	gaugeW := max(w-22, 6)
	// The figure says what it is: a share of the budget, "ran out", or, for
	// a guest whose count cannot be read while it runs, "not sampled".
	share := fmt.Sprintf("%5.1f%% of budget", fa.Percent)
	switch {
	case fa.Band == guidance.BandExhausted:
		share = "100.0% ran out"
	case lowerBound && m.phase == phaseRunning:
		share = "  not sampled"
	}
	rows = append(rows, label+gauge(st, fa.Percent/100, gaugeW, bandStyle)+" "+bandStyle.Render(share))
	fuelText := run.FormatFuel(consumed)
	if lowerBound {
		fuelText = "≥" + fuelText
	}
	fuelLine := "     " + st.Base.Render(fuelText+" / "+run.FormatFuel(budget))
	switch {
	case lowerBound && m.phase == phaseRunning:
		fuelLine += st.Subtle.Render(" the guest is in a loop that does not report")
	case lowerBound:
		fuelLine += st.Subtle.Render(" at least: stopped mid-loop")
	}
	rows = append(rows, fuelLine)

	var cur, peak uint64
	if m.phase == phaseDone && m.result != nil {
		cur, peak = m.result.MemoryBytes, m.result.PeakMemoryBytes
	} else if m.haveLive {
		cur, peak = m.live.MemoryBytes, m.live.PeakMemoryBytes
	}
	capBytes := m.limits.MemoryBytes
	frac := 0.0
	if capBytes > 0 {
		frac = float64(cur) / float64(capBytes)
	}
	memStyle := st.Info
	if frac >= 0.9 {
		memStyle = st.Error
	} else if frac >= 0.75 {
		memStyle = st.Warn
	}
	rows = append(rows, st.Muted.Render("mem  ")+gauge(st, frac, gaugeW, memStyle)+" "+
		memStyle.Render(fmt.Sprintf("%5.1f%%", 100*frac)))
	// Bytes, with pages beside them: a WebAssembly page is 64 KiB.
	memLine := fmt.Sprintf("%s of %s · %d of %d pages", run.FormatBytes(cur), run.FormatBytes(capBytes),
		cur/run.WasmPageSize, capBytes/run.WasmPageSize)
	if peak > cur {
		memLine += " · peak " + run.FormatBytes(peak)
	}
	rows = append(rows, "     "+st.Base.Render(memLine))
	rows = append(rows, "     "+memStyle.Render(sparkline(m.pages, w-5)))

	var out, errb int64
	if m.phase == phaseDone && m.result != nil {
		out, errb = m.result.StdoutBytes, m.result.StderrBytes
	} else if m.haveLive {
		out, errb = m.live.StdoutBytes, m.live.StderrBytes
	}
	rows = append(rows, st.Muted.Render("out  ")+st.Base.Render(run.FormatBytes(uint64(out)))+
		st.Muted.Render(" · err ")+st.Base.Render(run.FormatBytes(uint64(errb))))
	if m.varsOn {
		rows = append(rows, st.Muted.Render("vars ")+st.Accent2.Render(fmt.Sprintf("%d %s", len(m.vars), m.varsWord))+
			st.Subtle.Render(" "+strings.Join(m.vars, ", ")))
	}
	if s := m.suggestedBudget(); s > 0 {
		rows = append(rows, st.Warn.Render(fmt.Sprintf("try fuel %s: %s", run.FormatFuel(s), keys.ApplyBudget.Help().Key)))
	} else if fa.Note != "" && m.phase == phaseDone {
		rows = append(rows, st.Subtle.Render(fa.Note))
	}
	return strings.Join(rows, "\n")
}

// stateLine is the first row: what the run is doing, and for how long.
func (m *metricsPane) stateLine(st Styles) string {
	switch m.phase {
	case phaseIdle:
		return st.Subtle.Render("○ idle · no run yet")
	case phaseQueued:
		return st.Warn.Render(fmt.Sprintf("◌ queued (#%d for a slot)", m.queuedAt))
	case phaseRunning:
		el := time.Duration(0)
		act := run.ActivityStarting
		if m.haveLive {
			el, act = m.live.Elapsed, m.live.Activity
		}
		what := map[run.Activity]string{
			run.ActivityStarting:     "starting",
			run.ActivityRunning:      "running",
			run.ActivitySleeping:     "sleeping",
			run.ActivityWaitingInput: "waiting for input",
			run.ActivityHostCall:     "in a host call",
		}[act]
		return st.Accent.Render("● "+what) + st.Muted.Render(" · "+formatElapsed(el))
	}
	r := m.result
	if r == nil {
		return ""
	}
	return outcomeStyle(st, r.Outcome).Render(outcomeIcon(r.Outcome)+" "+outcomeLabel(r.Outcome)) +
		st.Muted.Render(" · "+formatElapsed(r.Duration))
}

func formatElapsed(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// gauge draws a horizontal bar w cells wide filled to frac (0..1).
func gauge(st Styles, frac float64, w int, fill lipgloss.Style) string {
	if frac < 0 {
		frac = 0
	}
	if frac > 1 {
		frac = 1
	}
	// Eighths give the bar a smooth edge.
	eighths := int(frac*float64(w*8) + 0.5)
	full := eighths / 8
	rest := eighths % 8
	var b strings.Builder
	b.WriteString(strings.Repeat("█", full))
	n := full
	if rest > 0 && n < w {
		b.WriteRune([]rune("▏▎▍▌▋▊▉")[rest-1])
		n++
	}
	return fill.Render(b.String()) + st.GaugeEmpty.Render(strings.Repeat("░", w-n))
}

// sparkline draws the samples scaled to their maximum, w cells wide (the
// latest samples when there are more).
func sparkline(samples []uint64, w int) string {
	if w <= 0 || len(samples) == 0 {
		return ""
	}
	if len(samples) > w {
		samples = samples[len(samples)-w:]
	}
	var lo, hi uint64 = samples[0], samples[0]
	for _, s := range samples {
		lo, hi = min(lo, s), max(hi, s)
	}
	bars := []rune("▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, s := range samples {
		i := len(bars) / 2 // a constant series is a flat line
		if hi > lo {
			i = int(float64(s-lo) / float64(hi-lo) * float64(len(bars)-1))
		}
		b.WriteRune(bars[i])
	}
	return b.String()
}

func bandStyleOf(st Styles, b guidance.Band) lipgloss.Style {
	switch b {
	case guidance.BandModerate:
		return st.Info
	case guidance.BandWarning:
		return st.Warn
	case guidance.BandCritical, guidance.BandExhausted:
		return st.Error
	}
	return st.OK
}

func outcomeStyle(st Styles, o run.Outcome) lipgloss.Style {
	switch o {
	case run.OutcomeOK:
		return st.OK
	case run.OutcomeCanceled:
		return st.Warn
	}
	return st.Error
}

func outcomeIcon(o run.Outcome) string {
	switch o {
	case run.OutcomeOK:
		return "✓"
	case run.OutcomeCanceled:
		return "■"
	}
	return "✗"
}

// outcomeLabel names an outcome for people.
func outcomeLabel(o run.Outcome) string {
	switch o {
	case run.OutcomeOK:
		return "ok"
	case run.OutcomeExitNonzero:
		return "error"
	case run.OutcomeOutOfFuel:
		return "out of fuel"
	case run.OutcomeMemoryLimit:
		return "memory limit"
	case run.OutcomeStackOverflow:
		return "stack overflow"
	case run.OutcomeTimeout:
		return "timeout"
	case run.OutcomeCanceled:
		return "canceled"
	case run.OutcomeTrap:
		return "trap"
	case run.OutcomeDiskLimit:
		return "disk quota"
	case run.OutcomeInvalidModule:
		return "invalid module"
	case run.OutcomeHostError:
		return "host error"
	}
	return string(o)
}
