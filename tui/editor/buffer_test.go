package editor

import (
	"slices"
	"strings"
	"testing"
)

func TestSetTextNormalizes(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", []string{""}},
		{"one line", "abc", []string{"abc"}},
		{"trailing newline", "a\n", []string{"a", ""}},
		{"crlf", "a\r\nb\r\n", []string{"a", "b", ""}},
		{"lone cr", "a\rb", []string{"a", "b"}},
		{"invalid utf8", "a\xffb\xc3", []string{"a\uFFFDb\uFFFD"}},
		{"nul and escape kept", "a\x00\x1b[31m", []string{"a\x00\x1b[31m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuffer(tt.in)
			var got []string
			for _, l := range b.lines {
				got = append(got, string(l))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("lines = %q, want %q", got, tt.want)
			}
			if want := strings.Join(tt.want, "\n"); b.text() != want {
				t.Errorf("text() = %q, want %q", b.text(), want)
			}
		})
	}
}

func TestReplace(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		from, to pos
		insert   string
		want     string
		wantEnd  pos
		removed  string
	}{
		{"insert char", "abc", pos{0, 1}, pos{0, 1}, "X", "aXbc", pos{0, 2}, ""},
		{"insert at end", "abc", pos{0, 3}, pos{0, 3}, "!", "abc!", pos{0, 4}, ""},
		{"insert newline", "abc", pos{0, 1}, pos{0, 1}, "\n", "a\nbc", pos{1, 0}, ""},
		{"insert lines", "ab\ncd", pos{0, 1}, pos{0, 1}, "1\n2\n3", "a1\n2\n3b\ncd", pos{2, 1}, ""},
		{"delete within line", "abcdef", pos{0, 1}, pos{0, 4}, "", "aef", pos{0, 1}, "bcd"},
		{"delete line break", "ab\ncd", pos{0, 2}, pos{1, 0}, "", "abcd", pos{0, 2}, "\n"},
		{"delete across lines", "ab\ncd\nef", pos{0, 1}, pos{2, 1}, "", "af", pos{0, 1}, "b\ncd\ne"},
		{"replace across lines", "ab\ncd\nef", pos{0, 1}, pos{2, 1}, "X\nY", "aX\nYf", pos{1, 1}, "b\ncd\ne"},
		{"replace same line count", "ab\ncd", pos{0, 1}, pos{1, 1}, "1\n2", "a1\n2d", pos{1, 1}, "b\nc"},
		{"delete everything", "ab\ncd", pos{0, 0}, pos{1, 2}, "", "", pos{0, 0}, "ab\ncd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuffer(tt.text)
			if got := string(b.slice(tt.from, tt.to)); got != tt.removed {
				t.Errorf("slice = %q, want %q", got, tt.removed)
			}
			end := b.replace(tt.from, tt.to, []rune(tt.insert))
			if got := b.text(); got != tt.want {
				t.Errorf("text = %q, want %q", got, tt.want)
			}
			if end != tt.wantEnd {
				t.Errorf("end = %v, want %v", end, tt.wantEnd)
			}
			if e := endOf(tt.from, []rune(tt.insert)); e != tt.wantEnd {
				t.Errorf("endOf = %v, want %v", e, tt.wantEnd)
			}
		})
	}
}

func TestClamp(t *testing.T) {
	b := newBuffer("ab\ncde")
	tests := []struct{ in, want pos }{
		{pos{-1, 5}, pos{0, 0}},
		{pos{0, 9}, pos{0, 2}},
		{pos{1, -3}, pos{1, 0}},
		{pos{7, 0}, pos{1, 3}},
	}
	for _, tt := range tests {
		if got := b.clamp(tt.in); got != tt.want {
			t.Errorf("clamp(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
