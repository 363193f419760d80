package runtimes

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
)

// The build recipes are embedded so that any wasmplay binary can tell
// whether bin/ was built by the recipe it was compiled with.
//
//go:embed build/toolchain.sh build/python.sh build/python-wasi.patch build/python-reactor.c build/python-reactor.mk build/pack_stdlib.py build/quickjs.sh build/quickjs-wasi.patch build/qjs-reactor.c
var recipeFS embed.FS

// recipeFiles lists, per runtime, the files (under runtimes/) that define
// how it is built: flags, patches and pinned choices. Orchestration
// (build.sh, lib.sh, debian.sh) is not part of a recipe: it decides where
// things come from and go, not what is built. Source versions are not part
// of the recipe either: they are the other half of the cache key.
var recipeFiles = map[string][]string{
	Python: {"build/toolchain.sh", "build/python.sh", "build/python-wasi.patch", "build/python-reactor.c",
		"build/python-reactor.mk", "build/pack_stdlib.py"},
	JavaScript: {"build/toolchain.sh", "build/quickjs.sh", "build/quickjs-wasi.patch", "build/qjs-reactor.c"},
}

// recipeHashVersion changes if the way the recipe hash is computed changes.
const recipeHashVersion = "wasmplay-recipe-v1"

// RecipeFiles returns the files (relative to the runtimes package
// directory) whose contents make up the recipe of the named runtime.
func RecipeFiles(name string) ([]string, error) {
	files, ok := recipeFiles[name]
	if !ok {
		return nil, fmt.Errorf("recipe: no build recipe for runtime %q", name)
	}
	return append([]string(nil), files...), nil
}

// RecipeHash returns "sha256:<hex>" over the recipe files of the named
// runtime, as embedded in this binary: the name and contents of each file,
// in a fixed order. Any change to a flag, a patch or a pinned choice
// changes it, and so invalidates bin/ and the cache key.
func RecipeHash(name string) (string, error) {
	files, err := RecipeFiles(name)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", recipeHashVersion)
	for _, f := range files {
		data, err := recipeFS.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("recipe: read embedded %s: %w", f, err)
		}
		fmt.Fprintf(h, "%s\n%d\n", f, len(data))
		h.Write(data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
