package editor

import "strings"

// Find looks for query from the cursor (after it, or before it when
// backward), wrapping around the text, case-insensitively when query is
// all lower case. A match is selected and scrolled into view, and its
// 1-based line returned; ok is false when the text does not hold query.
func (m *Model) Find(query string, backward bool) (line int, ok bool) {
	if query == "" {
		return 0, false
	}
	fold := strings.ToLower(query) == query
	q := []rune(query)
	if fold {
		q = []rune(strings.ToLower(query))
	}
	n := len(m.buf.lines)
	from := m.cursor
	if m.selecting {
		// Step past the current match, so the next press finds the next.
		a, b := order(m.anchor, m.cursor)
		from = b
		if backward {
			from = a
		}
	}
	for step := 0; step <= n; step++ {
		li := (from.line + step) % n
		if backward {
			li = ((from.line-step)%n + n) % n
		}
		text := m.buf.lines[li]
		if fold {
			text = []rune(strings.ToLower(string(text)))
		}
		col := -1
		switch {
		case backward && step == 0:
			col = lastIndex(text[:min(from.col, len(text))], q)
		case backward:
			col = lastIndex(text, q)
		case step == 0:
			if c := index(text[min(from.col, len(text)):], q); c >= 0 {
				col = from.col + c
			}
		default:
			col = index(text, q)
		}
		// Back on the starting line after wrapping: only the part the
		// first look skipped is new.
		if step == n && col >= 0 && (!backward && col >= from.col || backward && col < from.col) {
			col = -1
		}
		if col >= 0 {
			m.moveTo(pos{li, col}, false)
			m.moveTo(pos{li, col + len(q)}, true)
			return li + 1, true
		}
	}
	return 0, false
}

func index(s, sub []rune) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if runesEqual(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func lastIndex(s, sub []rune) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if runesEqual(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func runesEqual(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
