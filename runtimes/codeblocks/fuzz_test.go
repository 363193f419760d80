package codeblocks

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// splitLines splits text into lines the way CommonMark does (LF, CRLF and
// CR end a line), independently of the package's own scanner.
func splitLines(text string) []string {
	if text == "" {
		return nil
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	if strings.HasSuffix(text, "\n") {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// FuzzExtract checks invariants of Extract on arbitrary input: it never
// panics; blocks come in order without overlapping; every line of Code is
// the matching input line with at most 3 leading spaces removed; Lines
// counts Code's lines; Runtime is a known name; Summary is printable.
func FuzzExtract(f *testing.F) {
	seeds := []string{
		"",
		"```python\nprint(1)\n```\n",
		"~~~js\nconsole.log(1)\n~~~",
		"````md\n```py\nx\n```\n````\n",
		"  ```py\n  x\n   y\n ```\n",
		"```py\r\nx = 1\r\n```\r\n",
		"```py\rx\r```\r",
		"```\nunclosed",
		"```py`bad\n```\n",
		"\t```\n    ```\n",
		"```\xff\xfe\n\xc3(\n```\n",
		"text\n\n```\n\n```\n```\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		blocks := Extract(in)
		lines := splitLines(in)
		prevEnd := 0 // the last input line (from 1) used by the previous block
		for i, b := range blocks {
			if b.Index != i+1 {
				t.Fatalf("block %d has Index %d", i+1, b.Index)
			}
			if b.StartLine <= prevEnd || b.StartLine > len(lines) {
				t.Fatalf("block %d starts at line %d, after line %d of %d", b.Index, b.StartLine, prevEnd, len(lines))
			}
			if _, ok := openingFence(lines[b.StartLine-1]); !ok {
				t.Fatalf("block %d: line %d %q is not an opening fence", b.Index, b.StartLine, lines[b.StartLine-1])
			}
			codeLines := splitLines(b.Code)
			if b.Code != "" && !strings.HasSuffix(b.Code, "\n") {
				// Only the last line of an unclosed block at the very end
				// of the text may lack its line ending.
				codeLines = strings.Split(b.Code, "\n")
				if b.Closed || i != len(blocks)-1 {
					t.Fatalf("block %d: Code %q lacks a final newline", b.Index, b.Code)
				}
			}
			if len(codeLines) != b.Lines {
				t.Fatalf("block %d: Lines = %d, Code has %d lines", b.Index, b.Lines, len(codeLines))
			}
			for j, cl := range codeLines {
				src := lines[b.StartLine+j] // content starts on the line after the fence
				removed := len(src) - len(cl)
				if !strings.HasSuffix(src, cl) || removed < 0 || removed > 3 || strings.Trim(src[:removed], " ") != "" {
					t.Fatalf("block %d line %d: %q is not input line %q less up to 3 spaces", b.Index, j+1, cl, src)
				}
			}
			prevEnd = b.StartLine + b.Lines
			if b.Closed {
				prevEnd++
				if prevEnd > len(lines) {
					t.Fatalf("block %d is closed past the end of the text", b.Index)
				}
				if !closingFence(lines[prevEnd-1], fence{char: lines[b.StartLine-1][leadingSpaces(lines[b.StartLine-1])], length: 3}) {
					t.Fatalf("block %d: line %d %q is not a closing fence", b.Index, prevEnd, lines[prevEnd-1])
				}
			} else if i != len(blocks)-1 || (prevEnd != len(lines) && !emptyLastLine(in, lines, prevEnd)) {
				t.Fatalf("unclosed block %d ends at line %d of %d", b.Index, prevEnd, len(lines))
			}
			switch b.Runtime {
			case "", "python", "javascript", "wat":
			default:
				t.Fatalf("block %d: unknown Runtime %q", b.Index, b.Runtime)
			}
			if b.Guessed && (b.Tag != "" || b.Runtime == "") {
				t.Fatalf("block %d: Guessed with Tag %q Runtime %q", b.Index, b.Tag, b.Runtime)
			}
			s := Summary(b)
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\x00") {
				t.Fatalf("block %d: Summary %q is not one printable line", b.Index, s)
			}
		}
	})
}

// emptyLastLine reports whether the input line after line n is the last
// one, has no line ending and holds nothing but up to 3 spaces: an
// unclosed block leaves such a line out of its Code.
func emptyLastLine(in string, lines []string, n int) bool {
	return n == len(lines)-1 && !strings.HasSuffix(in, "\n") && !strings.HasSuffix(in, "\r") &&
		len(lines[n]) <= 3 && strings.Trim(lines[n], " ") == ""
}
