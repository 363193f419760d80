package editor

import (
	"fmt"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
)

// lexerFor returns the chroma lexer of a name, or nil for "" (plain text).
//
// The highlighter lexes a chunk of lines at a time and relies on every
// multi-line construct being lexed through a lexer state, token by token,
// so that a chunk cut in the middle of one still ends in a string or
// comment token (see highlight.go). chroma's Python and WAT lexers work that
// way. Its JavaScript lexer matches a whole /* ... */ comment with one
// regular expression, and lets "..." and '...' strings run over line ends,
// so it is adjusted by lineLocalJavaScript.
func lexerFor(name string) (chroma.Lexer, error) {
	switch name {
	case "":
		return nil, nil
	case "javascript":
		lx, err := lineLocalJavaScript()
		if err != nil {
			return nil, err
		}
		return chroma.Coalesce(lx), nil
	}
	lx := lexers.Get(name)
	if lx == nil {
		return nil, fmt.Errorf("editor: no highlighter named %q", name)
	}
	return chroma.Coalesce(lx), nil
}

// blockCommentState is the state the adjusted JavaScript lexer is in inside
// a /* ... */ comment.
const blockCommentState = "wasmplay-block-comment"

// lineLocalJavaScript returns chroma's JavaScript lexer with its rules
// changed so that no token spans lines outside a lexer state:
//
//   - "/*" enters blockCommentState, which "*/" leaves, instead of one
//     regular expression for the whole comment;
//   - "..." and '...' strings end at the end of the line (JavaScript does
//     not allow line breaks in them anyway).
//
// It fails if chroma's rules are not the ones expected, so a chroma upgrade
// that changes them is noticed (by TestJavaScriptLexerAdjusted).
func lineLocalJavaScript() (chroma.Lexer, error) {
	base, ok := lexers.Get("javascript").(*chroma.RegexLexer)
	if !ok {
		return nil, fmt.Errorf("editor: chroma's JavaScript lexer is not a regex lexer")
	}
	raw, err := base.Rules()
	if err != nil {
		return nil, fmt.Errorf("editor: JavaScript lexer rules: %w", err)
	}
	rules := raw.Clone()
	replaced := 0
	for _, list := range rules {
		for i, r := range list {
			switch r.Pattern {
			case `/\*.*?\*/`:
				list[i] = chroma.Rule{Pattern: `/\*`, Type: chroma.CommentMultiline, Mutator: chroma.Push(blockCommentState)}
				replaced++
			case `"(\\\\|\\"|[^"])*"`:
				list[i].Pattern = `"(\\\\|\\"|[^"\n])*"`
				replaced++
			case `'(\\\\|\\'|[^'])*'`:
				list[i].Pattern = `'(\\\\|\\'|[^'\n])*'`
				replaced++
			}
		}
	}
	if replaced != 3 {
		return nil, fmt.Errorf("editor: chroma's JavaScript rules changed (%d of 3 rules found)", replaced)
	}
	rules[blockCommentState] = []chroma.Rule{
		{Pattern: `\*/`, Type: chroma.CommentMultiline, Mutator: chroma.Pop(1)},
		{Pattern: `[^*]+`, Type: chroma.CommentMultiline},
		{Pattern: `\*`, Type: chroma.CommentMultiline},
	}
	lx, err := chroma.NewLexer(base.Config(), func() chroma.Rules { return rules })
	if err != nil {
		return nil, fmt.Errorf("editor: adjusted JavaScript lexer: %w", err)
	}
	return lx, nil
}
