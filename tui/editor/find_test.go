package editor

import "testing"

func TestFind(t *testing.T) {
	m := New(Options{})
	m.SetValue("alpha\nbeta Alpha\ngamma\nalpha again")
	tests := []struct {
		query    string
		backward bool
		line     int
		sel      string
		ok       bool
	}{
		{"alpha", false, 1, "alpha", true}, // from the start
		{"alpha", false, 2, "Alpha", true}, // lower case query: any case
		{"alpha", false, 4, "alpha", true}, // next
		{"alpha", false, 1, "alpha", true}, // wraps around
		{"alpha", true, 4, "alpha", true},  // backward wraps to the end
		{"Alpha", false, 2, "Alpha", true}, // capitals: that case only
		{"zeta", false, 0, "", false},      // absent
		{"", false, 0, "", false},
	}
	// One match only, before the cursor on its own line: found by wrapping.
	m2 := New(Options{})
	m2.SetValue("x needle y\nother")
	m2.SetCursor(1, 9)
	if line, ok := m2.Find("needle", false); !ok || line != 1 {
		t.Errorf("the only match, before the cursor: %d, %v", line, ok)
	}
	for _, tt := range tests {
		line, ok := m.Find(tt.query, tt.backward)
		if line != tt.line || ok != tt.ok || (ok && m.Selection() != tt.sel) {
			t.Errorf("Find(%q, backward %v) = %d, %v, selection %q; want %d, %v, %q", tt.query, tt.backward, line, ok, m.Selection(), tt.line, tt.ok, tt.sel)
		}
	}
}
