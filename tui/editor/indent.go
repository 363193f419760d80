package editor

import (
	"slices"
	"strings"
)

// Auto-indent rules. They are pure functions of a line so they can be
// tested on their own.
//
//   - Enter keeps the current line's indentation, and adds one level after
//     a line that opens a block: ending in ":" (Python), ending in "{", "("
//     or "[" (all languages), or leaving a "(" unclosed (WAT, where
//     "(func $f (param i32)" opens the func).
//   - In Python, the line after return, pass, break, continue or raise is
//     dedented one level.
//   - Enter between a bracket and its closing partner ("{|}") puts the
//     closing one on its own line at the original indentation.
//   - A closing "}", ")" or "]" typed as the first non-blank of a line
//     dedents the line one level.
//   - Backspace in the leading blanks deletes back to the previous indent
//     level.

// leadingBlanks returns the spaces and tabs that start line.
func leadingBlanks(line []rune) []rune {
	n := 0
	for n < len(line) && (line[n] == ' ' || line[n] == '\t') {
		n++
	}
	return line[:n]
}

// isBlank reports whether rs holds only spaces and tabs.
func isBlank(rs []rune) bool {
	return len(leadingBlanks(rs)) == len(rs)
}

// closerOf returns the closing bracket for an opening one, or 0.
func closerOf(r rune) rune {
	switch r {
	case '(':
		return ')'
	case '[':
		return ']'
	case '{':
		return '}'
	}
	return 0
}

// isCloser reports whether r is a closing bracket.
func isCloser(r rune) bool {
	return r == ')' || r == ']' || r == '}'
}

// stripComment returns code without a trailing line comment and without
// trailing blanks. Quotes are tracked so a comment marker inside a string
// does not count.
func stripComment(sx Syntax, code []rune) []rune {
	var quote rune
	marker := []rune(sx.LineComment)
	for i := 0; i < len(code); i++ {
		r := code[i]
		switch {
		case quote != 0:
			if r == '\\' {
				i++
			} else if r == quote {
				quote = 0
			}
		case strings.ContainsRune(sx.Quotes, r):
			quote = r
		case len(marker) > 0 && hasPrefixAt(code, i, marker):
			code = code[:i]
		}
	}
	for len(code) > 0 && (code[len(code)-1] == ' ' || code[len(code)-1] == '\t') {
		code = code[:len(code)-1]
	}
	return code
}

// opensBlock reports whether a new line after code (the text before the
// cursor) should be indented one level more.
func opensBlock(sx Syntax, code []rune) bool {
	code = stripComment(sx, code)
	if len(code) == 0 {
		return false
	}
	last := code[len(code)-1]
	switch {
	case closerOf(last) != 0:
		return true
	case sx.BlockOpener != "" && strings.HasSuffix(string(code), sx.BlockOpener):
		return true
	case sx.OpenParens:
		depth := 0
		for _, r := range code {
			switch r {
			case '(':
				depth++
			case ')':
				depth--
			}
		}
		return depth > 0
	}
	return false
}

// endsBlock reports whether code (a whole line) starts with a word after
// which a block ends (Python's return).
func endsBlock(sx Syntax, code []rune) bool {
	if len(sx.DedentAfter) == 0 {
		return false
	}
	rest := code[len(leadingBlanks(code)):]
	n := 0
	for n < len(rest) && (rest[n] == '_' || rest[n] >= 'a' && rest[n] <= 'z') {
		n++
	}
	return slices.Contains(sx.DedentAfter, string(rest[:n]))
}

// hasPrefixAt reports whether code[i:] starts with prefix.
func hasPrefixAt(code []rune, i int, prefix []rune) bool {
	if i+len(prefix) > len(code) {
		return false
	}
	for k, r := range prefix {
		if code[i+k] != r {
			return false
		}
	}
	return true
}

// dedentOnce removes one indent level from the end of indent: a tab, or
// trailing spaces back to the previous multiple of unit (4 spaces -> 0,
// 6 -> 4).
func dedentOnce(indent []rune, unit int) []rune {
	n := len(indent)
	if n > 0 && indent[n-1] == '\t' {
		return indent[:n-1]
	}
	sp := 0
	for sp < n && indent[n-1-sp] == ' ' {
		sp++
	}
	r := sp % unit
	if r == 0 {
		r = min(unit, sp)
	}
	return indent[:n-r]
}

// newlineText returns what Enter inserts when the cursor is at col of
// line: a newline and the new line's indentation, and, between a bracket
// pair, a second newline and the closing line's indentation. cursor is the
// offset in the returned text where the cursor goes. skip is the number of
// blanks after the cursor to remove (they would otherwise end up in front
// of the moved text).
func newlineText(sx Syntax, line []rune, col, tabWidth int) (text []rune, cursor, skip int) {
	indent := leadingBlanks(line)
	if len(indent) > col {
		indent = indent[:col]
	}
	before := line[:col]
	inner := slices.Clone(indent)
	switch {
	case opensBlock(sx, before):
		inner = append(inner, []rune(spaces(tabWidth))...)
	case endsBlock(sx, before):
		inner = dedentOnce(inner, tabWidth)
	}
	for col+skip < len(line) && (line[col+skip] == ' ' || line[col+skip] == '\t') {
		skip++
	}

	text = append([]rune{'\n'}, inner...)
	cursor = len(text)
	if col > 0 && col+skip < len(line) && closerOf(line[col-1]) != 0 &&
		line[col+skip] == closerOf(line[col-1]) {
		text = append(text, '\n')
		text = append(text, indent...)
	}
	return text, cursor, skip
}

// backspaceCount returns how many runes backspace removes before col: back
// to the previous indent level inside leading spaces, else one character
// (a whole "e" + combining mark).
func backspaceCount(b *buffer, p pos, tabWidth int) int {
	line := b.line(p.line)
	if p.col > 0 && isBlank(line[:p.col]) && line[p.col-1] == ' ' {
		n := p.col % tabWidth
		if n == 0 {
			n = tabWidth
		}
		k := 0
		for k < n && line[p.col-1-k] == ' ' {
			k++
		}
		return k
	}
	return p.col - b.charLeft(p).col
}

// closerDedent returns how many runes of indentation to remove before col
// when closer r is typed there: one level when everything before the
// cursor is blank, else 0.
func closerDedent(line []rune, col int, r rune, tabWidth int) int {
	if !isCloser(r) || col == 0 || !isBlank(line[:col]) {
		return 0
	}
	return col - len(dedentOnce(line[:col], tabWidth))
}
