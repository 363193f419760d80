package editor

// Cursor motion and scrolling at the model level.
//
// Scrolling: vertical scrolling keeps the cursor in view; long lines scroll
// horizontally (no soft wrap), which keeps one screen row per line so line
// numbers, marks and columns stay exact.

// hscrollMargin is how many columns of context horizontal scrolling keeps
// beyond the cursor (when the view is wide enough).
const hscrollMargin = 8

// moveTo puts the cursor at p. With extend the selection grows from where
// the cursor was; without, the selection is dropped. Any motion ends the
// current undo group.
func (m *Model) moveTo(p pos, extend bool) {
	if extend && !m.selecting {
		m.anchor = m.cursor
		m.selecting = true
	}
	if !extend {
		m.selecting = false
	}
	m.cursor = p
	m.hist.seal()
	m.scrollToCursor()
}

// move applies a motion, keeping the up/down goal column unset.
func (m *Model) move(motion func(pos) pos, extend bool) {
	m.moveTo(motion(m.cursor), extend)
	m.goalX = -1
}

// moveHorizontal is left/right: without extend, a selection collapses to
// its start (left) or end (right) instead of moving.
func (m *Model) moveHorizontal(right, extend bool) {
	if from, to, ok := m.selection(); ok && !extend {
		if right {
			m.moveTo(to, false)
		} else {
			m.moveTo(from, false)
		}
		m.goalX = -1
		return
	}
	if right {
		m.move(m.buf.charRight, extend)
	} else {
		m.move(m.buf.charLeft, extend)
	}
}

// moveLines moves the cursor n lines down (up if negative), aiming for the
// goal display column. Moving up from the first line goes to its start,
// down from the last line to its end.
func (m *Model) moveLines(n int, extend bool) {
	if m.goalX < 0 {
		m.goalX = m.lo.xOf(m.buf.line(m.cursor.line), m.cursor.col)
	}
	goal := m.goalX
	target := m.cursor.line + n
	var p pos
	switch {
	case target < 0:
		p = pos{0, 0}
	case target >= m.buf.lineCount():
		p = m.buf.end()
	default:
		p = pos{target, m.lo.colAt(m.buf.line(target), goal)}
	}
	m.moveTo(p, extend)
	m.goalX = goal
}

// page moves by a screen (less one line of context) and scrolls with it.
func (m *Model) page(down, extend bool) {
	n := max(1, m.height-1)
	if !down {
		n = -n
	}
	m.top += n
	m.clampTop()
	m.moveLines(n, extend)
}

// selectAll selects the whole text, the cursor at its end.
func (m *Model) selectAll() {
	m.anchor = pos{}
	m.selecting = true
	m.cursor = m.buf.end()
	m.goalX = -1
	m.hist.seal()
	m.scrollToCursor()
}

// gotoMark jumps to the next (or previous) mark's line.
func (m *Model) gotoMark(backwards bool) {
	if line, ok := m.markAfter(m.cursor.line+1, backwards); ok {
		m.GotoLine(line)
	}
}

// textWidth returns the width of the text area (the view less the gutter).
func (m *Model) textWidth() int {
	return max(0, m.width-m.gutterWidth())
}

// clampTop keeps the vertical scroll inside the text: no empty rows at the
// bottom unless the whole text fits.
func (m *Model) clampTop() {
	m.top = max(0, min(m.top, m.buf.lineCount()-m.height))
}

// scrollToCursor scrolls the least needed to show the cursor.
func (m *Model) scrollToCursor() {
	m.cursor = m.buf.clamp(m.cursor)
	m.anchor = m.buf.clamp(m.anchor)
	if m.height > 0 {
		if m.cursor.line < m.top {
			m.top = m.cursor.line
		} else if m.cursor.line >= m.top+m.height {
			m.top = m.cursor.line - m.height + 1
		}
	}
	m.clampTop()

	w := m.textWidth()
	if w <= 0 {
		m.left = 0
		return
	}
	x := m.lo.xOf(m.buf.line(m.cursor.line), m.cursor.col)
	margin := min(hscrollMargin, w/4)
	switch {
	case x < m.left:
		m.left = max(0, x-margin)
	case x >= m.left+w:
		m.left = x - w + 1 + margin
	}
}

// scroll moves the view by lines rows and cols columns without moving the
// cursor (mouse wheel).
func (m *Model) scroll(lines, cols int) {
	m.top += lines
	m.clampTop()
	m.left = max(0, m.left+cols)
}

// posAt returns the text position shown at view cell (x, y), clamped into
// the text. Cells in the gutter map to the start of their line.
func (m *Model) posAt(x, y int) pos {
	line := m.top + max(0, y)
	if line >= m.buf.lineCount() {
		return m.buf.end()
	}
	tx := x - m.gutterWidth()
	if tx < 0 {
		return pos{line, 0}
	}
	return pos{line, m.lo.colAt(m.buf.line(line), m.left+tx)}
}
