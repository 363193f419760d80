package runtimes

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Guest and host paths of the pure-Python packages.
const (
	// PackagesDir is the bin subdirectory `make packages` fills.
	PackagesDir = "packages"
	// PackagesManifestFile is the manifest inside PackagesDir.
	PackagesManifestFile = "packages.json"
	// SitePackagesGuest is where the packages appear in the guest: CPython's
	// own site-packages, so site puts them on sys.path by itself.
	SitePackagesGuest = "/usr/local/lib/python3.13/site-packages"
)

// PackagesSchema is the layout version of packages.json.
const PackagesSchema = 1

// PackagesManifest describes bin/packages: which Debian packages were
// unpacked into site-packages, at which versions, with which files.
type PackagesManifest struct {
	// Schema is PackagesSchema.
	Schema int `json:"schema"`
	// Key names the build in the cache: the exact package versions and the
	// packages recipe.
	Key string `json:"key"`
	// BuiltAt is when the set was built (UTC).
	BuiltAt time.Time `json:"built_at"`
	// Suite is the Debian suite the packages came from.
	Suite string `json:"suite"`
	// Requested are the names asked for (the default set and additions);
	// the rest are their dependencies.
	Requested []string `json:"requested"`
	// Packages are the Debian packages unpacked, sorted by name.
	Packages []PythonPackage `json:"packages"`
}

// PythonPackage is one Debian python3-* package in site-packages.
type PythonPackage struct {
	// Name is the Debian package name ("python3-yaml").
	Name string `json:"name"`
	// Version is its exact Debian version.
	Version string `json:"version"`
	// Modules are the top-level modules it provides ("yaml").
	Modules []string `json:"modules"`
	// Dropped lists optional compiled speedups removed (the package runs
	// its pure-Python fallback instead).
	Dropped []string `json:"dropped,omitempty"`
	// Files are its files under site-packages, with their digests.
	Files []PackageFile `json:"files"`
}

// PackageFile is one file of a package.
type PackageFile struct {
	// Path is relative to site-packages, with forward slashes.
	Path string `json:"path"`
	// SHA256 is the hex digest.
	SHA256 string `json:"sha256"`
	// Size is in bytes.
	Size int64 `json:"size"`
}

// ReadPackages reads the packages manifest under binDir. A bin directory
// without packages gives an error wrapping fs.ErrNotExist.
func ReadPackages(binDir string) (*PackagesManifest, error) {
	return ReadPackagesManifest(filepath.Join(binDir, PackagesDir))
}

// ReadPackagesManifest reads dir/packages.json.
func ReadPackagesManifest(dir string) (*PackagesManifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, PackagesManifestFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("packages: none are installed in %s (make packages): %w", dir, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("packages: %w", err)
	}
	var m PackagesManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("packages: %s: %w", filepath.Join(dir, PackagesManifestFile), err)
	}
	if m.Schema != PackagesSchema {
		return nil, fmt.Errorf("packages: %s has schema %d, this wasmplay reads %d (make packages rebuilds it)",
			filepath.Join(dir, PackagesManifestFile), m.Schema, PackagesSchema)
	}
	return &m, nil
}

// WritePackagesManifest writes dir/packages.json atomically.
func WritePackagesManifest(dir string, m *PackagesManifest) error {
	sort.Slice(m.Packages, func(i, j int) bool { return m.Packages[i].Name < m.Packages[j].Name })
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("packages: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dir, PackagesManifestFile), append(data, '\n'))
}

// Modules returns every public top-level module the packages provide,
// sorted: what code imports besides the standard library (private helpers
// such as _yaml are left out).
func (m *PackagesManifest) Modules() []string {
	var out []string
	for _, p := range m.Packages {
		for _, mod := range p.Modules {
			if !strings.HasPrefix(mod, "_") {
				out = append(out, mod)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Verify checks every file of the manifest under dir/site-packages.
func (m *PackagesManifest) Verify(dir string) error {
	site := filepath.Join(dir, "site-packages")
	for _, p := range m.Packages {
		for _, f := range p.Files {
			sum, size, err := FileSHA256(filepath.Join(site, filepath.FromSlash(f.Path)))
			if err != nil {
				return fmt.Errorf("packages: %s: %w", p.Name, err)
			}
			if sum != f.SHA256 || size != f.Size {
				return fmt.Errorf("packages: %s: %s differs from the manifest", p.Name, f.Path)
			}
		}
	}
	return nil
}
