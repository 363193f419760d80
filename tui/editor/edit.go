package editor

import (
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Editing commands. Every change to the text goes through change, which
// records it for undo and keeps caches and marks in step; every command
// ends with commit.

// change replaces the text between from and to (from <= to) with text and
// returns the position after it. text must not be modified afterwards (the
// undo history keeps it).
func (m *Model) change(kind editKind, from, to pos, text []rune) pos {
	before := m.state()
	removed := m.buf.slice(from, to)
	end := m.buf.replace(from, to, text)
	m.hist.record(kind, edit{at: from, removed: removed, inserted: text}, before, before, m.now())
	m.changed(from, to, text)
	m.edited = true
	return end
}

// changed updates everything that depends on the text after the range
// from..to was replaced by text (by an edit, undo or redo).
func (m *Model) changed(from, to pos, text []rune) {
	m.hl.invalidate(from.line, from.line == to.line && countNewlines(text) == 0)
	m.moveMarks(from, to, text)
	m.rev++
}

// commit ends an editing command: it records where the cursor ended up for
// redo, forgets the up/down goal column and scrolls to the cursor.
func (m *Model) commit() {
	if m.edited {
		if top := m.hist.top(); top != nil {
			top.after = m.state()
		}
		m.edited = false
	}
	m.goalX = -1
	m.scrollToCursor()
}

// replaceSelection replaces the selection (or inserts at the cursor) with
// text, leaves the cursor after it and clears the selection.
func (m *Model) replaceSelection(kind editKind, text []rune) {
	from, to, ok := m.selection()
	if !ok {
		from, to = m.cursor, m.cursor
	}
	m.cursor = m.change(kind, from, to, text)
	m.selecting = false
	m.commit()
}

// typeText inserts typed text. A closing bracket typed as the first
// non-blank of a line dedents the line one level.
func (m *Model) typeText(s string) {
	text := []rune(s)
	if len(text) == 0 {
		return
	}
	kind := kindOther
	if len(text) == 1 {
		kind = kindType
	}
	if _, _, sel := m.selection(); !sel && len(text) == 1 {
		line := m.buf.line(m.cursor.line)
		if n := closerDedent(line, m.cursor.col, text[0], m.lo.tabWidth); n > 0 {
			from := pos{m.cursor.line, m.cursor.col - n}
			m.cursor = m.change(kindOther, from, m.cursor, text)
			m.selecting = false
			m.commit()
			return
		}
	}
	m.replaceSelection(kind, text)
}

// paste inserts pasted text as is (no auto-indent), replacing the
// selection, as one undo step.
func (m *Model) paste(s string) {
	text := []rune(normalizeNewlines(s))
	if len(text) == 0 {
		return
	}
	m.replaceSelection(kindOther, text)
}

// newline inserts a line break with auto-indent (see indent.go), replacing
// the selection.
func (m *Model) newline() {
	from, to, ok := m.selection()
	if !ok {
		from, to = m.cursor, m.cursor
	}
	line := m.buf.line(from.line)
	// The rules look at the line as it will be once the selection is gone:
	// the text before from, then what follows to.
	joined := slices.Concat(line[:from.col], m.buf.line(to.line)[to.col:])
	text, cursor, skip := newlineText(m.syntax, joined, from.col, m.lo.tabWidth)
	end := to
	end.col += skip
	m.change(kindOther, from, end, text)
	m.cursor = endOf(from, text[:cursor])
	m.selecting = false
	m.commit()
}

// backspace deletes the selection, or back to the previous indent level in
// leading blanks, or one character (joining lines at column 0).
func (m *Model) backspace() {
	if _, _, ok := m.selection(); ok {
		m.replaceSelection(kindOther, nil)
		return
	}
	m.selecting = false
	if m.cursor.col == 0 {
		if m.cursor.line == 0 {
			return
		}
		from := m.buf.charLeft(m.cursor)
		m.cursor = m.change(kindBackspace, from, m.cursor, nil)
		m.commit()
		return
	}
	n := backspaceCount(&m.buf, m.cursor, m.lo.tabWidth)
	from := pos{m.cursor.line, m.cursor.col - n}
	m.cursor = m.change(kindBackspace, from, m.cursor, nil)
	m.commit()
}

// deleteForward deletes the selection or the character after the cursor
// (joining lines at the end of a line).
func (m *Model) deleteForward() {
	if _, _, ok := m.selection(); ok {
		m.replaceSelection(kindOther, nil)
		return
	}
	m.selecting = false
	to := m.buf.charRight(m.cursor)
	if to == m.cursor {
		return
	}
	m.cursor = m.change(kindDelete, m.cursor, to, nil)
	m.commit()
}

// deleteTo deletes between the cursor and p (a word motion's target), or
// the selection if there is one.
func (m *Model) deleteTo(p pos) {
	if _, _, ok := m.selection(); ok {
		m.replaceSelection(kindOther, nil)
		return
	}
	m.selecting = false
	from, to := order(m.cursor, p)
	if from == to {
		return
	}
	m.cursor = m.change(kindOther, from, to, nil)
	m.commit()
}

// lineSpan returns the lines the selection touches, or the cursor's line.
// A selection ending at column 0 does not include that last line.
func (m *Model) lineSpan() (first, last int) {
	from, to, ok := m.selection()
	if !ok {
		return m.cursor.line, m.cursor.line
	}
	if to.col == 0 && to.line > from.line {
		to.line--
	}
	return from.line, to.line
}

// lineRange returns the text range of whole lines first..last including the
// line break after them (or before them for the last line of the text).
func (m *Model) lineRange(first, last int) (from, to pos) {
	if last+1 < m.buf.lineCount() {
		return pos{first, 0}, pos{last + 1, 0}
	}
	if first > 0 {
		return pos{first - 1, len(m.buf.line(first - 1))}, pos{last, len(m.buf.line(last))}
	}
	return pos{first, 0}, pos{last, len(m.buf.line(last))}
}

// deleteLines deletes the lines the selection touches (or the cursor's
// line).
func (m *Model) deleteLines() {
	first, last := m.lineSpan()
	from, to := m.lineRange(first, last)
	if from == to {
		return
	}
	m.change(kindOther, from, to, nil)
	m.selecting = false
	p := m.buf.clamp(pos{first, 0})
	p.col = m.buf.firstNonBlank(p.line)
	m.cursor = p
	m.commit()
}

// copyText returns what Copy and Cut take: the selection, or the cursor's
// whole line with its line break when there is no selection.
func (m *Model) copyText() (text string, from, to pos) {
	if f, t, ok := m.selection(); ok {
		return string(m.buf.slice(f, t)), f, t
	}
	l := m.cursor.line
	from, to = m.lineRange(l, l)
	return string(m.buf.line(l)) + "\n", from, to
}

// CopiedMsg says text was copied (or cut): it went to the system
// clipboard through OSC 52, which not every terminal honours, so the
// root keeps it too, to paste where the terminal cannot.
type CopiedMsg struct {
	// Text is what was copied.
	Text string
	// Cut is true when it was also deleted.
	Cut bool
}

// PasteUnansweredMsg says the terminal did not answer a paste's clipboard
// read within PasteWait: the root pastes what it keeps (see Paste).
type PasteUnansweredMsg struct{}

// PasteWait is how long a paste waits for the terminal's clipboard.
const PasteWait = 300 * time.Millisecond

// pasteWaitMsg ends the wait of paste number seq.
type pasteWaitMsg struct{ seq int }

// copied is the command that reports a copy.
func copied(text string, cut bool) tea.Cmd {
	return tea.Batch(tea.SetClipboard(text), func() tea.Msg { return CopiedMsg{Text: text, Cut: cut} })
}

// copy puts the selection (or line) on the system clipboard.
func (m *Model) copy() tea.Cmd {
	text, _, _ := m.copyText()
	return copied(text, false)
}

// cut copies, then deletes the selection (or line).
func (m *Model) cut() tea.Cmd {
	text, from, to := m.copyText()
	if from == to {
		return copied(text, false)
	}
	m.change(kindOther, from, to, nil)
	m.selecting = false
	m.cursor = m.buf.clamp(from)
	m.commit()
	return copied(text, true)
}

// askPaste reads the terminal's clipboard, and gives up after PasteWait.
func (m *Model) askPaste() tea.Cmd {
	m.pastePending = true
	m.pasteSeq++
	seq := m.pasteSeq
	return tea.Batch(tea.ReadClipboard, tea.Tick(PasteWait, func(time.Time) tea.Msg { return pasteWaitMsg{seq: seq} }))
}

// Paste inserts text at the cursor (replacing a selection), as a paste; a
// read-only editor ignores it.
func (m *Model) Paste(text string) {
	if !m.readOnly {
		m.paste(text)
	}
}

// indentLines adds one indent level in front of every non-empty line the
// selection touches; the selection grows to keep covering the same text.
func (m *Model) indentLines() {
	first, last := m.lineSpan()
	unit := []rune(spaces(m.lo.tabWidth))
	m.hist.begin()
	for i := first; i <= last; i++ {
		if len(m.buf.line(i)) == 0 {
			continue
		}
		m.change(kindOther, pos{i, 0}, pos{i, 0}, slices.Clone(unit))
		m.shiftCols(i, 0, len(unit))
	}
	m.hist.end()
	m.commit()
}

// dedentLines removes one indent level (see dedentOnce) from every line
// the selection touches (or the cursor's line).
func (m *Model) dedentLines() {
	first, last := m.lineSpan()
	m.hist.begin()
	for i := first; i <= last; i++ {
		indent := leadingBlanks(m.buf.line(i))
		keep := len(dedentOnce(indent, m.lo.tabWidth))
		if keep == len(indent) {
			continue
		}
		m.change(kindOther, pos{i, keep}, pos{i, len(indent)}, nil)
		m.shiftCols(i, keep, keep-len(indent))
	}
	m.hist.end()
	m.commit()
}

// shiftCols moves the cursor and anchor on line i after d blanks were
// inserted (d > 0) or removed (d < 0) at column at. Positions after the
// change move with the text; removed positions go to at. A position at
// column 0 stays there when blanks are inserted at column 0, so a selection
// of whole lines keeps covering whole lines.
func (m *Model) shiftCols(i, at, d int) {
	shift := func(p *pos) {
		switch {
		case p.line != i:
		case d > 0 && p.col > at:
			p.col += d
		case d < 0 && p.col >= at-d:
			p.col += d
		case d < 0 && p.col > at:
			p.col = at
		}
	}
	shift(&m.cursor)
	shift(&m.anchor)
}

// tab indents the selected lines, or inserts spaces up to the next tab
// stop.
func (m *Model) tab() {
	if _, _, ok := m.selection(); ok {
		m.indentLines()
		return
	}
	line := m.buf.line(m.cursor.line)
	x := m.lo.xOf(line, m.cursor.col)
	n := m.lo.tabWidth - x%m.lo.tabWidth
	m.replaceSelection(kindOther, []rune(spaces(n)))
}

// undo reverts the last undo step and restores the cursor and selection
// from before it.
func (m *Model) undo() {
	s := m.hist.popUndo()
	if s == nil {
		return
	}
	for i := len(s.edits) - 1; i >= 0; i-- {
		e := s.edits[i]
		end := endOf(e.at, e.inserted)
		m.buf.replace(e.at, end, e.removed)
		m.changed(e.at, end, e.removed)
	}
	m.restore(s.before)
}

// redo re-applies the last undone step.
func (m *Model) redo() {
	s := m.hist.popRedo()
	if s == nil {
		return
	}
	for _, e := range s.edits {
		end := endOf(e.at, e.removed)
		m.buf.replace(e.at, end, e.inserted)
		m.changed(e.at, end, e.inserted)
	}
	m.restore(s.after)
}

// ReplaceAll replaces the whole text with s as one edit: undo brings the
// old text back in one step (SetValue, by contrast, starts a new history).
// The cursor ends at the start, the marks go, and the buffer counts as
// changed.
func (m *Model) ReplaceAll(s string) {
	m.hist.seal()
	m.change(kindOther, pos{}, m.buf.end(), []rune(normalizeNewlines(s)))
	m.cursor, m.anchor, m.selecting = pos{}, pos{}, false
	m.marks = nil
	m.commit()
	m.hist.seal()
	m.top, m.left = 0, 0
}
