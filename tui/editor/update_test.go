package editor

import (
	"reflect"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// clipboardText runs cmd and returns the text it puts on the clipboard
// (tea.SetClipboard's message is unexported; it is a string type).
func clipboardText(t *testing.T, cmd tea.Cmd) string {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command")
	}
	want := reflect.TypeOf(tea.SetClipboard("")())
	var text string
	var copied *CopiedMsg
	for _, msg := range run(cmd) {
		switch {
		case reflect.TypeOf(msg) == want:
			text = reflect.ValueOf(msg).String()
		default:
			if c, ok := msg.(CopiedMsg); ok {
				copied = &c
			}
		}
	}
	if copied == nil || copied.Text != text {
		t.Fatalf("a copy of %q was not reported to the root (%+v)", text, copied)
	}
	return text
}

// run runs a command and those of the batches it returns, and gives
// their messages.
func run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, run(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

func TestMotionKeys(t *testing.T) {
	text := "first line\n    second\nthird"
	tests := []struct {
		keys []string
		want string // cursor
	}{
		{[]string{"right", "right"}, "1:3"},
		{[]string{"ctrl+right"}, "1:6"},
		{[]string{"alt+f", "alt+f"}, "1:11"},
		{[]string{"end", "alt+b"}, "1:7"},
		{[]string{"ctrl+e"}, "1:11"},
		{[]string{"down", "ctrl+a"}, "2:5"},
		{[]string{"down", "home", "home"}, "2:1"},
		{[]string{"end", "down", "down"}, "3:6"},
		{[]string{"end", "down", "down", "up"}, "2:11"}, // goal column kept
		{[]string{"end", "right"}, "2:1"},
		{[]string{"down", "left"}, "1:11"},
		{[]string{"ctrl+end"}, "3:6"},
		{[]string{"ctrl+end", "ctrl+home"}, "1:1"},
		{[]string{"up"}, "1:1"},
		{[]string{"ctrl+end", "down"}, "3:6"},
		{[]string{"pgdown"}, "2:1"}, // a page is the height less one line
		{[]string{"pgdown", "pgdown"}, "3:1"},
		{[]string{"pgdown", "pgdown", "pgup"}, "2:1"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.keys, ","), func(t *testing.T) {
			m, _ := newTest(t, "", text, 40, 2)
			keys(t, m, tt.keys...)
			if got := cursorAt(m); got != tt.want {
				t.Errorf("cursor %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSelectionKeys(t *testing.T) {
	text := "alpha beta\ngamma"
	tests := []struct {
		keys []string
		want string // selected text
	}{
		{[]string{"shift+right", "shift+right"}, "al"},
		{[]string{"ctrl+shift+right"}, "alpha"},
		{[]string{"alt+shift+right", "alt+shift+right"}, "alpha beta"},
		{[]string{"shift+down"}, "alpha beta\n"},
		{[]string{"shift+end"}, "alpha beta"},
		{[]string{"end", "shift+home"}, "alpha beta"},
		{[]string{"ctrl+shift+end"}, "alpha beta\ngamma"},
		{[]string{"alt+a"}, "alpha beta\ngamma"},
		{[]string{"shift+right", "right"}, ""},
		{[]string{"shift+down", "shift+up"}, ""},
		{[]string{"shift+pgdown"}, "alpha beta\ngamma"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.keys, ","), func(t *testing.T) {
			m, _ := newTest(t, "", text, 40, 5)
			keys(t, m, tt.keys...)
			if got := m.Selection(); got != tt.want {
				t.Errorf("selection %q, want %q", got, tt.want)
			}
		})
	}
	// left/right collapse a selection to its ends.
	m, _ := newTest(t, "", text, 40, 5)
	keys(t, m, "right", "shift+right", "shift+right", "shift+right", "left")
	if got := cursorAt(m); got != "1:2" {
		t.Errorf("left collapses to the start: %s", got)
	}
	keys(t, m, "shift+right", "shift+right", "right")
	if got := cursorAt(m); got != "1:4" {
		t.Errorf("right collapses to the end: %s", got)
	}
}

func TestEditKeys(t *testing.T) {
	tests := []struct {
		name string
		text string
		keys []string
		want string
	}{
		{"type", "", []string{"a", "B", "é", "space", "1"}, "aBé 1"},
		{"multi-rune key text", "", []string{"👍🏽"}, "👍🏽"},
		{"backspace joins lines", "a\nb", []string{"down", "backspace"}, "ab"},
		{"ctrl+h is backspace", "ab", []string{"end", "ctrl+h"}, "a"},
		{"delete joins lines", "a\nb", []string{"end", "delete"}, "ab"},
		{"delete word backward", "foo bar", []string{"end", "ctrl+w"}, "foo "},
		{"alt+backspace", "foo bar", []string{"end", "alt+backspace", "alt+backspace"}, ""},
		{"delete word forward", "foo bar", []string{"alt+d"}, " bar"},
		{"delete line", "a\nb\nc", []string{"down", "ctrl+k"}, "a\nc"},
		{"delete last line", "a\nb", []string{"down", "ctrl+k"}, "a"},
		{"delete only line", "abc", []string{"ctrl+k"}, ""},
		{"delete selected lines", "a\nb\nc\nd", []string{"down", "shift+down", "shift+right", "ctrl+k"}, "a\nd"},
		{"typing replaces selection", "hello", []string{"shift+end", "x"}, "x"},
		{"backspace deletes selection", "hello", []string{"right", "shift+right", "shift+right", "backspace"}, "hlo"},
		{"enter replaces selection", "abcd", []string{"right", "shift+right", "shift+right", "enter"}, "a\nd"},
		{"tab at column 1", "x", []string{"right", "tab"}, "x   "},
		{"ctrl keys do not type", "", []string{"ctrl+b", "alt+z"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTest(t, "", tt.text, 40, 5)
			keys(t, m, tt.keys...)
			if got := m.Value(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCopyCutPaste(t *testing.T) {
	m, _ := newTest(t, "", "one\ntwo\nthree", 40, 5)

	// Copy without a selection takes the line.
	cmds := keys(t, m, "alt+c")
	if len(cmds) != 1 || clipboardText(t, cmds[0]) != "one\n" {
		t.Fatalf("copy line: %d commands", len(cmds))
	}
	if m.Value() != "one\ntwo\nthree" {
		t.Fatal("copy changed the text")
	}

	// ctrl+shift+c copies the selection.
	keys(t, m, "down", "shift+right", "shift+right")
	if got := clipboardText(t, keys(t, m, "ctrl+shift+c")[0]); got != "tw" {
		t.Fatalf("copy selection: %q", got)
	}

	// Cut the selection.
	if got := clipboardText(t, keys(t, m, "alt+x")[0]); got != "tw" || m.Value() != "one\no\nthree" {
		t.Fatalf("cut selection: %q, text %q", got, m.Value())
	}

	// Cut a line without a selection.
	if got := clipboardText(t, keys(t, m, "ctrl+x")[0]); got != "o\n" || m.Value() != "one\nthree" {
		t.Fatalf("cut line: %q, text %q", got, m.Value())
	}

	// Bracketed paste inserts as is (no auto-indent), CRLF normalised.
	m.SetValue("")
	m.SetSyntax(pythonSyntax)
	m.Update(pasteMsg("if x:\r\ny = 1\r\n"))
	if got := m.Value(); got != "if x:\ny = 1\n" {
		t.Fatalf("paste: %q", got)
	}

	// ctrl+v asks the terminal for the clipboard; its answer is pasted.
	m.SetValue("ab")
	keys(t, m, "right")
	cmds = keys(t, m, "ctrl+v")
	msgs := run(cmds[0]) // the clipboard read, and the end of its wait
	if len(cmds) != 1 || len(msgs) != 2 || reflect.TypeOf(msgs[0]) != reflect.TypeOf(tea.ReadClipboard()) {
		t.Fatal("ctrl+v did not ask for the clipboard")
	}
	m.Update(tea.ClipboardMsg{Content: "XY", Selection: 'c'})
	if cmd := m.Update(msgs[1]); cmd != nil {
		t.Fatal("the end of a wait that was answered reported no answer")
	}
	if got := m.Value(); got != "aXYb" {
		t.Fatalf("clipboard answer: %q", got)
	}
	// An answer nobody asked for is ignored.
	m.Update(tea.ClipboardMsg{Content: "ZZ", Selection: 'c'})
	if got := m.Value(); got != "aXYb" {
		t.Fatalf("unrequested clipboard answer pasted: %q", got)
	}
	// A terminal that never answers: the wait ends and the root is told,
	// to paste what it keeps.
	msgs = run(keys(t, m, "ctrl+v")[0])
	if got := run(m.Update(msgs[1])); len(got) != 1 || got[0] != (PasteUnansweredMsg{}) {
		t.Fatalf("an unanswered paste reported %v", got)
	}
	m.Paste("kept")
	if got := m.Value(); got != "aXYkeptb" {
		t.Fatalf("Paste: %q", got)
	}
}

func TestReservedAndBlurred(t *testing.T) {
	m, _ := newTest(t, "", "x", 40, 5)
	for _, k := range []string{"ctrl+c", "ctrl+q", "ctrl+r", "f5", "ctrl+s", "ctrl+o", "ctrl+n", "ctrl+t", "ctrl+l", "alt+1", "alt+5", "f1"} {
		// Even a key map that binds a reserved key must not act on it.
		km := DefaultKeyMap()
		km.DeleteLine.SetKeys(k)
		m.SetKeyMap(km)
		if cmd := m.Update(press(t, k)); cmd != nil || m.Value() != "x" {
			t.Fatalf("%s: consumed (cmd %v, text %q)", k, cmd != nil, m.Value())
		}
	}
	m.SetKeyMap(DefaultKeyMap())

	m.Blur()
	if m.Focused() {
		t.Fatal("focused after Blur")
	}
	keys(t, m, "a", "tab", "enter")
	m.Update(pasteMsg("p"))
	if got := m.Value(); got != "x" {
		t.Fatalf("blurred editor took input: %q", got)
	}
	m.Focus()
	keys(t, m, "tab")
	if got := m.Value(); got != "    x" {
		t.Fatalf("focused editor: tab should indent: %q", got)
	}
}

func TestMouse(t *testing.T) {
	m, _ := newTest(t, "", "abc\n\tdef\n日本語x", 40, 2)
	gw := m.gutterWidth() // 4: mark, two digits, space
	click := func(x, y int, mod tea.KeyMod) {
		m.Update(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft, Mod: mod})
		m.Update(tea.MouseReleaseMsg{X: x, Y: y, Button: tea.MouseLeft})
	}
	click(gw+2, 0, 0)
	if got := cursorAt(m); got != "1:3" {
		t.Fatalf("click: %s", got)
	}
	click(gw+2, 1, 0) // inside the tab's cells
	if got := cursorAt(m); got != "2:1" {
		t.Fatalf("click on a tab: %s", got)
	}
	click(gw+5, 1, 0)
	if got := cursorAt(m); got != "2:3" {
		t.Fatalf("click after a tab: %s", got)
	}
	click(gw+30, 0, 0)
	if got := cursorAt(m); got != "1:4" {
		t.Fatalf("click past the end: %s", got)
	}
	click(0, 1, 0)
	if got := cursorAt(m); got != "2:1" {
		t.Fatalf("click in the gutter: %s", got)
	}
	click(gw+1, 0, tea.ModShift)
	if got := m.Selection(); got != "bc\n" {
		t.Fatalf("shift+click: selection %q", got)
	}

	// Drag selects.
	m.Update(tea.MouseClickMsg{X: gw, Y: 0, Button: tea.MouseLeft})
	m.Update(tea.MouseMotionMsg{X: gw + 2, Y: 0, Button: tea.MouseLeft})
	m.Update(tea.MouseReleaseMsg{X: gw + 2, Y: 0, Button: tea.MouseLeft})
	if got := m.Selection(); got != "ab" {
		t.Fatalf("drag: selection %q", got)
	}

	// The wheel scrolls without moving the cursor.
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if m.top != 1 || cursorAt(m) != "1:3" {
		t.Fatalf("wheel down: top %d, cursor %s", m.top, cursorAt(m))
	}
	// Clicks now map to the scrolled lines; a wide rune's right half maps
	// to the rune.
	click(gw+3, 1, 0)
	if got := cursorAt(m); got != "3:2" {
		t.Fatalf("click on the right half of 本: %s", got)
	}
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if m.top != 0 {
		t.Fatalf("wheel up: top %d", m.top)
	}
}

func TestGotoLineAndMarks(t *testing.T) {
	var lines []string
	for i := 1; i <= 100; i++ {
		lines = append(lines, "    line")
	}
	m, _ := newTest(t, "python", strings.Join(lines, "\n"), 40, 10)
	m.GotoLine(50)
	if got := cursorAt(m); got != "50:5" {
		t.Fatalf("GotoLine: cursor %s", got)
	}
	if m.top != 49-5 {
		t.Fatalf("GotoLine should centre line 50: top %d", m.top)
	}
	m.GotoLine(1000)
	if got := cursorAt(m); got != "100:5" {
		t.Fatalf("GotoLine past the end: %s", got)
	}

	m.SetMarks([]Mark{
		{Line: 30, Kind: Warning, Message: "w"},
		{Line: 10, Kind: Info, Message: "i"},
		{Line: 10, Kind: Error, Message: "boom"},
		{Line: 500, Kind: Error, Message: "outside"},
	})
	m.GotoLine(1)
	keys(t, m, "f8")
	if got := cursorAt(m); got != "10:5" {
		t.Fatalf("f8: %s", got)
	}
	if mk, ok := m.CurrentMark(); !ok || mk.Message != "boom" {
		t.Fatalf("CurrentMark = %+v, %v; want the error", mk, ok)
	}
	keys(t, m, "f8")
	if got := cursorAt(m); got != "30:5" {
		t.Fatalf("second f8: %s", got)
	}
	keys(t, m, "f8") // 500 is outside the text: wrap to 10
	if got := cursorAt(m); got != "10:5" {
		t.Fatalf("f8 wraps: %s", got)
	}
	keys(t, m, "shift+f8")
	if got := cursorAt(m); got != "30:5" {
		t.Fatalf("shift+f8 wraps back: %s", got)
	}
	keys(t, m, "down")
	if _, ok := m.CurrentMark(); ok {
		t.Fatal("mark on a line without one")
	}
}

func TestMarksFollowEdits(t *testing.T) {
	m, _ := newTest(t, "", "a\nb\nc\nd\ne", 40, 10)
	m.SetMarks([]Mark{{Line: 2, Kind: Error}, {Line: 3, Kind: Info}, {Line: 5, Kind: Warning}})
	lines := func() []int {
		var out []int
		for _, mk := range m.Marks() {
			out = append(out, mk.Line)
		}
		return out
	}
	keys(t, m, "enter") // at the very start of line 1: all lines move down
	if got := lines(); !reflect.DeepEqual(got, []int{3, 4, 6}) {
		t.Fatalf("after a new first line: %v", got)
	}
	keys(t, m, "down", "down", "ctrl+k") // delete line 4 ("c")
	if got := lines(); !reflect.DeepEqual(got, []int{3, 5}) {
		t.Fatalf("after deleting a marked line: %v", got)
	}
	keys(t, m, "ctrl+z")
	// Undo brings the line back, not its mark.
	if got := lines(); !reflect.DeepEqual(got, []int{3, 6}) {
		t.Fatalf("after undo: %v", got)
	}
	m.SetValue("x")
	if len(m.Marks()) != 0 {
		t.Fatal("SetValue kept marks")
	}
}
