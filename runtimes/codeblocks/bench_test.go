package codeblocks

import (
	"strings"
	"testing"
)

// tenMB builds about 10 MB of Markdown by repeating unit.
func tenMB(unit string) string {
	return strings.Repeat(unit, 10<<20/len(unit)+1)
}

// BenchmarkExtract measures Extract on 10 MB pastes of different shapes.
// It asserts nothing about time: compare runs with benchstat.
func BenchmarkExtract(b *testing.B) {
	inputs := []struct {
		name string
		text string
	}{
		{"many_blocks", tenMB("Some prose about the answer.\n\n```python\ndef f(x):\n    return x * 2\n```\n\n")},
		{"one_huge_block", "```python\n" + tenMB("x = [i * i for i in range(10)]  # comment\n") + "```\n"},
		{"unclosed_fences", tenMB("```\n")},
		{"prose_only", tenMB("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n")},
		{"one_long_line", tenMB("`")},
		{"crlf_indented", tenMB("  ```js\r\n  console.log(1);\r\n  ```\r\n")},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.text)))
			for b.Loop() {
				Extract(in.text)
			}
		})
	}
}
