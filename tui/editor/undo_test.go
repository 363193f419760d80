package editor

import (
	"strings"
	"testing"
	"time"
)

func TestUndoGroupsTyping(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, m *Model, c *fakeClock)
		// after each undo, the expected text
		undos []string
	}{
		{
			name: "words are steps",
			setup: func(t *testing.T, m *Model, c *fakeClock) {
				typeString(t, m, "hello world")
			},
			undos: []string{"hello", "", ""},
		},
		{
			name: "several blanks stay with the next word",
			setup: func(t *testing.T, m *Model, c *fakeClock) {
				typeString(t, m, "a  b")
			},
			undos: []string{"a", ""},
		},
		{
			name: "a pause splits typing",
			setup: func(t *testing.T, m *Model, c *fakeClock) {
				typeString(t, m, "abc")
				c.advance(2 * time.Second)
				typeString(t, m, "def")
			},
			undos: []string{"abc", ""},
		},
		{
			name: "a cursor motion splits typing",
			setup: func(t *testing.T, m *Model, c *fakeClock) {
				typeString(t, m, "abc")
				keys(t, m, "left", "right")
				typeString(t, m, "def")
			},
			undos: []string{"abc", ""},
		},
		{
			name: "enter is its own step",
			setup: func(t *testing.T, m *Model, c *fakeClock) {
				typeString(t, m, "ab\ncd")
			},
			undos: []string{"ab\n", "ab", ""},
		},
		{
			name: "backspaces group",
			setup: func(t *testing.T, m *Model, c *fakeClock) {
				typeString(t, m, "abcdef")
				keys(t, m, "left") // seal
				keys(t, m, "end", "backspace", "backspace", "backspace")
			},
			undos: []string{"abcdef", ""},
		},
		{
			name: "deletes group",
			setup: func(t *testing.T, m *Model, c *fakeClock) {
				typeString(t, m, "abcdef")
				keys(t, m, "home", "delete", "delete", "backspace")
			},
			// delete,delete = one step; the backspace at column 0 does
			// nothing.
			undos: []string{"abcdef", ""},
		},
		{
			name: "typing then deleting are two steps",
			setup: func(t *testing.T, m *Model, c *fakeClock) {
				typeString(t, m, "abc")
				keys(t, m, "backspace")
			},
			undos: []string{"abc", ""},
		},
		{
			name: "paste is one step",
			setup: func(t *testing.T, m *Model, c *fakeClock) {
				typeString(t, m, "x")
				m.Update(pasteMsg("1\n2\n3"))
				typeString(t, m, "y")
			},
			undos: []string{"x1\n2\n3", "x", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, c := newTest(t, "", "", 40, 5)
			tt.setup(t, m, c)
			for i, want := range tt.undos {
				keys(t, m, "ctrl+z")
				if got := m.Value(); got != want {
					t.Fatalf("after undo %d: %q, want %q", i+1, got, want)
				}
			}
		})
	}
}

func TestUndoRedoRestoresSelection(t *testing.T) {
	m, _ := newTest(t, "", "one two three", 40, 5)
	keys(t, m, "ctrl+right", "right", "ctrl+shift+right") // select "two"
	if got := m.Selection(); got != "two" {
		t.Fatalf("selection = %q", got)
	}
	typeString(t, m, "2")
	if got := m.Value(); got != "one 2 three" {
		t.Fatalf("typed over selection: %q", got)
	}
	keys(t, m, "ctrl+z")
	if got, sel := m.Value(), m.Selection(); got != "one two three" || sel != "two" {
		t.Fatalf("after undo: %q, selection %q", got, sel)
	}
	keys(t, m, "ctrl+y")
	if got, pos := m.Value(), cursorAt(m); got != "one 2 three" || pos != "1:6" {
		t.Fatalf("after redo: %q at %s", got, pos)
	}
	keys(t, m, "ctrl+z", "ctrl+shift+z")
	if got := m.Value(); got != "one 2 three" {
		t.Fatalf("ctrl+shift+z redo: %q", got)
	}
}

func TestRedoClearedByNewEdit(t *testing.T) {
	m, _ := newTest(t, "", "", 40, 5)
	typeString(t, m, "abc")
	keys(t, m, "ctrl+z")
	typeString(t, m, "x")
	keys(t, m, "ctrl+y")
	if got := m.Value(); got != "x" {
		t.Fatalf("redo after a new edit changed the text: %q", got)
	}
}

func TestUndoMultiLineStep(t *testing.T) {
	m, _ := newTest(t, "", "a\nb\nc", 40, 5)
	keys(t, m, "alt+a", "tab")
	if got := m.Value(); got != "    a\n    b\n    c" {
		t.Fatalf("indent all: %q", got)
	}
	keys(t, m, "ctrl+z")
	if got := m.Value(); got != "a\nb\nc" {
		t.Fatalf("one undo should revert the whole indent: %q", got)
	}
}

func TestDirtyAndRevision(t *testing.T) {
	m, _ := newTest(t, "", "x", 40, 5)
	if m.Dirty() {
		t.Fatal("dirty after SetValue")
	}
	r0 := m.Revision()
	typeString(t, m, "ab")
	if !m.Dirty() || m.Revision() <= r0 {
		t.Fatalf("after typing: dirty=%v revision %d (was %d)", m.Dirty(), m.Revision(), r0)
	}
	m.MarkSaved()
	if m.Dirty() {
		t.Fatal("dirty after MarkSaved")
	}
	typeString(t, m, "c") // same burst of typing, but after the save
	if !m.Dirty() {
		t.Fatal("typing after MarkSaved is not dirty")
	}
	keys(t, m, "ctrl+z")
	if m.Dirty() || m.Value() != "abx" {
		t.Fatalf("undo back to the saved text: dirty=%v %q", m.Dirty(), m.Value())
	}
	keys(t, m, "ctrl+z")
	if !m.Dirty() {
		t.Fatal("undo past the saved text is not dirty")
	}
	r := m.Revision()
	keys(t, m, "left", "right")
	if m.Revision() != r {
		t.Fatal("cursor motion changed the revision")
	}
	m.SetValue("new")
	if m.Dirty() || m.Revision() <= r {
		t.Fatalf("SetValue: dirty=%v revision %d", m.Dirty(), m.Revision())
	}
	keys(t, m, "ctrl+z")
	if m.Value() != "new" {
		t.Fatal("SetValue did not reset the undo history")
	}
}

func TestUndoHistoryIsBounded(t *testing.T) {
	m, _ := newTest(t, "", "", 40, 5)
	for i := 0; i < maxUndoSteps+10; i++ {
		keys(t, m, "enter")
	}
	if n := len(m.hist.undo); n != maxUndoSteps {
		t.Fatalf("%d undo steps kept, want %d", n, maxUndoSteps)
	}

	// Big pastes: the text kept for undo stays bounded, the last paste can
	// always be undone.
	m.SetValue("")
	m.hist.maxRunes = 3000
	chunk := strings.Repeat("x", 1001)
	for range 4 {
		m.Update(pasteMsg(chunk))
		keys(t, m, "enter")
	}
	if m.hist.size > m.hist.maxRunes {
		t.Fatalf("undo holds %d runes", m.hist.size)
	}
	total := 0
	for _, s := range m.hist.undo {
		total += s.size
	}
	if total != m.hist.size {
		t.Fatalf("size accounting: %d counted, %d recorded", total, m.hist.size)
	}
	keys(t, m, "ctrl+z", "ctrl+z")
	if got := m.Lines(); got != 4 {
		t.Fatalf("undo of the last paste: %d lines", got)
	}
}

// ReplaceAll is one edit: one undo brings the old text back, one redo the
// new one, and the buffer is dirty.
func TestReplaceAll_IsOneUndoStep(t *testing.T) {
	m, _ := newTest(t, "python", "old line 1\nold line 2\n", 40, 5)
	m.ReplaceAll("new\r\ntext")
	if got := m.Value(); got != "new\ntext" || !m.Dirty() {
		t.Fatalf("after ReplaceAll: %q dirty %v", got, m.Dirty())
	}
	if line, col := m.Cursor(); line != 1 || col != 1 {
		t.Errorf("cursor at %d:%d, want the start", line, col)
	}
	keys(t, m, "ctrl+z")
	if got := m.Value(); got != "old line 1\nold line 2\n" {
		t.Fatalf("one undo gave %q", got)
	}
	keys(t, m, "ctrl+y")
	if got := m.Value(); got != "new\ntext" {
		t.Fatalf("redo gave %q", got)
	}
	m.ReplaceAll("")
	if m.Value() != "" {
		t.Fatalf("ReplaceAll(\"\") left %q", m.Value())
	}
}
