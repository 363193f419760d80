package editor

import (
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// wheelLines is how far one wheel notch scrolls.
const wheelLines = 3

// Update handles a message: key presses and bracketed paste (only while
// focused), the terminal's answer to a clipboard read started by Paste,
// and mouse clicks, drags and wheel (coordinates relative to the editor's
// top-left cell). It returns a command when the terminal has to do
// something (set or read the clipboard), else nil. Other messages,
// including keys the root reserves (see Reserved), are ignored.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if !m.focused || Reserved(msg.String()) {
			return nil
		}
		if m.readOnly && m.isEdit(msg) {
			return refusedEdit
		}
		return m.handleKey(msg)
	case tea.PasteMsg:
		if m.focused && m.readOnly {
			return refusedEdit
		}
		if m.focused {
			m.paste(msg.Content)
		}
	case tea.ClipboardMsg:
		if m.focused && m.pastePending && msg.Selection != 'p' && !m.readOnly {
			m.pastePending = false
			m.paste(msg.Content)
		}
	case pasteWaitMsg:
		if m.pastePending && msg.seq == m.pasteSeq {
			m.pastePending = false
			return func() tea.Msg { return PasteUnansweredMsg{} }
		}
	case tea.MouseClickMsg:
		m.click(msg.Mouse())
	case tea.MouseMotionMsg:
		if ms := msg.Mouse(); m.dragging && ms.Button == tea.MouseLeft {
			m.moveTo(m.posAt(ms.X, ms.Y), true)
			m.goalX = -1
		}
	case tea.MouseReleaseMsg:
		m.dragging = false
	case tea.MouseWheelMsg:
		m.wheel(msg.Mouse())
	}
	return nil
}

// refusedEdit reports an edit a read-only editor did not make.
func refusedEdit() tea.Msg { return ReadOnlyMsg{} }

// isEdit reports whether a key would change the text: an editing binding
// or a key that types.
func (m *Model) isEdit(msg tea.KeyPressMsg) bool {
	k := &m.keys
	for _, b := range []key.Binding{k.Cut, k.Paste, k.Undo, k.Redo, k.Backspace, k.Delete,
		k.DeleteWordBackward, k.DeleteWordForward, k.DeleteLine, k.Newline, k.Indent, k.Dedent} {
		if key.Matches(msg, b) {
			return true
		}
	}
	for _, b := range m.motionKeys() {
		if key.Matches(msg, b) {
			return false
		}
	}
	_, types := typedText(msg)
	return types
}

// motionKeys are the bindings that move, select or copy: never edits.
func (m *Model) motionKeys() []key.Binding {
	k := &m.keys
	return []key.Binding{k.Left, k.Right, k.Up, k.Down, k.WordLeft, k.WordRight, k.LineStart, k.LineEnd,
		k.PageUp, k.PageDown, k.BufferStart, k.BufferEnd, k.SelectLeft, k.SelectRight, k.SelectUp, k.SelectDown,
		k.SelectWordLeft, k.SelectWordRight, k.SelectLineStart, k.SelectLineEnd, k.SelectPageUp, k.SelectPageDown,
		k.SelectBufferStart, k.SelectBufferEnd, k.SelectAll, k.Copy, k.NextMark, k.PrevMark}
}

// click places the cursor (shift+click extends the selection) and starts a
// drag selection.
func (m *Model) click(ms tea.Mouse) {
	if ms.Button != tea.MouseLeft {
		return
	}
	m.moveTo(m.posAt(ms.X, ms.Y), ms.Mod.Contains(tea.ModShift))
	m.goalX = -1
	m.dragging = true
}

// wheel scrolls the view; shift+wheel scrolls sideways.
func (m *Model) wheel(ms tea.Mouse) {
	switch ms.Button {
	case tea.MouseWheelUp:
		if ms.Mod.Contains(tea.ModShift) {
			m.scroll(0, -wheelLines*2)
		} else {
			m.scroll(-wheelLines, 0)
		}
	case tea.MouseWheelDown:
		if ms.Mod.Contains(tea.ModShift) {
			m.scroll(0, wheelLines*2)
		} else {
			m.scroll(wheelLines, 0)
		}
	case tea.MouseWheelLeft:
		m.scroll(0, -wheelLines*2)
	case tea.MouseWheelRight:
		m.scroll(0, wheelLines*2)
	}
}

// handleKey runs the command bound to a key, or types its text.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	switch {
	// Motion.
	case key.Matches(msg, k.Left):
		m.moveHorizontal(false, false)
	case key.Matches(msg, k.Right):
		m.moveHorizontal(true, false)
	case key.Matches(msg, k.Up):
		m.moveLines(-1, false)
	case key.Matches(msg, k.Down):
		m.moveLines(1, false)
	case key.Matches(msg, k.WordLeft):
		m.move(m.buf.wordLeft, false)
	case key.Matches(msg, k.WordRight):
		m.move(m.buf.wordRight, false)
	case key.Matches(msg, k.LineStart):
		m.move(m.buf.lineStart, false)
	case key.Matches(msg, k.LineEnd):
		m.move(m.buf.lineEnd, false)
	case key.Matches(msg, k.PageUp):
		m.page(false, false)
	case key.Matches(msg, k.PageDown):
		m.page(true, false)
	case key.Matches(msg, k.BufferStart):
		m.move(func(pos) pos { return pos{} }, false)
	case key.Matches(msg, k.BufferEnd):
		m.move(func(pos) pos { return m.buf.end() }, false)

	// Selection.
	case key.Matches(msg, k.SelectLeft):
		m.moveHorizontal(false, true)
	case key.Matches(msg, k.SelectRight):
		m.moveHorizontal(true, true)
	case key.Matches(msg, k.SelectUp):
		m.moveLines(-1, true)
	case key.Matches(msg, k.SelectDown):
		m.moveLines(1, true)
	case key.Matches(msg, k.SelectWordLeft):
		m.move(m.buf.wordLeft, true)
	case key.Matches(msg, k.SelectWordRight):
		m.move(m.buf.wordRight, true)
	case key.Matches(msg, k.SelectLineStart):
		m.move(m.buf.lineStart, true)
	case key.Matches(msg, k.SelectLineEnd):
		m.move(m.buf.lineEnd, true)
	case key.Matches(msg, k.SelectPageUp):
		m.page(false, true)
	case key.Matches(msg, k.SelectPageDown):
		m.page(true, true)
	case key.Matches(msg, k.SelectBufferStart):
		m.move(func(pos) pos { return pos{} }, true)
	case key.Matches(msg, k.SelectBufferEnd):
		m.move(func(pos) pos { return m.buf.end() }, true)
	case key.Matches(msg, k.SelectAll):
		m.selectAll()

	// Clipboard and history.
	case key.Matches(msg, k.Copy):
		return m.copy()
	case key.Matches(msg, k.Cut):
		return m.cut()
	case key.Matches(msg, k.Paste):
		return m.askPaste()
	case key.Matches(msg, k.Undo):
		m.undo()
	case key.Matches(msg, k.Redo):
		m.redo()

	// Editing.
	case key.Matches(msg, k.Backspace):
		m.backspace()
	case key.Matches(msg, k.Delete):
		m.deleteForward()
	case key.Matches(msg, k.DeleteWordBackward):
		m.deleteTo(m.buf.wordLeft(m.cursor))
	case key.Matches(msg, k.DeleteWordForward):
		m.deleteTo(m.buf.wordRight(m.cursor))
	case key.Matches(msg, k.DeleteLine):
		m.deleteLines()
	case key.Matches(msg, k.Newline):
		m.newline()
	case key.Matches(msg, k.Indent):
		m.tab()
	case key.Matches(msg, k.Dedent):
		m.dedentLines()
	case key.Matches(msg, k.NextMark):
		m.gotoMark(false)
	case key.Matches(msg, k.PrevMark):
		m.gotoMark(true)

	default:
		if text, ok := typedText(msg); ok {
			m.typeText(text)
		}
	}
	return nil
}

// typedText returns the text a key press types: its Text, when no ctrl or
// alt is held and it holds no control characters.
func typedText(msg tea.KeyPressMsg) (string, bool) {
	if msg.Text == "" || msg.Mod.Contains(tea.ModCtrl) || msg.Mod.Contains(tea.ModAlt) {
		return "", false
	}
	for _, r := range msg.Text {
		if unicode.IsControl(r) {
			return "", false
		}
	}
	return msg.Text, true
}
