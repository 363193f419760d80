package tui

import (
	"errors"
	"fmt"
	"strconv"

	tea "charm.land/bubbletea/v2"
)

// openFind asks what to find in the active tab.
func (m *Model) openFind() tea.Cmd {
	sv := m.current
	if sv == nil || sv.activeTab() == nil {
		return nil
	}
	m.dialog = newPromptDialog("Find in the editor", m.findQuery, "text (lower case: any case)", func(q string) (action, error) {
		if q == "" {
			return nil, errors.New("type the text to find")
		}
		return func(m *Model) tea.Cmd {
			m.findQuery = q
			return m.findAgain(false)
		}, nil
	})
	return nil
}

// findAgain finds the last query again, forward or backward.
func (m *Model) findAgain(backward bool) tea.Cmd {
	sv := m.current
	if sv == nil || sv.activeTab() == nil {
		return nil
	}
	if m.findQuery == "" {
		return m.openFind()
	}
	line, ok := sv.activeTab().ed.Find(m.findQuery, backward)
	if !ok {
		return m.setFlash(fmt.Sprintf("%q is not in this tab", sanitize(m.findQuery, 4)), true)
	}
	m.setFocus(PaneEditor)
	return m.setFlash(fmt.Sprintf("%q on line %d · %s next, %s previous", sanitize(m.findQuery, 4), line,
		m.keys.FindNext.Help().Key, m.keys.FindPrev.Help().Key), false)
}

// openGotoLine asks for a line of the active tab to go to.
func (m *Model) openGotoLine() tea.Cmd {
	sv := m.current
	if sv == nil || sv.activeTab() == nil {
		return nil
	}
	t := sv.activeTab()
	lines := t.ed.Lines()
	m.dialog = newPromptDialog(fmt.Sprintf("Go to line (1-%d)", lines), "", "a line number", func(s string) (action, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > lines {
			return nil, fmt.Errorf("line: give a number from 1 to %d", lines)
		}
		return func(m *Model) tea.Cmd {
			t.ed.GotoLine(n)
			m.setFocus(PaneEditor)
			return nil
		}, nil
	})
	return nil
}
