package tui

import (
	"testing"

	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/tui/editor"
)

// Every language's record gives the editor a highlighter it has, a comment
// marker, and starter code; a name that is no language is plain text.
func TestSyntaxOf_EveryLanguage(t *testing.T) {
	for _, rt := range runtimes.Languages() {
		sx := syntaxOf(rt.Name)
		ed := editor.New(editor.Options{Syntax: sx})
		ed.SetValue(rt.Starter)
		if sx.Lexer == "" || sx.LineComment == "" || ed.HighlightErr() != nil || rt.Starter == "" {
			t.Errorf("%s: syntax %+v, highlight error %v, starter %q", rt.Name, sx, ed.HighlightErr(), rt.Starter)
		}
	}
	if sx := syntaxOf("markdown"); sx.Lexer != "" {
		t.Errorf("markdown got %+v", sx)
	}
}
