package themes

import (
	"reflect"
	"regexp"
	"testing"

	"github.com/alecthomas/chroma/v2"
)

var hexColour = regexp.MustCompile(`^#[0-9a-f]{6}$`)

func TestAll_PalettesAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, th := range All() {
		if seen[th.Name] {
			t.Errorf("theme %q listed twice", th.Name)
		}
		seen[th.Name] = true
		v := reflect.ValueOf(th.Palette)
		for i := 0; i < v.NumField(); i++ {
			if c := v.Field(i).String(); !hexColour.MatchString(c) {
				t.Errorf("%s: %s = %q is not #rrggbb", th.Name, v.Type().Field(i).Name, c)
			}
		}
		syntax := reflect.ValueOf(th.Syntax)
		for i := 0; i < syntax.NumField(); i++ {
			if c := syntax.Field(i).String(); !hexColour.MatchString(c) {
				t.Errorf("%s: Syntax.%s = %q is not #rrggbb", th.Name, syntax.Type().Field(i).Name, c)
			}
		}
	}
	if len(All()) < 4 {
		t.Errorf("want at least four themes, have %d", len(All()))
	}
	if !seen[Default] {
		t.Errorf("default theme %q is not in All()", Default)
	}
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"dark", "Light", " dracula ", "gruvbox", "mono"} {
		if _, err := Lookup(name); err != nil {
			t.Errorf("Lookup(%q): %v", name, err)
		}
	}
	if _, err := Lookup("neon"); err == nil {
		t.Error("Lookup(neon) should fail")
	}
}

func TestNext_CyclesThroughAll(t *testing.T) {
	name := Default
	visited := map[string]bool{}
	for range All() {
		th := Next(name)
		visited[th.Name] = true
		name = th.Name
	}
	if len(visited) != len(All()) || name != Default {
		t.Errorf("cycle visited %v and ended at %s", visited, name)
	}
}

func TestSyntaxStyle(t *testing.T) {
	for _, th := range append(All(), Mono()) {
		st := th.SyntaxStyle()
		if st.Name != th.Name {
			t.Errorf("%s: style named %q", th.Name, st.Name)
		}
		keyword, comment, str := st.Get(chroma.KeywordNamespace), st.Get(chroma.Comment), st.Get(chroma.LiteralStringDouble)
		if comment.Italic != chroma.Yes {
			t.Errorf("%s: comments are not italic", th.Name)
		}
		if th.Mono {
			if keyword.Colour.IsSet() || str.Colour.IsSet() || keyword.Bold != chroma.Yes {
				t.Errorf("mono: keyword %v, string %v: want no colour and bold keywords", keyword, str)
			}
			continue
		}
		// Sub-kinds inherit: "import" is a KeywordNamespace, "x" a StringDouble.
		if keyword.Colour.String() != th.Syntax.Keyword || str.Colour.String() != th.Syntax.String {
			t.Errorf("%s: keyword %s, string %s, want %s and %s", th.Name, keyword.Colour, str.Colour,
				th.Syntax.Keyword, th.Syntax.String)
		}
	}
}
