package editor

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// A glyph is one thing drawn on screen: a grapheme cluster of the line, a
// tab expanded to spaces, or a visible stand-in for a character that must
// not reach the terminal as is.
type glyph struct {
	start, end int    // rune range [start, end) of the line it shows
	x          int    // display column of its first cell
	w          int    // width in cells
	r          rune   // the rune to print when text is empty (fast path)
	text       string // what to print; "" means print r
}

// layout turns runes into glyphs. It measures widths with ansi (grapheme
// clusters, wide runes), expands tabs, and replaces anything that would
// disturb the terminal or whose width terminals disagree on:
//
//   - C0 control characters and DEL are shown as control pictures (␁, ␡);
//   - clusters of width 0 (lone combining marks, zero-width spaces, bidi
//     controls, byte order marks) and clusters whose width differs between
//     grapheme and wcwidth measurement (some emoji sequences) are shown as a
//     placeholder padded to the cluster's width.
//
// So what is printed always has the width that was measured, whichever way
// the terminal counts. The text itself is never changed.
type layout struct {
	tabWidth    int
	placeholder string // "\uFFFD", or "?" where U+FFFD's width is ambiguous
}

func newLayout(tabWidth int) layout {
	ph := "\uFFFD"
	if ansi.StringWidth(ph) != 1 || ansi.StringWidthWc(ph) != 1 {
		ph = "?"
	}
	return layout{tabWidth: tabWidth, placeholder: ph}
}

// walkFrom calls fn for each glyph of line, in order, starting at the
// glyph at rune i drawn at column x (as returned by seek), until fn returns
// false.
func (lo layout) walkFrom(line []rune, i, x int, fn func(g glyph) bool) {
	for i < len(line) {
		g := lo.next(line, i, x)
		if !fn(g) {
			return
		}
		x += g.w
		i = g.end
	}
}

// isSimple reports whether line[i] is printable ASCII drawn as one cell on
// its own (not followed by a combining rune). Most code is; the loops below
// step over such runes without building glyphs, which keeps very long
// lines (minified JavaScript) cheap.
func isSimple(line []rune, i int) bool {
	r := line[i]
	return r >= 0x20 && r < 0x7F && (i+1 == len(line) || line[i+1] < 0x80)
}

// seek returns the first glyph that is not entirely left of column left:
// its rune index and column. At the end of the line it returns len(line)
// and the line's width.
func (lo layout) seek(line []rune, left int) (i, x int) {
	for i < len(line) {
		if isSimple(line, i) {
			if x+1 > left {
				return i, x
			}
			i, x = i+1, x+1
			continue
		}
		g := lo.next(line, i, x)
		if x+g.w > left {
			return i, x
		}
		i, x = g.end, x+g.w
	}
	return i, x
}

// next returns the glyph that starts at rune i, drawn at column x.
func (lo layout) next(line []rune, i, x int) glyph {
	r := line[i]
	if r == '\t' {
		w := lo.tabWidth - x%lo.tabWidth
		return glyph{start: i, end: i + 1, x: x, w: w, text: spaces(w)}
	}
	if r < 0x20 {
		return glyph{start: i, end: i + 1, x: x, w: 1, r: 0x2400 + r}
	}
	if r == 0x7F {
		return glyph{start: i, end: i + 1, x: x, w: 1, r: 0x2421}
	}
	// Fast path: ASCII not followed by a combining rune is one cell.
	if r < 0x80 && (i+1 == len(line) || line[i+1] < 0x80) {
		return glyph{start: i, end: i + 1, x: x, w: 1, r: r}
	}
	return lo.cluster(line, i, x)
}

// cluster measures the grapheme cluster that starts at rune i. A cluster
// never extends past an ASCII rune (except after a rare "prepend" rune), so
// only the runes up to the next ASCII one are looked at; the window grows if
// a very long cluster fills it.
func (lo layout) cluster(line []rune, i, x int) glyph {
	window := 32
	for {
		stop := i + 1
		for stop < len(line) && stop-i < window && line[stop] >= 0x80 {
			stop++
		}
		cutByWindow := stop < len(line) && line[stop] >= 0x80
		if stop < len(line) {
			stop++ // include the following rune (see above)
		}
		piece := string(line[i:stop])
		cluster, w := ansi.FirstGraphemeCluster(piece, ansi.GraphemeWidth)
		n := utf8.RuneCountInString(cluster)
		if n == 0 { // cannot happen for valid runes; never loop forever
			cluster, w, n = string(line[i]), 1, 1
		}
		if i+n < stop || !cutByWindow {
			return lo.finish(line, i, i+n, x, cluster, w)
		}
		window *= 2
	}
}

// finish builds the glyph for the cluster line[start:end], replacing it by
// the placeholder when it must not be printed as is (see layout).
func (lo layout) finish(line []rune, start, end, x int, cluster string, w int) glyph {
	first := line[start]
	safe := w > 0 && ansi.StringWidthWc(cluster) == w && !isExtender(first) &&
		!unicode.Is(unicode.Mc, first) && !hasControl(line[start:end])
	if safe {
		return glyph{start: start, end: end, x: x, w: w, text: cluster}
	}
	w = max(w, 1)
	return glyph{start: start, end: end, x: x, w: w, text: lo.placeholder + spaces(w-1)}
}

// hasControl reports whether rs holds a control or format character (C0,
// C1, DEL, bidi controls and the like).
func hasControl(rs []rune) bool {
	for _, r := range rs {
		if r < 0x20 || (r >= 0x7F && r < 0xA0) || unicode.Is(unicode.Cf, r) && r != 0x200D {
			return true
		}
	}
	return false
}

// blanks backs spaces for the common short lengths.
const blanks = "                                                                "

// spaces returns n spaces.
func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}

// xOf returns the display column where rune column col of line starts. A
// column inside a cluster maps to the cluster's first cell; col == len(line)
// maps to the width of the line.
func (lo layout) xOf(line []rune, col int) int {
	x, i := 0, 0
	for i < col {
		if isSimple(line, i) {
			i, x = i+1, x+1
			continue
		}
		g := lo.next(line, i, x)
		if g.end > col {
			break
		}
		i, x = g.end, x+g.w
	}
	return x
}

// colAt returns the rune column shown at display column x: the glyph that
// covers x, or the end of the line when x is past it.
func (lo layout) colAt(line []rune, x int) int {
	i, _ := lo.seek(line, x)
	return i
}
