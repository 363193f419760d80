package editor

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestInvalidUTF8(t *testing.T) {
	m, _ := newTest(t, "python", "x = '\xff\xfe'\n\xc3", 30, 3)
	if got, want := m.Value(), "x = '\uFFFD\uFFFD'\n\uFFFD"; got != want {
		t.Fatalf("Value = %q, want %q", got, want)
	}
	view := m.View()
	checkView(t, view, 30, 3)
	if !strings.Contains(ansi.Strip(view), "'\uFFFD\uFFFD'") {
		t.Fatalf("replacement characters not shown: %q", ansi.Strip(view))
	}

	m.SetValue("")
	m.Update(pasteMsg("a\x80b\xed\xa0\x80c")) // a stray byte and a UTF-16 surrogate
	if got := m.Value(); got != "a\uFFFDb\uFFFD\uFFFD\uFFFDc" {
		t.Fatalf("pasted invalid UTF-8: %q", got)
	}
	keys(t, m, "left", "left", "backspace")
	checkView(t, m.View(), 30, 3)
}

func TestHostileCharactersAreShownSafely(t *testing.T) {
	tests := []struct {
		name, text, shown string
	}{
		{"escape sequence", "a\x1b[31mred", "a␛[31mred"},
		{"bell and nul", "\x07\x00", "␇␀"},
		{"del", "a\x7fb", "a␡b"},
		{"c1 control", "a\u0085b", "a\uFFFDb"},
		{"bidi override", "x = 1 \u202e// admin", "x = 1 \uFFFD// admin"},
		{"zero width space", "a\u200bb", "a\uFFFDb"},
		{"byte order mark", "\ufeffx", "\uFFFDx"},
		{"lone combining mark", "\u0301x", "\uFFFDx"},
		{"combining mark on a letter", "e\u0301x", "e\u0301x"},
		{"zwj emoji sequence", "👨\u200d👩\u200d👧!", "\uFFFD !"},
		{"emoji with variation selector", "❤\ufe0f!", "\uFFFD !"},
		{"plain emoji", "👍!", "👍!"},
		{"cjk", "日本", "日本"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTest(t, "", tt.text, 30, 1)
			m.Blur()
			view := m.View()
			checkView(t, view, 30, 1)
			plain := ansi.Strip(view)
			if !strings.HasPrefix(plain, "  1 "+tt.shown) {
				t.Fatalf("shown as %q, want %q", plain, tt.shown)
			}
			// No byte of the text's own control characters reaches the
			// terminal: every ESC in the view starts one of our SGRs.
			for _, seq := range strings.Split(view, "\x1b")[1:] {
				if !regexpSGR.MatchString(seq) {
					t.Fatalf("foreign escape in view: %q", seq)
				}
			}
			if strings.ContainsAny(view, "\x00\x07\x7f\u0085\u202e") {
				t.Fatalf("raw control character in view: %q", view)
			}
			if m.Value() != tt.text {
				t.Fatal("the text itself must not change")
			}
			// The cursor moves over the text without trouble.
			m.Focus()
			for range len([]rune(tt.text)) + 1 {
				keys(t, m, "right")
				checkView(t, m.View(), 30, 1)
			}
		})
	}
}
