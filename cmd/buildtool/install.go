package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/runtimes"
)

// entryFile is the name of a build's manifest entry in its cache directory.
const entryFile = "entry.json"

// listFlag collects a repeated string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// installRoots are the top-level names under bin/ that a runtime owns: the
// first element of its artifact path ("python" for python/python.wasm,
// "qjs.wasm" for qjs.wasm) and of its reactor's, when that is another
// ("qjs-reactor.wasm"). Installing replaces each as a whole.
func installRoots(name string) ([]string, error) {
	reg, err := runtimes.NewRegistry("bin", nil)
	if err != nil {
		return nil, err
	}
	rt, err := reg.Lookup(name)
	if err != nil {
		return nil, err
	}
	if rt.Kind != runtimes.Interpreter || rt.Artifact == "" {
		return nil, fmt.Errorf("runtime %s has no binary", rt.Name)
	}
	root, _, _ := strings.Cut(rt.Artifact, "/")
	roots := []string{root}
	if reactor, _, _ := strings.Cut(rt.Reactor, "/"); reactor != "" && reactor != root {
		roots = append(roots, reactor)
	}
	return roots, nil
}

// underAny says whether the slash path p is one of roots or inside one.
func underAny(p string, roots []string) bool {
	for _, root := range roots {
		if under(p, root) {
			return true
		}
	}
	return false
}

// under says whether the slash path p is root or inside it.
func under(p, root string) bool {
	return p == root || strings.HasPrefix(p, root+"/")
}

func cmdEntry(args []string) error {
	fs := flag.NewFlagSet("entry", flag.ExitOnError)
	dir := fs.String("dir", "", "the fresh build, laid out like bin/")
	name := fs.String("runtime", "", "runtime name")
	orig := fs.String("orig", "", "the main orig tarball")
	suite := fs.String("suite", "", "Debian suite of the packages")
	recipe := fs.String("recipe-hash", "", "recipe hash")
	key := fs.String("cache-key", "", "cache key")
	clang := fs.String("clang", "", "compiler version line")
	started := fs.Int64("started", 0, "build start, Unix seconds")
	seconds := fs.Float64("seconds", 0, "build duration")
	stepsFile := fs.String("steps", "", `file of "NAME SECONDS" lines`)
	var artifacts, inputs, options listFlag
	fs.Var(&artifacts, "artifact", "artifact path relative to DIR (repeat)")
	fs.Var(&inputs, "input", "PACKAGE=VERSION, the main source package first (repeat)")
	fs.Var(&options, "option", "KEY=VALUE pinned choice (repeat)")
	fs.Parse(args)
	if *dir == "" || *name == "" || len(artifacts) == 0 || len(inputs) == 0 {
		return errors.New("usage: entry -dir DIR -runtime NAME -input PKG=VER... -artifact PATH... [...]")
	}

	e := &runtimes.ManifestEntry{
		Runtime:      *name,
		RecipeHash:   *recipe,
		CacheKey:     *key,
		Toolchain:    runtimes.Toolchain{Clang: *clang},
		BuiltAt:      time.Unix(*started, 0).UTC(),
		BuildSeconds: *seconds,
	}
	for i, in := range inputs {
		pkg, version, ok := strings.Cut(in, "=")
		if !ok {
			return fmt.Errorf("-input %q: want PACKAGE=VERSION", in)
		}
		p := runtimes.Package{Name: pkg, Version: version, Suite: *suite}
		if i == 0 {
			if *orig != "" {
				sum, _, err := runtimes.FileSHA256(*orig)
				if err != nil {
					return err
				}
				p.Orig, p.OrigSHA256 = filepath.Base(*orig), sum
			}
			e.Source = p
			continue
		}
		e.Inputs = append(e.Inputs, p)
	}
	for _, opt := range options {
		k, v, ok := strings.Cut(opt, "=")
		if !ok {
			return fmt.Errorf("-option %q: want KEY=VALUE", opt)
		}
		if e.Options == nil {
			e.Options = map[string]string{}
		}
		e.Options[k] = v
	}
	for _, p := range artifacts {
		a, err := runtimes.HashArtifact(*dir, p)
		if err != nil {
			return err
		}
		e.Artifacts = append(e.Artifacts, a)
	}
	if *stepsFile != "" {
		steps, err := readSteps(*stepsFile)
		if err != nil {
			return err
		}
		e.Steps = steps
	}
	if err := e.Validate(); err != nil {
		return err
	}
	if err := checkCoverage(*dir, e); err != nil {
		return err
	}
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return runtimes.WriteFileAtomic(filepath.Join(*dir, entryFile), append(data, '\n'))
}

// checkCoverage makes sure that everything under the runtime's install
// root in dir belongs to an artifact, so nothing unverified gets installed.
func checkCoverage(dir string, e *runtimes.ManifestEntry) error {
	roots, err := installRoots(e.Runtime)
	if err != nil {
		return err
	}
	for _, a := range e.Artifacts {
		if !underAny(a.Path, roots) {
			return fmt.Errorf("artifact %s is outside %s, the part of bin/ that %s owns", a.Path,
				strings.Join(roots, " and "), e.Runtime)
		}
	}
	for _, root := range roots {
		if err := checkRootCoverage(dir, root, e); err != nil {
			return err
		}
	}
	return nil
}

// checkRootCoverage is checkCoverage for one install root.
func checkRootCoverage(dir, root string, e *runtimes.ManifestEntry) error {
	return filepath.WalkDir(filepath.Join(dir, root), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		for _, a := range e.Artifacts {
			if under(rel, a.Path) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() && under(a.Path, rel) {
				return nil // a directory on the way to an artifact
			}
		}
		return fmt.Errorf("%s is in the build but in no artifact: list it, or leave it out of the build", rel)
	})
}

func readSteps(path string) ([]runtimes.Step, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read steps: %w", err)
	}
	defer f.Close()
	var steps []runtimes.Step
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, secs, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(secs, 64)
		if err != nil {
			return nil, fmt.Errorf("read steps: %s: %q: %w", path, sc.Text(), err)
		}
		steps = append(steps, runtimes.Step{Name: name, Seconds: v})
	}
	return steps, sc.Err()
}

// readEntry reads and validates dir/entry.json.
func readEntry(dir string) (*runtimes.ManifestEntry, error) {
	data, err := os.ReadFile(filepath.Join(dir, entryFile))
	if err != nil {
		return nil, fmt.Errorf("read cache entry: %w", err)
	}
	var e runtimes.ManifestEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("read cache entry %s: %w", dir, err)
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("cache entry %s: %w", dir, err)
	}
	return &e, nil
}

// verifyEntryDir checks every artifact of the entry in dir.
func verifyEntryDir(dir string) (*runtimes.ManifestEntry, error) {
	e, err := readEntry(dir)
	if err != nil {
		return nil, err
	}
	for _, a := range e.Artifacts {
		if err := runtimes.VerifyArtifact(dir, a); err != nil {
			return nil, fmt.Errorf("cache entry %s: %w", dir, err)
		}
	}
	return e, nil
}

func cmdVerifyEntry(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: verify-entry DIR")
	}
	_, err := verifyEntryDir(args[0])
	return err
}

// cmdInstall copies a cache entry into bin/: first into a staging directory
// inside bin/, where every artifact is verified again, then by renames, so
// bin/ never holds a half-written artifact; the manifest is written last.
func cmdInstall(args []string) error {
	fs := flag.NewFlagSet("install", flag.ExitOnError)
	bin := fs.String("bin", "bin", "bin directory")
	entryDir := fs.String("entry", "", "cache entry directory")
	fs.Parse(args)
	if *entryDir == "" {
		return errors.New("usage: install -bin DIR -entry DIR")
	}
	e, err := verifyEntryDir(*entryDir)
	if err != nil {
		return err
	}
	roots, err := installRoots(e.Runtime)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*bin, 0o755); err != nil {
		return err
	}
	staging, err := os.MkdirTemp(*bin, ".install-")
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	defer os.RemoveAll(staging)
	for _, root := range roots {
		if err := copyTree(filepath.Join(*entryDir, root), filepath.Join(staging, root)); err != nil {
			return fmt.Errorf("install: %w", err)
		}
	}
	for _, a := range e.Artifacts {
		if err := runtimes.VerifyArtifact(staging, a); err != nil {
			return fmt.Errorf("install: the copy in %s: %w", staging, err)
		}
	}
	for _, root := range roots {
		target := filepath.Join(*bin, root)
		if _, err := os.Lstat(target); err == nil {
			if err := os.Rename(target, filepath.Join(staging, "old-"+root)); err != nil {
				return fmt.Errorf("install: move the old %s aside: %w", target, err)
			}
		}
		if err := os.Rename(filepath.Join(staging, root), target); err != nil {
			return fmt.Errorf("install: %w", err)
		}
	}
	target := filepath.Join(*bin, roots[0])

	m, err := runtimes.ReadManifest(*bin)
	if err != nil {
		m = &runtimes.Manifest{} // none yet, or unreadable: start afresh
	}
	if m.Runtimes == nil {
		m.Runtimes = map[string]*runtimes.ManifestEntry{}
	}
	m.Runtimes[e.Runtime] = e
	if err := runtimes.WriteManifest(*bin, m); err != nil {
		return err
	}
	fmt.Printf("installed %s (%s %s) into %s\n", e.Runtime, e.Source.Name, e.Source.Version, target)
	return nil
}

// copyTree copies the file or directory src to dst, keeping permissions and
// modification times (timestamp-based .pyc files compare them).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case !info.Mode().IsRegular():
			return fmt.Errorf("copy %s: not a regular file", p)
		}
		if err := copyFile(p, target, info.Mode().Perm()); err != nil {
			return err
		}
		return os.Chtimes(target, info.ModTime(), info.ModTime())
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}
