package runtimes

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const zeroSHA = "0000000000000000000000000000000000000000000000000000000000000000"

// sampleEntry returns a valid manifest entry for runtime name.
func sampleEntry(name string) *ManifestEntry {
	return &ManifestEntry{
		Runtime:    name,
		Source:     Package{Name: "quickjs", Version: "2025.04.26-1", Suite: "trixie", Orig: "quickjs_2025.04.26.orig.tar.xz", OrigSHA256: zeroSHA},
		Inputs:     []Package{{Name: "wasi-libc", Version: "0.0~git20241209.574b88d-2", Suite: "trixie"}},
		RecipeHash: "sha256:" + zeroSHA,
		CacheKey:   "0123456789abcdef",
		Artifacts:  []Artifact{{Path: "qjs.wasm", Kind: ArtifactFile, SHA256: zeroSHA, Size: 1}},
		Toolchain:  Toolchain{Clang: "Debian clang version 19.1.7 (3~deb12u1)"},
		BuiltAt:    time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC),
		Steps:      []Step{{Name: "compile", Seconds: 12.5}},
	}
}

func TestManifest_RoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := &Manifest{Runtimes: map[string]*ManifestEntry{JavaScript: sampleEntry(JavaScript)}}
	if err := WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	got, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema != ManifestSchema || !reflect.DeepEqual(got.Runtimes, m.Runtimes) {
		t.Errorf("read back %+v, want %+v", got, m)
	}
	// The atomic write leaves no temporary file behind.
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(files) != 1 || len(hidden) != 0 {
		t.Errorf("bin directory holds %v %v, want only %s", files, hidden, ManifestFile)
	}
}

func TestReadManifest_Missing(t *testing.T) {
	_, err := ReadManifest(t.TempDir())
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadManifest of an empty directory: %v, want os.ErrNotExist", err)
	}
}

func TestParseManifest(t *testing.T) {
	valid := `{"schema": 1, "runtimes": {"javascript": {"runtime": "javascript",
		"source": {"name": "quickjs", "version": "2025.04.26-1", "suite": "trixie"},
		"inputs": [], "recipe_hash": "sha256:x", "cache_key": "k",
		"artifacts": [{"path": "qjs.wasm", "kind": "file", "sha256": "` + zeroSHA + `", "size": 1}],
		"toolchain": {"clang": "c"}, "built_at": "2026-11-26T01:02:03Z", "build_seconds": 30}}}`
	tests := []struct {
		name    string
		data    string
		wantMsg string // empty: must parse
	}{
		{"valid", valid, ""},
		{"not JSON", "runtimes: yes", "parse manifest"},
		{"other schema", strings.Replace(valid, `"schema": 1`, `"schema": 2`, 1), "schema 2"},
		{"unknown field", strings.Replace(valid, `"schema": 1,`, `"schema": 1, "extra": true,`, 1), "unknown field"},
		{"entry under another name", strings.Replace(valid, `{"javascript": {"runtime": "javascript"`, `{"python": {"runtime": "javascript"`, 1), `under "python" is for runtime "javascript"`},
		{"null entry", `{"schema": 1, "runtimes": {"python": null}}`, "empty entry"},
		{"no source version", strings.Replace(valid, `"version": "2025.04.26-1"`, `"version": ""`, 1), "no source package"},
		{"no recipe hash", strings.Replace(valid, `"recipe_hash": "sha256:x"`, `"recipe_hash": ""`, 1), "no recipe hash"},
		{"no artifacts", strings.Replace(valid, `"artifacts": [{"path": "qjs.wasm", "kind": "file", "sha256": "`+zeroSHA+`", "size": 1}]`, `"artifacts": []`, 1), "no artifacts"},
		{"artifact outside bin", strings.Replace(valid, `"path": "qjs.wasm"`, `"path": "../qjs.wasm"`, 1), "not a clean path"},
		{"absolute artifact", strings.Replace(valid, `"path": "qjs.wasm"`, `"path": "/bin/qjs.wasm"`, 1), "not a clean path"},
		{"unclean artifact", strings.Replace(valid, `"path": "qjs.wasm"`, `"path": "python/../qjs.wasm"`, 1), "not a clean path"},
		{"unknown artifact kind", strings.Replace(valid, `"kind": "file"`, `"kind": "link"`, 1), `unknown kind "link"`},
		{"bad sha256", strings.Replace(valid, zeroSHA, "abc", 1), "no valid sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseManifest([]byte(tt.data))
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatal(err)
				}
				if e := m.Runtimes[JavaScript]; e == nil || e.Artifacts[0].Path != "qjs.wasm" || e.BuildSeconds != 30 {
					t.Errorf("parsed %+v", m.Runtimes[JavaScript])
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ParseManifest error = %v, want one mentioning %q", err, tt.wantMsg)
			}
		})
	}
}
