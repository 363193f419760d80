package tui

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/textsafe"
)

// This file turns a guest's output stream into lines the output pane can
// show, the way a terminal would show them, without letting anything but
// the text and its colours through:
//
//   - "\n" ends a line; "\r" returns to its start, so later text overwrites
//     earlier text column by column ("\r\n" is an ordinary newline, and a
//     progress bar "10%\r20%" shows "20%");
//   - a tab moves to the next multiple of 8 columns;
//   - SGR sequences set a pen (16, 256 and truecolor foreground and
//     background, bold, underline) that is kept per cell; EL (ESC [ K)
//     erases in the line;
//   - every other escape sequence (cursor movement, OSC titles, clipboard
//     writes and links, DCS and the other string sequences, mode changes)
//     is read whole and dropped;
//   - invisible and non-printing characters (controls, zero-width and
//     bidirectional formatting characters, invalid UTF-8) become visible
//     markers such as ⟨U+200B⟩, drawn dim.
//
// The parser's state, the pen and the line being written carry over from
// one chunk of output to the next, so the result does not depend on where
// the stream was cut. What comes out is plain text plus style spans: no
// escape sequence of the guest's ever reaches the terminal.

// tabStop is the distance between tab stops, as on a terminal.
const tabStop = 8

// maxLineCols bounds the line being written: a longer one is ended and
// the text goes on in a new line, so a guest printing megabytes without a
// newline costs memory in proportion to its output, not more.
const maxLineCols = 16 << 10

// maxCSI bounds the parameters of a CSI sequence kept to be judged; a
// longer sequence is read to its end and dropped.
const maxCSI = 64

// tcolor is a colour a guest chose: the kind in the top byte, the value in
// the low bytes. Zero is the default colour.
type tcolor uint32

const (
	colorBasic   tcolor = 1 << 24 // one of the 16 ANSI colours (low byte 0–15)
	colorIndexed tcolor = 2 << 24 // one of the 256 (low byte)
	colorRGB     tcolor = 3 << 24 // truecolor (low 24 bits)
	colorKind    tcolor = 0xff << 24
)

// penAttr holds the pen's attributes.
type penAttr uint8

const (
	attrBold      penAttr = 1 << iota
	attrUnderline         //
	attrMarker            // the visible escape of an invisible character
)

// pen is what the guest's SGR sequences set: the colours and attributes
// text is drawn with. The zero pen draws in the line's own style.
type pen struct {
	fg, bg tcolor
	attr   penAttr
}

// tcell is one column of the line being written. It holds no pointers,
// so a line of them is cheap to write and for the collector to skip.
type tcell struct {
	r    rune // the character drawn from this column; 0 where the cell before covers it
	pen  pen
	w    uint8 // columns the cell spans; 0 for a covered column
	more bool  // more text follows r in the cell (termStream.more)
}

// span styles the bytes [start, end) of a line's text.
type span struct {
	start, end int
	pen        pen
}

type parseState uint8

const (
	stGround    parseState = iota
	stEsc                  // after ESC
	stEscInter             // ESC and intermediates, until a final byte
	stCSI                  // ESC [, collecting parameters
	stString               // OSC, DCS, SOS, PM, APC: dropped until ST or BEL
	stStringEsc            // ESC inside a string: ST, or a new sequence
)

// termStream is one output stream of one run on its way to the pane.
type termStream struct {
	run    run.ID
	state  parseState
	seq    []byte // CSI parameters, or (in ground) a partial UTF-8 character
	seqBad bool   // the CSI sequence is too long or malformed: dropped at its end
	pen    pen
	cells  []tcell
	more   map[int]string // by column: combining marks after a cell's rune, or the rest of a marker
	col    int
	fancy  bool   // a cell of the line is not plain ASCII in the zero pen
	buf    []byte // line's scratch space

	done func(text string, spans []span) // during feed: takes each line ended
}

// reset forgets everything: a new run's stream starts clean.
func (t *termStream) reset(id run.ID) {
	*t = termStream{run: id, cells: t.cells[:0], seq: t.seq[:0], buf: t.buf[:0]}
}

// endLine forgets the line being written (it was ended elsewhere) but
// keeps the pen and the parser, which belong to the stream.
func (t *termStream) endLine() {
	t.cells, t.col, t.fancy = t.cells[:0], 0, false
	if len(t.more) > 0 {
		clear(t.more)
	}
}

// feed interprets data. Each line it ends is passed to done; the line
// still being written is left in t (see line).
func (t *termStream) feed(data []byte, done func(text string, spans []span)) {
	t.done = done
	defer func() { t.done = nil }()
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch t.state {
		case stGround:
			if len(t.seq) > 0 || c >= 0x80 {
				if t.utf8Byte(c) {
					i-- // not part of the character: look at c again
				}
				continue
			}
			if c >= 0x20 && c < 0x7f {
				// A run of printable ASCII, the common case.
				j := i + 1
				for j < len(data) && data[j] >= 0x20 && data[j] < 0x7f {
					j++
				}
				t.putASCII(data[i:j])
				i = j - 1
				continue
			}
			t.control(c)
		case stEsc:
			t.escByte(c, &i)
		case stEscInter:
			switch {
			case c >= 0x20 && c <= 0x2f:
			case c >= 0x30 && c <= 0x7e:
				t.state = stGround
			default:
				t.state = stGround
				i--
			}
		case stCSI:
			t.csiByte(c, &i)
		case stString:
			switch c {
			case 0x07, 0x18, 0x1a: // BEL ends it; CAN and SUB cancel it
				t.state = stGround
			case 0x1b:
				t.state = stStringEsc
			}
		case stStringEsc:
			if c == '\\' { // ST
				t.state = stGround
			} else {
				// An ESC that is not ST ends the string and starts a sequence.
				t.state = stEsc
				i--
			}
		}
	}
}

// control handles a C0 control or DEL in ground.
func (t *termStream) control(c byte) {
	switch c {
	case '\n':
		t.done(t.line())
		t.endLine()
	case '\r':
		t.col = 0
	case '\t':
		t.col = min((t.col/tabStop+1)*tabStop, maxLineCols)
	case 0x1b:
		t.state = stEsc
	default:
		t.putMarker(fmt.Sprintf("U+%04X", c))
	}
}

// escByte handles the byte after an ESC.
func (t *termStream) escByte(c byte, i *int) {
	switch {
	case c == '[':
		t.state, t.seq, t.seqBad = stCSI, t.seq[:0], false
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		t.state = stString
	case c == 0x1b:
	case c == 0x18 || c == 0x1a:
		t.state = stGround
	case c >= 0x20 && c <= 0x2f:
		t.state = stEscInter
	case c >= 0x30 && c <= 0x7e: // a two-byte sequence (ESC 7, ESC c…): dropped
		t.state = stGround
	default: // a control or a non-ASCII byte: not a sequence after all
		t.state = stGround
		*i--
	}
}

// csiByte handles a byte of a CSI sequence.
func (t *termStream) csiByte(c byte, i *int) {
	switch {
	case c >= 0x20 && c <= 0x3f: // parameters and intermediates
		if len(t.seq) < maxCSI {
			t.seq = append(t.seq, c)
		} else {
			t.seqBad = true
		}
	case c >= 0x40 && c <= 0x7e: // the final byte
		t.state = stGround
		if !t.seqBad {
			t.csi(string(t.seq), c)
		}
		t.seq = t.seq[:0]
	case c == 0x1b:
		t.state, t.seq = stEsc, t.seq[:0]
	case c == 0x18 || c == 0x1a:
		t.state, t.seq = stGround, t.seq[:0]
	default: // a control or a non-ASCII byte ends the sequence unfinished
		t.state, t.seq = stGround, t.seq[:0]
		*i--
	}
}

// csi applies the CSI sequences the pane understands (SGR and EL, when
// their parameters are plain numbers) and ignores the rest.
func (t *termStream) csi(params string, final byte) {
	if strings.Trim(params, "0123456789;:") != "" {
		return // a private marker or an intermediate: not SGR or EL
	}
	switch final {
	case 'm':
		t.pen = applySGR(t.pen, params)
	case 'K':
		if !strings.ContainsAny(params, ";:") {
			n, _ := strconv.Atoi(params)
			t.eraseLine(n)
		}
	}
}

// eraseLine applies EL: 0 erases from the cursor to the end of the line,
// 1 from its start to the cursor, 2 all of it. The cursor stays.
func (t *termStream) eraseLine(n int) {
	switch n {
	case 0:
		if t.col < len(t.cells) {
			t.split(t.col)
			t.cells = t.cells[:t.col]
		}
	case 1:
		end := min(t.col+1, len(t.cells))
		t.split(end)
		for x := 0; x < end; x++ {
			t.cells[x] = tcell{r: ' ', w: 1}
		}
	case 2:
		t.cells = t.cells[:0]
	}
}

// utf8Byte handles a byte of a non-ASCII character, or the byte after a
// partial one, a byte at a time, so a character split across chunks is
// read as if it had not been. It reports whether c is not part of the
// character and must be looked at again.
func (t *termStream) utf8Byte(c byte) bool {
	if len(t.seq) == 0 {
		if textsafe.UTF8Len(c) == 0 {
			t.putMarker(fmt.Sprintf("0x%02X", c))
			return false
		}
		t.seq = append(t.seq, c)
		return false
	}
	if c < 0x80 || c > 0xbf { // the character was cut short
		t.flushPartial()
		return true
	}
	t.seq = append(t.seq, c)
	if len(t.seq) < textsafe.UTF8Len(t.seq[0]) {
		return false
	}
	if !utf8.Valid(t.seq) {
		t.flushPartial()
		return false
	}
	r, _ := utf8.DecodeRune(t.seq)
	t.seq = t.seq[:0]
	t.putRune(r)
	return false
}

// flushPartial shows the bytes of an unfinished or invalid character as
// markers.
func (t *termStream) flushPartial() {
	for _, b := range t.seq {
		t.putMarker(fmt.Sprintf("0x%02X", b))
	}
	t.seq = t.seq[:0]
}

// invisible reports whether r would not show as itself on a terminal, or
// would change how the text around it reads: controls, format characters
// (zero-width spaces and joiners, the byte order mark, bidirectional
// overrides and isolates, tag characters), line and paragraph separators,
// unassigned code points and surrogates. Private-use characters are shown
// (fonts draw them).
func invisible(r rune) bool {
	if r < 0x7f {
		return r < 0x20
	}
	if textsafe.Unsafe(r) {
		return true
	}
	return !unicode.IsGraphic(r) && !unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cf, r)
}

// putRune writes one non-ASCII character.
func (t *termStream) putRune(r rune) {
	if invisible(r) {
		t.putMarker(fmt.Sprintf("U+%04X", r))
		return
	}
	s := string(r)
	w := ansi.StringWidth(s)
	if w == 0 {
		t.attach(r)
		return
	}
	t.put(tcell{r: r, w: uint8(min(w, 2)), pen: t.pen}, "")
}

// attach adds a zero-width character (a combining mark) to the cell
// before the cursor, as a terminal draws it over that character.
func (t *termStream) attach(r rune) {
	h := min(t.col, len(t.cells)) - 1
	for h >= 0 && t.cells[h].w == 0 {
		h--
	}
	if h < 0 || t.cells[h].pen.attr&attrMarker != 0 || t.col > len(t.cells) {
		// Nothing to draw it over: over a space, then.
		t.put(tcell{r: ' ', w: 1, pen: t.pen}, string(r))
		return
	}
	c := t.cells[h]
	more := string(r)
	if c.more {
		more = t.more[h] + more
	}
	if w := ansi.StringWidth(string(c.r) + more); w > int(c.w) {
		// The mark made it wider (an emoji's variation selector): write it
		// again in its new width.
		c.w = uint8(min(w, 2))
		t.col = h
		t.put(c, more)
		return
	}
	t.setMore(h, more)
}

// setMore sets the text after the rune of the cell at column x.
func (t *termStream) setMore(x int, more string) {
	if more == "" {
		t.cells[x].more = false
		return
	}
	if t.more == nil {
		t.more = map[int]string{}
	}
	t.more[x] = more
	t.cells[x].more = true
	t.fancy = true
}

// putMarker writes the visible escape of an invisible character, ⟨name⟩.
func (t *termStream) putMarker(name string) {
	p := t.pen
	p.attr |= attrMarker
	t.put(tcell{r: '⟨', w: uint8(2 + len(name)), pen: p}, name+"⟩")
}

// putASCII writes a run of printable ASCII.
func (t *termStream) putASCII(s []byte) {
	for len(s) > 0 {
		if t.col == len(t.cells) && t.col < maxLineCols {
			// At the end of the line, the common case: append.
			n := min(len(s), maxLineCols-t.col)
			t.fancy = t.fancy || t.pen != pen{}
			for _, c := range s[:n] {
				t.cells = append(t.cells, tcell{r: rune(c), w: 1, pen: t.pen})
			}
			t.col += n
			s = s[n:]
			continue
		}
		t.put(tcell{r: rune(s[0]), w: 1, pen: t.pen}, "")
		s = s[1:]
	}
}

// put writes c at the cursor and moves the cursor past it. A wide cell
// partly overwritten is blanked, as a terminal does. A line that would
// grow past maxLineCols is ended first and the text goes on in a new one.
func (t *termStream) put(c tcell, more string) {
	w := int(c.w)
	if t.col+w > maxLineCols && t.done != nil {
		t.done(t.line())
		t.endLine()
	}
	for len(t.cells) < t.col {
		t.cells = append(t.cells, tcell{r: ' ', w: 1})
	}
	t.split(t.col)
	t.split(t.col + w)
	for len(t.cells) < t.col+w {
		t.cells = append(t.cells, tcell{})
	}
	c.more = false
	t.fancy = t.fancy || c.pen != pen{} || c.r >= utf8.RuneSelf || w != 1 || more != ""
	t.cells[t.col] = c
	t.setMore(t.col, more)
	for x := 1; x < w; x++ {
		t.cells[t.col+x] = tcell{pen: c.pen}
	}
	t.col += w
}

// split makes column x the start of a cell: a wide cell across it is
// blanked into spaces.
func (t *termStream) split(x int) {
	if x <= 0 || x >= len(t.cells) || t.cells[x].w != 0 {
		return
	}
	h := x - 1
	for h > 0 && t.cells[h].w == 0 {
		h--
	}
	end := h + max(int(t.cells[h].w), 1)
	p := t.cells[h].pen
	p.attr &^= attrMarker
	t.fancy = t.fancy || p != pen{}
	for k := h; k < end && k < len(t.cells); k++ {
		t.cells[k] = tcell{r: ' ', w: 1, pen: p}
	}
}

// line renders the line being written: its text, and the spans of it
// drawn with a pen other than the zero one.
func (t *termStream) line() (string, []span) {
	b := t.buf[:0]
	if !t.fancy {
		for _, c := range t.cells {
			b = append(b, byte(c.r))
		}
		t.buf = b
		return string(b), nil
	}
	var spans []span
	for x, c := range t.cells {
		if c.w == 0 {
			continue
		}
		start := len(b)
		if c.r < utf8.RuneSelf {
			b = append(b, byte(c.r))
		} else {
			b = utf8.AppendRune(b, c.r)
		}
		if c.more {
			b = append(b, t.more[x]...)
		}
		if c.pen == (pen{}) {
			continue
		}
		if n := len(spans); n > 0 && spans[n-1].end == start && spans[n-1].pen == c.pen {
			spans[n-1].end = len(b)
		} else {
			spans = append(spans, span{start: start, end: len(b), pen: c.pen})
		}
	}
	t.buf = b
	return string(b), spans
}
