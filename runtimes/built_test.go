package runtimes

import (
	"path/filepath"
	"testing"

	"github.com/wasmplay/wasmplay/internal/testenv"
)

// builtBin is the repository's bin directory.
var builtBin = testenv.BinDir()

// requireBuilt fails (under WASMPLAY_REQUIRE_RUNTIMES) or skips the test
// when `make runtimes` has not run.
func requireBuilt(t *testing.T) {
	t.Helper()
	testenv.Need(t, filepath.Join(builtBin, ManifestFile), "bin/", "make runtimes")
}

// TestBuilt_ManifestMatchesFiles checks the real bin/: every runtime is
// there, its artifacts match the manifest's sha256 and size, and it was
// built by the current recipe.
func TestBuilt_ManifestMatchesFiles(t *testing.T) {
	requireBuilt(t)
	for _, st := range Verify(builtBin) {
		if st.State != Ready {
			t.Errorf("%s: %s: %s (fix: %s)", st.Runtime, st.State, st.Problem, st.Fix)
		}
	}
}

// TestBuilt_AreWASICommands checks the real interpreters with the same
// check a brought binary gets, and that Python's declared memory minimum is
// the one the runtime descriptor promises.
func TestBuilt_AreWASICommands(t *testing.T) {
	requireBuilt(t)
	reg, err := NewRegistry(builtBin, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range reg.All() {
		if rt.Kind != Interpreter {
			continue
		}
		path := reg.ArtifactPath(rt)
		if err := CheckWASICommand(path); err != nil {
			t.Errorf("%s: %v", rt.Name, err)
			continue
		}
		if rt.Reactor != "" {
			if err := CheckReactor(reg.ReactorPath(rt)); err != nil {
				t.Errorf("%s: %v", rt.Name, err)
			}
		}
		if rt.MinMemoryBytes == 0 {
			continue
		}
		m, err := ReadModuleFile(path)
		if err != nil {
			t.Fatal(err)
		}
		mem, _ := m.Export("memory")
		limits, ok := m.MemoryLimits(mem.Index)
		if !ok {
			t.Fatalf("%s: exported memory %d not found", rt.Name, mem.Index)
		}
		if got := limits.Min * WasmPageSize; got != rt.MinMemoryBytes {
			t.Errorf("%s: declared minimum memory is %d bytes, the descriptor says %d", rt.Name, got, rt.MinMemoryBytes)
		}
	}
}
