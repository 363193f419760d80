package tui

import (
	"fmt"
	"io"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wasmplay/wasmplay/themes"
)

// BatchRow is one batch result as the batch picker lists it.
type BatchRow struct {
	// Line is the item's input line; ID its id.
	Line int
	ID   string
	// Outcome, Tests ("passed", "failed" or ""), Fuel and Duration are
	// shown as they are.
	Outcome, Tests, Fuel, Duration string
	// Problem is the first line of its error or the last of its stderr.
	Problem string
	// Text is what the filter also searches: its stdout and stderr.
	Text string
}

// batchPicker lists a batch's results, filtered by what is typed (in the
// id, the outcome, the verdict, the problem and the output); Enter picks
// one.
type batchPicker struct {
	rows   []BatchRow
	shown  []int
	cursor int
	offset int
	filter textinput.Model
	st     Styles
	keys   KeyMap
	title  string
	width  int
	height int
	picked int // index into rows, -1 for none
}

// PickBatchRow shows rows full-screen on the terminal (in, out) and
// returns the index of the row picked with Enter, or -1 when the person
// left with esc or ctrl+q.
func PickBatchRow(rows []BatchRow, title string, theme themes.Theme, keys KeyMap, in io.Reader, out io.Writer) (int, error) {
	p := newBatchPicker(rows, title, NewStyles(theme), keys)
	final, err := tea.NewProgram(p, tea.WithInput(in), tea.WithOutput(out)).Run()
	if err != nil {
		return -1, fmt.Errorf("batch picker: %w", err)
	}
	return final.(*batchPicker).picked, nil
}

func newBatchPicker(rows []BatchRow, title string, st Styles, keys KeyMap) *batchPicker {
	f := textinput.New()
	f.Prompt = "filter › "
	f.Placeholder = "type to filter: an outcome (out_of_fuel), failed, an error text, an id"
	f.SetWidth(60)
	f.Focus()
	p := &batchPicker{rows: rows, filter: f, st: st, keys: keys, title: title, picked: -1}
	p.refilter()
	return p
}

func (p *batchPicker) Init() tea.Cmd { return textinput.Blink }

// refilter keeps the rows holding every word of the filter.
func (p *batchPicker) refilter() {
	words := strings.Fields(strings.ToLower(p.filter.Value()))
	p.shown = p.shown[:0]
	for i, r := range p.rows {
		hay := strings.ToLower(strings.Join([]string{r.ID, r.Outcome, r.Tests, r.Problem, r.Text}, " "))
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(hay, w)
		}
		if ok {
			p.shown = append(p.shown, i)
		}
	}
	p.cursor = min(p.cursor, max(len(p.shown)-1, 0))
}

// listHeight is how many rows fit.
func (p *batchPicker) listHeight() int { return max(p.height-5, 1) }

func (p *batchPicker) move(delta int) {
	if len(p.shown) == 0 {
		return
	}
	p.cursor = clamp(p.cursor+delta, 0, len(p.shown)-1)
	h := p.listHeight()
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if p.cursor >= p.offset+h {
		p.offset = p.cursor - h + 1
	}
}

func (p *batchPicker) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
		p.move(0)
		return p, nil
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, p.keys.Quit), key.Matches(msg, p.keys.Back):
			return p, tea.Quit
		case key.Matches(msg, p.keys.Open):
			if len(p.shown) > 0 {
				p.picked = p.shown[p.cursor]
			}
			return p, tea.Quit
		case msg.String() == "up":
			p.move(-1)
			return p, nil
		case msg.String() == "down":
			p.move(1)
			return p, nil
		case key.Matches(msg, p.keys.PageUp):
			p.move(-p.listHeight())
			return p, nil
		case key.Matches(msg, p.keys.PageDown):
			p.move(p.listHeight())
			return p, nil
		}
	}
	var cmd tea.Cmd
	before := p.filter.Value()
	p.filter, cmd = p.filter.Update(msg)
	if p.filter.Value() != before {
		p.cursor, p.offset = 0, 0
		p.refilter()
	}
	return p, cmd
}

func (p *batchPicker) View() tea.View {
	w := max(p.width, 40)
	var b strings.Builder
	b.WriteString(p.st.Bold.Render(fitLine(sanitize(p.title, 4), w)) + "\n")
	b.WriteString(p.filter.View() + "\n")
	b.WriteString(p.st.Muted.Render(fitLine(fmt.Sprintf("%-6s %-22s %-14s %-7s %8s %10s  %s", "line", "id", "outcome", "tests", "fuel", "time", "problem"), w)) + "\n")
	for i := p.offset; i < len(p.shown) && i < p.offset+p.listHeight(); i++ {
		r := p.rows[p.shown[i]]
		line := fitLine(fmt.Sprintf("%-6d %-22s %-14s %-7s %8s %10s  %s", r.Line, sanitize(fitLine(r.ID, 22), 4), r.Outcome, r.Tests,
			r.Fuel, r.Duration, sanitize(r.Problem, 4)), w)
		if i == p.cursor {
			line = p.st.Selected.Render(line)
		}
		b.WriteString(line + "\n")
	}
	for i := len(p.shown) - p.offset; i < p.listHeight(); i++ {
		b.WriteString("\n")
	}
	b.WriteString(p.st.Muted.Render(fitLine(fmt.Sprintf("%d of %d results · ↑/↓ move · enter opens it in a session · esc leaves",
		len(p.shown), len(p.rows)), w)))
	v := tea.NewView(lipgloss.NewStyle().MaxWidth(w).Render(b.String()))
	v.AltScreen = true
	return v
}
