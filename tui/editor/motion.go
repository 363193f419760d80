package editor

import "unicode"

// The cursor motions. Each takes a position and returns the new one; none
// changes the buffer.

// isExtender reports whether r only modifies the rune before it (combining
// marks, zero-width joiner, variation selectors). Left and right step over
// them so the cursor does not stop inside "e" + U+0301.
func isExtender(r rune) bool {
	return r == 0x200D || (r >= 0xFE00 && r <= 0xFE0F) ||
		unicode.In(r, unicode.Mn, unicode.Me)
}

// charLeft moves one character left, to the end of the previous line at
// column 0.
func (b *buffer) charLeft(p pos) pos {
	if p.col == 0 {
		if p.line == 0 {
			return p
		}
		return pos{p.line - 1, len(b.lines[p.line-1])}
	}
	l := b.lines[p.line]
	p.col--
	for p.col > 0 && isExtender(l[p.col]) {
		p.col--
	}
	return p
}

// charRight moves one character right, to the start of the next line at the
// end of a line.
func (b *buffer) charRight(p pos) pos {
	l := b.lines[p.line]
	if p.col >= len(l) {
		if p.line+1 >= len(b.lines) {
			return p
		}
		return pos{p.line + 1, 0}
	}
	p.col++
	for p.col < len(l) && isExtender(l[p.col]) {
		p.col++
	}
	return p
}

// runeClass groups runes for word motion: a word is a run of runes of the
// same class.
type runeClass int

const (
	classSpace runeClass = iota
	classWord
	classPunct
)

func classOf(r rune) runeClass {
	switch {
	case unicode.IsSpace(r):
		return classSpace
	case r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || isExtender(r):
		return classWord
	default:
		return classPunct
	}
}

// wordRight moves to the end of the next word: it skips blanks, then a run
// of word characters or a run of punctuation. At the end of a line it moves
// to the start of the next line.
func (b *buffer) wordRight(p pos) pos {
	l := b.lines[p.line]
	if p.col >= len(l) {
		return b.charRight(p)
	}
	c := p.col
	for c < len(l) && classOf(l[c]) == classSpace {
		c++
	}
	if c < len(l) {
		cls := classOf(l[c])
		for c < len(l) && classOf(l[c]) == cls {
			c++
		}
	}
	return pos{p.line, c}
}

// wordLeft moves to the start of the previous word (the mirror of
// wordRight). At the start of a line it moves to the end of the previous
// line.
func (b *buffer) wordLeft(p pos) pos {
	if p.col == 0 {
		return b.charLeft(p)
	}
	l := b.lines[p.line]
	c := p.col
	for c > 0 && classOf(l[c-1]) == classSpace {
		c--
	}
	if c > 0 {
		cls := classOf(l[c-1])
		for c > 0 && classOf(l[c-1]) == cls {
			c--
		}
	}
	return pos{p.line, c}
}

// firstNonBlank returns the column of the first rune of line i that is not a
// space or tab (the line length if there is none).
func (b *buffer) firstNonBlank(i int) int {
	l := b.lines[i]
	c := 0
	for c < len(l) && (l[c] == ' ' || l[c] == '\t') {
		c++
	}
	return c
}

// lineStart is "smart home": the first non-blank column, or column 0 when
// already there.
func (b *buffer) lineStart(p pos) pos {
	fnb := b.firstNonBlank(p.line)
	if p.col == fnb {
		return pos{p.line, 0}
	}
	return pos{p.line, fnb}
}

// lineEnd returns the end of p's line.
func (b *buffer) lineEnd(p pos) pos {
	return pos{p.line, len(b.lines[p.line])}
}
