package editor

import (
	"image/color"

	"charm.land/lipgloss/v2"
	"github.com/alecthomas/chroma/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wasmplay/wasmplay/themes"
)

// Styles is how the editor looks. The root model fills it from the theme.
//
// Only colours and the attributes bold, italic, underline, reverse and faint
// are taken from these styles; padding, borders and widths are ignored, so a
// style cannot change the editor's size. Layers are applied in this order:
// Text, the token colour from Syntax, CurrentLine, Selection, Cursor; a
// later layer overrides what it sets.
type Styles struct {
	// Text is the base of every text cell (set a Background here to paint
	// the whole editor).
	Text lipgloss.Style
	// Gutter is the base of the gutter (marks and line numbers).
	Gutter lipgloss.Style
	// LineNumber is a line number; CurrentLineNumber the cursor's line
	// number.
	LineNumber, CurrentLineNumber lipgloss.Style
	// CurrentLine is laid over the text of the cursor's line (usually a
	// Background).
	CurrentLine lipgloss.Style
	// Selection is laid over selected text.
	Selection lipgloss.Style
	// Cursor is laid over the cell under the cursor (shown only when
	// focused), e.g. Reverse(true).
	Cursor lipgloss.Style
	// MarkError, MarkWarning and MarkInfo draw a mark in the gutter. The
	// glyph is the style's string (set with SetString), "●", "▲" or "•" when
	// empty; it is cut to one cell, and replaced by "E", "W" or "i" where it
	// is not one cell wide (East Asian ambiguous width).
	MarkError, MarkWarning, MarkInfo lipgloss.Style
	// Syntax is the chroma style that colours code by token (see
	// themes.Theme.SyntaxStyle); only its colours, bold, italic and
	// underline are used. Nil: DefaultStyles.
	Syntax *chroma.Style
}

// DefaultStyles returns a dark theme (Tokyo Night colours).
func DefaultStyles() Styles {
	return Styles{
		Text:              lipgloss.NewStyle().Foreground(lipgloss.Color("#c0caf5")),
		Gutter:            lipgloss.NewStyle(),
		LineNumber:        lipgloss.NewStyle().Foreground(lipgloss.Color("#565f89")),
		CurrentLineNumber: lipgloss.NewStyle().Foreground(lipgloss.Color("#c0caf5")).Bold(true),
		CurrentLine:       lipgloss.NewStyle().Background(lipgloss.Color("#292e42")),
		Selection:         lipgloss.NewStyle().Background(lipgloss.Color("#33467c")),
		Cursor:            lipgloss.NewStyle().Reverse(true),
		MarkError:         lipgloss.NewStyle().Foreground(lipgloss.Color("#f7768e")).SetString("●"),
		MarkWarning:       lipgloss.NewStyle().Foreground(lipgloss.Color("#e0af68")).SetString("▲"),
		MarkInfo:          lipgloss.NewStyle().Foreground(lipgloss.Color("#7dcfff")).SetString("•"),
		Syntax:            mustTheme(themes.Default).SyntaxStyle(),
	}
}

// mustTheme returns a built-in theme (they always exist).
func mustTheme(name string) themes.Theme {
	t, err := themes.Lookup(name)
	if err != nil {
		panic(err)
	}
	return t
}

// MonoStyles returns styles without any colour, for NO_COLOR: attributes
// only, in the code too.
func MonoStyles() Styles {
	return Styles{
		Text:              lipgloss.NewStyle(),
		Gutter:            lipgloss.NewStyle(),
		LineNumber:        lipgloss.NewStyle().Faint(true),
		CurrentLineNumber: lipgloss.NewStyle().Bold(true),
		CurrentLine:       lipgloss.NewStyle(),
		Selection:         lipgloss.NewStyle().Reverse(true),
		Cursor:            lipgloss.NewStyle().Reverse(true).Underline(true),
		MarkError:         lipgloss.NewStyle().Bold(true).SetString("E"),
		MarkWarning:       lipgloss.NewStyle().Bold(true).SetString("W"),
		MarkInfo:          lipgloss.NewStyle().SetString("i"),
		Syntax:            themes.Mono().SyntaxStyle(),
	}
}

// attrs is the part of a style the editor uses.
type attrs struct {
	fg, bg                                  color.Color // nil: not set
	bold, italic, underline, reverse, faint bool
}

// attrsOf extracts the attributes of a lipgloss style.
func attrsOf(s lipgloss.Style) attrs {
	return attrs{
		fg:        colorOrNil(s.GetForeground()),
		bg:        colorOrNil(s.GetBackground()),
		bold:      s.GetBold(),
		italic:    s.GetItalic(),
		underline: s.GetUnderline(),
		reverse:   s.GetReverse(),
		faint:     s.GetFaint(),
	}
}

func colorOrNil(c color.Color) color.Color {
	if _, none := c.(lipgloss.NoColor); none {
		return nil
	}
	return c
}

// over returns a with everything top sets laid over it.
func (a attrs) over(top attrs) attrs {
	if top.fg != nil {
		a.fg = top.fg
	}
	if top.bg != nil {
		a.bg = top.bg
	}
	a.bold = a.bold || top.bold
	a.italic = a.italic || top.italic
	a.underline = a.underline || top.underline
	a.reverse = a.reverse || top.reverse
	a.faint = a.faint || top.faint
	return a
}

// sgr returns the escape sequence that starts text in these attributes, or
// "" when there is nothing to set.
func (a attrs) sgr() string {
	var s ansi.Style
	if a.bold {
		s = s.Bold()
	}
	if a.faint {
		s = s.Faint()
	}
	if a.italic {
		s = s.Italic(true)
	}
	if a.underline {
		s = s.Underline(true)
	}
	if a.reverse {
		s = s.Reverse(true)
	}
	if a.fg != nil {
		s = s.ForegroundColor(a.fg)
	}
	if a.bg != nil {
		s = s.BackgroundColor(a.bg)
	}
	if len(s) == 0 {
		return ""
	}
	return s.String()
}

// tokenAttrs returns the attributes chroma style st gives to token type t.
// Token backgrounds are ignored: the editor paints its own (current line,
// selection).
func tokenAttrs(st *chroma.Style, t chroma.TokenType) attrs {
	e := st.Get(t)
	var a attrs
	if e.Colour.IsSet() {
		a.fg = lipgloss.Color(e.Colour.String())
	}
	a.bold = e.Bold == chroma.Yes
	a.italic = e.Italic == chroma.Yes
	a.underline = e.Underline == chroma.Yes
	return a
}

// Layers a text cell can have on top of its token colour.
const (
	layerCurrentLine = 1 << iota
	layerSelection
	layerCursor
)

// textKey identifies the look of a text cell.
type textKey struct {
	typ    chroma.TokenType
	layers int
}

// painter turns Styles into escape sequences, once per distinct look.
type painter struct {
	styles Styles
	syntax *chroma.Style
	base   attrs // Text
	layer  [3]attrs
	text   map[textKey]string
	gutter [gutterKinds]string // escape sequence per gutter cell kind
	marks  [3]string           // glyph of MarkError, MarkWarning, MarkInfo
}

func newPainter(s Styles) *painter {
	p := &painter{
		styles: s,
		syntax: s.Syntax,
		base:   attrsOf(s.Text),
		text:   make(map[textKey]string),
	}
	p.layer[0] = attrsOf(s.CurrentLine)
	p.layer[1] = attrsOf(s.Selection)
	p.layer[2] = attrsOf(s.Cursor)
	for k := range p.gutter {
		p.gutter[k] = p.gutterAttrs(k).sgr()
	}
	p.marks[0] = markGlyph(s.MarkError, "●", "E")
	p.marks[1] = markGlyph(s.MarkWarning, "▲", "W")
	p.marks[2] = markGlyph(s.MarkInfo, "•", "i")
	return p
}

// textSGR returns the escape sequence for a text cell of token type typ
// with the given layers.
func (p *painter) textSGR(typ chroma.TokenType, layers int) string {
	k := textKey{typ, layers}
	if s, ok := p.text[k]; ok {
		return s
	}
	a := p.base.over(tokenAttrs(p.syntax, typ))
	for i := range p.layer {
		if layers&(1<<i) != 0 {
			a = a.over(p.layer[i])
		}
	}
	s := a.sgr()
	p.text[k] = s
	return s
}

// Gutter cell kinds.
const (
	gutterPlain = iota
	gutterNumber
	gutterCurrentNumber
	gutterError
	gutterWarning
	gutterInfo
	gutterKinds // number of kinds
)

// gutterAttrs returns the attributes of a gutter cell of the given kind.
func (p *painter) gutterAttrs(kind int) attrs {
	a := attrsOf(p.styles.Gutter)
	switch kind {
	case gutterNumber:
		a = a.over(attrsOf(p.styles.LineNumber))
	case gutterCurrentNumber:
		a = a.over(attrsOf(p.styles.CurrentLineNumber))
	case gutterError:
		a = a.over(attrsOf(p.styles.MarkError))
	case gutterWarning:
		a = a.over(attrsOf(p.styles.MarkWarning))
	case gutterInfo:
		a = a.over(attrsOf(p.styles.MarkInfo))
	}
	return a
}

// markGlyph returns the glyph of a mark style: its string (see Styles), or
// def when it has none, or ascii when that is not exactly one cell wide in
// every way terminals measure (East Asian ambiguous widths).
func markGlyph(s lipgloss.Style, def, ascii string) string {
	g := ansi.Strip(s.Value())
	if g == "" {
		g = def
	}
	if ansi.StringWidth(g) == 1 && ansi.StringWidthWc(g) == 1 {
		return g
	}
	if t := ansi.Truncate(g, 1, ""); ansi.StringWidth(t) == 1 && ansi.StringWidthWc(t) == 1 {
		return t
	}
	return ascii
}
