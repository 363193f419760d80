package runtimes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"time"
)

// ManifestFile is the name of the manifest inside the bin directory.
const ManifestFile = "runtimes.json"

// ManifestSchema is the manifest layout version this package reads and
// writes. docs/RUNTIMES.md documents it.
const ManifestSchema = 1

// Manifest describes what `make runtimes` put into a bin directory: one
// entry per runtime, keyed by runtime name ("python", "javascript").
type Manifest struct {
	// Schema is ManifestSchema.
	Schema int `json:"schema"`
	// Runtimes holds one entry per built runtime.
	Runtimes map[string]*ManifestEntry `json:"runtimes"`
}

// ManifestEntry describes one built runtime: where it came from, how it was
// built, and the artifacts that make it up. The same record is kept as
// entry.json next to the build in the cache.
type ManifestEntry struct {
	// Runtime is the runtime name ("python").
	Runtime string `json:"runtime"`
	// Source is the Debian source package the runtime is built from.
	Source Package `json:"source"`
	// Inputs are the other Debian packages that went into the build
	// (zlib, sqlite3, wasi-libc).
	Inputs []Package `json:"inputs"`
	// RecipeHash identifies the recipe (RecipeHash) the build followed.
	RecipeHash string `json:"recipe_hash"`
	// CacheKey names the build in the cache: a hash of the recipe hash and
	// the versions of Source and Inputs.
	CacheKey string `json:"cache_key"`
	// Options records the pinned choices of the recipe (stdlib layout, ...).
	Options map[string]string `json:"options,omitempty"`
	// Artifacts are the files and trees installed under the bin directory.
	Artifacts []Artifact `json:"artifacts"`
	// Toolchain describes the compiler used.
	Toolchain Toolchain `json:"toolchain"`
	// BuiltAt is when the build started (UTC).
	BuiltAt time.Time `json:"built_at"`
	// BuildSeconds is how long the build took, verification included.
	BuildSeconds float64 `json:"build_seconds"`
	// Steps are the build steps with their durations, in order.
	Steps []Step `json:"steps,omitempty"`
}

// Package is a Debian package at an exact version.
type Package struct {
	// Name is the package name ("python3.13").
	Name string `json:"name"`
	// Version is the exact Debian version ("3.13.5-2+deb13u5").
	Version string `json:"version"`
	// Suite is the Debian suite it came from ("trixie").
	Suite string `json:"suite"`
	// Orig is the file name of the orig tarball used, for source packages.
	Orig string `json:"orig,omitempty"`
	// OrigSHA256 is the hex sha256 of that tarball.
	OrigSHA256 string `json:"orig_sha256,omitempty"`
}

// Artifact kinds.
const (
	// ArtifactFile is a single file; SHA256 is the file's digest.
	ArtifactFile = "file"
	// ArtifactTree is a directory; SHA256 is its TreeSHA256.
	ArtifactTree = "tree"
)

// Artifact is one installed file or directory tree.
type Artifact struct {
	// Path is relative to the bin directory, with forward slashes.
	Path string `json:"path"`
	// Kind is ArtifactFile or ArtifactTree.
	Kind string `json:"kind"`
	// SHA256 is the hex digest (TreeSHA256 for a tree).
	SHA256 string `json:"sha256"`
	// Size is the size in bytes (the sum of the files for a tree).
	Size int64 `json:"size"`
	// Files is the number of files of a tree (zero for a file).
	Files int `json:"files,omitempty"`
}

// Toolchain describes the compiler a runtime was built with.
type Toolchain struct {
	// Clang is the first line of `clang --version`.
	Clang string `json:"clang"`
}

// Step is one timed build step.
type Step struct {
	// Name names the step ("wasi-python").
	Name string `json:"name"`
	// Seconds is how long it took.
	Seconds float64 `json:"seconds"`
}

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate checks that the entry is complete and that its artifact paths
// stay inside the bin directory.
func (e *ManifestEntry) Validate() error {
	switch {
	case e.Runtime == "":
		return errors.New("entry has no runtime name")
	case e.Source.Name == "" || e.Source.Version == "":
		return fmt.Errorf("entry %s: no source package and version", e.Runtime)
	case e.RecipeHash == "":
		return fmt.Errorf("entry %s: no recipe hash", e.Runtime)
	case len(e.Artifacts) == 0:
		return fmt.Errorf("entry %s: no artifacts", e.Runtime)
	}
	for _, a := range e.Artifacts {
		if !filepath.IsLocal(a.Path) || path.Clean(a.Path) != a.Path {
			return fmt.Errorf("entry %s: artifact path %q is not a clean path inside the bin directory", e.Runtime, a.Path)
		}
		if a.Kind != ArtifactFile && a.Kind != ArtifactTree {
			return fmt.Errorf("entry %s: artifact %s has unknown kind %q", e.Runtime, a.Path, a.Kind)
		}
		if !hexSHA256.MatchString(a.SHA256) {
			return fmt.Errorf("entry %s: artifact %s has no valid sha256", e.Runtime, a.Path)
		}
	}
	return nil
}

// ParseManifest decodes and validates a manifest.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("parse manifest: %w", err)
	}
	if m.Schema != ManifestSchema {
		return nil, fmt.Errorf("parse manifest: schema %d, this wasmplay reads schema %d", m.Schema, ManifestSchema)
	}
	for name, e := range m.Runtimes {
		if e == nil {
			return nil, fmt.Errorf("parse manifest: runtime %q has an empty entry", name)
		}
		if e.Runtime != name {
			return nil, fmt.Errorf("parse manifest: entry under %q is for runtime %q", name, e.Runtime)
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("parse manifest: %w", err)
		}
	}
	return &m, nil
}

// ReadManifest reads binDir/runtimes.json. A missing manifest gives an error
// that matches os.ErrNotExist.
func ReadManifest(binDir string) (*Manifest, error) {
	p := filepath.Join(binDir, ManifestFile)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return m, nil
}

// WriteManifest writes m to binDir/runtimes.json atomically: a reader sees
// the old manifest or the new one, never a part.
func WriteManifest(binDir string, m *Manifest) error {
	m.Schema = ManifestSchema
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return WriteFileAtomic(filepath.Join(binDir, ManifestFile), append(data, '\n'))
}

// WriteFileAtomic writes data to a temporary file next to path, syncs it and
// renames it over path.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
