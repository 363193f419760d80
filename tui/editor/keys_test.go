package editor

import (
	"reflect"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// TestNamedCoversEveryBinding keeps the config file's names in step with
// the key map: a binding added without a name could not be remapped.
func TestNamedCoversEveryBinding(t *testing.T) {
	k := DefaultKeyMap()
	named := map[*key.Binding]string{}
	names := map[string]bool{}
	for _, nb := range k.Named() {
		if names[nb.Name] {
			t.Errorf("name %q used twice", nb.Name)
		}
		names[nb.Name] = true
		named[nb.Binding] = nb.Name
	}
	v := reflect.ValueOf(&k).Elem()
	bindingType := reflect.TypeOf(key.Binding{})
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Type() != bindingType {
			continue
		}
		p := v.Field(i).Addr().Interface().(*key.Binding)
		if _, ok := named[p]; !ok {
			t.Errorf("binding %s has no name in Named", v.Type().Field(i).Name)
		}
	}
}

// A read-only editor moves, selects and copies, and refuses every edit a
// person tries (keys that type or edit, paste) with a ReadOnlyMsg.
func TestReadOnlyRefusesEdits(t *testing.T) {
	m := New(Options{ReadOnly: true})
	m.SetSize(40, 5)
	m.SetValue("abc\ndef")
	m.Focus()
	for _, k := range []string{"x", "backspace", "delete", "enter", "tab", "ctrl+v", "ctrl+z", "ctrl+k", "alt+x", "ctrl+w"} {
		cmd := m.Update(press(t, k))
		if cmd == nil {
			t.Errorf("%s: no refusal", k)
		} else if _, ok := cmd().(ReadOnlyMsg); !ok {
			t.Errorf("%s: answered %T, want ReadOnlyMsg", k, cmd())
		}
	}
	if cmd := m.Update(tea.PasteMsg{Content: "pasted"}); cmd == nil {
		t.Error("a paste was not refused")
	}
	if got := m.Value(); got != "abc\ndef" {
		t.Fatalf("a read-only editor was edited: %q", got)
	}
	m.Update(press(t, "down"))
	m.Update(press(t, "end"))
	if line, col := m.Cursor(); line != 2 || col != 4 {
		t.Errorf("motion in a read-only editor: cursor at %d:%d", line, col)
	}
	m.Update(press(t, "shift+home"))
	if got := m.Selection(); got != "def" {
		t.Errorf("selection %q", got)
	}
	if cmd := m.Update(press(t, "alt+c")); cmd == nil {
		t.Error("copy in a read-only editor did nothing")
	}
}
