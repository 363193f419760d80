package tui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// sanitize makes untrusted text (guest output, file contents, pasted code
// shown outside the editor) safe to draw: escape sequences are removed so
// a guest cannot move the cursor, set the title or write the clipboard
// through OSC 52; other control characters become visible symbols; tabs
// become spaces; invalid UTF-8 becomes U+FFFD.
func sanitize(s string, tabWidth int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0x1b) >= 0 || strings.ContainsRune(s, 0x9b) {
		s = ansi.Strip(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	col := 0
	for _, r := range s {
		switch {
		case r == '\t':
			n := tabWidth - col%tabWidth
			b.WriteString(strings.Repeat(" ", n))
			col += n
		case r < 0x20 || r == 0x7f:
			b.WriteRune(controlPicture(r))
			col++
		case r >= 0x80 && r < 0xa0: // C1 controls
			b.WriteRune('\uFFFD')
			col++
		case !unicode.IsPrint(r) && !unicode.IsSpace(r) && unicode.Is(unicode.Cf, r):
			// Format characters (bidi overrides, zero-width joiners) can make
			// text read differently from what it is: show a marker instead.
			b.WriteRune('\uFFFD')
			col++
		default:
			b.WriteRune(r)
			col++
		}
	}
	return b.String()
}

// controlPicture returns the Unicode "control picture" of a C0 control
// (␀ for NUL, ␛ for ESC, …) or ␡ for DEL.
func controlPicture(r rune) rune {
	if r == 0x7f {
		return '\u2421'
	}
	return 0x2400 + r
}
