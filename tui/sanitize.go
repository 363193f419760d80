package tui

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// sanitize makes untrusted text (file names, messages, pasted code shown
// outside the editor) safe to draw, and visibly so: an escape sequence
// cannot act (ESC is shown as ␛, with the rest of the sequence as plain
// text), so a guest cannot move the cursor, set the title or write the
// clipboard through OSC 52, and two names that differ by one never look
// the same; other control characters become control pictures; C1
// controls and format characters (bidi overrides, zero-width joiners)
// become escapes such as ⟨U+202E⟩; tabs become spaces; invalid UTF-8
// becomes U+FFFD.
func sanitize(s string, tabWidth int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
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
		case r >= 0x80 && r < 0xa0, // C1 controls
			!unicode.IsPrint(r) && !unicode.IsSpace(r) && unicode.Is(unicode.Cf, r):
			// Format characters (bidi overrides, zero-width joiners) can make
			// text read differently from what it is: shown as what they are.
			esc := fmt.Sprintf("⟨U+%04X⟩", r)
			b.WriteString(esc)
			col += utf8.RuneCountInString(esc)
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
