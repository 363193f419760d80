package editor

import (
	"strings"
	"testing"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
)

// fuzzKeys are the keystrokes the fuzzer picks from: every default binding
// plus characters that trigger auto-indent and wide or combining runes.
func fuzzKeys() []string {
	var out []string
	for _, b := range DefaultKeyMap().all() {
		out = append(out, b.Keys()...)
	}
	return append(out, "a", "Z", "space", "é", "日", "\u0301", "👍", ":", "{", "}", "(", ")", "[", "]",
		`"`, "'", "#", "/", "*", "ctrl+c", "f5", "alt+1")
}

// fuzzTexts are starting texts.
var fuzzTexts = []string{"", sample, jsSample, watSample, "a\tb\n\x00\x1b[31m\u202e\ufeff日本\n\xff\xfe", strings.Repeat("long line ", 30)}

// checkInvariants fails the test if the model is inconsistent.
func checkInvariants(t *testing.T, m *Model, step int) {
	t.Helper()
	n := m.buf.lineCount()
	if n < 1 {
		t.Fatalf("step %d: no lines", step)
	}
	for _, p := range []pos{m.cursor, m.anchor} {
		if p.line < 0 || p.line >= n || p.col < 0 || p.col > len(m.buf.line(p.line)) {
			t.Fatalf("step %d: position %v out of bounds (%d lines)", step, p, n)
		}
	}
	v := m.Value()
	if m.Lines() != strings.Count(v, "\n")+1 {
		t.Fatalf("step %d: %d lines but Value has %d", step, m.Lines(), strings.Count(v, "\n")+1)
	}
	if !utf8.ValidString(v) || strings.Contains(v, "\r") {
		t.Fatalf("step %d: Value not valid UTF-8 or holds CR", step)
	}
	if m.top < 0 || m.top > max(0, n-m.height) || m.left < 0 {
		t.Fatalf("step %d: scroll top %d left %d (%d lines, height %d)", step, m.top, m.left, n, m.height)
	}
	line, col := m.Cursor()
	if line != m.cursor.line+1 || col != m.cursor.col+1 {
		t.Fatalf("step %d: Cursor() %d:%d", step, line, col)
	}
	checkView(t, m.View(), m.width, m.height)
}

// FuzzEditor feeds random keys, pastes (with invalid UTF-8 and control
// characters), mouse events, resizes and language changes to an editor and
// checks its invariants after each: cursor in bounds, Value consistent with
// the lines, View exactly Height rows of Width cells, no panic. At the end,
// undoing everything must give back the starting text, and redoing as
// many steps the final text.
func FuzzEditor(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("\x02\x05\x10hello\x11\x01world\x20\x21\x22\x30\x31"))
	f.Add([]byte{3, 40, 10, 200, 201, 202, 203, 150, 151, 152, 90, 91, 92, 93, 94, 95})
	f.Add([]byte{5, 24, 80, 250, 7, 'd', 'e', 'f', ' ', 'f', '(', ')', ':', 251, 252, 253, 254})
	f.Fuzz(runFuzzOne)
}

// runFuzzOne is one run of FuzzEditor.
func runFuzzOne(t *testing.T, data []byte) {
	keyList := fuzzKeys()
	{
		if len(data) < 3 {
			return
		}
		langs := []string{"", "python", "javascript", "wat"}
		m := New(Options{Syntax: syntaxFor(langs[int(data[0])%len(langs)]), TabWidth: 1 + int(data[0])%8})
		start := fuzzTexts[int(data[1])%len(fuzzTexts)]
		m.SetValue(start)
		start = m.Value() // as normalised
		m.SetSize(int(data[2])%100, int(data[2])%37)
		m.Focus()
		m.now = (&fakeClock{}).now
		undoable := true
		next := func(i *int) int {
			*i++
			if *i < len(data) {
				return int(data[*i])
			}
			return 0
		}
		step := 0
		for i := 3; i < len(data) && step < 300; i++ {
			op := int(data[i])
			switch {
			case op < 150:
				k := keyList[op%len(keyList)]
				if k == "ctrl+v" || k == "alt+v" || k == "shift+insert" {
					m.Update(press(t, k))
					m.Update(tea.ClipboardMsg{Content: "clip\nboard", Selection: 'c'})
					break
				}
				m.Update(press(t, k))
			case op < 200:
				n := next(&i) % 24
				end := min(len(data), i+1+n)
				m.Update(tea.PasteMsg{Content: string(data[min(i+1, end):end])})
				i = end - 1
			case op < 210:
				x, y := next(&i)-20, next(&i)-10
				m.Update(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft, Mod: tea.KeyMod(op % 2)})
				m.Update(tea.MouseMotionMsg{X: x + 3, Y: y + 1, Button: tea.MouseLeft})
				m.Update(tea.MouseReleaseMsg{X: x + 3, Y: y + 1, Button: tea.MouseLeft})
			case op < 220:
				buttons := []tea.MouseButton{tea.MouseWheelUp, tea.MouseWheelDown, tea.MouseWheelLeft, tea.MouseWheelRight}
				m.Update(tea.MouseWheelMsg{Button: buttons[op%4], Mod: tea.KeyMod(op % 2)})
			case op < 230:
				m.SetSize(next(&i)%120, next(&i)%50)
			case op < 235:
				m.SetSyntax(syntaxFor(langs[op%len(langs)]))
			case op < 240:
				m.SetMarks([]Mark{{Line: next(&i) % 40, Kind: MarkKind(op % 3)}, {Line: next(&i) - 5, Kind: Error}})
			case op < 245:
				m.GotoLine(next(&i) - 10)
			case op < 250:
				m.Blur()
				m.Update(press(t, "x"))
				m.Focus()
			case op < 252:
				st := DefaultStyles()
				if op%2 == 0 {
					st = MonoStyles()
				}
				m.SetStyles(st)
			case op < 254:
				m.MarkSaved()
			default:
				m.SetValue(string(data[i:]))
				undoable = false
			}
			step++
			checkInvariants(t, m, step)
		}
		if !undoable || len(m.hist.undo) >= maxUndoSteps {
			return
		}
		final := m.Value()
		undone := 0
		for len(m.hist.undo) > 0 {
			keys(t, m, "ctrl+z")
			undone++
		}
		if got := m.Value(); got != start {
			t.Fatalf("undoing everything gave %q, want %q", got, start)
		}
		checkInvariants(t, m, step+1)
		for range undone {
			keys(t, m, "ctrl+y")
		}
		if got := m.Value(); got != final {
			t.Fatalf("redoing everything gave %q, want %q", got, final)
		}
		checkInvariants(t, m, step+2)
	}
}
