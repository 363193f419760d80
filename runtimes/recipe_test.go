package runtimes

import (
	"os"
	"regexp"
	"sort"
	"testing"
)

// orchestration lists the files of runtimes/build that decide where things
// come from and go, not what is built: they are in no recipe hash. The
// packages recipe (packages.sh) builds no runtime: it is keyed on its own.
var orchestration = []string{"build/build.sh", "build/debian.sh", "build/lib.sh", "build/packages.sh"}

func TestRecipeHash(t *testing.T) {
	py, err := RecipeHash(Python)
	if err != nil {
		t.Fatal(err)
	}
	js, err := RecipeHash(JavaScript)
	if err != nil {
		t.Fatal(err)
	}
	valid := regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	for _, h := range []string{py, js} {
		if !valid.MatchString(h) {
			t.Errorf("recipe hash %q is not sha256:<64 hex>", h)
		}
	}
	if py == js {
		t.Error("python and javascript have the same recipe hash")
	}
	again, _ := RecipeHash(Python)
	if again != py {
		t.Errorf("RecipeHash(python) changed between calls: %s, %s", py, again)
	}
	if _, err := RecipeHash(WAT); err == nil {
		t.Error("RecipeHash(wat) gave no error: wat has no binary to build")
	}
}

// TestRecipeFiles_CoverTheTree checks that every file of runtimes/build is
// either in a recipe or known orchestration, so that a new recipe file
// cannot be left out of the hash by mistake.
func TestRecipeFiles_CoverTheTree(t *testing.T) {
	known := map[string]bool{}
	for _, f := range orchestration {
		known[f] = true
	}
	for _, name := range []string{Python, JavaScript} {
		files, err := RecipeFiles(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			known[f] = true
		}
	}
	entries, err := os.ReadDir("build")
	if err != nil {
		t.Fatal(err)
	}
	var unknown []string
	for _, e := range entries {
		if f := "build/" + e.Name(); !known[f] {
			unknown = append(unknown, f)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("runtimes/build holds files in no recipe and not listed as orchestration: %v "+
			"(add them to recipeFiles in recipe.go, or to orchestration here)", unknown)
	}
}
