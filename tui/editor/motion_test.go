package editor

import "testing"

func TestCharMotion(t *testing.T) {
	// "e" + combining acute: one character for the cursor.
	b := newBuffer("ae\u0301b\nc")
	tests := []struct {
		name  string
		from  pos
		right bool
		want  pos
	}{
		{"right over ascii", pos{0, 0}, true, pos{0, 1}},
		{"right over combining", pos{0, 1}, true, pos{0, 3}},
		{"left over combining", pos{0, 3}, false, pos{0, 1}},
		{"right wraps", pos{0, 4}, true, pos{1, 0}},
		{"left wraps", pos{1, 0}, false, pos{0, 4}},
		{"left at start stays", pos{0, 0}, false, pos{0, 0}},
		{"right at end stays", pos{1, 1}, true, pos{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got pos
			if tt.right {
				got = b.charRight(tt.from)
			} else {
				got = b.charLeft(tt.from)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWordMotion(t *testing.T) {
	b := newBuffer("foo_bar(x, y)  + 1\n  baz")
	tests := []struct {
		name  string
		from  pos
		right bool
		want  pos
	}{
		{"right over word", pos{0, 0}, true, pos{0, 7}},
		{"right over punct", pos{0, 7}, true, pos{0, 8}},
		{"right skips blank then word", pos{0, 9}, true, pos{0, 10}},
		{"right skips blanks then punct", pos{0, 13}, true, pos{0, 16}},
		{"right at line end wraps", pos{0, 18}, true, pos{1, 0}},
		{"right from line start", pos{1, 0}, true, pos{1, 5}},
		{"left over word", pos{0, 7}, false, pos{0, 0}},
		{"left skips blanks", pos{0, 15}, false, pos{0, 12}},
		{"left inside word", pos{0, 5}, false, pos{0, 0}},
		{"left at line start wraps", pos{1, 0}, false, pos{0, 18}},
		{"left over indent", pos{1, 2}, false, pos{1, 0}},
		{"unicode letters are word", pos{0, 0}, true, pos{0, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got pos
			if tt.right {
				got = b.wordRight(tt.from)
			} else {
				got = b.wordLeft(tt.from)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	u := newBuffer("héllo wörld")
	if got := u.wordRight(pos{0, 0}); got != (pos{0, 5}) {
		t.Errorf("wordRight over accented word = %v, want {0 5}", got)
	}
}

func TestSmartHome(t *testing.T) {
	b := newBuffer("    x = 1\n\t\t")
	tests := []struct{ from, want pos }{
		{pos{0, 7}, pos{0, 4}},
		{pos{0, 4}, pos{0, 0}},
		{pos{0, 0}, pos{0, 4}},
		{pos{0, 2}, pos{0, 4}},
		{pos{1, 2}, pos{1, 0}}, // blank line: first non-blank is its end
	}
	for _, tt := range tests {
		if got := b.lineStart(tt.from); got != tt.want {
			t.Errorf("lineStart(%v) = %v, want %v", tt.from, got, tt.want)
		}
	}
}
