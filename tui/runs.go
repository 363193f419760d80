package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
)

// runsPane lists the session's runs, newest first, to compare at a glance
// and to open one again.
type runsPane struct {
	runs   []sessions.RunSummary // oldest first, as the history keeps them
	cursor int                   // index into the newest-first view
	offset int
	marked int // the run marked to compare (its number; 0: none)
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
	case key.Matches(msg, keys.ListTop):
		r.move(-len(r.runs))
	case key.Matches(msg, keys.ListBottom):
		r.move(len(r.runs))
	case key.Matches(msg, keys.Open):
		if s, ok := r.at(r.cursor); ok {
			return true, s.Number
		}
	default:
		return false, 0
	}
	return true, 0
}

// runsColumns are the runs table's columns after the outcome, with their
// widths in cells; the code's first line takes what is left.
var runsColumns = []struct {
	head  string
	width int
	right bool
}{{"fuel", 8, true}, {"time", 7, true}, {"by", 6, false}, {"lang", 5, false}, {"started", 8, false}, {"pages", 6, true}}

func (r *runsPane) render(st Styles, focused bool) string {
	if r.err != "" {
		return st.Error.Render(r.err)
	}
	if len(r.runs) == 0 {
		return st.Subtle.Render("No runs yet in this session.")
	}
	w := r.width
	now := time.Now()
	head := []string{cell("#", 4, false), cell("outcome", 15, false)}
	for _, c := range runsColumns {
		head = append(head, cell(c.head, c.width, c.right))
	}
	rows := []string{st.Subtle.Render(fitLine(strings.Join(head, " ")+" code", w))}
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
		values := []string{fuel, formatElapsed(time.Duration(s.DurationMS * float64(time.Millisecond))), s.Origin.Short(),
			runtimeShort(s.Runtime), startedShort(now, s.StartedAt), itoa(int(s.MemoryPeak))}
		cells := make([]string, len(values))
		for j, v := range values {
			cells[j] = cell(v, runsColumns[j].width, runsColumns[j].right)
		}
		mark := ""
		if s.Number == r.marked {
			mark = "*"
		}
		number := cell(itoa(s.Number)+mark, 4, false)
		outcome := cell(outcomeIcon(o)+" "+outcomeLabel(o), 15, false)
		rest := " " + strings.Join(cells, " ") + " " + sanitize(s.CodeHead, 4)
		line := fitLine(number+" "+outcome+rest, w)
		if i == r.cursor && focused {
			rows = append(rows, st.Selected.Render(line))
			continue
		}
		// Cells have fixed widths, so the outcome's colour ends where its
		// column does, whatever the label.
		lead := ansi.Truncate(number+" "+outcome, w, "")
		tail := ansi.TruncateLeft(line, ansi.StringWidth(lead), "")
		rows = append(rows, outcomeStyle(st, o).Render(lead)+st.Base.Render(tail))
	}
	return strings.Join(rows, "\n")
}

// cell pads (or cuts) s to exactly width cells, on the left when right.
func cell(s string, width int, right bool) string {
	if ansi.StringWidth(s) > width {
		s = ansi.Truncate(s, width, "…")
	}
	pad := strings.Repeat(" ", width-ansi.StringWidth(s))
	if right {
		return pad + s
	}
	return s + pad
}

// runtimeShort names a runtime in a few cells.
func runtimeShort(name string) string {
	switch name {
	case runtimes.Python:
		return "py"
	case runtimes.JavaScript:
		return "js"
	}
	return name
}

// startedShort is when a run started: the time today, else the date.
func startedShort(now, t time.Time) string {
	t = t.Local()
	if y, m, d := now.Local().Date(); t.Year() == y && t.Month() == m && t.Day() == d {
		return t.Format("15:04:05")
	}
	return t.Format("Jan _2")
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
