package editor

import (
	"cmp"
	"slices"
)

// MarkKind is the severity of a mark.
type MarkKind int

// The mark kinds, least severe first.
const (
	Info MarkKind = iota
	Warning
	Error
)

// String returns "info", "warning" or "error".
func (k MarkKind) String() string {
	switch k {
	case Error:
		return "error"
	case Warning:
		return "warning"
	default:
		return "info"
	}
}

// Mark flags a line in the gutter, e.g. the line a traceback names after a
// failed run.
type Mark struct {
	// Line is 1-based. Marks outside the buffer are kept but not drawn.
	Line int
	// Kind picks the gutter glyph and style.
	Kind MarkKind
	// Message is shown by the root for the cursor's line (see CurrentMark).
	Message string
}

// SetMarks replaces the marks. Marks follow their lines when lines are
// inserted or deleted above them; a mark whose line is deleted is dropped.
// SetValue clears them.
func (m *Model) SetMarks(marks []Mark) {
	m.marks = slices.Clone(marks)
	m.sortMarks()
}

// Marks returns a copy of the current marks, sorted by line (with their
// lines as moved by edits since SetMarks).
func (m *Model) Marks() []Mark {
	return slices.Clone(m.marks)
}

// CurrentMark returns the most severe mark on the cursor's line.
func (m *Model) CurrentMark() (Mark, bool) {
	return m.markOn(m.cursor.line + 1)
}

// sortMarks orders marks by line, most severe first on the same line.
func (m *Model) sortMarks() {
	slices.SortStableFunc(m.marks, func(a, b Mark) int {
		if c := cmp.Compare(a.Line, b.Line); c != 0 {
			return c
		}
		return cmp.Compare(b.Kind, a.Kind)
	})
}

// markOn returns the most severe mark on 1-based line n.
func (m *Model) markOn(n int) (Mark, bool) {
	i, found := slices.BinarySearchFunc(m.marks, n, func(mk Mark, n int) int {
		return cmp.Compare(mk.Line, n)
	})
	if !found {
		return Mark{}, false
	}
	return m.marks[i], true
}

// moveMarks keeps marks on their lines after the text between from and to
// was replaced by inserted (the buffer already holds the result). A mark
// stays with what is left of its line's text:
//   - lines after the change move by the change in line count;
//   - a line the change removed entirely loses its mark;
//   - the first line keeps its mark if text before from remains, and the
//     last line's mark goes where the rest of its text now is (so typing
//     enter at the start of a marked line pushes the mark down with it).
func (m *Model) moveMarks(from, to pos, inserted []rune) {
	if len(m.marks) == 0 {
		return
	}
	k := countNewlines(inserted)
	delta := k - (to.line - from.line)
	// Where the rest of the last line (after to) now is, and whether any is
	// left.
	joined := from.line + k
	prefix := len(inserted) - lastLineStart(inserted)
	if k == 0 {
		prefix += from.col
	}
	tailLeft := len(m.buf.line(joined)) > prefix

	kept := m.marks[:0]
	for _, mk := range m.marks {
		l := mk.Line - 1 // 0-based
		switch {
		case l < from.line:
		case l == from.line && from.col > 0:
		case l == from.line && to.line == from.line:
			mk.Line = joined + 1
		case l < to.line:
			continue // its whole line was replaced
		case l == to.line:
			if !tailLeft {
				continue
			}
			mk.Line = joined + 1
		default:
			mk.Line += delta
		}
		kept = append(kept, mk)
	}
	m.marks = kept
	m.sortMarks()
}

// lastLineStart returns the index after the last '\n' of text (0 if none).
func lastLineStart(text []rune) int {
	for i := len(text) - 1; i >= 0; i-- {
		if text[i] == '\n' {
			return i + 1
		}
	}
	return 0
}

// markAfter returns the first mark line (1-based) after 1-based line n, or
// before it when backwards, wrapping around; ok is false without marks.
func (m *Model) markAfter(n int, backwards bool) (int, bool) {
	if len(m.marks) == 0 {
		return 0, false
	}
	inBuffer := func(mk Mark) bool { return mk.Line >= 1 && mk.Line <= m.buf.lineCount() }
	if !backwards {
		for _, mk := range m.marks {
			if mk.Line > n && inBuffer(mk) {
				return mk.Line, true
			}
		}
		for _, mk := range m.marks {
			if inBuffer(mk) {
				return mk.Line, true
			}
		}
		return 0, false
	}
	for i := len(m.marks) - 1; i >= 0; i-- {
		if mk := m.marks[i]; mk.Line < n && inBuffer(mk) {
			return mk.Line, true
		}
	}
	for i := len(m.marks) - 1; i >= 0; i-- {
		if mk := m.marks[i]; inBuffer(mk) {
			return mk.Line, true
		}
	}
	return 0, false
}
