package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/tui/editor"
)

// pane is one of a session's five panes as the root sees it: sized,
// titled and drawn, and turning keys and mouse events into intents that
// the root carries out. A pane never reaches the root model; adding one
// is a type with these methods, a Pane constant and a place in the layout.
type pane interface {
	// setSize gives the pane its content area (inside the frame).
	setSize(w, h int)
	// title names the pane in its frame.
	title() string
	// note is the frame's right-hand remark ("3 runs", "live").
	note() string
	// view draws the content.
	view(c paneContext) string
	// key handles a key press: what the app should do (nil: nothing), a
	// command of the pane's own, and whether the pane used the key.
	key(msg tea.KeyPressMsg, keys KeyMap) (intent, tea.Cmd, bool)
	// mouse handles a click, a wheel turn or a drag, its coordinates
	// relative to the content area; double is a second click on the same
	// cell.
	mouse(msg tea.MouseMsg, double bool) (intent, tea.Cmd)
}

// paneContext is what a pane draws with.
type paneContext struct {
	st      Styles
	keys    KeyMap
	focused bool
}

// intent is what a pane asks the app to do: one of the types below, or a
// pane's own request (*outputRequest, *filesRequest).
type intent any

// openRunIntent asks to show run number n from the history.
type openRunIntent struct{ n int }

// editedIntent says the editor's text may have changed (autosave).
type editedIntent struct{}

// pane returns the session's pane p.
func (sv *sessionView) pane(p Pane) pane {
	switch p {
	case PaneEditor:
		return (*editorPane)(sv)
	case PaneOutput:
		return sv.out
	case PaneMetrics:
		return sv.metrics
	case PaneFiles:
		return sv.files
	}
	return sv.runs
}

// editorPane is the editor's tabs seen as a pane: a tab bar over the
// active tab's editor.
type editorPane sessionView

func (e *editorPane) sv() *sessionView { return (*sessionView)(e) }

func (e *editorPane) setSize(w, h int) {
	e.editorWidth = w
	for _, t := range e.tabs {
		t.ed.SetSize(w, max(h-1, 0)) // one row for the tab bar
	}
}

func (e *editorPane) title() string { return "Editor" }

func (e *editorPane) note() string {
	t := e.sv().activeTab()
	if t == nil {
		return ""
	}
	if msg := currentMarkMessage(t.ed); msg != "" {
		return msg
	}
	line, col := t.ed.Cursor()
	if t.crlf {
		return fmt.Sprintf("%s · CRLF · %d:%d", t.runtime, line, col)
	}
	return fmt.Sprintf("%s · %d:%d", t.runtime, line, col)
}

func (e *editorPane) view(c paneContext) string {
	// When the tabs do not fit, the bar starts late enough to show the
	// active one, and a ‹ says tabs are hidden on the left.
	first := max(e.active, 0)
	width := 0 // of the tabs first..active, with their separators
	for i := e.active; i >= 0 && i < len(e.tabs); i-- {
		width += lipgloss.Width(e.tabs[i].title()) + 2
		if i < e.active {
			width++ // the separator
		}
		hidden := 0
		if i > 0 {
			hidden = 2 // "‹" and its separator
		}
		if width+hidden > e.editorWidth && i < e.active {
			break
		}
		first = i
	}
	var tabs []string
	if first > 0 {
		tabs = append(tabs, c.st.Muted.Render("‹"))
	}
	for i := first; i < len(e.tabs); i++ {
		label := " " + e.tabs[i].title() + " "
		if i == e.active {
			tabs = append(tabs, c.st.Selected.Render(label))
		} else {
			tabs = append(tabs, c.st.Muted.Render(label))
		}
	}
	bar := fitLine(strings.Join(tabs, c.st.Subtle.Render("│")), e.editorWidth)
	t := e.sv().activeTab()
	if t == nil {
		return bar
	}
	return bar + "\n" + t.ed.View()
}

func (e *editorPane) key(msg tea.KeyPressMsg, keys KeyMap) (intent, tea.Cmd, bool) {
	t := e.sv().activeTab()
	if t == nil {
		return nil, nil, false
	}
	if t.pastRun != 0 && (key.Matches(msg, keys.EditRun) || key.Matches(msg, keys.RerunRun)) {
		return editRunIntent{n: t.pastRun, rerun: key.Matches(msg, keys.RerunRun)}, nil, true
	}
	return editedIntent{}, t.ed.Update(msg), true
}

func (e *editorPane) mouse(msg tea.MouseMsg, double bool) (intent, tea.Cmd) {
	if _, click := msg.(tea.MouseClickMsg); click && msg.Mouse().Y == 0 {
		e.clickTab(msg.Mouse().X)
		return nil, nil
	}
	t := e.sv().activeTab()
	if t == nil {
		return nil, nil
	}
	return nil, t.ed.Update(translateMouse(msg, 0, 1)) // below the tab bar
}

// clickTab activates the tab under column x of the tab bar.
func (e *editorPane) clickTab(x int) {
	col := 0
	for i, t := range e.tabs {
		w := len([]rune(t.title())) + 2
		if x >= col && x < col+w {
			e.active = i
			return
		}
		col += w + 1
	}
}

// currentMarkMessage is the message of a mark on the cursor's line.
func currentMarkMessage(ed *editor.Model) string {
	line, _ := ed.Cursor()
	for _, mk := range ed.Marks() {
		if mk.Line == line {
			return mk.Message
		}
	}
	return ""
}

// The output pane.

func (o *outputPane) title() string { return "Output" }

func (o *outputPane) view(c paneContext) string { return o.render(c.st, c.focused) }

func (o *outputPane) key(msg tea.KeyPressMsg, keys KeyMap) (intent, tea.Cmd, bool) {
	used, cmd, req := o.handleKey(msg, keys)
	if req != nil {
		return req, cmd, true
	}
	return nil, cmd, used
}

func (o *outputPane) mouse(msg tea.MouseMsg, double bool) (intent, tea.Cmd) {
	if w, ok := msg.(tea.MouseWheelMsg); ok {
		o.scroll(wheelDelta(w))
	}
	return nil, nil
}

// The metrics pane.

func (m *metricsPane) title() string { return "Metrics" }

func (m *metricsPane) view(c paneContext) string { return m.render(c.st, c.keys) }

func (m *metricsPane) note() string {
	switch {
	case m.phase == phaseRunning || m.phase == phaseQueued:
		return "live"
	case m.number > 0:
		return "run " + itoa(m.number)
	}
	return ""
}

func (m *metricsPane) key(tea.KeyPressMsg, KeyMap) (intent, tea.Cmd, bool) { return nil, nil, false }

func (m *metricsPane) mouse(tea.MouseMsg, bool) (intent, tea.Cmd) { return nil, nil }

// The files pane.

func (f *filesPane) title() string { return "Files /app" }

func (f *filesPane) view(c paneContext) string { return f.render(c.st, c.focused) }

func (f *filesPane) key(msg tea.KeyPressMsg, keys KeyMap) (intent, tea.Cmd, bool) {
	used, req := f.handleKey(msg, keys)
	if req != nil {
		return req, nil, true
	}
	return nil, nil, used
}

func (f *filesPane) mouse(msg tea.MouseMsg, double bool) (intent, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		f.move(wheelDelta(msg))
	case tea.MouseClickMsg:
		e, ok := f.clickRow(msg.Mouse().Y)
		switch {
		case !ok:
		case e.Kind == sessions.KindDir:
			f.collapsed[e.Path] = !f.collapsed[e.Path]
			f.rebuild()
		case double:
			return &filesRequest{open: e.Path}, nil
		default:
			return &filesRequest{preview: e.Path}, nil
		}
	}
	return nil, nil
}

// The runs pane.

func (r *runsPane) title() string { return "Runs" }

func (r *runsPane) view(c paneContext) string { return r.render(c.st, c.focused) }

func (r *runsPane) key(msg tea.KeyPressMsg, keys KeyMap) (intent, tea.Cmd, bool) {
	s, ok := r.at(r.cursor)
	switch {
	case key.Matches(msg, keys.EditRun), key.Matches(msg, keys.RerunRun):
		if ok {
			return editRunIntent{n: s.Number, rerun: key.Matches(msg, keys.RerunRun)}, nil, true
		}
		return nil, nil, true
	case key.Matches(msg, keys.MarkRun):
		switch {
		case !ok:
		case r.marked == s.Number:
			r.marked = 0 // unmarked
		default:
			r.marked = s.Number
		}
		return nil, nil, true
	case key.Matches(msg, keys.DiffRuns):
		if !ok {
			return nil, nil, true
		}
		other := r.marked
		if other == 0 || other == s.Number {
			other = s.Number - 1 // no mark: against the run before
		}
		if other < 1 {
			return nil, nil, true
		}
		return diffRunsIntent{a: min(other, s.Number), b: max(other, s.Number)}, nil, true
	}
	used, n := r.handleKey(msg, keys)
	if n > 0 {
		return openRunIntent{n: n}, nil, true
	}
	return nil, nil, used
}

func (r *runsPane) mouse(msg tea.MouseMsg, double bool) (intent, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		r.move(wheelDelta(msg))
	case tea.MouseClickMsg:
		if y := msg.Mouse().Y; y >= 1 {
			r.cursor = r.offset + y - 1
			if s, ok := r.at(r.cursor); ok && double {
				return openRunIntent{n: s.Number}, nil
			}
		}
	}
	return nil, nil
}

// wheelDelta is how many rows a wheel turn scrolls.
func wheelDelta(msg tea.MouseWheelMsg) int {
	if msg.Mouse().Button == tea.MouseWheelUp {
		return -3
	}
	return 3
}
