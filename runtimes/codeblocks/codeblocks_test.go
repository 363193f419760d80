package codeblocks

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// brief is the part of a Block the extraction tables compare.
type brief struct {
	Tag       string
	Runtime   string
	Guessed   bool
	Code      string
	StartLine int
	Lines     int
	Closed    bool
}

func briefs(blocks []Block) []brief {
	var out []brief
	for _, b := range blocks {
		out = append(out, brief{b.Tag, b.Runtime, b.Guessed, b.Code, b.StartLine, b.Lines, b.Closed})
	}
	return out
}

func TestExtract_Fences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []brief
	}{
		{"none", "Just some prose.\nNo code here.\n", nil},
		{"empty input", "", nil},
		{"backticks", "Here:\n```python\nprint(1)\n```\nDone.\n",
			[]brief{{"python", "python", false, "print(1)\n", 2, 1, true}}},
		{"tildes", "~~~js\nconsole.log(1)\n~~~\n",
			[]brief{{"js", "javascript", false, "console.log(1)\n", 1, 1, true}}},
		{"long fence", "`````wat\n(module)\n`````\n",
			[]brief{{"wat", "wat", false, "(module)\n", 1, 1, true}}},
		{"info string words", "```python title=\"main.py\" {1,3}\nx = 1\n```\n",
			[]brief{{"python", "python", false, "x = 1\n", 1, 1, true}}},
		{"tag case-insensitive", "```PyThOn\nx = 1\n```\n",
			[]brief{{"PyThOn", "python", false, "x = 1\n", 1, 1, true}}},
		{"space before tag", "```   node\nlet a = 1;\n```\n",
			[]brief{{"node", "javascript", false, "let a = 1;\n", 1, 1, true}}},
		{"unsupported tag", "```rust\nfn main() {}\n```\n",
			[]brief{{"rust", "", false, "fn main() {}\n", 1, 1, true}}},
		{"empty block", "```python\n```\n",
			[]brief{{"python", "python", false, "", 1, 0, true}}},
		{"two blocks", "```py\na = 1\n```\ntext\n```js\nb = 2;\n```\n",
			[]brief{
				{"py", "python", false, "a = 1\n", 1, 1, true},
				{"js", "javascript", false, "b = 2;\n", 5, 1, true},
			}},
		{"closing fence longer", "```py\nx\n``````\n",
			[]brief{{"py", "python", false, "x\n", 1, 1, true}}},
		{"closing fence with trailing spaces", "```py\nx\n```   \t\n",
			[]brief{{"py", "python", false, "x\n", 1, 1, true}}},
		{"closing fence with text is content", "```py\nx\n``` not a close\n```\n",
			[]brief{{"py", "python", false, "x\n``` not a close\n", 1, 2, true}}},
		{"two backticks are not a fence", "``py\nx\n``\n", nil},
		{"backtick in backtick info string is inline code", "```py`x\nx\n```\n",
			[]brief{{"", "", false, "", 3, 0, false}}},
		{"backtick in tilde info string is fine", "~~~py `x`\nx = 1\n~~~\n",
			[]brief{{"py", "python", false, "x = 1\n", 1, 1, true}}},
		{"no final newline", "```py\nx = 1\n```",
			[]brief{{"py", "python", false, "x = 1\n", 1, 1, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := briefs(Extract(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Extract(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestExtract_Nesting(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []brief
	}{
		{"shorter fence inside longer", "````markdown\n```python\nx = 1\n```\n````\n",
			[]brief{{"markdown", "", false, "```python\nx = 1\n```\n", 1, 3, true}}},
		{"tilde inside backtick", "```text\n~~~\nnot closed by tildes\n~~~\n```\n",
			[]brief{{"text", "", false, "~~~\nnot closed by tildes\n~~~\n", 1, 3, true}}},
		{"backtick inside tilde", "~~~\n```\n~~~\n",
			[]brief{{"", "", false, "```\n", 1, 1, true}}},
		{"unclosed runs to end", "```py\nx = 1\ny = 2\n",
			[]brief{{"py", "python", false, "x = 1\ny = 2\n", 1, 2, false}}},
		{"unclosed without final newline", "```py\nx = 1\ny = 2",
			[]brief{{"py", "python", false, "x = 1\ny = 2", 1, 2, false}}},
		{"unclosed after a closed one", "```py\na\n```\n```js\nb;",
			[]brief{
				{"py", "python", false, "a\n", 1, 1, true},
				{"js", "javascript", false, "b;", 4, 1, false},
			}},
		{"fence alone at end", "text\n```",
			[]brief{{"", "", false, "", 2, 0, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := briefs(Extract(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Extract(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestExtract_Indentation(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []brief
	}{
		{"code indentation kept", "```python\ndef f():\n    return 1\n\n\tx = 2\n```\n",
			[]brief{{"python", "python", false, "def f():\n    return 1\n\n\tx = 2\n", 1, 4, true}}},
		{"trailing whitespace kept", "```py\nx = 1   \ny = 2\t\n```\n",
			[]brief{{"py", "python", false, "x = 1   \ny = 2\t\n", 1, 2, true}}},
		{"fence indented 2 strips 2", "  ```py\n  if x:\n      y()\n z\nw\n  ```\n",
			[]brief{{"py", "python", false, "if x:\n    y()\nz\nw\n", 1, 4, true}}},
		{"fence indented 3 in a list", "1. Run:\n   ```js\n   let a = 1;\n   ```\n",
			[]brief{{"js", "javascript", false, "let a = 1;\n", 2, 1, true}}},
		{"fence indented 4 is not a fence", "    ```py\n    x\n    ```\n", nil},
		{"tab before fence is not a fence", "\t```py\nx\n\t```\n", nil},
		{"closing fence may be indented differently", "```py\nx\n   ```\n",
			[]brief{{"py", "python", false, "x\n", 1, 1, true}}},
		{"closing fence indented 4 is content", "```py\nx\n    ```\n",
			[]brief{{"py", "python", false, "x\n    ```\n", 1, 2, false}}},
		{"tab in content not stripped", "  ```py\n\tx\n  ```\n",
			[]brief{{"py", "python", false, "\tx\n", 1, 1, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := briefs(Extract(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Extract(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestExtract_LineEndings(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []brief
	}{
		{"CRLF", "Text\r\n```py\r\nx = 1\r\n\r\ny = 2\r\n```\r\n",
			[]brief{{"py", "python", false, "x = 1\n\ny = 2\n", 2, 3, true}}},
		{"CR", "```py\rx = 1\r```\r",
			[]brief{{"py", "python", false, "x = 1\n", 1, 1, true}}},
		{"mixed", "```py\nx = 1\r\ny = 2\rz = 3\n```",
			[]brief{{"py", "python", false, "x = 1\ny = 2\nz = 3\n", 1, 3, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := briefs(Extract(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Extract(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestExtract_Guessing(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		runtime string
		guessed bool
	}{
		{"python", "```\nimport sys\nprint(sys.argv)\n```\n", "python", true},
		{"javascript", "```\nconst x = [1, 2].map(v => v * 2);\nconsole.log(x);\n```\n", "javascript", true},
		{"wat", "```\n(module\n  (func))\n```\n", "wat", true},
		{"unsure", "```\nhello world\n```\n", "", false},
		{"tagged is never guessed", "```text\nimport sys\n```\n", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks := Extract(tt.in)
			if len(blocks) != 1 {
				t.Fatalf("got %d blocks, want 1", len(blocks))
			}
			if blocks[0].Runtime != tt.runtime || blocks[0].Guessed != tt.guessed {
				t.Errorf("Runtime, Guessed = %q, %v; want %q, %v", blocks[0].Runtime, blocks[0].Guessed, tt.runtime, tt.guessed)
			}
		})
	}
}

func TestExtract_IndexAndInfo(t *testing.T) {
	blocks := Extract("```python title=a.py\na\n```\n\n```js\nb\n```\n")
	if len(blocks) != 2 {
		t.Fatalf("got %d blocks, want 2", len(blocks))
	}
	if blocks[0].Index != 1 || blocks[1].Index != 2 {
		t.Errorf("indexes %d, %d; want 1, 2", blocks[0].Index, blocks[1].Index)
	}
	if blocks[0].Info != "python title=a.py" {
		t.Errorf("Info = %q", blocks[0].Info)
	}
}

func TestExtract_InvalidUTF8(t *testing.T) {
	in := "```py\nprint('\xff\xfe')\n```\n\xc3"
	blocks := Extract(in)
	if len(blocks) != 1 || blocks[0].Code != "print('\xff\xfe')\n" {
		t.Fatalf("Extract(%q) = %+v", in, blocks)
	}
	if s := Summary(blocks[0]); !utf8.ValidString(s) {
		t.Errorf("Summary is not valid UTF-8: %q", s)
	}
}

func TestRuntimeForTag_Aliases(t *testing.T) {
	tests := []struct {
		tag  string
		want string
		ok   bool
	}{
		{"python", "python", true},
		{"py", "python", true},
		{"Python3", "python", true},
		{"py3", "python", true},
		{"{.python}", "python", true},
		{"python:main.py", "python", true},
		{"javascript", "javascript", true},
		{"JS", "javascript", true},
		{"node", "javascript", true},
		{"nodejs", "javascript", true},
		{"mjs", "javascript", true},
		{"ecmascript", "javascript", true},
		{"wat", "wat", true},
		{"wast", "wat", true},
		{"wasm-text", "wat", true},
		{"wasm", "wat", true},
		{"rust", "", false},
		{"typescript", "", false},
		{"bash", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.tag, func(t *testing.T) {
			got, ok := RuntimeForTag(tt.tag)
			if got != tt.want || ok != tt.ok {
				t.Errorf("RuntimeForTag(%q) = %q, %v; want %q, %v", tt.tag, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestGuess_Heuristics(t *testing.T) {
	tests := []struct {
		name string
		code string
		want string
	}{
		{"def", "def f(x):\n    return x\n", "python"},
		{"import and print", "import math\nprint(math.pi)\n", "python"},
		{"from import", "from collections import Counter\n", "python"},
		{"colon endings", "for i in range(3):\n    if i:\n        pass\n", "python"},
		{"function", "function f(x) {\n  return x;\n}\n", "javascript"},
		{"const and arrow", "const f = (x) => x * 2\n", "javascript"},
		{"console.log", "console.log('hi')\n", "javascript"},
		{"semicolons", "x = 1;\ny = 2;\n", "javascript"},
		{"js import", "import * as std from 'std';\n", "javascript"},
		{"module", "(module\n  (func (export \"_start\")))\n", "wat"},
		{"module after comment", ";; a module\n(module)\n", "wat"},
		{"prose", "hello there\n", ""},
		{"empty", "", ""},
		{"tie", "def f():\nx;\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Guess(tt.code); got != tt.want {
				t.Errorf("Guess(%q) = %q, want %q", tt.code, got, tt.want)
			}
		})
	}
}

func TestRunnable_Errors(t *testing.T) {
	blocks := Extract("```rust\nfn main() {}\n```\n```\nhello\n```\n```py\nx = 1\n```\n")
	if len(blocks) != 3 {
		t.Fatalf("got %d blocks", len(blocks))
	}
	var ue *UnsupportedError
	err := Runnable(blocks[0])
	if !errors.As(err, &ue) || ue.Tag != "rust" || ue.Index != 1 {
		t.Fatalf("Runnable(rust) = %v", err)
	}
	for _, want := range []string{`"rust"`, "python", "javascript", "wat"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	err = Runnable(blocks[1])
	if !errors.As(err, &ue) || ue.Tag != "" || !strings.Contains(err.Error(), "no language tag") {
		t.Errorf("Runnable(untagged prose) = %v", err)
	}
	if err := Runnable(blocks[2]); err != nil {
		t.Errorf("Runnable(python) = %v", err)
	}
}

func TestSelect_Cases(t *testing.T) {
	one := Extract("```py\na = 1\n```\n")
	two := Extract("```py\na = 1\n```\n```js\nb = 2;\n```\n")
	tests := []struct {
		name    string
		blocks  []Block
		n       int
		wantIdx int
		wantErr string
	}{
		{"only block", one, 0, 1, ""},
		{"numbered", two, 2, 2, ""},
		{"ambiguous", two, 0, 0, "choose one with --block N"},
		{"out of range", two, 3, 0, "there is no code block 3"},
		{"negative", two, -1, 0, "there is no code block -1"},
		{"none", nil, 0, 0, ErrNoBlocks.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Select(tt.blocks, tt.n)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Select error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || b.Index != tt.wantIdx {
				t.Fatalf("Select = block %d, %v; want block %d", b.Index, err, tt.wantIdx)
			}
		})
	}
}

func TestSummary_Lines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"tagged", "```python\n\n  def main():\n    pass\n```\n", "python · def main(): · 3 lines, 24 B"},
		{"guessed", "```\nimport sys\n```\n", "python (guessed) · import sys · 1 line, 11 B"},
		{"unsupported", "```rust\nfn main() {}\n```\n", "rust (not supported) · fn main() {} · 1 line, 13 B"},
		{"unknown", "```\nhello\n```\n", "unknown language · hello · 1 line, 6 B"},
		{"empty", "```py\n```\n", "python · (empty) · 0 lines, 0 B"},
		{"long line cut", "```py\n" + strings.Repeat("x", 100) + "\n```\n", "python · " + strings.Repeat("x", 60) + "… · 1 line, 101 B"},
		{"control characters", "```py\nprint('\x1b[31m')\n```\n", "python · print('\uFFFD[31m') · 1 line, 15 B"},
		{"size in KiB", "```py\n" + strings.Repeat("x = 1\n", 500) + "```\n", "python · x = 1 · 500 lines, 2.9 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks := Extract(tt.in)
			if len(blocks) != 1 {
				t.Fatalf("got %d blocks", len(blocks))
			}
			if got := Summary(blocks[0]); got != tt.want {
				t.Errorf("Summary = %q\n          want %q", got, tt.want)
			}
		})
	}
}
