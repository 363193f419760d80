package tui

import (
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/themes"
)

// Golden renders of the output pane showing a guest's output as a
// terminal would: carriage returns, tabs, colours and invisible
// characters, each streamed in chunks cut where they would hurt. Kept as
// the terminal gets it (256 colours) and as plain text for review.
// Regenerate with: go test ./tui -run TestGoldenOutputTerminal -update

// chunk is one write of a stream.
type chunk struct {
	stderr bool
	data   string
}

var outputGoldens = []struct {
	name   string
	chunks []chunk
}{
	{"carriage-returns", []chunk{
		{data: "crlf one\r\ncrlf two\r\n"},
		{data: "downloading  10%"},
		{data: "\rdownloading  55%"},
		{data: "\rdownloading 100%\r\n"},
		{data: "abc\rZ\n"},
		{data: "an overwrite cut across ch"},
		{data: "unks\r"},
		{data: "AN OVERWRITE\n"},
		{data: "\x1b[32mok\x1b[0m     \r\x1b[31mfailed\x1b[0m\n"},
		{data: "tqdm-style 3/10\r"},
		{stderr: true, data: "a warning from stderr\r\n"},
		{data: "\rtqdm-style 10/10\n"},
	}},
	{"tabs", []chunk{
		{data: "name\tqty\tprice\n"},
		{data: "apple\t3\t1.25\n"},
		{data: "日本語\t12\t9.99\n"},
		{data: "exactly8\tnext stop\n"},
		{data: "\tindented\n\t\ttwice\n"},
		{data: "long line with a tab\tthat wraps past the pane's right edge\tand on\n"},
	}},
	{"colours", []chunk{
		{data: "\x1b[31mred\x1b[0m \x1b[1;32mbold green\x1b[0m \x1b[4;38;5;208munderlined orange\x1b[0m\n"},
		{data: "\x1b[48;2;40;40;120;38;2;255;220;0m truecolor \x1b[0m plain \x1b[97;41m bright on red \x1b[m\n"},
		{data: "\x1b]52;c;ZXZpbA==\x07\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[?2004hafter unsafe sequences\n"},
		{data: "\x1b]8;;https://evil.example\x1b\\a link, shown as text\x1b]8;;\x1b\\\n"},
		{data: "\x1bP1$r0m\x1b\\\x1b_kitty\x1b\\dcs and apc dropped\n"},
		{data: "\x1b[34mblue that goes on and on across the width of the pane and wraps\n"},
		{data: "still blue on the next line, then \x1b[0mreset\n"},
		{data: "\x1b[30;40mblack on black is shown readable\x1b[0m\n"},
		{data: "\x1b[8mconcealed text is not concealed\x1b[0m\n"},
		{data: "\x1b[45mno reset at the end of the run"},
	}},
	{"invisible", []chunk{
		{data: "zero\u200bwidth space\n"},
		{data: "join\u200der, \ufeffbom, soft\u00adhyphen\n"},
		{data: "access = \"user\u202e \u2066// check admin\u2069 \u2066\" (Trojan Source)\n"},
		{data: "bell\a nul\x00 backspace\b del\x7f c1\u0085\n"},
		{data: "bad \xff utf-8, cut \xe6\x97"},
		{data: " here, whole \xe6\x97"},
		{data: "\xa5\n"},
		{data: "combining e\u0301 and wide 日本 stay\n"},
	}},
}

func TestGoldenOutputTerminal(t *testing.T) {
	for _, theme := range []themes.Theme{themes.All()[0], themes.Mono()} {
		st := NewStyles(theme)
		for _, g := range outputGoldens {
			if theme.Mono && g.name != "colours" {
				continue
			}
			o := newOutputPane()
			const w, h = 64, 16
			o.setSize(w-2, h-2)
			o.append(lineHeader, 1, "▶ run 1 · python · 14:02:05")
			for _, c := range g.chunks {
				stream := run.Stdout
				if c.stderr {
					stream = run.Stderr
				}
				o.write(1, stream, []byte(c.data))
			}
			o.append(lineSummary, 1, "✓ run 1 · ok · exit 0")
			view := frame(st, "2 Output", o.note(), o.render(st, true), w, h, true)
			name := g.name
			if theme.Mono {
				name += "-mono"
			}
			t.Run(name, func(t *testing.T) {
				for _, line := range splitLines(view) {
					if ansi.StringWidth(line) != w {
						t.Fatalf("a line is %d cells wide, the pane %d: %q", ansi.StringWidth(line), w, line)
					}
					checkSafeTerminal(t, line, g.name)
				}
				golden.RequireEqual(t, []byte(downsample(t, view, colorprofile.ANSI256)))
			})
			t.Run(name+"-plain", func(t *testing.T) {
				golden.RequireEqual(t, []byte(ansi.Strip(view)))
			})
		}
	}
}
