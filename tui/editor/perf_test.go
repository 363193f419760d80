package editor

import (
	"fmt"
	"strings"
	"testing"
)

// bigPython returns about size bytes of Python, in lines of 40-70 bytes,
// with docstrings so the lexer has multi-line state to track.
func bigPython(size int) string {
	var sb strings.Builder
	for i := 0; sb.Len() < size; i++ {
		switch i % 8 {
		case 0:
			fmt.Fprintf(&sb, "def function_%d(a, b=%d):\n", i, i)
		case 1:
			sb.WriteString("    \"\"\"A docstring that spans\n")
		case 2:
			sb.WriteString("    two lines.\"\"\"\n")
		case 3:
			fmt.Fprintf(&sb, "    total = a + b * %d  # a comment about it\n", i)
		case 4:
			sb.WriteString("    if total > 10 and 'text' in str(total):\n")
		case 5:
			sb.WriteString("        return [x ** 2 for x in range(total)]\n")
		case 6:
			sb.WriteString("    return {'key': total, \"other\": None}\n")
		default:
			sb.WriteString("\n")
		}
	}
	return sb.String()
}

// maxLexedPerKeystroke is the most lines a keystroke may give the lexer in
// a view of the given height: every chunk on screen, one pending chunk
// above it, and one look-back.
func maxLexedPerKeystroke(height int) int {
	chunksOnScreen := (height+chunkLines-1)/chunkLines + 1
	return (chunksOnScreen+1)*chunkLines + lookbackLines
}

// maxLexedRunesPerKeystroke is the same bound in runes.
func maxLexedRunesPerKeystroke(height int) int {
	chunksOnScreen := (height+chunkLines-1)/chunkLines + 1
	return (chunksOnScreen+1)*maxChunkRunes + maxLookbackRunes
}

// bigNoise returns about size bytes of line noise in lines of 1500 bytes,
// the text chroma is slowest on.
func bigNoise(size int) string {
	line := strings.Repeat(`@\`, 750) // every rune an error token in JavaScript
	return strings.Repeat(line+"\n", size/(len(line)+1))
}

func TestHugePasteWorkIsBounded(t *testing.T) {
	t.Run("code", func(t *testing.T) { testHugePaste(t, "python", bigPython(10<<20)) })
	t.Run("noise", func(t *testing.T) { testHugePaste(t, "javascript", bigNoise(10<<20)) })
}

func testHugePaste(t *testing.T, lang, big string) {
	m, _ := newTest(t, lang, "", 80, 24)
	m.Update(pasteMsg(big))
	if m.Value() != big {
		t.Fatal("paste lost text")
	}
	lines := m.Lines()
	checkView(t, m.View(), 80, 24)

	limit := maxLexedPerKeystroke(24)
	steps := []struct {
		name   string
		keys   []string
		cached bool // nothing changed on screen: no lexing at all
	}{
		{"type at the end", []string{"x"}, false},
		{"type more", []string{"y", "z"}, false},
		{"enter", []string{"enter"}, false},
		{"backspace", []string{"backspace"}, false},
		{"move up", []string{"up"}, true},
		{"go to start", []string{"ctrl+home"}, false},
		{"type at the start", []string{"y"}, false},
		{"page down", []string{"pgdown"}, false},
		{"type a quote (changes the rest)", []string{"\""}, false},
		{"move right", []string{"right"}, true},
		{"undo", []string{"ctrl+z"}, false},
		{"go to end", []string{"ctrl+end"}, false},
		{"select all", []string{"alt+a"}, true},
		{"cut everything", []string{"alt+x"}, false},
		{"undo the cut", []string{"ctrl+z"}, false},
	}
	for _, st := range steps {
		m.hl.lexed, m.hl.lexedRunes = 0, 0
		keys(t, m, st.keys...)
		checkView(t, m.View(), 80, 24)
		got := m.hl.lexed
		if st.cached && got != 0 {
			t.Errorf("%s: %d lines lexed, want 0 (nothing changed)", st.name, got)
		}
		if got > limit {
			t.Errorf("%s: %d lines lexed, want at most %d (of %d)", st.name, got, limit, lines)
		}
		if r := m.hl.lexedRunes; r > maxLexedRunesPerKeystroke(24) {
			t.Errorf("%s: %d runes lexed, want at most %d", st.name, r, maxLexedRunesPerKeystroke(24))
		}
		t.Logf("%-32s %3d lines, %5d runes lexed", st.name, got, m.hl.lexedRunes)
		if len(m.hl.chunks) > maxChunks {
			t.Errorf("%s: %d chunks cached", st.name, len(m.hl.chunks))
		}
	}
}

func TestHugeSingleLine(t *testing.T) {
	// A minified-JavaScript-like line of 2 MB: too long to lex, still
	// shown, edited and scrolled.
	line := strings.Repeat("var a=1;", 1<<18)
	m, _ := newTest(t, "javascript", "", 80, 5)
	m.Update(pasteMsg(line))
	for _, k := range []string{"x", "backspace", "home", "y", "end"} {
		m.hl.lexed, m.hl.lexedRunes = 0, 0
		keys(t, m, k)
		checkView(t, m.View(), 80, 5)
		if m.hl.lexed > maxLexedPerKeystroke(5) || m.hl.lexedRunes > 0 {
			t.Fatalf("%s: %d lines, %d runes lexed", k, m.hl.lexed, m.hl.lexedRunes)
		}
	}
	if got := cursorAt(m); got != fmt.Sprintf("1:%d", len(line)+2) {
		t.Fatalf("cursor %s", got)
	}
}

func BenchmarkKeystroke100kLines(b *testing.B) {
	var sb strings.Builder
	src := bigPython(100_000 * 40)
	n := 0
	for _, l := range strings.SplitAfter(src, "\n") {
		if n == 100_000 {
			break
		}
		sb.WriteString(l)
		n++
	}
	m, _ := newTest(b, "python", strings.TrimSuffix(sb.String(), "\n"), 120, 40)
	m.GotoLine(50_000)
	keys(b, m, "end")
	m.View()
	x, bs := press(b, "x"), press(b, "backspace")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			m.Update(x)
		} else {
			m.Update(bs)
		}
		m.View()
	}
}

func BenchmarkView(b *testing.B) {
	for _, size := range []struct{ w, h int }{{80, 24}, {200, 60}} {
		b.Run(fmt.Sprintf("%dx%d/cached", size.w, size.h), func(b *testing.B) {
			m, _ := newTest(b, "python", bigPython(1<<20), size.w, size.h)
			m.GotoLine(1000)
			m.View()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				m.View()
			}
		})
		b.Run(fmt.Sprintf("%dx%d/rehighlight", size.w, size.h), func(b *testing.B) {
			m, _ := newTest(b, "python", bigPython(1<<20), size.w, size.h)
			m.GotoLine(1000)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				m.hl.invalidateAll()
				m.View()
			}
		})
	}
}

func BenchmarkPaste10MB(b *testing.B) {
	big := pasteMsg(bigPython(10 << 20))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		m, _ := newTest(b, "python", "", 80, 24)
		m.Update(big)
		m.View()
	}
}

func BenchmarkKeystrokeLongLine(b *testing.B) {
	m, _ := newTest(b, "javascript", strings.Repeat("var a=1;", 1<<17), 80, 24) // 1 MB line
	keys(b, m, "end")
	x, bs := press(b, "x"), press(b, "backspace")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			m.Update(x)
		} else {
			m.Update(bs)
		}
		m.View()
	}
}

func BenchmarkKeystrokeNoise(b *testing.B) {
	// Line noise is what chroma is slowest on; the rune budget bounds it.
	m, _ := newTest(b, "javascript", bigNoise(1<<20), 80, 24)
	m.GotoLine(300)
	keys(b, m, "end")
	m.View()
	x, bs := press(b, "x"), press(b, "backspace")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			m.Update(x)
		} else {
			m.Update(bs)
		}
		m.View()
	}
}
