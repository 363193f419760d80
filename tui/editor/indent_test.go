package editor

import (
	"testing"
)

func TestNewlineText(t *testing.T) {
	tests := []struct {
		name       string
		lang       string
		line       string
		col        int
		wantText   string
		wantCursor int
		wantSkip   int
	}{
		{"keeps indent", "", "    x = 1", 9, "\n    ", 5, 0},
		{"plain text: no block rules", "", "if x:", 5, "\n", 1, 0},
		{"python colon", "python", "    if x:", 9, "\n        ", 9, 0},
		{"python colon before comment", "python", "def f():  # hi", 14, "\n    ", 5, 0},
		{"python hash in string is not a comment", "python", "x = '#':", 8, "\n    ", 5, 0},
		{"python open paren", "python", "foo(", 4, "\n    ", 5, 0},
		{"python return dedents", "python", "        return x", 16, "\n    ", 5, 0},
		{"python pass dedents", "python", "    pass", 8, "\n", 1, 0},
		{"python returned is not return", "python", "    returned = 1", 16, "\n    ", 5, 0},
		{"python colon ignored in js", "javascript", "case 1:", 7, "\n", 1, 0},
		{"js brace", "javascript", "function f() {", 14, "\n    ", 5, 0},
		{"js brace before comment", "javascript", "if (x) { // go", 14, "\n    ", 5, 0},
		{"js bracket", "javascript", "  const a = [", 13, "\n      ", 7, 0},
		{"js between braces", "javascript", "  f() {}", 7, "\n      \n  ", 7, 0},
		{"js between braces with blanks", "javascript", "{  }", 1, "\n    \n", 5, 2},
		{"js no block", "javascript", "  x();", 6, "\n  ", 3, 0},
		{"wat open paren", "wat", "(module", 7, "\n    ", 5, 0},
		{"wat unclosed func", "wat", "  (func $f (param i32) (result i32)", 35, "\n      ", 7, 0},
		{"wat closed", "wat", "  (i32.add (local.get 0) (i32.const 1))", 39, "\n  ", 3, 0},
		{"wat comment ignored", "wat", "  (i32.const 1) ;; (", 20, "\n  ", 3, 0},
		{"split mid-line skips blanks", "", "  ab   cd", 4, "\n  ", 3, 3},
		{"cursor inside indent", "", "        x", 2, "\n  ", 3, 6},
		{"tab indent kept", "python", "\tif x:", 6, "\n\t    ", 6, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, cursor, skip := newlineText(syntaxFor(tt.lang), []rune(tt.line), tt.col, 4)
			if string(text) != tt.wantText || cursor != tt.wantCursor || skip != tt.wantSkip {
				t.Errorf("got (%q, %d, %d), want (%q, %d, %d)",
					string(text), cursor, skip, tt.wantText, tt.wantCursor, tt.wantSkip)
			}
		})
	}
}

func TestBackspaceCount(t *testing.T) {
	tests := []struct {
		line string
		col  int
		want int
	}{
		{"        x", 8, 4},
		{"      x", 6, 2},
		{"    x", 4, 4},
		{"  ", 1, 1},
		{"    x", 5, 1},
		{"\t\tx", 2, 1},
		{"ab  ", 4, 1}, // blanks after text: one at a time
		{"ae\u0301", 3, 2},
	}
	for _, tt := range tests {
		b := newBuffer(tt.line)
		if got := backspaceCount(&b, pos{0, tt.col}, 4); got != tt.want {
			t.Errorf("backspaceCount(%q, %d) = %d, want %d", tt.line, tt.col, got, tt.want)
		}
	}
}

func TestCloserDedent(t *testing.T) {
	tests := []struct {
		line string
		col  int
		r    rune
		want int
	}{
		{"        ", 8, '}', 4},
		{"      ", 6, ')', 2},
		{"    ", 4, ']', 4},
		{"    x", 5, '}', 0},
		{"", 0, '}', 0},
		{"    ", 4, 'x', 0},
		{"\t", 1, '}', 1},
	}
	for _, tt := range tests {
		if got := closerDedent([]rune(tt.line), tt.col, tt.r, 4); got != tt.want {
			t.Errorf("closerDedent(%q, %d, %q) = %d, want %d", tt.line, tt.col, tt.r, got, tt.want)
		}
	}
}

func TestAutoIndentThroughKeys(t *testing.T) {
	tests := []struct {
		name, lang string
		typed      string // "\n" is enter, "\t" tab
		want       string
	}{
		{"python block", "python", "def f(x):\nif x:\nreturn 1\nreturn 2", "def f(x):\n    if x:\n        return 1\n    return 2"},
		{"js braces", "javascript", "function f() {\nreturn 1;\n}", "function f() {\n    return 1;\n}"},
		{"js auto-dedent nested", "javascript", "if (a) {\nif (b) {\nx();\n}\n}", "if (a) {\n    if (b) {\n        x();\n    }\n}"},
		{"wat module", "wat", "(module\n(func $f\n)\n)", "(module\n    (func $f\n    )\n)"},
		{"tab inserts spaces", "", "\tx\t=", "    x   ="},
		{"enter on blank line keeps indent", "python", "if x:\n\ny", "if x:\n    \n    y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTest(t, tt.lang, "", 80, 10)
			typeString(t, m, tt.typed)
			if got := m.Value(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestEnterBetweenBraces(t *testing.T) {
	m, _ := newTest(t, "javascript", "f() {}", 80, 10)
	keys(t, m, "end", "left", "enter")
	if got := m.Value(); got != "f() {\n    \n}" {
		t.Fatalf("got %q", got)
	}
	if got := cursorAt(m); got != "2:5" {
		t.Fatalf("cursor at %s, want 2:5", got)
	}
	typeString(t, m, "x")
	if got := m.Value(); got != "f() {\n    x\n}" {
		t.Fatalf("got %q", got)
	}
}

func TestBackspaceDedents(t *testing.T) {
	m, _ := newTest(t, "python", "        x", 80, 10)
	keys(t, m, "home") // first non-blank, column 8
	keys(t, m, "backspace")
	if got := m.Value(); got != "    x" {
		t.Fatalf("first backspace: %q", got)
	}
	keys(t, m, "backspace", "backspace")
	if got := m.Value(); got != "x" {
		t.Fatalf("second backspace: %q", got)
	}
}

func TestIndentDedentSelection(t *testing.T) {
	m, _ := newTest(t, "", "a\n\n  b\nc", 80, 10)
	// Select from line 1 to the start of line 4: lines 1-3.
	keys(t, m, "shift+down", "shift+down", "shift+down", "tab")
	if got := m.Value(); got != "    a\n\n      b\nc" {
		t.Fatalf("indent: %q", got)
	}
	if got := m.Selection(); got != "    a\n\n      b\n" {
		t.Fatalf("selection after indent: %q", got)
	}
	keys(t, m, "shift+tab", "shift+tab")
	if got := m.Value(); got != "a\n\nb\nc" {
		t.Fatalf("dedent twice: %q", got)
	}
	// Without a selection, shift+tab dedents the cursor's line.
	m.SetValue("\t  x")
	keys(t, m, "end", "shift+tab")
	if got, at := m.Value(), cursorAt(m); got != "\tx" || at != "1:3" {
		t.Fatalf("dedent one line: %q at %s", got, at)
	}
}
