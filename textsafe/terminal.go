package textsafe

import (
	"io"
	"strings"
	"unicode/utf8"
)

// Terminal filters a guest's output stream on its way to a terminal. SGR
// sequences (colours, bold: ESC [ … m) pass, as do newlines, tabs and
// carriage returns; every other escape sequence (OSC titles and clipboard
// writes, cursor movement, screen clears, device queries, DCS and the
// other string sequences) is dropped whole, and other unsafe characters
// are escaped as Text escapes them. Sequences and UTF-8 characters split
// across writes are handled: the output is the same however the stream is
// cut. Close (or Reset) ends any colour the guest left on.
type Terminal struct {
	w     io.Writer
	state termState
	seq   []byte // the CSI sequence being read, or (in ground) a partial UTF-8 character
	dirty bool   // an SGR passed: the colours may need a reset
}

type termState int

const (
	ground    termState = iota
	escape1             // after ESC
	escInter            // ESC then intermediates, until a final byte
	csi                 // ESC [, collecting
	str                 // OSC, DCS, SOS, PM, APC: dropped until ST or BEL
	strEscape           // ESC inside a string: maybe ST
)

// maxCSI bounds a CSI sequence kept to be judged; a longer one is dropped.
const maxCSI = 64

// NewTerminal returns a Terminal writing to w.
func NewTerminal(w io.Writer) *Terminal { return &Terminal{w: w} }

// Write filters p. It reports len(p) written unless w fails.
func (t *Terminal) Write(p []byte) (int, error) {
	var out strings.Builder
	out.Grow(len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch t.state {
		case ground:
			if len(t.seq) > 0 || c >= 0x80 {
				t.utf8Byte(&out, c)
				continue
			}
			t.ground(&out, c)
		case escape1:
			switch {
			case c == '[':
				t.state, t.seq = csi, append(t.seq[:0], 0x1b, '[')
			case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
				t.state = str
			case c >= 0x20 && c <= 0x2f:
				t.state = escInter
			case c == 0x1b:
				// ESC ESC: the first is dropped, the second starts again
			default:
				t.state = ground // a two-byte sequence (ESC c, ESC 7…): dropped
			}
		case escInter:
			if c >= 0x30 && c <= 0x7e {
				t.state = ground
			} else if c < 0x20 || c > 0x2f {
				t.state = ground
				i-- // not a sequence after all: look at c again
			}
		case csi:
			t.csiByte(&out, c)
		case str:
			switch c {
			case 0x07:
				t.state = ground
			case 0x1b:
				t.state = strEscape
			}
		case strEscape:
			switch c {
			case '\\': // ST: the string is over
				t.state = ground
			case 0x1b:
			default: // still inside: keep dropping until ST or BEL
				t.state = str
			}
		}
	}
	if out.Len() > 0 {
		if _, err := io.WriteString(t.w, out.String()); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// ground handles one ASCII byte outside any sequence.
func (t *Terminal) ground(out *strings.Builder, c byte) {
	switch {
	case c == 0x1b:
		t.state = escape1
	case c == '\n' || c == '\t' || c == '\r':
		out.WriteByte(c)
	case c < 0x20 || c == 0x7f:
		escape(out, rune(c))
	default:
		out.WriteByte(c)
	}
}

// utf8Byte handles one byte of a non-ASCII character, or the byte after a
// partial one. The decoder goes a byte at a time, so a character split
// across writes comes out as if it had not been.
func (t *Terminal) utf8Byte(out *strings.Builder, c byte) {
	continuation := c >= 0x80 && c <= 0xbf
	if len(t.seq) > 0 && !continuation {
		t.flushPartial(out) // a character cut short
	}
	switch {
	case len(t.seq) > 0: // a continuation byte of the character in t.seq
		t.seq = append(t.seq, c)
		if len(t.seq) < UTF8Len(t.seq[0]) {
			return
		}
		if !utf8.Valid(t.seq) {
			t.flushPartial(out)
			return
		}
		if r, _ := utf8.DecodeRune(t.seq); Unsafe(r) {
			escape(out, r)
		} else {
			out.Write(t.seq)
		}
		t.seq = t.seq[:0]
	case c < 0x80:
		t.ground(out, c)
	case UTF8Len(c) > 1:
		t.seq = append(t.seq[:0], c)
	default:
		escapeByte(out, c)
	}
}

// flushPartial escapes the bytes of an unfinished or invalid character.
func (t *Terminal) flushPartial(out *strings.Builder) {
	for _, b := range t.seq {
		escapeByte(out, b)
	}
	t.seq = t.seq[:0]
}

// UTF8Len is the length of the character a lead byte starts (0 for a byte
// that starts none).
func UTF8Len(c byte) int {
	switch {
	case c >= 0xc2 && c <= 0xdf:
		return 2
	case c >= 0xe0 && c <= 0xef:
		return 3
	case c >= 0xf0 && c <= 0xf4:
		return 4
	}
	return 0
}

// escapeByte writes a byte of invalid UTF-8.
func escapeByte(out *strings.Builder, c byte) {
	const hex = "0123456789abcdef"
	out.WriteString(`\x`)
	out.WriteByte(hex[c>>4])
	out.WriteByte(hex[c&0xf])
}

// csiByte handles one byte of a CSI sequence.
func (t *Terminal) csiByte(out *strings.Builder, c byte) {
	switch {
	case c >= 0x40 && c <= 0x7e: // the final byte
		if c == 'm' && sgrParams(t.seq[2:]) && len(t.seq) < maxCSI {
			out.Write(t.seq)
			out.WriteByte('m')
			t.dirty = true
		}
		t.state, t.seq = ground, t.seq[:0]
	case c >= 0x20 && c <= 0x3f: // parameters and intermediates
		if len(t.seq) < maxCSI {
			t.seq = append(t.seq, c)
		}
	default: // a control inside a CSI cancels it
		t.state, t.seq = ground, t.seq[:0]
		if c == 0x1b {
			t.state = escape1
		}
	}
}

// sgrParams reports whether the parameters are an SGR's: digits and
// separators only.
func sgrParams(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && c != ';' && c != ':' {
			return false
		}
	}
	return true
}

// Reset ends any colour the guest left on and forgets a sequence left
// unfinished, so what is written next starts clean.
func (t *Terminal) Reset() error {
	var out strings.Builder
	if t.state == ground {
		t.flushPartial(&out) // an unfinished UTF-8 character
	}
	t.state, t.seq = ground, t.seq[:0]
	if t.dirty {
		out.WriteString("\x1b[0m")
		t.dirty = false
	}
	if out.Len() == 0 {
		return nil
	}
	_, err := io.WriteString(t.w, out.String())
	return err
}

// Close is Reset.
func (t *Terminal) Close() error { return t.Reset() }
