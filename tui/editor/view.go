package editor

import (
	"strconv"
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// sgrReset ends a styled run.
const sgrReset = "\x1b[m"

// minTextWidth is the narrowest text area shown next to the gutter; below
// it the gutter is dropped.
const minTextWidth = 4

// View renders the editor: exactly Height rows of exactly Width cells,
// joined by "\n", without a border. Each row is a gutter (a mark column,
// the right-aligned line number and a space) followed by the text,
// scrolled so the cursor is visible. Only the rows on screen are looked
// at and highlighted.
func (m *Model) View() string {
	if m.height == 0 {
		return ""
	}
	var sb strings.Builder
	sb.Grow(m.height * (m.width + 32))
	gw := m.gutterWidth()
	tw := m.textWidth()
	for row := 0; row < m.height; row++ {
		if row > 0 {
			sb.WriteByte('\n')
		}
		if m.width == 0 {
			continue
		}
		i := m.top + row
		if i >= m.buf.lineCount() {
			if gw > 0 {
				writeStyled(&sb, m.paint.gutter[gutterPlain], spaces(gw))
			}
			writeStyled(&sb, m.paint.textSGR(chroma.Text, 0), spaces(tw))
			continue
		}
		if gw > 0 {
			m.renderGutter(&sb, i, gw-2)
		}
		m.renderLine(&sb, i, tw)
	}
	return sb.String()
}

// gutterWidth returns the width of the gutter: a mark column, the line
// numbers (at least two digits; more as the text grows) and a space. It is
// 0 when the view is too narrow for it.
func (m *Model) gutterWidth() int {
	digits := max(2, len(strconv.Itoa(m.buf.lineCount())))
	gw := digits + 2
	if m.width < gw+minTextWidth {
		return 0
	}
	return gw
}

// renderGutter writes the gutter of line i: mark, number, space.
func (m *Model) renderGutter(sb *strings.Builder, i, numWidth int) {
	if mk, ok := m.markOn(i + 1); ok {
		kind, glyph := gutterInfo, m.paint.marks[2]
		switch mk.Kind {
		case Error:
			kind, glyph = gutterError, m.paint.marks[0]
		case Warning:
			kind, glyph = gutterWarning, m.paint.marks[1]
		}
		writeStyled(sb, m.paint.gutter[kind], glyph)
	} else {
		writeStyled(sb, m.paint.gutter[gutterPlain], " ")
	}
	num := strconv.Itoa(i + 1)
	kind := gutterNumber
	if i == m.cursor.line {
		kind = gutterCurrentNumber
	}
	writeStyled(sb, m.paint.gutter[kind], spaces(numWidth-len(num))+num)
	writeStyled(sb, m.paint.gutter[gutterPlain], " ")
}

// renderLine writes the visible part of line i in exactly w cells: token
// colours, current line, selection and cursor, then padding.
func (m *Model) renderLine(sb *strings.Builder, i, w int) {
	line := m.buf.line(i)
	spans := m.hl.spans(&m.buf, i)

	base := 0
	if i == m.cursor.line {
		base = layerCurrentLine
	}
	showCursor := m.focused && i == m.cursor.line
	selStart, selEnd, selEOL := m.selectionOn(i)

	left, right := m.left, m.left+w
	out := styledWriter{sb: sb}
	k := 0 // index into spans
	start, endX := m.lo.seek(line, left)
	complete := true
	m.lo.walkFrom(line, start, endX, func(g glyph) bool {
		if g.x >= right {
			complete = false
			return false
		}
		endX = g.x + g.w
		if endX <= left {
			return true
		}
		layers := base
		if g.start >= selStart && g.start < selEnd {
			layers |= layerSelection
		}
		if showCursor && m.cursor.col >= g.start && m.cursor.col < g.end {
			layers |= layerCursor
		}
		sgr := m.paint.textSGR(typeAt(spans, &k, g.start), layers)
		if g.x < left || endX > right {
			// A wide glyph or tab cut by the edge: show its visible cells.
			out.write(sgr, spaces(min(endX, right)-max(g.x, left)))
		} else if g.text != "" {
			out.write(sgr, g.text)
		} else {
			out.writeRune(sgr, g.r)
		}
		return true
	})

	used := max(0, min(endX, right)-left)
	if complete && endX >= left && endX < right {
		// The cell after the end of the line shows the cursor there, or
		// that the selection includes the line break.
		layers := base
		if selEOL {
			layers |= layerSelection
		}
		if showCursor && m.cursor.col == len(line) {
			layers |= layerCursor
		}
		if layers != base {
			out.write(m.paint.textSGR(chroma.Text, layers), " ")
			used++
		}
	}
	out.write(m.paint.textSGR(chroma.Text, base), spaces(w-used))
	out.close()
}

// selectionOn returns the selected rune range [start, end) of line i, and
// whether the selection continues past the line's end. Without a selection
// on the line the range is empty.
func (m *Model) selectionOn(i int) (start, end int, eol bool) {
	from, to, ok := m.selection()
	if !ok || i < from.line || i > to.line {
		return 0, 0, false
	}
	start, end = 0, len(m.buf.line(i))
	if i == from.line {
		start = from.col
	}
	if i == to.line {
		end = to.col
	}
	return start, end, i < to.line
}

// styledWriter writes runs of text, switching escape sequences only when
// the style changes.
type styledWriter struct {
	sb  *strings.Builder
	sgr string
}

func (w *styledWriter) switchTo(sgr string) {
	if sgr == w.sgr {
		return
	}
	w.close()
	w.sb.WriteString(sgr)
	w.sgr = sgr
}

func (w *styledWriter) write(sgr, text string) {
	if text == "" {
		return
	}
	w.switchTo(sgr)
	w.sb.WriteString(text)
}

func (w *styledWriter) writeRune(sgr string, r rune) {
	w.switchTo(sgr)
	w.sb.WriteRune(r)
}

// close ends the current run.
func (w *styledWriter) close() {
	if w.sgr != "" {
		w.sb.WriteString(sgrReset)
		w.sgr = ""
	}
}

// writeStyled writes text in one style.
func writeStyled(sb *strings.Builder, sgr, text string) {
	if text == "" {
		return
	}
	if sgr == "" {
		sb.WriteString(text)
		return
	}
	sb.WriteString(sgr)
	sb.WriteString(text)
	sb.WriteString(sgrReset)
}
