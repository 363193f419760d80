package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/runtimes"
)

// TestTestdata_MatchesWat checks that every committed runtimes/testdata
// .wasm is what its .wat compiles to (regenerate: go run ./cmd/buildtool gen-testdata).
func TestTestdata_MatchesWat(t *testing.T) {
	files, err := watFiles(filepath.Join("..", "..", "runtimes", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		want, err := compileWat(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(strings.TrimSuffix(f, ".wat") + ".wasm")
		if err != nil {
			t.Errorf("%v (run: go run ./cmd/buildtool gen-testdata)", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s does not match its .wasm (run: go run ./cmd/buildtool gen-testdata)", f)
		}
	}
}

// stageBuild lays out a fake QuickJS build in a new directory, as build.sh
// leaves one before `entry`.
func stageBuild(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"qjs.wasm", "qjs-reactor.wasm"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content+" "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeEntry runs the entry command on a staged build.
func writeEntry(t *testing.T, dir string, extra ...string) error {
	t.Helper()
	steps := filepath.Join(t.TempDir(), "steps")
	os.WriteFile(steps, []byte("unpack 0.5\ncompile 20.25\n"), 0o644)
	recipe, err := runtimes.RecipeHash(runtimes.JavaScript)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{
		"-dir", dir, "-runtime", "javascript",
		"-input", "quickjs=2025.04.26-1", "-input", "wasi-libc=0.0~git20241209.574b88d-2",
		"-suite", "trixie", "-recipe-hash", recipe, "-cache-key", "0123456789abcdef",
		"-clang", "Debian clang version 19.1.7", "-started", "1795000000", "-seconds", "31",
		"-steps", steps, "-artifact", "qjs.wasm", "-artifact", "qjs-reactor.wasm",
	}, extra...)
	return cmdEntry(args)
}

func TestEntryAndInstall(t *testing.T) {
	entryDir := stageBuild(t, "quickjs v1")
	if err := writeEntry(t, entryDir); err != nil {
		t.Fatal(err)
	}
	e, err := verifyEntryDir(entryDir)
	if err != nil {
		t.Fatal(err)
	}
	if e.Source.Name != "quickjs" || len(e.Inputs) != 1 || e.Inputs[0].Name != "wasi-libc" ||
		len(e.Steps) != 2 || e.Steps[1].Seconds != 20.25 || !e.BuiltAt.Equal(time.Unix(1795000000, 0)) {
		t.Errorf("entry %+v", e)
	}

	bin := t.TempDir()
	if err := cmdInstall([]string{"-bin", bin, "-entry", entryDir}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"qjs.wasm", "qjs-reactor.wasm"} {
		if data, _ := os.ReadFile(filepath.Join(bin, name)); string(data) != "quickjs v1 "+name {
			t.Errorf("installed %s holds %q", name, data)
		}
	}
	m, err := runtimes.ReadManifest(bin)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Runtimes[runtimes.JavaScript]; got == nil || got.Artifacts[0].SHA256 != e.Artifacts[0].SHA256 {
		t.Errorf("manifest entry %+v", got)
	}

	// A second build replaces the first; nothing is left behind in bin/.
	entry2 := stageBuild(t, "quickjs v2")
	if err := writeEntry(t, entry2); err != nil {
		t.Fatal(err)
	}
	if err := cmdInstall([]string{"-bin", bin, "-entry", entry2}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"qjs.wasm", "qjs-reactor.wasm"} {
		if data, _ := os.ReadFile(filepath.Join(bin, name)); string(data) != "quickjs v2 "+name {
			t.Errorf("after the second install %s holds %q", name, data)
		}
	}
	names, _ := os.ReadDir(bin)
	if len(names) != 3 {
		t.Errorf("bin/ holds %d entries, want qjs.wasm, qjs-reactor.wasm and the manifest: %v", len(names), names)
	}

	// A corrupt cache entry is refused, and bin/ keeps what it had.
	os.WriteFile(filepath.Join(entryDir, "qjs.wasm"), []byte("quickjs v1 qjs.wasm damaged"), 0o644)
	err = cmdInstall([]string{"-bin", bin, "-entry", entryDir})
	if err == nil || !strings.Contains(err.Error(), "has changed") {
		t.Errorf("install of a damaged entry: %v, want a mismatch error", err)
	}
	if data, _ := os.ReadFile(filepath.Join(bin, "qjs.wasm")); string(data) != "quickjs v2 qjs.wasm" {
		t.Errorf("after the refused install qjs.wasm holds %q", data)
	}
}

func TestEntry_Refuses(t *testing.T) {
	tests := []struct {
		name    string
		stage   func(dir string)
		extra   []string
		wantMsg string
	}{
		{
			name:    "files of another runtime are ignored",
			stage:   func(dir string) { os.MkdirAll(filepath.Join(dir, "python"), 0o755) },
			wantMsg: "",
		},
		{
			name:    "artifact outside the runtime's part of bin",
			stage:   func(dir string) { os.WriteFile(filepath.Join(dir, "other.wasm"), nil, 0o644) },
			extra:   []string{"-artifact", "other.wasm"},
			wantMsg: "outside qjs.wasm and qjs-reactor.wasm",
		},
		{
			name:    "missing artifact",
			stage:   func(dir string) {},
			extra:   []string{"-artifact", "qjs2.wasm"},
			wantMsg: "qjs2.wasm",
		},
		{
			name:    "bad input",
			stage:   func(dir string) {},
			extra:   []string{"-input", "zlib"},
			wantMsg: "want PACKAGE=VERSION",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := stageBuild(t, "quickjs")
			tt.stage(dir)
			err := writeEntry(t, dir, tt.extra...)
			if tt.wantMsg == "" {
				// Files outside the runtime's install root are not its business.
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("entry error = %v, want one mentioning %q", err, tt.wantMsg)
			}
		})
	}
}

func TestCheckCoverage_Python(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"python/python.wasm", "python/lib/python313.zip", "python/lib/stray.txt"} {
		p := filepath.Join(dir, filepath.FromSlash(f))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(f), 0o644)
	}
	e := &runtimes.ManifestEntry{Runtime: runtimes.Python}
	for _, p := range []string{"python/python.wasm", "python/lib/python313.zip"} {
		a, err := runtimes.HashArtifact(dir, p)
		if err != nil {
			t.Fatal(err)
		}
		e.Artifacts = append(e.Artifacts, a)
	}
	err := checkCoverage(dir, e)
	if err == nil || !strings.Contains(err.Error(), "python/lib/stray.txt is in the build but in no artifact") {
		t.Errorf("checkCoverage = %v, want it to name the stray file", err)
	}
	os.Remove(filepath.Join(dir, "python", "lib", "stray.txt"))
	if err := checkCoverage(dir, e); err != nil {
		t.Errorf("checkCoverage of a covered build: %v", err)
	}
}
