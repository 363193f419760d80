// Package themes holds wasmplay's colour themes as data: a semantic
// palette per theme plus the colours of its code highlighting. The TUI
// turns a Theme into its styles once per theme change.
package themes

import (
	"fmt"
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// Palette names colours by what they are for, as "#rrggbb" strings.
type Palette struct {
	// Background is the app background; Surface a raised pane; Overlay a
	// dialog above them.
	Background, Surface, Overlay string
	// Border is a pane border; BorderFocus the focused pane's border.
	Border, BorderFocus string
	// Text is normal text; Muted secondary text; Subtle hints and guides.
	Text, Muted, Subtle string
	// Accent marks what is active; Accent2 a second, contrasting accent.
	Accent, Accent2 string
	// OK, Warn, Error and Info are statuses.
	OK, Warn, Error, Info string
	// Selection is selected text; CurrentLine the cursor's line.
	Selection, CurrentLine string
	// Stdout and Stderr colour the two output streams.
	Stdout, Stderr string
}

// Syntax colours code by kind of token, as "#rrggbb" strings (empty: the
// text colour). They are the theme's own, not one of chroma's bundled
// styles: importing those costs every wasmplay process, `wasmplay run`
// included, several milliseconds of start-up.
type Syntax struct {
	// Comment is drawn in italics.
	Comment string
	// Keyword covers keywords and word operators (and, not, in).
	Keyword string
	// Constant is True, None, null, undefined.
	Constant string
	// Builtin is a built-in name (print, len, console).
	Builtin string
	// Function is a function's name where it is defined or called.
	Function string
	// Class is a class or exception name.
	Class string
	// Decorator is a Python decorator.
	Decorator string
	// String is a string literal; Escape an escape or interpolation in it.
	String, Escape string
	// Number is a numeric literal.
	Number string
	// Operator is a symbolic operator.
	Operator string
}

// Theme is a named palette with its code colours.
type Theme struct {
	// Name is the key used in the config file ("dark").
	Name string
	// Title is the human name.
	Title string
	// Dark says whether the background is dark.
	Dark bool
	// Palette holds the colours.
	Palette Palette
	// Syntax colours code.
	Syntax Syntax
	// Mono means: no colours at all (NO_COLOR); use bold, faint and
	// reverse instead.
	Mono bool
}

// Default is the theme used when none is configured.
const Default = "dark"

// All returns the themes in the order ctrl+t cycles through them.
func All() []Theme {
	return []Theme{
		{
			Name: "dark", Title: "Dark (Tokyo Night)", Dark: true,
			Syntax: Syntax{Comment: "#565f89", Keyword: "#bb9af7", Constant: "#ff9e64", Builtin: "#2ac3de",
				Function: "#7aa2f7", Class: "#7dcfff", Decorator: "#e0af68", String: "#9ece6a", Escape: "#89ddff",
				Number: "#ff9e64", Operator: "#89ddff"},
			Palette: Palette{
				Background: "#1a1b26", Surface: "#1f2335", Overlay: "#292e42",
				Border: "#3b4261", BorderFocus: "#7aa2f7",
				Text: "#c0caf5", Muted: "#a9b1d6", Subtle: "#565f89",
				Accent: "#7aa2f7", Accent2: "#bb9af7",
				OK: "#9ece6a", Warn: "#e0af68", Error: "#f7768e", Info: "#7dcfff",
				Selection: "#33467c", CurrentLine: "#292e42",
				Stdout: "#c0caf5", Stderr: "#f7768e",
			},
		},
		{
			Name: "light", Title: "Light (GitHub)", Dark: false,
			Syntax: Syntax{Comment: "#6e7781", Keyword: "#cf222e", Constant: "#0550ae", Builtin: "#0550ae",
				Function: "#8250df", Class: "#953800", Decorator: "#8250df", String: "#0a3069", Escape: "#0550ae",
				Number: "#0550ae", Operator: "#0550ae"},
			Palette: Palette{
				Background: "#ffffff", Surface: "#f6f8fa", Overlay: "#eaeef2",
				Border: "#d0d7de", BorderFocus: "#0969da",
				Text: "#1f2328", Muted: "#57606a", Subtle: "#8c959f",
				Accent: "#0969da", Accent2: "#8250df",
				OK: "#1a7f37", Warn: "#9a6700", Error: "#cf222e", Info: "#0550ae",
				Selection: "#b6e3ff", CurrentLine: "#f0f3f6",
				Stdout: "#1f2328", Stderr: "#cf222e",
			},
		},
		{
			Name: "dracula", Title: "Dracula", Dark: true,
			Syntax: Syntax{Comment: "#6272a4", Keyword: "#ff79c6", Constant: "#bd93f9", Builtin: "#8be9fd",
				Function: "#50fa7b", Class: "#8be9fd", Decorator: "#50fa7b", String: "#f1fa8c", Escape: "#ff79c6",
				Number: "#bd93f9", Operator: "#ff79c6"},
			Palette: Palette{
				Background: "#282a36", Surface: "#2d2f3d", Overlay: "#343746",
				Border: "#44475a", BorderFocus: "#bd93f9",
				Text: "#f8f8f2", Muted: "#d0d0c8", Subtle: "#6272a4",
				Accent: "#bd93f9", Accent2: "#ff79c6",
				OK: "#50fa7b", Warn: "#f1fa8c", Error: "#ff5555", Info: "#8be9fd",
				Selection: "#44475a", CurrentLine: "#343746",
				Stdout: "#f8f8f2", Stderr: "#ff5555",
			},
		},
		{
			Name: "gruvbox", Title: "Gruvbox", Dark: true,
			Syntax: Syntax{Comment: "#928374", Keyword: "#fb4934", Constant: "#d3869b", Builtin: "#fabd2f",
				Function: "#b8bb26", Class: "#fabd2f", Decorator: "#8ec07c", String: "#b8bb26", Escape: "#fe8019",
				Number: "#d3869b", Operator: "#fe8019"},
			Palette: Palette{
				Background: "#282828", Surface: "#32302f", Overlay: "#3c3836",
				Border: "#504945", BorderFocus: "#fabd2f",
				Text: "#ebdbb2", Muted: "#d5c4a1", Subtle: "#928374",
				Accent: "#fabd2f", Accent2: "#83a598",
				OK: "#b8bb26", Warn: "#fe8019", Error: "#fb4934", Info: "#83a598",
				Selection: "#504945", CurrentLine: "#3c3836",
				Stdout: "#ebdbb2", Stderr: "#fb4934",
			},
		},
	}
}

// Mono is the theme used when NO_COLOR is set: no colours, only
// attributes, and plain (uncoloured) code.
func Mono() Theme {
	return Theme{Name: "mono", Title: "No colour (NO_COLOR)", Dark: true, Mono: true}
}

// SyntaxStyle returns the chroma style that highlights code in this theme:
// the Syntax colours, with comments in italics; in Mono, no colour at all,
// keywords and class names in bold.
func (t Theme) SyntaxStyle() *chroma.Style {
	s := t.Syntax
	entries := chroma.StyleEntries{}
	set := func(token chroma.TokenType, colour string, attrs ...string) {
		spec := strings.TrimSpace(strings.Join(append([]string{colour}, attrs...), " "))
		if spec != "" {
			entries[token] = spec
		}
	}
	set(chroma.Comment, s.Comment, "italic")
	set(chroma.CommentPreproc, s.Comment, "noitalic")
	set(chroma.Keyword, s.Keyword)
	set(chroma.OperatorWord, s.Keyword)
	set(chroma.KeywordConstant, s.Constant)
	set(chroma.NameBuiltin, s.Builtin)
	set(chroma.NameBuiltinPseudo, s.Builtin)
	set(chroma.NameFunction, s.Function)
	set(chroma.NameFunctionMagic, s.Function)
	set(chroma.NameClass, s.Class)
	set(chroma.NameException, s.Class)
	set(chroma.NameDecorator, s.Decorator)
	set(chroma.LiteralString, s.String)
	set(chroma.LiteralStringEscape, s.Escape)
	set(chroma.LiteralStringInterpol, s.Escape)
	set(chroma.LiteralStringAffix, s.Keyword)
	set(chroma.LiteralNumber, s.Number)
	set(chroma.Operator, s.Operator)
	if t.Mono {
		entries[chroma.Keyword] = "bold"
		entries[chroma.KeywordConstant] = "bold"
		entries[chroma.NameClass] = "bold"
	}
	style, err := chroma.NewStyle(t.Name, entries)
	if err != nil {
		// Only a malformed colour gets here; the tests rule that out.
		return chroma.MustNewStyle(t.Name, chroma.StyleEntries{})
	}
	return style
}

// Lookup finds a theme by name (case-insensitive).
func Lookup(name string) (Theme, error) {
	want := strings.ToLower(strings.TrimSpace(name))
	if want == "mono" {
		return Mono(), nil
	}
	var names []string
	for _, t := range All() {
		if t.Name == want {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return Theme{}, fmt.Errorf("unknown theme %q (known: %s)", name, strings.Join(names, ", "))
}

// Next returns the theme after the named one, wrapping around.
func Next(name string) Theme {
	all := All()
	for i, t := range all {
		if t.Name == name {
			return all[(i+1)%len(all)]
		}
	}
	return all[0]
}
