package tui

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/themes"
)

// feedChunks runs chunks through a fresh stream and returns every line it
// ended and, last, the line still being written (if it has any cell),
// each as describe writes it.
func feedChunks(chunks ...string) []string {
	var t termStream
	var out []string
	for _, c := range chunks {
		t.feed([]byte(c), func(text string, spans []span) { out = append(out, describe(text, spans)) })
	}
	if len(t.cells) > 0 {
		out = append(out, describe(t.line()))
	}
	return out
}

// describe writes a line with its styled parts in braces: {pen|text}.
func describe(text string, spans []span) string {
	var b strings.Builder
	at := 0
	for _, sp := range spans {
		b.WriteString(text[at:sp.start])
		fmt.Fprintf(&b, "{%s|%s}", sp.pen, text[sp.start:sp.end])
		at = sp.end
	}
	b.WriteString(text[at:])
	return b.String()
}

// String writes a pen for test failures and describe.
func (p pen) String() string {
	var parts []string
	col := func(name string, c tcolor) {
		v := uint32(c &^ colorKind)
		switch c & colorKind {
		case colorBasic:
			parts = append(parts, fmt.Sprintf("%s%d", name, v))
		case colorIndexed:
			parts = append(parts, fmt.Sprintf("%s@%d", name, v))
		case colorRGB:
			parts = append(parts, fmt.Sprintf("%s#%06x", name, v))
		}
	}
	col("fg", p.fg)
	col("bg", p.bg)
	if p.attr&attrBold != 0 {
		parts = append(parts, "b")
	}
	if p.attr&attrUnderline != 0 {
		parts = append(parts, "u")
	}
	if p.attr&attrMarker != 0 {
		parts = append(parts, "m")
	}
	return strings.Join(parts, ",")
}

func TestTermStream(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   []string
	}{
		// Carriage returns.
		{"crlf is a newline", []string{"alpha\r\nbeta\r\n"}, []string{"alpha", "beta"}},
		{"lone cr overwrites", []string{"abc\rZ"}, []string{"Zbc"}},
		{"progress bar", []string{"10%\r20%\r"}, []string{"20%"}},
		{"progress then done", []string{"downloading 5%\rdone\n"}, []string{"doneloading 5%"}},
		{"cr in a later chunk", []string{"abc", "\rZ"}, []string{"Zbc"}},
		{"cr at a chunk's end", []string{"abc\r", "Z\n"}, []string{"Zbc"}},
		{"crlf split across chunks", []string{"one\r", "\ntwo\r\n"}, []string{"one", "two"}},
		{"empty lines kept", []string{"\n\r\n\n"}, []string{"", "", ""}},
		{"windows csv", []string{"city,temp\r\nOslo,3\r\n"}, []string{"city,temp", "Oslo,3"}},
		// Tabs.
		{"tab to column 8", []string{"a\tb"}, []string{"a       b"}},
		{"tab at a stop goes to the next", []string{"abcdefgh\tx"}, []string{"abcdefgh        x"}},
		{"two tabs", []string{"\t\tx"}, []string{"                x"}},
		{"tab counts wide characters", []string{"日本\tx"}, []string{"日本    x"}},
		{"tab after cr moves without erasing", []string{"abcdefghij\r\tZ"}, []string{"abcdefghZj"}},
		{"trailing tab adds nothing", []string{"ab\t\n"}, []string{"ab"}},
		// Colours.
		{"basic colour", []string{"\x1b[31mred\x1b[0m plain"}, []string{"{fg1|red} plain"}},
		{"bright colour and background", []string{"\x1b[92;104mx\x1b[39my\x1b[49mz"}, []string{"{fg10,bg12|x}{bg12|y}z"}},
		{"256 and truecolor", []string{"\x1b[38;5;208mo\x1b[48;2;1;2;3mx\x1b[m"}, []string{"{fg@208|o}{fg@208,bg#010203|x}"}},
		{"colon forms", []string{"\x1b[38:5:9ma\x1b[38:2::255:0:0mb\x1b[38:2:0:255:0mc"}, []string{"{fg@9|a}{fg#ff0000|b}{fg#00ff00|c}"}},
		{"bold and underline", []string{"\x1b[1;4mbu\x1b[22mu\x1b[24mn"}, []string{"{b,u|bu}{u|u}n"}},
		{"underline style 4:3 and off 4:0", []string{"\x1b[4:3ma\x1b[4:0mb"}, []string{"{u|a}b"}},
		{"empty sgr resets", []string{"\x1b[1mb\x1b[mn"}, []string{"{b|b}n"}},
		{"unsafe attributes ignored", []string{"\x1b[8mhidden\x1b[7mrev\x1b[5mblink"}, []string{"hiddenrevblink"}},
		{"bad colour ignored", []string{"\x1b[38;5;300mx\x1b[38;2;1;2mY"}, []string{"xY"}},
		{"huge parameter ignored", []string{"\x1b[99999999999999mx"}, []string{"x"}},
		{"private sgr is not sgr", []string{"\x1b[?1mx\x1b[>4;2m"}, []string{"x"}},
		{"colour across chunks and lines", []string{"\x1b[32m", "green\n", "still\n"}, []string{"{fg2|green}", "{fg2|still}"}},
		{"sgr split across chunks", []string{"\x1b[3", "1mred"}, []string{"{fg1|red}"}},
		{"overwrite keeps the colours of what is left", []string{"\x1b[31mabc\r\x1b[32mZ"}, []string{"{fg2|Z}{fg1|bc}"}},
		// Other sequences, dropped.
		{"osc 52 clipboard write", []string{"a\x1b]52;c;ZXZpbA==\x07b"}, []string{"ab"}},
		{"osc 52 split across chunks", []string{"\x1b]52;c;", "ZXZp", "bA==\x1b", "\\ok"}, []string{"ok"}},
		{"osc 8 link", []string{"\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\"}, []string{"link"}},
		{"title", []string{"\x1b]0;pwned\x07\x1b]2;x\x1b\\ok"}, []string{"ok"}},
		{"cursor movement and clears", []string{"x\x1b[2J\x1b[H\x1b[5A\x1b[10;10Hy\x1b[s\x1b7\x1b8"}, []string{"xy"}},
		{"dcs", []string{"\x1bPq#0;2;0;0;0~\x1b\\after"}, []string{"after"}},
		{"apc pm sos", []string{"\x1b_G;x\x1b\\\x1b^p\x07\x1bXs\x1b\\z"}, []string{"z"}},
		{"bracketed paste and modes", []string{"\x1b[?2004h\x1b[?1049h\x1b[?25l\x1b[200~ok\x1b[201~"}, []string{"ok"}},
		{"charset and keypad", []string{"\x1b(0q\x1b(B\x1b=\x1b>"}, []string{"q"}},
		{"esc inside osc starts a sequence", []string{"\x1b]0;t\x1b[31mred"}, []string{"{fg1|red}"}},
		{"can cancels a sequence", []string{"\x1b[31\x18m"}, []string{"m"}},
		{"control inside csi ends it", []string{"\x1b[31\nm"}, []string{"", "m"}},
		{"too long csi dropped", []string{"\x1b[" + strings.Repeat("1;", 100) + "31mx"}, []string{"x"}},
		{"erase to end of line", []string{"abcdef\r\x1b[Kxy"}, []string{"xy"}},
		{"erase whole line", []string{"abcdef\x1b[2K\rxy"}, []string{"xy"}},
		{"erase to the cursor", []string{"abcdef\x1b[1Kx"}, []string{"      x"}},
		{"erase to the cursor after cr", []string{"abcdef\r\x1b[1K"}, []string{" bcdef"}},
		// Invisible characters.
		{"zero-width space", []string{"a\u200bb"}, []string{"a{m|⟨U+200B⟩}b"}},
		{"zero-width joiner", []string{"x\u200dy"}, []string{"x{m|⟨U+200D⟩}y"}},
		{"byte order mark", []string{"\ufeffstart"}, []string{"{m|⟨U+FEFF⟩}start"}},
		{"bidi override", []string{"abc\u202edef\u202c"}, []string{"abc{m|⟨U+202E⟩}def{m|⟨U+202C⟩}"}},
		{"bidi isolates", []string{"\u2066a\u2069"}, []string{"{m|⟨U+2066⟩}a{m|⟨U+2069⟩}"}},
		{"c0 controls", []string{"ding\a\x00\b"}, []string{"ding{m|⟨U+0007⟩⟨U+0000⟩⟨U+0008⟩}"}},
		{"del", []string{"a\x7fb"}, []string{"a{m|⟨U+007F⟩}b"}},
		{"c1 control", []string{"a\u0085b\u009b"}, []string{"a{m|⟨U+0085⟩}b{m|⟨U+009B⟩}"}},
		{"raw 8-bit csi byte", []string{"\x9b2J"}, []string{"{m|⟨0x9B⟩}2J"}},
		{"invalid utf-8", []string{"a\xffb"}, []string{"a{m|⟨0xFF⟩}b"}},
		{"cut utf-8", []string{"\xe6\x97x"}, []string{"{m|⟨0xE6⟩⟨0x97⟩}x"}},
		{"surrogate encoded", []string{"\xed\xa0\x80"}, []string{"{m|⟨0xED⟩⟨0xA0⟩⟨0x80⟩}"}},
		{"utf-8 split across chunks", []string{"\xe6\x97", "\xa5本"}, []string{"日本"}},
		{"marker keeps the colour's place", []string{"\x1b[31ma\u200bb"}, []string{"{fg1|a}{fg1,m|⟨U+200B⟩}{fg1|b}"}},
		{"line separator", []string{"a\u2028b"}, []string{"a{m|⟨U+2028⟩}b"}},
		{"tag characters", []string{"hi\U000E0041"}, []string{"hi{m|⟨U+E0041⟩}"}},
		// Characters.
		{"combining mark joins its letter", []string{"e\u0301!"}, []string{"e\u0301!"}},
		{"combining mark at the start", []string{"\u0301x"}, []string{" \u0301x"}},
		{"wide character half overwritten", []string{"日本\rx"}, []string{"x 本"}},
		{"wide character over narrow", []string{"abc\r日"}, []string{"日c"}},
		{"marker overwritten", []string{"\u200b\rab"}, []string{"ab      "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := feedChunks(tc.chunks...)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("feed(%q)\n got %q\nwant %q", tc.chunks, got, tc.want)
			}
			// However the input is cut, the lines are the same.
			whole := strings.Join(tc.chunks, "")
			var bytes []string
			for i := 0; i < len(whole); i++ {
				bytes = append(bytes, whole[i:i+1])
			}
			if one, each := feedChunks(whole), feedChunks(bytes...); strings.Join(one, "\n") != strings.Join(each, "\n") {
				t.Errorf("one chunk %q, a byte at a time %q", one, each)
			}
		})
	}
}

func TestTermStreamLongLine(t *testing.T) {
	got := feedChunks(strings.Repeat("x", maxLineCols+10) + "\n")
	if len(got) != 2 || len(got[0]) != maxLineCols || got[1] != strings.Repeat("x", 10) {
		t.Fatalf("a line past %d columns: %d lines, first %d long", maxLineCols, len(got), len(got[0]))
	}
	got = feedChunks(strings.Repeat("日", maxLineCols))
	if len(got) != 2 || ansi.StringWidth(got[0]) != maxLineCols {
		t.Fatalf("wide: %d lines, first %d wide", len(got), ansi.StringWidth(got[0]))
	}
	got = feedChunks(strings.Repeat("\u200b", maxLineCols))
	if len(got) < 2 || ansi.StringWidth(got[0]) > maxLineCols+10 {
		t.Fatalf("markers: %d lines, first %d wide", len(got), ansi.StringWidth(got[0]))
	}
}

func TestWrapRows(t *testing.T) {
	tests := []struct {
		text string
		w    int
		want []string
	}{
		{"", 4, []string{""}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"abcd", 4, []string{"abcd"}},
		{"日本語", 4, []string{"日本", "語"}},
		{"a日本", 2, []string{"a", "日", "本"}},
		{"日", 1, []string{"日"}},
		{"e\u0301e\u0301e\u0301", 2, []string{"e\u0301e\u0301", "e\u0301"}},
		{"ab⟨U+200B⟩", 5, []string{"ab⟨U+", "200B⟩"}},
	}
	for _, tc := range tests {
		got := wrapRows(tc.text, tc.w)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrapRows(%q, %d) = %q, want %q", tc.text, tc.w, got, tc.want)
		}
		for _, r := range got {
			if ansi.StringWidth(r) > max(tc.w, 2) {
				t.Errorf("row %q wider than %d", r, tc.w)
			}
		}
	}
}

// TestOutputPaneTerminal checks the pane end to end: streams in chunks,
// the other stream and the app's own lines in between.
func TestOutputPaneTerminal(t *testing.T) {
	o := newOutputPane()
	o.setSize(40, 10)
	o.write(1, run.Stdout, []byte("progress 10%"))
	o.write(1, run.Stdout, []byte("\rprogress 20%"))
	o.write(1, run.Stdout, []byte("\rprogress 100%\r\n"))
	o.write(1, run.Stdout, []byte("\x1b[31mred"))
	o.write(1, run.Stderr, []byte("err\n"))
	o.write(1, run.Stdout, []byte(" more\n"))
	o.append(lineSummary, 1, "ok")
	if got := o.runText(1); got != "progress 100%\nred\nerr\n more\n" {
		t.Fatalf("runText = %q", got)
	}
	if sp := o.lines[1].spans; len(sp) != 1 || sp[0].pen.fg != colorBasic|1 {
		t.Fatalf("red line spans %v", sp)
	}
	if sp := o.lines[3].spans; len(sp) != 1 || sp[0].pen.fg != colorBasic|1 {
		t.Fatalf("the colour did not carry over to the stream's next line: %v", sp)
	}
	// A new run starts clean: no colour, no half-read sequence.
	o.write(1, run.Stdout, []byte("\x1b]0;unfinished title"))
	o.write(2, run.Stdout, []byte("run two\n"))
	last := o.lines[len(o.lines)-1]
	if last.text != "run two" || last.spans != nil {
		t.Fatalf("run 2's line: %q %v", last.text, last.spans)
	}
}

// TestOutputFollowsNewRun: starting a run brings its output into view
// even when the pane was scrolled up or a search had moved it.
func TestOutputFollowsNewRun(t *testing.T) {
	for _, how := range []string{"scrolled", "searched"} {
		t.Run(how, func(t *testing.T) {
			o := newOutputPane()
			o.setSize(40, 5)
			o.append(lineHeader, 1, "▶ run 1")
			for i := 0; i < 50; i++ {
				o.write(1, run.Stdout, []byte(fmt.Sprintf("line %d\n", i)))
			}
			if how == "scrolled" {
				o.scroll(-20)
			} else {
				o.searching = true
				o.runSearch("line 3")
			}
			if o.followOut {
				t.Fatal("the pane still follows")
			}
			o.append(lineHeader, 2, "▶ run 2")
			o.write(2, run.Stdout, []byte("fresh output\n"))
			st := NewStyles(themes.All()[0])
			if view := ansi.Strip(o.render(st, true)); !strings.Contains(view, "fresh output") || !o.followOut {
				t.Fatalf("run 2's output is not in view:\n%s", view)
			}
		})
	}
}

// TestOutputScroll: the view moves both ways, and only the bottom follows.
func TestOutputScroll(t *testing.T) {
	o := newOutputPane()
	o.setSize(40, 5)
	for i := 0; i < 50; i++ {
		o.write(1, run.Stdout, []byte(fmt.Sprintf("line %d\n", i)))
	}
	end := o.top
	o.scroll(-20)
	if o.top != end-20 || o.followOut {
		t.Fatalf("up 20: top %d (end %d), follow %v", o.top, end, o.followOut)
	}
	o.write(1, run.Stdout, []byte("more\n"))
	if o.top != end-20 {
		t.Fatalf("output moved a scrolled view: top %d", o.top)
	}
	o.scroll(5)
	if o.top != end-15 || o.followOut {
		t.Fatalf("down 5: top %d, follow %v", o.top, o.followOut)
	}
	o.scroll(100)
	if !o.followOut || !o.atEnd() {
		t.Fatalf("down to the end: top %d, follow %v", o.top, o.followOut)
	}
}

// checkSafeTerminal fails if s holds an escape sequence other than an SGR
// of the safe subset, or a control character other than a newline.
func checkSafeTerminal(t *testing.T, s, from string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0x1b {
			if i+1 >= len(s) || s[i+1] != '[' {
				t.Fatalf("an ESC that is not a CSI at %d in %q (from %q)", i, s, from)
			}
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == ':') {
				j++
			}
			if j >= len(s) || s[j] != 'm' {
				t.Fatalf("a CSI that is not SGR at %d in %q (from %q)", i, s, from)
			}
			i = j
			continue
		}
		if (c < 0x20 && c != '\n') || c == 0x7f {
			t.Fatalf("control %#x at %d in %q (from %q)", c, i, s, from)
		}
	}
	if !utf8.ValidString(s) {
		t.Fatalf("invalid UTF-8 in %q (from %q)", s, from)
	}
	for _, r := range s {
		if r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200b || r == 0xfeff {
			t.Fatalf("%U shown raw in %q (from %q)", r, s, from)
		}
	}
}

func FuzzTermStream(f *testing.F) {
	for _, s := range []string{
		"\x1b[31mred\x1b[0m", "\x1b]52;c;ZXZpbA==\x07", "\x1b]8;;http://x\x1b\\l\x1b]8;;\x1b\\", "\x9b2J",
		"a\tb\x00\r\n", "\xff\xfe", "abc\rZ", "\x1b[38;2;1;2;3;48;5;9;1;4mx", "日本\rx\u0301", "\u200b\u202e\ufeff",
		"\x1bP1$r\x1b\\", "\x1b[?2004h", "\x1b[2K\x1b[1K\x1b[K", "\x1b[38:2::1:2:3m",
	} {
		f.Add([]byte(s), uint16(3))
	}
	st := NewStyles(themes.All()[0])
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		at := int(cut) % (len(data) + 1)
		o := newOutputPane()
		o.setSize(17, 200)
		o.write(1, run.Stdout, data[:at])
		o.write(1, run.Stdout, data[at:])
		o.write(1, run.Stderr, data)
		o.query = "a"
		o.matches = []int{0, 1, 2}
		view := o.render(st, true)
		checkSafeTerminal(t, view, string(data))
		for i, l := range o.lines {
			if strings.ContainsRune(l.text, 0x1b) {
				t.Fatalf("ESC in line %d %q", i, l.text)
			}
			for _, sp := range l.spans {
				if sp.start < 0 || sp.end > len(l.text) || sp.start >= sp.end {
					t.Fatalf("span %v out of line %q", sp, l.text)
				}
			}
			for _, r := range o.rows(i) {
				if ansi.StringWidth(r) > 17 && utf8.RuneCountInString(r) > 1 {
					t.Fatalf("row %q wider than the pane", r)
				}
			}
		}
		// Cutting the input elsewhere changes nothing.
		whole := newOutputPane()
		whole.write(1, run.Stdout, data)
		if got, want := whole.runText(1), o.runText(1); !strings.HasPrefix(want, got) {
			t.Fatalf("cut at %d: %q, whole: %q", at, want, got)
		}
	})
}

// BenchmarkOutputWrite measures what streaming ~10 MB of output into the
// pane costs (32 KB chunks, as the runner delivers them), then one frame:
// plain lines, coloured ones, and a progress bar rewritten with "\r".
func BenchmarkOutputWrite(b *testing.B) {
	st := NewStyles(themes.All()[0])
	for _, bc := range []struct{ name, line string }{
		{"plain", strings.Repeat("x", 99) + "\n"},
		{"coloured", "\x1b[32mok\x1b[0m " + strings.Repeat("y", 40) + " \x1b[1;38;5;208m" + strings.Repeat("z", 40) + "\x1b[0m\n"},
		{"progress", "\r[" + strings.Repeat("#", 40) + strings.Repeat(" ", 40) + "] 50%\r\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			chunk := []byte(strings.Repeat(bc.line, 32<<10/len(bc.line)))
			n := 10 << 20 / len(chunk)
			b.SetBytes(int64(len(chunk) * n))
			for i := 0; i < b.N; i++ {
				o := newOutputPane()
				o.setSize(150, 40)
				for k := 0; k < n; k++ {
					o.write(1, run.Stdout, chunk)
				}
				_ = o.render(st, true)
			}
		})
	}
}
