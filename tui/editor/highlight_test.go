package editor

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
)

// wholeSpans lexes text in one go, the reference the chunked highlighter
// must match: the spans of every line, merged the same way.
func wholeSpans(t *testing.T, lang, text string) [][]tokenSpan {
	t.Helper()
	lx, err := lexerFor(lang)
	if err != nil {
		t.Fatal(err)
	}
	b := newBuffer(text)
	out := make([][]tokenSpan, b.lineCount())
	it, err := lx.Tokenise(nil, text+"\n")
	if err != nil {
		t.Fatal(err)
	}
	line, col := 0, 0
	for tok := it(); tok != chroma.EOF; tok = it() {
		for _, r := range []rune(tok.Value) {
			if r == '\n' {
				line, col = line+1, 0
				continue
			}
			if line >= len(out) {
				continue
			}
			spans := out[line]
			if k := len(spans); k > 0 && spans[k-1].typ == tok.Type {
				spans[k-1].end = col + 1
			} else {
				spans = append(spans, tokenSpan{end: col + 1, typ: tok.Type})
			}
			out[line] = spans
			col++
		}
	}
	return out
}

const jsSample = "/**\n" +
	" * A documentation comment\n" +
	" * over several lines.\n" +
	" */\n" +
	"function greet(name) {\n" +
	"  // say hello\n" +
	"  const s = `hello, ${name}!\nbye`;\n" +
	"  if (/^[a-z]+$/.test(name)) {\n" +
	"    return s + 'x' + \"y\";\n" +
	"  }\n" +
	"  return null;\n" +
	"}\n" +
	"/* short */ console.log(greet(\"world\"));\n"

const watSample = `(module
  ;; a line comment
  (; a block
     comment (; nested ;) ;)
  (func $add (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.add)
  (data (i32.const 0) "hello\n")
  (export "add" (func $add)))
`

// TestIncrementalHighlightMatchesWhole edits a buffer at random, viewing it
// after every step, and checks that the cached, incrementally invalidated,
// chunk-by-chunk highlighting of the screen equals lexing the whole text at
// once. The text stays shorter than the look-back, so where the
// highlighter looks back it sees everything too.
func TestIncrementalHighlightMatchesWhole(t *testing.T) {
	tests := []struct {
		lang  string
		text  string
		edits []string
	}{
		{"python", sample + sample + sample, []string{`"""`, `'''`, `"`, "'", "#", "x", "\n", ":", "f'{", "}"}},
		{"javascript", jsSample + jsSample + jsSample, []string{"/*", "*/", "`", "${", "}", `"`, "'", "//", "x", "\n", "{", "/"}},
		{"wat", watSample + watSample + watSample, []string{"(;", ";)", `"`, ";;", "(", ")", "x", "\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			m, _ := newTest(t, tt.lang, tt.text, 60, 40)
			rng := rand.New(rand.NewPCG(1, 2))
			moves := []string{"up", "down", "pgup", "pgdown", "left", "right", "end", "home", "ctrl+home", "ctrl+end"}
			for step := 0; step < 300; step++ {
				switch rng.IntN(5) {
				case 0, 1:
					m.Update(pasteMsg(tt.edits[rng.IntN(len(tt.edits))]))
				case 2:
					keys(t, m, "backspace")
				case 3:
					keys(t, m, moves[rng.IntN(len(moves))])
				case 4:
					keys(t, m, "ctrl+z")
				}
				if m.Lines() > lookbackLines {
					keys(t, m, "ctrl+z")
					continue
				}
				m.View()
				want := wholeSpans(t, tt.lang, m.Value())
				for i := m.top; i < min(m.top+m.height, m.Lines()); i++ {
					if got := m.hl.spans(&m.buf, i); !reflect.DeepEqual(got, want[i]) {
						t.Fatalf("step %d, line %d %q:\n got %v\nwant %v", step, i+1, string(m.buf.line(i)), got, want[i])
					}
				}
			}
		})
	}
}

func TestJavaScriptBlockComment(t *testing.T) {
	// A block comment longer than a chunk is comment on every line.
	text := "/*\n" + strings.Repeat(" * x = 1;\n", 3*chunkLines) + "*/\nx = 1;"
	m, _ := newTest(t, "javascript", text, 40, 3*chunkLines+3)
	m.View()
	for i := 0; i < 3*chunkLines+2; i++ {
		for _, s := range m.hl.spans(&m.buf, i) {
			if s.typ != chroma.CommentMultiline {
				t.Fatalf("line %d: %v in a block comment", i+1, s.typ)
			}
		}
	}
	if spans := m.hl.spans(&m.buf, 3*chunkLines+2); len(spans) < 3 {
		t.Fatalf("code after the comment: %v", spans)
	}
}

func TestDocstringOpenedAboveIsSeen(t *testing.T) {
	// 40 lines of code, then open a docstring at the top: every line on
	// screen below it becomes string, although only chunk 0 was edited.
	code := strings.Repeat("x = 1\n", 40)
	m, _ := newTest(t, "python", code, 40, 40)
	m.View()
	m.Update(pasteMsg(`"""`))
	m.View()
	for i := 1; i < 40; i++ {
		spans := m.hl.spans(&m.buf, i)
		if len(spans) != 1 || !spans[0].typ.InCategory(chroma.LiteralString) {
			t.Fatalf("line %d not inside the docstring: %v", i+1, spans)
		}
	}
	keys(t, m, "ctrl+z")
	m.View()
	if spans := m.hl.spans(&m.buf, 39); len(spans) < 2 {
		t.Fatalf("after undo, line 40 should be code again: %v", spans)
	}
}

func TestLanguages(t *testing.T) {
	tests := []struct {
		lang, text, want string
	}{
		{"python", "def f(): pass", "python"},
		{"javascript", "function f() {}", "javascript"},
		{"wat", "(module (func))", "wast"},
		{"", "plain", ""},
	}
	for _, tt := range tests {
		m, _ := newTest(t, tt.lang, tt.text, 40, 2)
		if m.Syntax().Lexer != tt.want || m.HighlightErr() != nil {
			t.Errorf("%q: lexer %q, err %v", tt.lang, m.Syntax().Lexer, m.HighlightErr())
		}
		spans := m.hl.spans(&m.buf, 0)
		if (tt.want == "") != (spans == nil) {
			t.Errorf("%q: spans %v", tt.lang, spans)
		}
		if tt.want != "" && len(spans) < 2 {
			t.Errorf("%q: %q is not highlighted: %v", tt.lang, tt.text, spans)
		}
	}
	m, _ := newTest(t, "cobol-2099", "x", 40, 2)
	if m.HighlightErr() == nil {
		t.Error("unknown language: no error")
	}
	checkView(t, m.View(), 40, 2)
	m.SetSyntax(pythonSyntax)
	if m.HighlightErr() != nil {
		t.Error("error kept after a good SetSyntax")
	}
}

func TestWATKeywordsHighlighted(t *testing.T) {
	m, _ := newTest(t, "wat", "(module (func $f (result i32) i32.const 42))", 60, 2)
	var types []chroma.TokenType
	for _, s := range m.hl.spans(&m.buf, 0) {
		types = append(types, s.typ)
	}
	for _, want := range []chroma.TokenType{chroma.Keyword, chroma.NameVariable, chroma.NameBuiltin} {
		found := false
		for _, typ := range types {
			found = found || typ == want
		}
		if !found {
			t.Errorf("no %v token in %v", want, types)
		}
	}
}

// tokenTypes lexes one line and returns each token's text and type.
func tokenTypes(t *testing.T, lang, line string) map[string]chroma.TokenType {
	t.Helper()
	lx, err := lexerFor(lang)
	if err != nil {
		t.Fatal(err)
	}
	it, err := lx.Tokenise(nil, line)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]chroma.TokenType{}
	for tok := it(); tok != chroma.EOF; tok = it() {
		out[strings.TrimSpace(tok.Value)] = tok.Type
	}
	return out
}

// Each lexer gives the constructs of its language their token types, and
// never an error token on ordinary code.
func TestLexerTokens(t *testing.T) {
	tests := []struct {
		lang, line string
		want       map[string]chroma.TokenType
	}{
		{"python", `@cache`, map[string]chroma.TokenType{"@cache": chroma.NameDecorator}},
		{"python", `def area(r): return 3.14 * r ** 2  # circle`, map[string]chroma.TokenType{
			"def": chroma.KeywordDeclaration, "area": chroma.NameFunction, "return": chroma.Keyword,
			"3.14": chroma.LiteralNumberFloat, "**": chroma.Operator, "2": chroma.LiteralNumberInteger, "# circle": chroma.CommentSingle}},
		{"python", `print(f"x={x!r:>4}", b'\\x00', None, len(xs)); raise ValueError`, map[string]chroma.TokenType{
			"print": chroma.NameBuiltin, `f"x=`: chroma.LiteralStringDouble, "{": chroma.LiteralStringInterpol, "!r:>4}": chroma.LiteralStringInterpol,
			`b'\\x00'`: chroma.LiteralStringSingle,
			"None":     chroma.KeywordConstant, "len": chroma.NameBuiltin, "ValueError": chroma.NameException}},
		{"javascript", "const f = (a) => a ?? /x+/g.test(`t${a}`); // done", map[string]chroma.TokenType{
			"const": chroma.KeywordDeclaration, "=>": chroma.Operator, "??": chroma.Operator, "/x+/g": chroma.LiteralStringRegex,
			"`t": chroma.LiteralStringBacktick, "${": chroma.LiteralStringInterpol, "// done": chroma.CommentSingle}},
		{"javascript", `console.log(0x1Fn, 1e3, 'q', "d", null)`, map[string]chroma.TokenType{
			"console": chroma.NameBuiltin, "0x1Fn": chroma.LiteralNumberInteger, "1e3": chroma.LiteralNumberFloat,
			"'q'": chroma.LiteralStringSingle, `"d"`: chroma.LiteralStringDouble, "null": chroma.KeywordConstant}},
		{"wast", `(func $add (param i32) local.get 0) ;; sum`, map[string]chroma.TokenType{
			"func": chroma.Keyword, "$add": chroma.NameVariable, "i32": chroma.KeywordType, "local.get": chroma.NameBuiltin,
			"0": chroma.LiteralNumber, ";; sum": chroma.CommentSingle}},
		{"json", `{"k": [1.5, true, "v"]}`, map[string]chroma.TokenType{
			`"k"`: chroma.NameTag, "1.5": chroma.LiteralNumber, "true": chroma.KeywordConstant, `"v"`: chroma.LiteralStringDouble}},
	}
	for _, tt := range tests {
		got := tokenTypes(t, tt.lang, tt.line)
		for text, typ := range tt.want {
			if got[text] != typ {
				t.Errorf("%s %q: %q is %v, want %v (all: %v)", tt.lang, tt.line, text, got[text], typ, got)
			}
		}
		for text, typ := range got {
			if typ == chroma.Error {
				t.Errorf("%s %q: error token %q", tt.lang, tt.line, text)
			}
		}
	}
}

// Files are matched to lexers by name; others get none.
func TestLexerForPath(t *testing.T) {
	for p, want := range map[string]bool{"main.py": true, "dir/App.MJS": true, "m.wat": true, "data.json": true,
		"notes.md": false, "table.csv": false, "Makefile": false} {
		if got := LexerForPath(p) != nil; got != want {
			t.Errorf("%s: lexer %v, want %v", p, got, want)
		}
	}
}
