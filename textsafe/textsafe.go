// Package textsafe makes text a guest chose safe to show: on a terminal,
// where escape sequences could move the cursor, rewrite the screen, set
// the window title or reach the clipboard, and in documents (Markdown and
// JSON reports, exports, listings), where a control character or a
// newline in a file name could forge a heading or a line that is not
// there, and bidirectional overrides make text read as what it is not.
//
// What is unsafe is the same everywhere (Unsafe): C0 controls and DEL, C1
// controls (U+0080–U+009F, among them U+0085 NEXT LINE and U+009B, a CSI
// by itself), the Unicode line and paragraph separators, and the
// bidirectional formatting characters. Each is written as a visible escape
// (\x1b, \u009b) that cannot be mistaken for what it stands for, and
// invalid UTF-8 becomes escapes of its bytes.
package textsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Unsafe reports whether r must not be shown as itself. Tab, newline and
// carriage return are unsafe too; Text and Terminal let the first ones
// through where a block of text wants them.
func Unsafe(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f:
		return true
	case r >= 0x80 && r < 0xa0:
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // bidi marks
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi embeddings, overrides, isolates
		return true
	}
	return false
}

// escape writes the visible form of an unsafe rune.
func escape(b *strings.Builder, r rune) {
	switch r {
	case '\n':
		b.WriteString(`\n`)
	case '\t':
		b.WriteString(`\t`)
	case '\r':
		b.WriteString(`\r`)
	default:
		if r < 0x80 {
			fmt.Fprintf(b, `\x%02x`, r)
		} else {
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
}

// clean writes s with every unsafe rune escaped except those keep allows;
// invalid UTF-8 bytes become \xNN. A backslash is left as it is: the text
// is for reading, not for decoding.
func clean(s string, keep func(rune) bool) string {
	if isClean(s, keep) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case Unsafe(r) && !keep(r):
			escape(&b, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isClean reports whether clean would return s unchanged.
func isClean(s string, keep func(rune) bool) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || (Unsafe(r) && !keep(r)) {
			return false
		}
		i += size
	}
	return true
}

func keepNone(rune) bool { return false }

func keepBlock(r rune) bool { return r == '\n' || r == '\t' }

// Line returns s safe to show on one line: a file name, a variable name, a
// message in a list. Nothing in it can start a new line.
func Line(s string) string { return clean(s, keepNone) }

// Clip shortens s to at most n characters (runes; n at least 1), marking
// a cut with a final "…".
func Clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:max(n-1, 0)]) + "…"
	}
	return s
}

// Text returns s safe to show as a block (output in a report): newlines
// and tabs stay, everything else unsafe is escaped (a carriage return too,
// so no line can be overwritten).
func Text(s string) string { return clean(s, keepBlock) }

// JSON rewrites encoded JSON so that the unsafe characters encoding/json
// leaves raw (C1 controls, DEL, bidirectional formatting) are \u escapes:
// the document decodes to the same values, and printed raw it is safe. The
// input must be valid JSON, as json.Marshal writes it.
func JSON(data []byte) []byte {
	s := string(data)
	if isClean(s, keepJSON) {
		return data
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		if Unsafe(r) && !keepJSON(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return []byte(b.String())
}

// keepJSON lets through what JSON itself uses between tokens (whitespace)
// or has already escaped.
func keepJSON(r rune) bool { return r == '\n' || r == '\t' || r == '\r' }

// MarkdownCode returns s as a Markdown code span on one line: Line-escaped
// and fenced with more backticks than any run of them inside, so nothing
// in it can end the span or the line.
func MarkdownCode(s string) string {
	s = Line(s)
	longest, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			n++
			longest = max(longest, n)
		} else {
			n = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || s == "" {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}
