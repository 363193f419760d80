// Package themes holds wasmplay's colour themes as data: a semantic
// palette per theme plus the chroma style its code highlighting uses. The
// TUI turns a Theme into its styles once per theme change.
package themes

import (
	"fmt"
	"strings"
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

// Theme is a named palette with its chroma style.
type Theme struct {
	// Name is the key used in the config file ("dark").
	Name string
	// Title is the human name.
	Title string
	// Dark says whether the background is dark.
	Dark bool
	// Palette holds the colours.
	Palette Palette
	// Chroma is the chroma style used to highlight code.
	Chroma string
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
			Name: "dark", Title: "Dark (Tokyo Night)", Dark: true, Chroma: "tokyonight-night",
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
			Name: "light", Title: "Light (GitHub)", Dark: false, Chroma: "github",
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
			Name: "dracula", Title: "Dracula", Dark: true, Chroma: "dracula",
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
			Name: "gruvbox", Title: "Gruvbox", Dark: true, Chroma: "gruvbox",
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
	return Theme{Name: "mono", Title: "No colour (NO_COLOR)", Dark: true, Chroma: "bw", Mono: true}
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
