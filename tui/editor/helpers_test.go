package editor

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
)

// namedKeys maps key names to the codes Bubble Tea's decoder produces.
var namedKeys = map[string]rune{
	"left": tea.KeyLeft, "right": tea.KeyRight, "up": tea.KeyUp, "down": tea.KeyDown,
	"home": tea.KeyHome, "end": tea.KeyEnd, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
	"insert": tea.KeyInsert, "delete": tea.KeyDelete, "backspace": tea.KeyBackspace,
	"tab": tea.KeyTab, "enter": tea.KeyEnter, "esc": tea.KeyEscape, "space": tea.KeySpace,
	"f1": tea.KeyF1, "f5": tea.KeyF5, "f8": tea.KeyF8,
}

// press builds the tea.KeyPressMsg a terminal sends for keystroke s, the
// way Bubble Tea v2 decodes it: "a" and "A" carry Text (an upper-case
// letter is the lower-case code plus shift), "ctrl+a" is code 'a' with the
// ctrl modifier, "shift+left" is KeyLeft with shift, "é" is its rune. It
// fails the test if the message does not print back as s, which checks
// that the helper and Bubble Tea agree on key names.
func press(t testing.TB, s string) tea.KeyPressMsg {
	t.Helper()
	var k tea.Key
	name := s
	for {
		switch {
		case strings.HasPrefix(name, "ctrl+") && len(name) > len("ctrl+"):
			k.Mod |= tea.ModCtrl
			name = name[len("ctrl+"):]
			continue
		case strings.HasPrefix(name, "alt+") && len(name) > len("alt+"):
			k.Mod |= tea.ModAlt
			name = name[len("alt+"):]
			continue
		case strings.HasPrefix(name, "shift+") && len(name) > len("shift+"):
			k.Mod |= tea.ModShift
			name = name[len("shift+"):]
			continue
		}
		break
	}
	if code, ok := namedKeys[name]; ok {
		k.Code = code
		if name == "space" && k.Mod == 0 {
			k.Text = " "
		}
	} else {
		r, size := utf8.DecodeRuneInString(name)
		if size != len(name) {
			k.Code = tea.KeyExtended
			k.Text = name
		} else {
			k.Code = r
			if k.Mod&(tea.ModCtrl|tea.ModAlt) == 0 {
				k.Text = name
			}
			if unicode.IsUpper(r) {
				k.Code = unicode.ToLower(r)
				k.ShiftedCode = r
				k.Mod |= tea.ModShift
			}
		}
	}
	msg := tea.KeyPressMsg(k)
	if got := msg.String(); got != s {
		t.Fatalf("press(%q) builds a key that prints as %q", s, got)
	}
	return msg
}

// keys sends each keystroke to m and returns the commands returned.
func keys(t testing.TB, m *Model, strokes ...string) []tea.Cmd {
	t.Helper()
	var cmds []tea.Cmd
	for _, s := range strokes {
		if cmd := m.Update(press(t, s)); cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

// typeString types s one key at a time ("\n" is enter, "\t" tab).
func typeString(t testing.TB, m *Model, s string) {
	t.Helper()
	for _, r := range s {
		switch r {
		case '\n':
			keys(t, m, "enter")
		case '\t':
			keys(t, m, "tab")
		case ' ':
			keys(t, m, "space")
		default:
			keys(t, m, string(r))
		}
	}
}

// fakeClock is a clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// newTest returns a focused editor of size w×h holding text, with a fake
// clock (typing is never split by time unless the test advances it).
func newTest(t testing.TB, lang, text string, w, h int) (*Model, *fakeClock) {
	t.Helper()
	m := New(Options{Syntax: syntaxFor(lang)})
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	m.now = clock.now
	m.SetValue(text)
	m.SetSize(w, h)
	m.Focus()
	return m, clock
}

// cursorAt returns the 1-based cursor as "line:col".
func cursorAt(m *Model) string {
	l, c := m.Cursor()
	return fmt.Sprintf("%d:%d", l, c)
}

// pasteMsg is a bracketed paste of s.
func pasteMsg(s string) tea.PasteMsg {
	return tea.PasteMsg{Content: s}
}

// regexpSGR matches the text after ESC of an SGR sequence.
var regexpSGR = regexp.MustCompile(`^\[[0-9;:]*m`)

// The syntaxes of the app's languages, as the app builds them from the
// language records (tui's syntaxOf has a test that they agree).
var (
	pythonSyntax = Syntax{Name: "python", Lexer: "python", LineComment: "#", Quotes: "\"'", BlockOpener: ":",
		DedentAfter: []string{"return", "pass", "break", "continue", "raise"}}
	javascriptSyntax = Syntax{Name: "javascript", Lexer: "javascript", LineComment: "//", Quotes: "\"'`"}
	watSyntax        = Syntax{Name: "wat", Lexer: "wast", LineComment: ";;", Quotes: "\"", OpenParens: true}
)

// syntaxFor names a test syntax: "python", "javascript", "wat", "" for
// plain text, anything else as a lexer name.
func syntaxFor(lang string) Syntax {
	switch lang {
	case "python":
		return pythonSyntax
	case "javascript":
		return javascriptSyntax
	case "wat":
		return watSyntax
	case "":
		return Syntax{}
	}
	return Syntax{Name: lang, Lexer: lang}
}
