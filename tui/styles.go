package tui

import (
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wasmplay/wasmplay/themes"
	"github.com/wasmplay/wasmplay/tui/editor"
)

// Styles is every style the TUI draws with, built once per theme change
// from the theme's semantic palette.
type Styles struct {
	Theme themes.Theme

	Base      lipgloss.Style // text on the background
	Muted     lipgloss.Style
	Subtle    lipgloss.Style
	Accent    lipgloss.Style
	Accent2   lipgloss.Style
	OK        lipgloss.Style
	Warn      lipgloss.Style
	Error     lipgloss.Style
	Info      lipgloss.Style
	Bold      lipgloss.Style
	Selected  lipgloss.Style // the selected row of a list
	Highlight lipgloss.Style // a search match

	Header     lipgloss.Style
	HeaderName lipgloss.Style
	Footer     lipgloss.Style
	FooterKey  lipgloss.Style
	FooterDesc lipgloss.Style

	Border        lipgloss.Style // pane border
	BorderFocused lipgloss.Style
	Title         lipgloss.Style // pane title in the border
	TitleFocused  lipgloss.Style

	Stdout    lipgloss.Style
	Stderr    lipgloss.Style
	RunHeader lipgloss.Style
	Prompt    lipgloss.Style

	GaugeEmpty lipgloss.Style

	Dialog      lipgloss.Style // a modal's box
	DialogTitle lipgloss.Style
}

// NewStyles builds the styles of a theme. The mono theme (NO_COLOR) uses
// only bold, faint and reverse.
func NewStyles(t themes.Theme) Styles {
	if t.Mono {
		return monoStyles(t)
	}
	p := t.Palette
	c := lipgloss.Color
	fg := func(hex string) lipgloss.Style { return lipgloss.NewStyle().Foreground(c(hex)) }
	return Styles{
		Theme:         t,
		Base:          fg(p.Text),
		Muted:         fg(p.Muted),
		Subtle:        fg(p.Subtle),
		Accent:        fg(p.Accent),
		Accent2:       fg(p.Accent2),
		OK:            fg(p.OK),
		Warn:          fg(p.Warn),
		Error:         fg(p.Error),
		Info:          fg(p.Info),
		Bold:          fg(p.Text).Bold(true),
		Selected:      lipgloss.NewStyle().Foreground(c(p.Text)).Background(c(p.Selection)),
		Highlight:     lipgloss.NewStyle().Foreground(c(p.Background)).Background(c(p.Warn)),
		Header:        lipgloss.NewStyle().Foreground(c(p.Text)).Background(c(p.Surface)),
		HeaderName:    lipgloss.NewStyle().Foreground(c(p.Accent)).Background(c(p.Surface)).Bold(true),
		Footer:        lipgloss.NewStyle().Foreground(c(p.Muted)),
		FooterKey:     fg(p.Accent).Bold(true),
		FooterDesc:    fg(p.Subtle),
		Border:        fg(p.Border),
		BorderFocused: fg(p.BorderFocus),
		Title:         fg(p.Muted),
		TitleFocused:  fg(p.BorderFocus).Bold(true),
		Stdout:        fg(p.Stdout),
		Stderr:        fg(p.Stderr),
		RunHeader:     fg(p.Accent2).Bold(true),
		Prompt:        fg(p.Accent).Bold(true),
		GaugeEmpty:    fg(p.Border),
		Dialog: lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(c(p.BorderFocus)).
			Background(c(p.Overlay)).Foreground(c(p.Text)).Padding(0, 1),
		DialogTitle: fg(p.Accent).Background(c(p.Overlay)).Bold(true),
	}
}

func monoStyles(t themes.Theme) Styles {
	plain := lipgloss.NewStyle()
	return Styles{
		Theme:         t,
		Base:          plain,
		Muted:         plain,
		Subtle:        plain.Faint(true),
		Accent:        plain.Bold(true),
		Accent2:       plain.Bold(true),
		OK:            plain,
		Warn:          plain.Bold(true),
		Error:         plain.Bold(true),
		Info:          plain,
		Bold:          plain.Bold(true),
		Selected:      plain.Reverse(true),
		Highlight:     plain.Reverse(true),
		Header:        plain.Reverse(true),
		HeaderName:    plain.Reverse(true).Bold(true),
		Footer:        plain,
		FooterKey:     plain.Bold(true),
		FooterDesc:    plain.Faint(true),
		Border:        plain.Faint(true),
		BorderFocused: plain.Bold(true),
		Title:         plain,
		TitleFocused:  plain.Bold(true).Reverse(true),
		Stdout:        plain,
		Stderr:        plain.Bold(true),
		RunHeader:     plain.Bold(true).Underline(true),
		Prompt:        plain.Bold(true),
		GaugeEmpty:    plain.Faint(true),
		Dialog:        plain.Border(lipgloss.RoundedBorder()).Padding(0, 1),
		DialogTitle:   plain.Bold(true),
	}
}

// background is the theme's background colour (nil for mono: leave the
// terminal's own).
func (s Styles) background() color.Color {
	if s.Theme.Mono {
		return nil
	}
	return lipgloss.Color(s.Theme.Palette.Background)
}

// fitLine truncates or pads a styled line to exactly w cells.
func fitLine(line string, w int) string {
	if w <= 0 {
		return ""
	}
	lw := ansi.StringWidth(line)
	switch {
	case lw > w:
		return ansi.Truncate(line, w, "…")
	case lw < w:
		return line + strings.Repeat(" ", w-lw)
	}
	return line
}

// fitBlock makes content exactly w x h cells: lines cut or padded, rows
// dropped or added.
func fitBlock(content string, w, h int) []string {
	lines := strings.Split(content, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = fitLine(lines[i], w)
		} else {
			out[i] = strings.Repeat(" ", w)
		}
	}
	return out
}

// frame draws a rounded box of w x h cells with the title set in its top
// border (and an optional right-aligned note), around content.
func frame(st Styles, title, note string, content string, w, h int, focused bool) string {
	if w < 2 || h < 2 {
		return ""
	}
	border, titleStyle := st.Border, st.Title
	if focused {
		border, titleStyle = st.BorderFocused, st.TitleFocused
	}
	inner := w - 2
	head := ""
	if title != "" {
		head = titleStyle.Render(" "+title+" ") + border.Render("─")
	}
	tail := ""
	if note != "" {
		tail = st.Muted.Render(" "+note+" ") + border.Render("─")
	}
	fill := inner - 1 - ansi.StringWidth(head) - ansi.StringWidth(tail)
	if fill < 0 {
		tail = ""
		fill = inner - 1 - ansi.StringWidth(head)
		if fill < 0 {
			head = ansi.Truncate(head, inner-1, "")
			fill = inner - 1 - ansi.StringWidth(head)
		}
	}
	var b strings.Builder
	b.WriteString(border.Render("╭─"))
	b.WriteString(head)
	b.WriteString(border.Render(strings.Repeat("─", fill)))
	b.WriteString(tail)
	b.WriteString(border.Render("╮"))
	side := border.Render("│")
	for _, line := range fitBlock(content, inner, h-2) {
		b.WriteString("\n")
		b.WriteString(side)
		b.WriteString(line)
		b.WriteString(side)
	}
	b.WriteString("\n")
	b.WriteString(border.Render("╰" + strings.Repeat("─", inner) + "╯"))
	return b.String()
}

// editorStyles derives the editor's look from the theme.
func (s Styles) editorStyles() editor.Styles {
	if s.Theme.Mono {
		return editor.MonoStyles()
	}
	p := s.Theme.Palette
	c := lipgloss.Color
	return editor.Styles{
		Text:              lipgloss.NewStyle().Foreground(c(p.Text)),
		Gutter:            lipgloss.NewStyle(),
		LineNumber:        lipgloss.NewStyle().Foreground(c(p.Subtle)),
		CurrentLineNumber: lipgloss.NewStyle().Foreground(c(p.Text)).Bold(true),
		CurrentLine:       lipgloss.NewStyle().Background(c(p.CurrentLine)),
		Selection:         lipgloss.NewStyle().Background(c(p.Selection)),
		Cursor:            lipgloss.NewStyle().Reverse(true),
		MarkError:         lipgloss.NewStyle().Foreground(c(p.Error)).SetString("●"),
		MarkWarning:       lipgloss.NewStyle().Foreground(c(p.Warn)).SetString("▲"),
		MarkInfo:          lipgloss.NewStyle().Foreground(c(p.Info)).SetString("•"),
		Syntax:            s.Theme.SyntaxStyle(),
	}
}
