package editor

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/wasmplay/wasmplay/themes"
)

// sample is the text of the golden renders: Python with a docstring, a
// comment, a tab, wide runes and a line longer than the view.
const sample = `import sys

def greet(name: str) -> str:
    """Say hello.

    Returns the greeting."""
    # a comment
	return f"hello, {name}!"  # tab-indented

print(greet("世界"), "a very long line that goes past the right edge of a narrow view", file=sys.stderr)
raise ValueError("boom")
`

// checkView fails unless view is exactly h rows of exactly w cells, by
// both ways of measuring width (grapheme clusters and wcwidth).
func checkView(t testing.TB, view string, w, h int) {
	t.Helper()
	if h == 0 {
		if view != "" {
			t.Fatalf("height 0: view %q", view)
		}
		return
	}
	rows := strings.Split(view, "\n")
	if len(rows) != h {
		t.Fatalf("%d rows, want %d", len(rows), h)
	}
	for i, r := range rows {
		if gw, wc := ansi.StringWidth(r), ansi.StringWidthWc(r); gw != w || wc != w {
			t.Fatalf("row %d is %d cells (wcwidth %d), want %d: %q", i, gw, wc, w, r)
		}
	}
}

// render writes view through a colour profile, as a terminal with that
// profile would get it.
func render(t *testing.T, view string, p colorprofile.Profile) string {
	t.Helper()
	var buf bytes.Buffer
	w := &colorprofile.Writer{Forward: &buf, Profile: p}
	if _, err := w.WriteString(view); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestViewGolden compares View with testdata/TestViewGolden/*.golden: as a
// truecolor and a 256-colour terminal receive it, and as plain text. After
// a deliberate change to the look, regenerate them with
//
//	go test ./tui/editor -run TestViewGolden -update
func TestViewGolden(t *testing.T) {
	for _, size := range []struct{ w, h int }{{40, 10}, {80, 24}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			m, _ := newTest(t, "python", sample, size.w, size.h)
			m.SetMarks([]Mark{{Line: 11, Kind: Error, Message: "ValueError: boom"}, {Line: 8, Kind: Warning}, {Line: 1, Kind: Info}})
			// Select "greet" on line 3, then put the cursor on line 10.
			keys(t, m, "down", "down", "alt+f", "right", "ctrl+shift+right")
			view := m.View()
			checkView(t, view, size.w, size.h)

			t.Run("truecolor", func(t *testing.T) {
				golden.RequireEqual(t, render(t, view, colorprofile.TrueColor))
			})
			t.Run("ansi256", func(t *testing.T) {
				golden.RequireEqual(t, render(t, view, colorprofile.ANSI256))
			})
			t.Run("plain", func(t *testing.T) {
				golden.RequireEqual(t, ansi.Strip(view))
			})

			// Scrolled: the cursor at the end of the long line.
			keys(t, m, "ctrl+end", "up", "up", "end")
			view = m.View()
			checkView(t, view, size.w, size.h)
			t.Run("scrolled", func(t *testing.T) {
				golden.RequireEqual(t, ansi.Strip(view))
			})
		})
	}
}

// colourSGR matches escape sequences that set a colour.
var colourSGR = regexp.MustCompile(`\x1b\[[0-9;]*(38|48|58);`)

func TestViewMonoHasNoColour(t *testing.T) {
	m := New(Options{Syntax: pythonSyntax, Styles: MonoStyles()})
	m.SetValue(sample)
	m.SetSize(60, 12)
	m.Focus()
	m.SetMarks([]Mark{{Line: 2, Kind: Error}})
	keys(t, m, "shift+down")
	view := m.View()
	checkView(t, view, 60, 12)
	if loc := colourSGR.FindStringIndex(view); loc != nil {
		t.Fatalf("colour in mono view at %d: %q", loc[0], view[loc[0]:min(len(view), loc[0]+20)])
	}
	if !strings.Contains(view, "\x1b[1m") && !strings.Contains(view, "\x1b[1;") {
		t.Fatal("mono view should still use bold (keywords, current line number)")
	}
	if !strings.Contains(view, "7") {
		t.Fatal("mono view should show selection and cursor in reverse")
	}
	// The chroma style alone decides: "bw" gives uncoloured tokens even
	// next to coloured lipgloss styles (here only backgrounds are left).
	st := DefaultStyles()
	st.Syntax = themes.Mono().SyntaxStyle()
	st.Text = st.Text.UnsetForeground()
	m.SetStyles(st)
	for i := range m.Lines() {
		var sb strings.Builder
		m.renderLine(&sb, i, 60)
		if strings.Contains(sb.String(), "38;2;") {
			t.Fatalf("bw chroma style emitted a token colour on line %d: %q", i+1, sb.String())
		}
	}
}

func TestViewSizes(t *testing.T) {
	for _, size := range []struct{ w, h int }{{0, 0}, {0, 3}, {1, 1}, {3, 2}, {7, 3}, {8, 3}, {12, 5}, {200, 2}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			m, _ := newTest(t, "python", sample, size.w, size.h)
			checkView(t, m.View(), size.w, size.h)
			keys(t, m, "ctrl+end", "up", "end")
			checkView(t, m.View(), size.w, size.h)
			m.Blur()
			checkView(t, m.View(), size.w, size.h)
		})
	}
}

func TestViewGutterGrows(t *testing.T) {
	m, _ := newTest(t, "", strings.Repeat("x\n", 1500), 20, 3)
	keys(t, m, "ctrl+end")
	rows := strings.Split(ansi.Strip(m.View()), "\n")
	if got := rows[2]; got != " 1501 "+strings.Repeat(" ", 14) {
		t.Fatalf("last row %q", got)
	}
}

func TestViewCursorOnlyWhenFocused(t *testing.T) {
	m, _ := newTest(t, "", "abc", 20, 1)
	focused := m.View()
	if !strings.Contains(focused, "\x1b[7") {
		t.Fatalf("no reverse cursor cell: %q", focused)
	}
	m.Blur()
	if blurred := m.View(); strings.Contains(blurred, "\x1b[7") {
		t.Fatalf("cursor drawn while blurred: %q", blurred)
	}
}

func TestHorizontalScroll(t *testing.T) {
	long := strings.Repeat("0123456789", 10)
	m, _ := newTest(t, "", "short\n"+long, 24, 2) // text area 20 cells
	keys(t, m, "down", "end")
	rows := strings.Split(ansi.Strip(m.View()), "\n")
	// The cursor (a cell after the end) is on screen with the end of the
	// line; the short line is scrolled with it.
	// Scrolled by the margin (a quarter of the width, 5) past the cursor.
	if want := "  2 " + long[86:] + strings.Repeat(" ", 6); rows[1] != want {
		t.Fatalf("scrolled row %q, want %q", rows[1], want)
	}
	if rows[0] != "  1 "+strings.Repeat(" ", 20) {
		t.Fatalf("short line should be scrolled out: %q", rows[0])
	}
	keys(t, m, "home")
	rows = strings.Split(ansi.Strip(m.View()), "\n")
	if rows[0] != "  1 short"+strings.Repeat(" ", 15) {
		t.Fatalf("home scrolls back: %q", rows[0])
	}
}

func TestWideRuneCutByEdges(t *testing.T) {
	// 日本語 is 6 cells; scroll so the view starts in the middle of 本.
	m, _ := newTest(t, "", "日本語"+strings.Repeat("x", 40), 14, 1) // text area 10
	m.left = 3
	row := ansi.Strip(m.View())
	if want := "  1  語xxxxxxx"; row != want {
		t.Fatalf("row %q, want %q", row, want)
	}
	checkView(t, m.View(), 14, 1)
	m.left = 0
	m.SetValue(strings.Repeat("x", 9) + "日本")
	m.SetSize(14, 1)
	m.Blur()
	if row, want := ansi.Strip(m.View()), "  1 xxxxxxxxx "; row != want {
		t.Fatalf("wide rune cut at the right edge: %q, want %q", row, want)
	}
}
