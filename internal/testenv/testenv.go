// Package testenv is what the project's tests share: where the built guest
// runtimes are, and the one rule for a test that needs something `make`
// builds: it fails under WASMPLAY_REQUIRE_RUNTIMES (as `make test` sets),
// and is skipped with the command that builds it otherwise.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/adrg/xdg"
	"github.com/wasmplay/wasmplay/run"
)

// RequireVar is the environment variable that turns a missing build into a
// test failure instead of a skip.
const RequireVar = "WASMPLAY_REQUIRE_RUNTIMES"

// Root is the repository's top directory, wherever the test runs from.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// BinDir is the repository's bin/ directory.
func BinDir() string { return filepath.Join(Root(), "bin") }

// CacheDir is the cache the tests share with the user's wasmplay (where
// compiled runtimes already are): where config.ResolveDirs puts it, which
// config's tests check. (This package imports nothing that imports the
// runtimes package, so that package's own tests can use it.)
func CacheDir() string {
	if dir := os.Getenv("WASMPLAY_CACHE_DIR"); dir != "" {
		return dir
	}
	return filepath.Join(xdg.CacheHome, "wasmplay")
}

// WAT returns one of the small WebAssembly text programs the tests share
// (sandbox/testdata, described in its README).
func WAT(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Root(), "sandbox", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Need fails (under RequireVar) or skips the test when path does not
// exist; what names it, build is the command that makes it.
func Need(t testing.TB, path, what, build string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv(RequireVar) != "" {
			t.Fatalf("%s is not built (run `%s`): %v", what, build, err)
		}
		t.Skipf("%s is not built (run `%s`)", what, build)
	}
}

// PolicyWith fills the limits p leaves zero with their defaults, so a
// test names only the limits it is about.
func PolicyWith(p run.Policy) run.Policy { return p.OrDefaults() }
