package editor

import (
	"strings"
)

// pos is a position in the buffer: a 0-based line and a 0-based column
// counted in runes. Column len(line) is the end of the line.
type pos struct {
	line, col int
}

// less reports whether p comes before q.
func (p pos) less(q pos) bool {
	if p.line != q.line {
		return p.line < q.line
	}
	return p.col < q.col
}

// order returns p and q with the earlier one first.
func order(p, q pos) (pos, pos) {
	if q.less(p) {
		return q, p
	}
	return p, q
}

// buffer holds the text as lines of runes, without their "\n". It always has
// at least one (possibly empty) line. Keeping lines separate makes an edit
// cost the length of the edited line, not of the whole text, and lets the
// view and the highlighter look at only the lines they show.
type buffer struct {
	lines [][]rune
}

// newBuffer returns a buffer holding s (see setText).
func newBuffer(s string) buffer {
	var b buffer
	b.setText(s)
	return b
}

// setText replaces the whole text. Line endings "\r\n" and "\r" become "\n";
// bytes that are not valid UTF-8 become U+FFFD (the replacement character),
// which is how they are shown.
func (b *buffer) setText(s string) {
	b.lines = splitLines(normalizeNewlines(s))
}

// normalizeNewlines turns "\r\n" and lone "\r" into "\n". Terminals often
// send pasted line breaks as "\r".
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// splitLines splits s at "\n" into lines of runes. Invalid UTF-8 bytes are
// decoded as U+FFFD by the []rune conversion.
func splitLines(s string) [][]rune {
	parts := strings.Split(s, "\n")
	lines := make([][]rune, len(parts))
	for i, p := range parts {
		lines[i] = []rune(p)
	}
	return lines
}

// lineCount returns the number of lines (at least 1).
func (b *buffer) lineCount() int {
	return len(b.lines)
}

// line returns line i. The caller must not modify it.
func (b *buffer) line(i int) []rune {
	return b.lines[i]
}

// text returns the whole text with "\n" between lines.
func (b *buffer) text() string {
	var sb strings.Builder
	size := 0
	for _, l := range b.lines {
		size += len(l) + 1
	}
	sb.Grow(size)
	for i, l := range b.lines {
		if i > 0 {
			sb.WriteByte('\n')
		}
		for _, r := range l {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// clamp returns p moved to the nearest valid position.
func (b *buffer) clamp(p pos) pos {
	if p.line < 0 {
		return pos{}
	}
	if p.line >= len(b.lines) {
		last := len(b.lines) - 1
		return pos{last, len(b.lines[last])}
	}
	p.col = max(0, min(p.col, len(b.lines[p.line])))
	return p
}

// end returns the position after the last rune.
func (b *buffer) end() pos {
	last := len(b.lines) - 1
	return pos{last, len(b.lines[last])}
}

// slice returns the text between from and to (from <= to) with "\n" between
// lines.
func (b *buffer) slice(from, to pos) []rune {
	if from.line == to.line {
		return append([]rune(nil), b.lines[from.line][from.col:to.col]...)
	}
	var out []rune
	out = append(out, b.lines[from.line][from.col:]...)
	for i := from.line + 1; i < to.line; i++ {
		out = append(out, '\n')
		out = append(out, b.lines[i]...)
	}
	out = append(out, '\n')
	out = append(out, b.lines[to.line][:to.col]...)
	return out
}

// replace removes the text between from and to (from <= to), inserts text
// (which may contain "\n") in its place and returns the position after the
// inserted text. Only the lines involved are copied.
func (b *buffer) replace(from, to pos, text []rune) pos {
	head := b.lines[from.line][:from.col]
	tail := b.lines[to.line][to.col:]

	pieces := splitRunes(text)
	newLines := make([][]rune, len(pieces))
	for i, p := range pieces {
		var l []rune
		if i == 0 {
			l = append(l, head...)
		}
		l = append(l, p...)
		if i == len(pieces)-1 {
			l = append(l, tail...)
		}
		newLines[i] = l
	}

	removed := to.line - from.line + 1
	if len(newLines) == removed {
		copy(b.lines[from.line:], newLines)
	} else {
		rest := b.lines[to.line+1:]
		merged := make([][]rune, 0, from.line+len(newLines)+len(rest))
		merged = append(merged, b.lines[:from.line]...)
		merged = append(merged, newLines...)
		merged = append(merged, rest...)
		b.lines = merged
	}

	last := len(pieces) - 1
	endCol := len(pieces[last])
	if last == 0 {
		endCol += len(head)
	}
	return pos{from.line + last, endCol}
}

// splitRunes splits text at '\n'. The pieces share text's memory.
func splitRunes(text []rune) [][]rune {
	pieces := make([][]rune, 0, 1)
	start := 0
	for i, r := range text {
		if r == '\n' {
			pieces = append(pieces, text[start:i])
			start = i + 1
		}
	}
	return append(pieces, text[start:])
}

// endOf returns the position after text when it is inserted at p.
func endOf(p pos, text []rune) pos {
	nl := 0
	lastStart := 0
	for i, r := range text {
		if r == '\n' {
			nl++
			lastStart = i + 1
		}
	}
	if nl == 0 {
		return pos{p.line, p.col + len(text)}
	}
	return pos{p.line + nl, len(text) - lastStart}
}

// countNewlines returns how many '\n' text holds.
func countNewlines(text []rune) int {
	n := 0
	for _, r := range text {
		if r == '\n' {
			n++
		}
	}
	return n
}
