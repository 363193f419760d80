package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
)

// runsPane lists the session's runs, newest first, to compare at a glance
// and to open one again.
type runsPane struct {
	runs   []sessions.RunSummary // oldest first, as the history keeps them
	cursor int                   // index into the newest-first view
	offset int
	err    string
	width  int
	height int
}

func (r *runsPane) setSize(w, h int) { r.width, r.height = w, h }

func (r *runsPane) setRuns(runs []sessions.RunSummary, err error) {
	if err != nil {
		r.err = err.Error()
		return
	}
	r.err = ""
	r.runs = runs
	r.cursor, r.offset = 0, 0
}

// add appends a run just recorded.
func (r *runsPane) add(s sessions.RunSummary) {
	r.runs = append(r.runs, s)
	r.cursor, r.offset = 0, 0
}

// at returns the i-th run of the newest-first view.
func (r *runsPane) at(i int) (sessions.RunSummary, bool) {
	if i < 0 || i >= len(r.runs) {
		return sessions.RunSummary{}, false
	}
	return r.runs[len(r.runs)-1-i], true
}

func (r *runsPane) move(delta int) {
	if len(r.runs) == 0 {
		return
	}
	r.cursor = clamp(r.cursor+delta, 0, len(r.runs)-1)
	h := max(r.height-1, 1)
	if r.cursor < r.offset {
		r.offset = r.cursor
	}
	if r.cursor >= r.offset+h {
		r.offset = r.cursor - h + 1
	}
}

// handleKey returns the number of a run to open, if any.
func (r *runsPane) handleKey(msg tea.KeyPressMsg, keys KeyMap) (bool, int) {
	switch {
	case key.Matches(msg, keys.Up):
		r.move(-1)
	case key.Matches(msg, keys.Down):
		r.move(1)
	case key.Matches(msg, keys.PageUp):
		r.move(-r.height)
	case key.Matches(msg, keys.PageDown):
		r.move(r.height)
	case key.Matches(msg, keys.Open):
		if s, ok := r.at(r.cursor); ok {
			return true, s.Number
		}
	default:
		return false, 0
	}
	return true, 0
}

func (r *runsPane) render(st Styles, focused bool) string {
	if r.err != "" {
		return st.Error.Render(r.err)
	}
	if len(r.runs) == 0 {
		return st.Subtle.Render("No runs yet in this session.")
	}
	w := r.width
	head := fmt.Sprintf("%-4s %-16s %7s %6s %8s %s", "#", "outcome", "fuel", "pages", "time", "by")
	rows := []string{st.Subtle.Render(fitLine(head, w))}
	for row := 0; row < r.height-1; row++ {
		i := r.offset + row
		s, ok := r.at(i)
		if !ok {
			break
		}
		fuel := run.FormatFuel(s.FuelConsumed)
		if !s.FuelExact {
			fuel = "≥" + fuel
		}
		o := run.Outcome(s.Outcome)
		line := fmt.Sprintf("%-4d %-16s %7s %6d %8s %s", s.Number, outcomeIcon(o)+" "+outcomeLabel(o), fuel, s.MemoryPeak,
			formatElapsed(time.Duration(s.DurationMS*float64(time.Millisecond))), s.Origin.Short())
		line = fitLine(line, w)
		switch {
		case i == r.cursor && focused:
			rows = append(rows, st.Selected.Render(line))
		default:
			rows = append(rows, outcomeStyle(st, o).Render(line[:min(len(line), 21)])+st.Base.Render(line[min(len(line), 21):]))
		}
	}
	return strings.Join(rows, "\n")
}

// note is the border note: how many runs.
func (r *runsPane) note() string {
	if len(r.runs) == 0 {
		return ""
	}
	if len(r.runs) == 1 {
		return "1 run"
	}
	return itoa(len(r.runs)) + " runs"
}
