package textsafe

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLineAndText(t *testing.T) {
	tests := []struct {
		name, in, line, text string
	}{
		{"plain", "hello, wörld", "hello, wörld", "hello, wörld"},
		{"newline forges a heading", "x\n## Fake", `x\n## Fake`, "x\n## Fake"},
		{"tab", "a\tb", `a\tb`, "a\tb"},
		{"carriage return overwrites", "safe\rEVIL", `safe\rEVIL`, `safe\rEVIL`},
		{"escape sequence", "\x1b]52;c;AAAA\x07", `\x1b]52;c;AAAA\x07`, `\x1b]52;c;AAAA\x07`},
		{"C1 CSI", "a\u009b2Jb", `a\u009b2Jb`, `a\u009b2Jb`},
		{"C1 next line", "a\u0085b", `a\u0085b`, `a\u0085b`},
		{"line separator", "a\u2028b", `a\u2028b`, `a\u2028b`},
		{"bidi override", "user\u202egnp.exe", `user\u202egnp.exe`, `user\u202egnp.exe`},
		{"DEL", "a\x7fb", `a\x7fb`, `a\x7fb`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`, `a\xffb\xc3`},
		{"raw 8-bit CSI byte", "a\x9b2J", `a\x9b2J`, `a\x9b2J`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.in); got != tt.line {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.line)
			}
			if got := Text(tt.in); got != tt.text {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.text)
			}
		})
	}
}

func TestJSON_SameValuesSafeBytes(t *testing.T) {
	in := map[string]string{"name": "a\u0085b\u009b\u202e\x7f\x1b\n"}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out := JSON(data)
	if !safeJSON(string(out)) {
		t.Fatalf("unsafe characters left: %q", out)
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil || back["name"] != in["name"] {
		t.Fatalf("decodes to %q, %v; want %q", back["name"], err, in["name"])
	}
}

func TestTerminal(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello\n", "hello\n"},
		{"colours pass", "\x1b[1;31mred\x1b[0m\n", "\x1b[1;31mred\x1b[0m\n"},
		{"256 colours pass", "\x1b[38;5;196mx\x1b[m", "\x1b[38;5;196mx\x1b[m"},
		{"title set with BEL", "a\x1b]0;pwned\x07b", "ab"},
		{"clipboard write with ST", "a\x1b]52;c;ZWNobyBoaQ==\x1b\\b", "ab"},
		{"clear screen", "a\x1b[2Jb\x1b[Hc", "abc"},
		{"cursor up", "done\x1b[1A\x1b[2Kok", "doneok"},
		{"private mode", "\x1b[?1049hx", "x"},
		{"DCS", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"},
		{"reset terminal", "a\x1bcb", "ab"},
		{"charset", "a\x1b(0b", "ab"},
		{"SGR with a private marker", "\x1b[>4;2mx", "x"},
		{"C1 CSI rune", "a\u009b2Jb", `a\u009b2Jb`},
		{"raw 8-bit CSI byte", "a\x9b2Jb", `a\x9b2Jb`},
		{"bell", "a\x07b", `a\x07b`},
		{"backspace", "abc\b\b\bxyz", `abc\x08\x08\x08xyz`},
		{"carriage return stays", "10%\r20%\n", "10%\r20%\n"},
		{"UTF-8", "héllo ✓ 😀\n", "héllo ✓ 😀\n"},
		{"bidi override", "a\u202eb", `a\u202eb`},
		{"overlong", "a\xc0\xafb", `a\xc0\xafb`},
		{"truncated character", "a\xe2\x9cb", `a\xe2\x9cb`},
		{"an overlong CSI is dropped", "\x1b[" + strings.Repeat("1;", 100) + "mx", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			term := NewTerminal(&b)
			term.Write([]byte(tt.in))
			if got := b.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTerminal_ResetEndsColours(t *testing.T) {
	var b bytes.Buffer
	term := NewTerminal(&b)
	term.Write([]byte("\x1b[8m hidden \x1b]0;x"))
	term.Reset()
	term.Write([]byte("next"))
	if got := b.String(); got != "\x1b[8m hidden \x1b[0mnext" {
		t.Errorf("got %q", got)
	}
}

// terminalSafe reports whether s holds nothing a terminal would act on
// but SGR sequences, newlines, tabs and carriage returns.
func terminalSafe(s string) bool {
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			j := i + 2
			if j > len(s) || s[i+1] != '[' {
				return false
			}
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == ':') {
				j++
			}
			if j >= len(s) || s[j] != 'm' {
				return false
			}
			i = j + 1
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if Unsafe(r) && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
		i += size
	}
	return true
}

func safeJSON(s string) bool {
	for _, r := range s {
		if Unsafe(r) && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
	}
	return true
}

func FuzzTerminal(f *testing.F) {
	for _, s := range []string{"\x1b[31mred\x1b[0m", "\x1b]52;c;AAAA\x07", "\u009b2J", "\xe2\x9c\x93", "\x1bP\x1b\\", "a\rb"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		var whole bytes.Buffer
		w := NewTerminal(&whole)
		w.Write(in)
		w.Reset()
		if !terminalSafe(whole.String()) {
			t.Fatalf("unsafe output %q for %q", whole.String(), in)
		}
		// The same stream cut in pieces gives the same output.
		var pieces bytes.Buffer
		p := NewTerminal(&pieces)
		step := int(cut%7) + 1
		for i := 0; i < len(in); i += step {
			p.Write(in[i:min(i+step, len(in))])
		}
		p.Reset()
		if pieces.String() != whole.String() {
			t.Fatalf("cut every %d bytes: %q, whole: %q", step, pieces.String(), whole.String())
		}
	})
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"a\nb", "\x1b[2J", "\u0085", "\xff", "x\u202ey"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		line, text := Line(s), Text(s)
		for name, out := range map[string]string{"Line": line, "Text": text} {
			if !utf8.ValidString(out) {
				t.Fatalf("%s(%q) is not valid UTF-8: %q", name, s, out)
			}
			for _, r := range out {
				if Unsafe(r) && !(name == "Text" && keepBlock(r)) {
					t.Fatalf("%s(%q) = %q keeps %U", name, s, out, r)
				}
			}
		}
		if strings.ContainsAny(line, "\n\r") {
			t.Fatalf("Line(%q) = %q breaks the line", s, line)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, Unsafe) && line != s {
			t.Fatalf("Line changed safe text %q to %q", s, line)
		}
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var want, back string
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		if out := JSON(data); !safeJSON(string(out)) || json.Unmarshal(out, &back) != nil || back != want {
			t.Fatalf("JSON of %q: %q decodes to %q, not %q", s, out, back, want)
		}
	})
}

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"a longer text", 6, "a lon…"},
		{"世界世界世界", 4, "世界世…"},
	} {
		if got := Clip(tt.in, tt.n); got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
