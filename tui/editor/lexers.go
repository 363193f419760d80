package editor

import (
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
)

// The editor brings its own lexers, written as chroma rules, for the
// languages wasmplay runs (and JSON, for previews). chroma's bundled
// lexers package builds its registry of some 250 lexers while the program
// starts, about 8 ms and 2.7 MB for every `wasmplay run` and `wasmplay mcp`
// that never highlights anything; a lexer here costs nothing until it is
// first used (chroma compiles rules on the first Tokenise).
//
// The highlighter lexes a chunk of lines at a time and relies on every
// multi-line construct (a triple-quoted string, a block comment, a
// template literal) being lexed through a lexer state, token by token, so
// that a chunk cut in the middle of one still ends in a string or comment
// token (see highlight.go). No other token spans a line end.

// lexerDef is one language the editor highlights.
type lexerDef struct {
	config *chroma.Config
	rules  func() chroma.Rules
	once   sync.Once
	lexer  chroma.Lexer
	err    error
}

// get builds the lexer on first use.
func (d *lexerDef) get() (chroma.Lexer, error) {
	d.once.Do(func() {
		lx, err := chroma.NewLexer(d.config, d.rules)
		if err != nil {
			d.err = fmt.Errorf("editor: %s lexer: %w", d.config.Name, err)
			return
		}
		d.lexer = chroma.Coalesce(lx)
	})
	return d.lexer, d.err
}

// lexerDefs are the lexers by name, built once per process on first use.
// They are read-only after their once, so one set serves every editor.
var lexerDefs = map[string]*lexerDef{
	"python":     {config: &chroma.Config{Name: "python", Filenames: []string{"*.py", "*.pyw", "*.pyi"}}, rules: pythonRules},
	"javascript": {config: &chroma.Config{Name: "javascript", Filenames: []string{"*.js", "*.mjs", "*.cjs"}}, rules: javascriptRules},
	"wast":       {config: &chroma.Config{Name: "wast", Filenames: []string{"*.wat", "*.wast"}}, rules: watRules},
	"json":       {config: &chroma.Config{Name: "json", Filenames: []string{"*.json", "*.jsonl", "*.ipynb"}}, rules: jsonRules},
}

// lexerAliases are other names of the lexers.
var lexerAliases = map[string]string{"wat": "wast", "py": "python", "js": "javascript"}

// lexerFor returns the lexer of a name, or nil for "" (plain text).
func lexerFor(name string) (chroma.Lexer, error) {
	if name == "" {
		return nil, nil
	}
	if alias, ok := lexerAliases[name]; ok {
		name = alias
	}
	d, ok := lexerDefs[name]
	if !ok {
		return nil, fmt.Errorf("editor: no highlighter named %q", name)
	}
	return d.get()
}

// LexerForPath returns the lexer for a file by its name ("data.json",
// "dir/main.py"), or nil when the editor has none for it.
func LexerForPath(p string) chroma.Lexer {
	base := strings.ToLower(path.Base(p))
	for _, d := range lexerDefs {
		for _, pattern := range d.config.Filenames {
			if ok, _ := path.Match(pattern, base); ok {
				lx, err := d.get()
				if err != nil {
					return nil
				}
				return lx
			}
		}
	}
	return nil
}

// Patterns several languages share.
const (
	whitespace = `[^\S\n]+`
	// A one-line string runs to its closing quote or to the end of the
	// line (an unterminated one stops there, never running into the next).
	doubleQuoted = `"(?:\\.|[^"\\\n])*"?`
	singleQuoted = `'(?:\\.|[^'\\\n])*'?`
)

// stringState is the inside of a string that may span lines, ended by
// closer (a pattern), with backslash escapes.
func stringState(closer string, typ chroma.TokenType, plain string) []chroma.Rule {
	return []chroma.Rule{
		{Pattern: closer, Type: typ, Mutator: chroma.Pop(1)},
		{Pattern: `\\.`, Type: chroma.LiteralStringEscape},
		{Pattern: plain, Type: typ},
		{Pattern: `\n`, Type: typ},
		{Pattern: `.`, Type: typ},
	}
}

// fStringState is the inside of a one-line f-string closed by quote:
// its {expressions} are highlighted as code.
func fStringState(quote string, typ chroma.TokenType) []chroma.Rule {
	return []chroma.Rule{
		{Pattern: quote, Type: typ, Mutator: chroma.Pop(1)},
		{Pattern: `\\.|\{\{|\}\}`, Type: chroma.LiteralStringEscape},
		{Pattern: `\{`, Type: chroma.LiteralStringInterpol, Mutator: chroma.Push("f-expression")},
		{Pattern: `\n`, Type: chroma.TextWhitespace, Mutator: chroma.Pop(1)},
		{Pattern: `[^\\{}\n` + quote + `]+|\}`, Type: typ},
	}
}

func pythonRules() chroma.Rules {
	const prefix = `(?i:rb|br|fr|rf|r|u|f|b)?`
	return chroma.Rules{
		"root": {
			{Pattern: `\n`, Type: chroma.TextWhitespace},
			{Pattern: whitespace, Type: chroma.TextWhitespace},
			{Pattern: `#[^\n]*`, Type: chroma.CommentSingle},
			{Pattern: prefix + `"""`, Type: chroma.LiteralStringDoc, Mutator: chroma.Push("triple-double")},
			{Pattern: prefix + `'''`, Type: chroma.LiteralStringDoc, Mutator: chroma.Push("triple-single")},
			{Pattern: `(?i:rf|fr|f)"`, Type: chroma.LiteralStringDouble, Mutator: chroma.Push("f-double")},
			{Pattern: `(?i:rf|fr|f)'`, Type: chroma.LiteralStringSingle, Mutator: chroma.Push("f-single")},
			{Pattern: prefix + doubleQuoted, Type: chroma.LiteralStringDouble},
			{Pattern: prefix + singleQuoted, Type: chroma.LiteralStringSingle},
			{Pattern: `^(\s*)(@[\w.]+)`, Type: chroma.ByGroups(chroma.TextWhitespace, chroma.NameDecorator)},
			{Pattern: `\b(def)(\s+)([^\W\d]\w*)`, Type: chroma.ByGroups(chroma.KeywordDeclaration, chroma.TextWhitespace, chroma.NameFunction)},
			{Pattern: `\b(class)(\s+)([^\W\d]\w*)`, Type: chroma.ByGroups(chroma.KeywordDeclaration, chroma.TextWhitespace, chroma.NameClass)},
			{Pattern: `\b(?:True|False|None)\b`, Type: chroma.KeywordConstant},
			{Pattern: `\b(?:and|as|assert|async|await|break|continue|del|elif|else|except|finally|for|from|global|if|import|in|is|lambda|nonlocal|not|or|pass|raise|return|try|while|with|yield|match|case)\b`, Type: chroma.Keyword},
			{Pattern: `\b(?:self|cls)\b`, Type: chroma.NameBuiltinPseudo},
			{Pattern: `\b(?:abs|all|any|ascii|bin|bool|breakpoint|bytearray|bytes|callable|chr|classmethod|compile|complex|delattr|dict|dir|divmod|enumerate|eval|exec|filter|float|format|frozenset|getattr|globals|hasattr|hash|help|hex|id|input|int|isinstance|issubclass|iter|len|list|locals|map|max|memoryview|min|next|object|oct|open|ord|pow|print|property|range|repr|reversed|round|set|setattr|slice|sorted|staticmethod|str|sum|super|tuple|type|vars|zip|__import__)\b`, Type: chroma.NameBuiltin},
			{Pattern: `\b[A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt)\b`, Type: chroma.NameException},
			{Pattern: `\b__\w+__\b`, Type: chroma.NameFunctionMagic},
			{Pattern: `\b0[xX][0-9a-fA-F_]+\b|\b0[bB][01_]+\b|\b0[oO][0-7_]+\b`, Type: chroma.LiteralNumberInteger},
			{Pattern: `(?:\d[\d_]*)?\.\d[\d_]*(?:[eE][+-]?\d+)?[jJ]?|\d[\d_]*[eE][+-]?\d+[jJ]?|\d[\d_]*\.(?:[eE][+-]?\d+)?[jJ]?`, Type: chroma.LiteralNumberFloat},
			{Pattern: `\d[\d_]*[jJ]?`, Type: chroma.LiteralNumberInteger},
			{Pattern: `[^\W\d]\w*`, Type: chroma.Name},
			{Pattern: `\*\*=?|//=?|<<=?|>>=?|->|:=|[-+*/%&|^~<>=!@]=?|\.`, Type: chroma.Operator},
			{Pattern: `[()\[\]{}:;,\\]`, Type: chroma.Punctuation},
			{Pattern: `.`, Type: chroma.Text},
		},
		"f-double": fStringState(`"`, chroma.LiteralStringDouble),
		"f-single": fStringState(`'`, chroma.LiteralStringSingle),
		// An f-string's {expression}: Python code up to the closing brace
		// and its conversion and format spec. An f-string ends with its
		// line, closed or not.
		"f-expression": {
			{Pattern: `(?:![rsa])?(?::[^{}\[\]()"'\n]*)?\}`, Type: chroma.LiteralStringInterpol, Mutator: chroma.Pop(1)},
			{Pattern: `\n`, Type: chroma.TextWhitespace, Mutator: chroma.Pop(2)},
			chroma.Include("root"),
		},
		"triple-double": stringState(`"""`, chroma.LiteralStringDoc, `[^"\\\n]+`),
		"triple-single": stringState(`'''`, chroma.LiteralStringDoc, `[^'\\\n]+`),
	}
}

// jsRegex is a regular expression literal: /.../flags on one line, with
// escapes and character classes (where a / does not end it).
const jsRegex = `/(?:\\.|[^/\\\n\[]|\[(?:\\.|[^\]\\\n])*\])+/[dgimsuvy]*`

func javascriptRules() chroma.Rules {
	return chroma.Rules{
		"root": {
			{Pattern: `\n`, Type: chroma.TextWhitespace},
			{Pattern: whitespace, Type: chroma.TextWhitespace},
			{Pattern: `//[^\n]*`, Type: chroma.CommentSingle},
			{Pattern: `/\*`, Type: chroma.CommentMultiline, Mutator: chroma.Push("block-comment")},
			{Pattern: "`", Type: chroma.LiteralStringBacktick, Mutator: chroma.Push("template")},
			{Pattern: doubleQuoted, Type: chroma.LiteralStringDouble},
			{Pattern: singleQuoted, Type: chroma.LiteralStringSingle},
			// A regular expression literal where an operand is expected:
			// after one of these characters on the same line.
			{Pattern: `(&&|\|\||\?\?)(\s*)(` + jsRegex + `)`, Type: chroma.ByGroups(chroma.Operator, chroma.TextWhitespace, chroma.LiteralStringRegex)},
			{Pattern: `\b(return|typeof|case)(\s+)(` + jsRegex + `)`, Type: chroma.ByGroups(chroma.Keyword, chroma.TextWhitespace, chroma.LiteralStringRegex)},
			{Pattern: `([(,=:\[!&|?{};])(\s*)(` + jsRegex + `)`, Type: chroma.ByGroups(chroma.Punctuation, chroma.TextWhitespace, chroma.LiteralStringRegex)},
			{Pattern: `\b(function\*?)(\s+)([A-Za-z_$][\w$]*)`, Type: chroma.ByGroups(chroma.KeywordDeclaration, chroma.TextWhitespace, chroma.NameFunction)},
			{Pattern: `\b(class)(\s+)([A-Za-z_$][\w$]*)`, Type: chroma.ByGroups(chroma.KeywordDeclaration, chroma.TextWhitespace, chroma.NameClass)},
			{Pattern: `\b(?:var|let|const|function|class)\b`, Type: chroma.KeywordDeclaration},
			{Pattern: `\b(?:true|false|null|undefined|NaN|Infinity)\b`, Type: chroma.KeywordConstant},
			{Pattern: `\b(?:async|await|break|case|catch|continue|debugger|default|delete|do|else|export|extends|finally|for|from|if|import|in|instanceof|new|of|return|static|super|switch|this|throw|try|typeof|void|while|with|yield)\b`, Type: chroma.Keyword},
			{Pattern: `\b(?:Array|BigInt|Boolean|Date|Error|JSON|Map|Math|Number|Object|Promise|Proxy|Reflect|RegExp|Set|String|Symbol|TypeError|RangeError|SyntaxError|WeakMap|WeakSet|console|globalThis|os|parseFloat|parseInt|print|scriptArgs|std)\b`, Type: chroma.NameBuiltin},
			{Pattern: `\b0[xX][0-9a-fA-F_]+n?\b|\b0[bB][01_]+n?\b|\b0[oO][0-7_]+n?\b`, Type: chroma.LiteralNumberInteger},
			{Pattern: `(?:\d[\d_]*)?\.\d[\d_]*(?:[eE][+-]?\d+)?|\d[\d_]*[eE][+-]?\d+`, Type: chroma.LiteralNumberFloat},
			{Pattern: `\d[\d_]*n?`, Type: chroma.LiteralNumberInteger},
			{Pattern: `[A-Za-z_$][\w$]*`, Type: chroma.NameOther},
			{Pattern: `=>|\.\.\.|\?\?=?|\?\.|[-+*/%&|^~<>=!?]+`, Type: chroma.Operator},
			{Pattern: `[()\[\]{};:,.]`, Type: chroma.Punctuation},
			{Pattern: `.`, Type: chroma.Text},
		},
		"block-comment": {
			{Pattern: `\*/`, Type: chroma.CommentMultiline, Mutator: chroma.Pop(1)},
			{Pattern: `[^*\n]+`, Type: chroma.CommentMultiline},
			{Pattern: `\*`, Type: chroma.CommentMultiline},
			{Pattern: `\n`, Type: chroma.CommentMultiline},
		},
		"template": {
			{Pattern: "`", Type: chroma.LiteralStringBacktick, Mutator: chroma.Pop(1)},
			{Pattern: `\\.`, Type: chroma.LiteralStringEscape},
			{Pattern: `\$\{`, Type: chroma.LiteralStringInterpol, Mutator: chroma.Push("interpolation")},
			{Pattern: "[^`\\\\$\\n]+", Type: chroma.LiteralStringBacktick},
			{Pattern: `\$`, Type: chroma.LiteralStringBacktick},
			{Pattern: `\n`, Type: chroma.LiteralStringBacktick},
		},
		"interpolation": {
			{Pattern: `\}`, Type: chroma.LiteralStringInterpol, Mutator: chroma.Pop(1)},
			chroma.Include("root"),
		},
	}
}

func watRules() chroma.Rules {
	return chroma.Rules{
		"root": {
			{Pattern: `\n`, Type: chroma.TextWhitespace},
			{Pattern: whitespace, Type: chroma.TextWhitespace},
			{Pattern: `;;[^\n]*`, Type: chroma.CommentSingle},
			{Pattern: `\(;`, Type: chroma.CommentMultiline, Mutator: chroma.Push("block-comment")},
			{Pattern: doubleQuoted, Type: chroma.LiteralStringDouble},
			{Pattern: `\$[\w.!#$%&'*+\-/:<=>?@\\^` + "`" + `|~]+`, Type: chroma.NameVariable},
			{Pattern: `\b(?:i32|i64|f32|f64|v128|local|global|memory|table|ref|elem|data)\.[a-z0-9_./]+`, Type: chroma.NameBuiltin},
			{Pattern: `\b(?:i32|i64|f32|f64|v128|funcref|externref)\b`, Type: chroma.KeywordType},
			{Pattern: `\b(?:module|func|param|result|local|global|memory|table|elem|data|type|import|export|start|mut|offset|block|loop|if|then|else|end|br|br_if|br_table|return|call|call_indirect|return_call|drop|select|unreachable|nop|item|declare)\b`, Type: chroma.Keyword},
			{Pattern: `[+-]?(?:0x[0-9a-fA-F_]+(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?\d+)?|\d[\d_]*(?:\.[\d_]*)?(?:[eE][+-]?\d+)?|nan(?::0x[0-9a-fA-F]+)?|inf)\b`, Type: chroma.LiteralNumber},
			{Pattern: `[()]`, Type: chroma.Punctuation},
			{Pattern: `[^\s()";]+`, Type: chroma.Text},
			{Pattern: `.`, Type: chroma.Text},
		},
		"block-comment": {
			{Pattern: `\(;`, Type: chroma.CommentMultiline, Mutator: chroma.Push("block-comment")},
			{Pattern: `;\)`, Type: chroma.CommentMultiline, Mutator: chroma.Pop(1)},
			{Pattern: `[^;(\n]+`, Type: chroma.CommentMultiline},
			{Pattern: `[;(]`, Type: chroma.CommentMultiline},
			{Pattern: `\n`, Type: chroma.CommentMultiline},
		},
	}
}

func jsonRules() chroma.Rules {
	return chroma.Rules{
		"root": {
			{Pattern: `\n`, Type: chroma.TextWhitespace},
			{Pattern: whitespace, Type: chroma.TextWhitespace},
			{Pattern: `("(?:\\.|[^"\\\n])*")(\s*)(:)`, Type: chroma.ByGroups(chroma.NameTag, chroma.TextWhitespace, chroma.Punctuation)},
			{Pattern: doubleQuoted, Type: chroma.LiteralStringDouble},
			{Pattern: `\b(?:true|false|null)\b`, Type: chroma.KeywordConstant},
			{Pattern: `-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?`, Type: chroma.LiteralNumber},
			{Pattern: `[{}\[\],:]`, Type: chroma.Punctuation},
			{Pattern: `.`, Type: chroma.Text},
		},
	}
}
