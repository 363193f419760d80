package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/sessions"
)

// handleMouse focuses the pane under a click and forwards it; the wheel
// scrolls the pane under the pointer.
func (m *Model) handleMouse(msg tea.MouseMsg) tea.Cmd {
	if m.dialog != nil || m.current == nil || m.layout.TooSmall {
		return nil
	}
	mouse := msg.Mouse()
	p, ok := m.layout.PaneAt(mouse.X, mouse.Y)
	if !ok {
		return nil
	}
	r := m.layout.Panes[p]
	sv := m.current
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		delta := 3
		if mouse.Button == tea.MouseWheelUp {
			delta = -3
		}
		switch p {
		case PaneOutput:
			sv.out.scroll(delta)
		case PaneFiles:
			sv.files.move(delta)
		case PaneRuns:
			sv.runs.move(delta)
		case PaneEditor:
			if t := sv.activeTab(); t != nil {
				return t.ed.Update(translateMouse(msg, r.X+1, r.Y+2))
			}
		}
		return nil
	case tea.MouseClickMsg:
		if m.focus != p {
			m.setFocus(p)
		}
		double := time.Since(m.lastClick.at) < 400*time.Millisecond && m.lastClick.x == mouse.X && m.lastClick.y == mouse.Y
		m.lastClick = clickInfo{at: time.Now(), x: mouse.X, y: mouse.Y}
		row := mouse.Y - r.Y - 1
		switch p {
		case PaneEditor:
			if row == 0 {
				return m.clickTab(mouse.X - r.X - 1)
			}
			if t := sv.activeTab(); t != nil {
				return t.ed.Update(translateMouse(msg, r.X+1, r.Y+2))
			}
		case PaneFiles:
			if e, ok := sv.files.clickRow(row); ok {
				if e.Kind == sessions.KindDir {
					sv.files.collapsed[e.Path] = !sv.files.collapsed[e.Path]
					sv.files.rebuild()
				} else if double {
					return readFileCmd(sv.sess, e.Path, false)
				} else {
					return readFileCmd(sv.sess, e.Path, true)
				}
			}
		case PaneRuns:
			if row >= 1 {
				sv.runs.cursor = sv.runs.offset + row - 1
				if s, ok := sv.runs.at(sv.runs.cursor); ok && double {
					return runRecordCmd(sv.sess, s.Number)
				}
			}
		}
	default:
		// Drags and releases belong to the editor's selection.
		if p == PaneEditor && m.focus == PaneEditor {
			if t := sv.activeTab(); t != nil {
				return t.ed.Update(translateMouse(msg, r.X+1, r.Y+2))
			}
		}
	}
	return nil
}

// clickTab activates the tab under column x of the tab bar.
func (m *Model) clickTab(x int) tea.Cmd {
	sv := m.current
	col := 0
	for i, t := range sv.tabs {
		w := len([]rune(t.title())) + 2
		if x >= col && x < col+w {
			sv.active = i
			m.setFocus(PaneEditor)
			return nil
		}
		col += w + 1
	}
	return nil
}

// translateMouse makes a mouse message relative to the cell (x0, y0).
func translateMouse(msg tea.MouseMsg, x0, y0 int) tea.Msg {
	switch m := msg.(type) {
	case tea.MouseClickMsg:
		m.X -= x0
		m.Y -= y0
		return m
	case tea.MouseReleaseMsg:
		m.X -= x0
		m.Y -= y0
		return m
	case tea.MouseMotionMsg:
		m.X -= x0
		m.Y -= y0
		return m
	case tea.MouseWheelMsg:
		m.X -= x0
		m.Y -= y0
		return m
	}
	return msg
}
