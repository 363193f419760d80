package runtimes

import (
	"path/filepath"
	"testing"

	"github.com/wasmplay/wasmplay/internal/testenv"
)

func TestStdlibModules_FromTheBuiltLibrary(t *testing.T) {
	testenv.Need(t, filepath.Join(testenv.BinDir(), "python", "lib"), "the Python standard library", "make runtimes")
	reg, err := NewRegistry(testenv.BinDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := reg.Lookup("python")
	if err != nil {
		t.Fatal(err)
	}
	stdlib := reg.StdlibModules(rt)
	for _, name := range []string{"json", "random", "collections", "os", "asyncio"} {
		if !stdlib[name] {
			t.Errorf("%s missing from the standard library's modules", name)
		}
	}
	tests := []struct {
		rel      string
		shadowed string
	}{
		{"random.py", "random"},
		{"json/__init__.py", "json"},
		{"mymodule.py", ""},
		{"data/random.py", ""},
		{"random.txt", ""},
		{"_private.py", ""},
	}
	for _, tt := range tests {
		name, ok := ShadowedModule(stdlib, tt.rel)
		if (tt.shadowed != "") != ok || (ok && name != tt.shadowed) {
			t.Errorf("ShadowedModule(%q) = %q, %v; want %q", tt.rel, name, ok, tt.shadowed)
		}
	}
}
