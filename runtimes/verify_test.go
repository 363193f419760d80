package runtimes

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBin builds a bin directory with small stand-ins for the artifacts and
// a manifest that matches them and this binary's recipes.
func fakeBin(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	files := map[string]string{
		"python/python.wasm":         "python stand-in",
		"python/lib/python313.zip":   "stdlib stand-in",
		"qjs.wasm":                   "quickjs stand-in",
		"python/lib/python3.13/x.py": "print(1)\n",
	}
	for rel, content := range files {
		p := filepath.Join(bin, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := &Manifest{Runtimes: map[string]*ManifestEntry{}}
	for name, paths := range map[string][]string{
		Python:     {"python/python.wasm", "python/lib/python313.zip", "python/lib/python3.13"},
		JavaScript: {"qjs.wasm"},
	} {
		e := sampleEntry(name)
		recipe, err := RecipeHash(name)
		if err != nil {
			t.Fatal(err)
		}
		e.RecipeHash = recipe
		e.Artifacts = nil
		for _, p := range paths {
			a, err := HashArtifact(bin, p)
			if err != nil {
				t.Fatal(err)
			}
			e.Artifacts = append(e.Artifacts, a)
		}
		m.Runtimes[name] = e
	}
	if err := WriteManifest(bin, m); err != nil {
		t.Fatal(err)
	}
	return bin
}

// editManifest rewrites the manifest of bin through change.
func editManifest(t *testing.T, bin string, change func(*Manifest)) {
	t.Helper()
	m, err := ReadManifest(bin)
	if err != nil {
		t.Fatal(err)
	}
	change(m)
	if err := WriteManifest(bin, m); err != nil {
		t.Fatal(err)
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		spoil   func(t *testing.T, bin string)
		want    map[string]State
		problem string // substring of the spoiled runtime's Problem
	}{
		{
			name:  "fresh build",
			spoil: func(t *testing.T, bin string) {},
			want:  map[string]State{Python: Ready, JavaScript: Ready},
		},
		{
			name:    "no manifest",
			spoil:   func(t *testing.T, bin string) { os.Remove(filepath.Join(bin, ManifestFile)) },
			want:    map[string]State{Python: Missing, JavaScript: Missing},
			problem: "no manifest",
		},
		{
			name: "corrupt manifest",
			spoil: func(t *testing.T, bin string) {
				os.WriteFile(filepath.Join(bin, ManifestFile), []byte("{"), 0o644)
			},
			want:    map[string]State{Python: Missing, JavaScript: Missing},
			problem: "parse manifest",
		},
		{
			name: "runtime not in the manifest",
			spoil: func(t *testing.T, bin string) {
				editManifest(t, bin, func(m *Manifest) { delete(m.Runtimes, JavaScript) })
			},
			want:    map[string]State{Python: Ready, JavaScript: Missing},
			problem: "no entry for javascript",
		},
		{
			name:    "artifact deleted",
			spoil:   func(t *testing.T, bin string) { os.Remove(filepath.Join(bin, "qjs.wasm")) },
			want:    map[string]State{Python: Ready, JavaScript: Missing},
			problem: "artifact qjs.wasm is missing",
		},
		{
			name: "artifact changed, same size",
			spoil: func(t *testing.T, bin string) {
				os.WriteFile(filepath.Join(bin, "qjs.wasm"), []byte("quickjs stand-IN"), 0o644)
			},
			want:    map[string]State{Python: Ready, JavaScript: Modified},
			problem: "sha256",
		},
		{
			name: "artifact changed size",
			spoil: func(t *testing.T, bin string) {
				os.WriteFile(filepath.Join(bin, "python", "python.wasm"), []byte("longer python stand-in"), 0o644)
			},
			want:    map[string]State{Python: Modified, JavaScript: Ready},
			problem: "22 bytes, the manifest says 15",
		},
		{
			name: "file added to a tree artifact",
			spoil: func(t *testing.T, bin string) {
				os.WriteFile(filepath.Join(bin, "python", "lib", "python3.13", "y.py"), nil, 0o644)
			},
			want:    map[string]State{Python: Modified, JavaScript: Ready},
			problem: "python/lib/python3.13 has changed",
		},
		{
			name: "built by another recipe",
			spoil: func(t *testing.T, bin string) {
				editManifest(t, bin, func(m *Manifest) { m.Runtimes[Python].RecipeHash = "sha256:" + zeroSHA })
			},
			want:    map[string]State{Python: Outdated, JavaScript: Ready},
			problem: "built by recipe sha256:000000000000",
		},
		{
			name: "manifest does not list the interpreter",
			spoil: func(t *testing.T, bin string) {
				editManifest(t, bin, func(m *Manifest) { m.Runtimes[Python].Artifacts = m.Runtimes[Python].Artifacts[1:] })
			},
			want:    map[string]State{Python: Missing, JavaScript: Ready},
			problem: "lists no python/python.wasm",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := fakeBin(t)
			tt.spoil(t, bin)
			statuses := Verify(bin)
			if len(statuses) != len(tt.want) {
				t.Fatalf("Verify returned %d statuses, want %d", len(statuses), len(tt.want))
			}
			for _, st := range statuses {
				if st.State != tt.want[st.Runtime] {
					t.Errorf("%s: state %s (%s), want %s", st.Runtime, st.State, st.Problem, tt.want[st.Runtime])
					continue
				}
				if st.State == Ready {
					if st.Problem != "" || st.Fix != "" || st.Entry == nil {
						t.Errorf("%s: ready with problem %q, fix %q, entry %v", st.Runtime, st.Problem, st.Fix, st.Entry)
					}
					continue
				}
				if st.Fix != "make runtimes" {
					t.Errorf("%s: fix %q, want make runtimes", st.Runtime, st.Fix)
				}
				if !strings.Contains(st.Problem, tt.problem) {
					t.Errorf("%s: problem %q does not mention %q", st.Runtime, st.Problem, tt.problem)
				}
			}
		})
	}
}

func TestState_String(t *testing.T) {
	for s, want := range map[State]string{Ready: "ready", Missing: "missing", Modified: "modified", Outdated: "outdated", 9: "State(9)"} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}

func TestTreeSHA256(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"b.txt": "bee", "a/z.py": "zed", "a/b/c": ""}
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "empty"), 0o755) // empty directories do not count

	// The digest is sha256 over `sha256sum`-style lines sorted by path.
	line := func(content, rel string) string {
		sum := sha256.Sum256([]byte(content))
		return fmt.Sprintf("%s %s\n", hex.EncodeToString(sum[:]), rel)
	}
	listing := line("", "a/b/c") + line("zed", "a/z.py") + line("bee", "b.txt")
	want := sha256.Sum256([]byte(listing))

	sum, size, n, err := TreeSHA256(dir)
	if err != nil {
		t.Fatal(err)
	}
	if sum != hex.EncodeToString(want[:]) || size != 6 || n != 3 {
		t.Errorf("TreeSHA256 = %s, %d bytes, %d files; want %x, 6, 3", sum, size, n, want)
	}

	if err := os.Symlink("b.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := TreeSHA256(dir); err == nil || !strings.Contains(err.Error(), "neither a file nor a directory") {
		t.Errorf("TreeSHA256 with a symlink: %v, want an error", err)
	}
}

func TestVerifyArtifact_Missing(t *testing.T) {
	err := VerifyArtifact(t.TempDir(), Artifact{Path: "qjs.wasm", Kind: ArtifactFile, SHA256: zeroSHA})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("VerifyArtifact of a missing file: %v, want os.ErrNotExist", err)
	}
}
