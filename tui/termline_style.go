package tui

import (
	"image/color"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// renderRow draws one row of an output line: row is the line's text from
// byte off; spans (the line's) colour parts of it as the guest chose, and
// every case-insensitive match of q is highlighted. Each piece is drawn
// with lipgloss and ends in a reset, so no colour outlives its row.
func renderRow(row string, off int, spans []span, q string, base lipgloss.Style, st Styles) string {
	if len(spans) == 0 {
		if q != "" {
			return highlightMatches(row, q, base, st.Highlight)
		}
		return base.Render(row)
	}
	// Cut the row where a span or a match starts or ends.
	cuts := []int{0, len(row)}
	for _, sp := range spans {
		if sp.end <= off || sp.start >= off+len(row) {
			continue
		}
		cuts = append(cuts, max(sp.start-off, 0), min(sp.end-off, len(row)))
	}
	matches := matchRanges(row, q)
	for _, m := range matches {
		cuts = append(cuts, m[0], m[1])
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var b strings.Builder
	for k := 0; k+1 < len(cuts); k++ {
		a, z := cuts[k], cuts[k+1]
		style := base
		if inRanges(matches, a) {
			style = st.Highlight
		} else if p, ok := penAt(spans, off+a); ok {
			b.WriteString(renderPen(row[a:z], base, p, st))
			continue
		}
		b.WriteString(style.Render(row[a:z]))
	}
	return b.String()
}

// matchRanges returns the byte ranges of row that match q, ignoring
// case; none when case folding changes the row's length (kept simple, as
// highlightMatches does).
func matchRanges(row, q string) [][2]int {
	if q == "" {
		return nil
	}
	lower, lq := strings.ToLower(row), strings.ToLower(q)
	if len(lower) != len(row) || len(lq) == 0 {
		return nil
	}
	var out [][2]int
	for from := 0; ; {
		i := strings.Index(lower[from:], lq)
		if i < 0 {
			return out
		}
		out = append(out, [2]int{from + i, from + i + len(lq)})
		from += i + len(lq)
	}
}

func inRanges(rs [][2]int, x int) bool {
	for _, r := range rs {
		if x >= r[0] && x < r[1] {
			return true
		}
	}
	return false
}

// penAt returns the pen of the span holding byte x of the line.
func penAt(spans []span, x int) (pen, bool) {
	i, found := slices.BinarySearchFunc(spans, x, func(sp span, x int) int {
		switch {
		case sp.end <= x:
			return -1
		case sp.start > x:
			return 1
		}
		return 0
	})
	if !found {
		return pen{}, false
	}
	return spans[i].pen, true
}

// renderPen draws text in base changed by a guest's pen, as one SGR
// sequence, the text and a reset (lipgloss would style an underlined
// text a rune at a time). A marker (the escape of an invisible
// character) is drawn dim. Colours are left out in the colourless theme
// (NO_COLOR), and so is a pair of foreground and background so alike
// that the text would not be seen.
func renderPen(text string, base lipgloss.Style, p pen, st Styles) string {
	if p.attr&attrMarker != 0 {
		return st.Subtle.Faint(true).Render(text)
	}
	fg, bg := base.GetForeground(), base.GetBackground()
	if !st.Theme.Mono && !(p.fg != 0 && p.bg != 0 && alike(toColor(p.fg), toColor(p.bg))) {
		if p.fg != 0 {
			fg = toColor(p.fg)
		}
		if p.bg != 0 {
			bg = toColor(p.bg)
		}
	}
	var s ansi.Style
	if isColor(fg) {
		s = s.ForegroundColor(fg)
	}
	if isColor(bg) {
		s = s.BackgroundColor(bg)
	}
	if p.attr&attrBold != 0 || base.GetBold() {
		s = s.Bold()
	}
	if base.GetFaint() {
		s = s.Faint()
	}
	if base.GetItalic() {
		s = s.Italic(true)
	}
	if p.attr&attrUnderline != 0 || base.GetUnderline() {
		s = s.Underline(true)
	}
	return s.Styled(text)
}

// isColor reports whether c is a colour lipgloss would draw (not unset).
func isColor(c color.Color) bool {
	if c == nil {
		return false
	}
	_, none := c.(lipgloss.NoColor)
	return !none
}

// toColor is the colour a tcolor names, as lipgloss draws it: one of the
// 16 stays one of the terminal's own 16.
func toColor(c tcolor) color.Color {
	v := uint32(c &^ colorKind)
	switch c & colorKind {
	case colorBasic:
		return ansi.BasicColor(v)
	case colorIndexed:
		return ansi.IndexedColor(v)
	}
	return ansi.TrueColor(v)
}

// alike reports whether two colours are too close to tell apart.
func alike(a, b color.Color) bool {
	const near = 0x20 << 8 // per channel, of 0xffff
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) uint32 {
		if x > y {
			return x - y
		}
		return y - x
	}
	return d(ar, br) < near && d(ag, bg) < near && d(ab, bb) < near
}
