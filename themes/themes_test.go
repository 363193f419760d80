package themes

import (
	"reflect"
	"regexp"
	"testing"

	"github.com/alecthomas/chroma/v2/styles"
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
		if styles.Get(th.Chroma) == styles.Fallback && th.Chroma != "swapoff" {
			t.Errorf("%s: chroma style %q does not exist", th.Name, th.Chroma)
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
