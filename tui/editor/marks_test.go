package editor

import (
	"reflect"
	"testing"
)

func TestMoveMarks(t *testing.T) {
	// One mark per line of "a\nb\nc\nd\ne"; each mark's message is its
	// line's text, so the result shows which line each mark followed.
	tests := []struct {
		name     string
		from, to pos
		insert   string
		want     map[string]int // message -> line after the edit
	}{
		{"type inside a line", pos{1, 1}, pos{1, 1}, "x",
			map[string]int{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}},
		{"enter at a line start pushes its mark", pos{1, 0}, pos{1, 0}, "\n",
			map[string]int{"a": 1, "b": 3, "c": 4, "d": 5, "e": 6}},
		{"enter at a line end", pos{1, 1}, pos{1, 1}, "\n",
			map[string]int{"a": 1, "b": 2, "c": 4, "d": 5, "e": 6}},
		{"delete a whole line", pos{1, 0}, pos{2, 0}, "",
			map[string]int{"a": 1, "c": 2, "d": 3, "e": 4}},
		{"join two lines", pos{1, 1}, pos{2, 0}, "",
			map[string]int{"a": 1, "b": 2, "c": 2, "d": 3, "e": 4}},
		{"delete across lines, nothing left of the last", pos{1, 1}, pos{2, 1}, "",
			map[string]int{"a": 1, "b": 2, "d": 3, "e": 4}},
		{"replace lines by more lines", pos{1, 0}, pos{3, 0}, "1\n2\n3\n",
			map[string]int{"a": 1, "d": 5, "e": 6}},
		{"delete the first line", pos{0, 0}, pos{1, 0}, "",
			map[string]int{"b": 1, "c": 2, "d": 3, "e": 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTest(t, "", "a\nb\nc\nd\ne", 40, 10)
			var marks []Mark
			for i, s := range []string{"a", "b", "c", "d", "e"} {
				marks = append(marks, Mark{Line: i + 1, Message: s})
			}
			m.SetMarks(marks)
			m.change(kindOther, tt.from, tt.to, []rune(tt.insert))
			got := map[string]int{}
			for _, mk := range m.Marks() {
				got[mk.Message] = mk.Line
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("marks %v, want %v (text %q)", got, tt.want, m.Value())
			}
		})
	}
}

func TestMarkKindString(t *testing.T) {
	for k, want := range map[MarkKind]string{Error: "error", Warning: "warning", Info: "info"} {
		if k.String() != want {
			t.Errorf("%d: %q", k, k.String())
		}
	}
}
