package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// handleMouse focuses the pane under a click and hands the event to it,
// relative to its content; the wheel scrolls the pane under the pointer.
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
	double := false
	switch msg.(type) {
	case tea.MouseClickMsg:
		if m.focus != p {
			m.setFocus(p)
		}
		double = time.Since(m.lastClick.at) < 400*time.Millisecond && m.lastClick.x == mouse.X && m.lastClick.y == mouse.Y
		m.lastClick = clickInfo{at: time.Now(), x: mouse.X, y: mouse.Y}
	case tea.MouseWheelMsg:
	default:
		// Drags and releases belong to the focused editor's selection.
		if p != PaneEditor || m.focus != PaneEditor {
			return nil
		}
	}
	in, cmd := sv.pane(p).mouse(translateMouse(msg, r.X+1, r.Y+1).(tea.MouseMsg), double)
	if in != nil {
		return m.carryOut(sv, in, cmd)
	}
	return cmd
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
