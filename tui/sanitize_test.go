package tui

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello", "hello"},
		{"colour codes shown, inert", "\x1b[31mred\x1b[0m", "␛[31mred␛[0m"},
		{"osc 52 clipboard write shown, inert", "a\x1b]52;c;ZXZpbA==\x07b", "a␛]52;c;ZXZpbA==␇b"},
		{"cursor movement shown, inert", "x\x1b[2J\x1b[Hy", "x␛[2J␛[Hy"},
		{"title shown, inert", "\x1b]0;pwned\x1b\\ok", "␛]0;pwned␛\\ok"},
		{"c1 csi shown", "a\u009b2Jb", "a⟨U+009B⟩2Jb"},
		{"zero-width space shown", "a\u200bb", "a⟨U+200B⟩b"},
		{"bell shown", "ding\a", "ding␇"},
		{"nul shown", "a\x00b", "a␀b"},
		{"tab expanded", "a\tb", "a   b"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"bidi override shown", "abc\u202edef", "abc⟨U+202E⟩def"},
		{"wide runes kept", "日本語", "日本語"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sanitize(tc.in, 4); got != tc.want {
				t.Errorf("sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"\x1b[31mx", "\x1b]52;c;AA==\x07", "\x9b2J", "a\tb\x00", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := sanitize(s, 4)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("control %U left in %q (from %q)", r, out, s)
			}
		}
		if strings.ContainsRune(out, 0x1b) {
			t.Fatalf("ESC left in %q", out)
		}
	})
}
