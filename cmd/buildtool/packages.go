package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
)

// The Go half of `build.sh packages` (runtimes/build/packages.sh).

func init() {
	commands["packages-requested"] = command{"print the package names a packages directory was built from", cmdPackagesRequested}
	commands["packages-check"] = command{"exit 0 when a packages directory matches its manifest and KEY", cmdPackagesCheck}
	commands["packages-build"] = command{"merge unpacked packages into site-packages, compile, check, write the manifest", cmdPackagesBuild}
}

func cmdPackagesRequested(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: packages-requested DIR")
	}
	m, err := runtimes.ReadPackagesManifest(args[0])
	if err != nil {
		return err
	}
	for _, name := range m.Requested {
		fmt.Println(name)
	}
	return nil
}

func cmdPackagesCheck(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: packages-check DIR KEY")
	}
	m, err := runtimes.ReadPackagesManifest(args[0])
	if err != nil {
		return err
	}
	if m.Key != args[1] {
		return fmt.Errorf("built for key %s, want %s", m.Key, args[1])
	}
	return m.Verify(args[0])
}

// cmdPackagesBuild turns DIR/unpacked/<package>/ trees into
// DIR/site-packages: it merges them (a file provided twice is an error),
// compiles every module to .pyc with the guest Python (so runs import
// without recompiling), imports each top-level module in the sandbox, and
// writes DIR/packages.json.
func cmdPackagesBuild(args []string) error {
	fs := flag.NewFlagSet("packages-build", flag.ExitOnError)
	bin := fs.String("bin", "bin", "bin directory (for the Python runtime)")
	dir := fs.String("dir", "", "the build directory, holding unpacked/<package>/")
	key := fs.String("key", "", "the cache key")
	requested := fs.String("requested", "", "the names asked for, comma-separated")
	fs.Parse(args)
	if *dir == "" || *key == "" || fs.NArg() == 0 {
		return errors.New("usage: packages-build -bin BIN -dir DIR -key KEY -requested a,b PKG=VERSION...")
	}
	site := filepath.Join(*dir, "site-packages")
	if err := os.MkdirAll(site, 0o755); err != nil {
		return err
	}
	m := &runtimes.PackagesManifest{Schema: runtimes.PackagesSchema, Key: *key, BuiltAt: time.Now().UTC(), Suite: "trixie",
		Requested: splitNonEmpty(*requested, ",")}
	owner := map[string]string{} // file → package
	for _, arg := range fs.Args() {
		name, version, ok := strings.Cut(arg, "=")
		if !ok {
			return fmt.Errorf("%q: want PKG=VERSION", arg)
		}
		pkg, err := mergePackage(filepath.Join(*dir, "unpacked", name), site, name, owner)
		if err != nil {
			return err
		}
		pkg.Version = version
		m.Packages = append(m.Packages, pkg)
	}
	if err := os.RemoveAll(filepath.Join(*dir, "unpacked")); err != nil {
		return err
	}
	fmt.Printf("packages: %d Debian packages merged into %s\n", len(m.Packages), site)

	l, done, err := packagesLocal(*bin, site)
	if err != nil {
		return err
	}
	defer done()
	if err := compileSite(l, site); err != nil {
		return err
	}
	if err := importEach(l, m); err != nil {
		return err
	}
	// Record every file, .pyc included, now that they exist.
	for i := range m.Packages {
		if err := hashPackageFiles(site, &m.Packages[i], owner); err != nil {
			return err
		}
	}
	return runtimes.WritePackagesManifest(*dir, m)
}

// mergePackage moves one unpacked package into site, recording which files
// are its own and which top-level modules it provides.
func mergePackage(src, site, name string, owner map[string]string) (runtimes.PythonPackage, error) {
	pkg := runtimes.PythonPackage{Name: name}
	if data, err := os.ReadFile(src + ".dropped"); err == nil {
		pkg.Dropped = splitNonEmpty(string(data), "\n")
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return pkg, fmt.Errorf("%s: %w", name, err)
	}
	for _, e := range entries {
		n := e.Name()
		switch {
		case e.IsDir() && !strings.Contains(n, ".") && n != "__pycache__":
			pkg.Modules = append(pkg.Modules, n)
		case !e.IsDir() && strings.HasSuffix(n, ".py"):
			pkg.Modules = append(pkg.Modules, strings.TrimSuffix(n, ".py"))
		}
	}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dest := filepath.Join(site, rel)
		if d.IsDir() {
			return os.MkdirAll(dest, 0o755)
		}
		key := filepath.ToSlash(rel)
		if other, taken := owner[key]; taken {
			return fmt.Errorf("%s and %s both provide %s", other, name, key)
		}
		owner[key] = name
		return os.Rename(p, dest)
	})
	sort.Strings(pkg.Modules)
	return pkg, err
}

// packagesLocal is a runner whose Python sees site as its site-packages:
// a temporary bin directory links bin/python and site. done removes it.
func packagesLocal(bin, site string) (l *sandbox.Local, done func(), err error) {
	view, err := os.MkdirTemp("", "buildtool-bin-")
	if err != nil {
		return nil, nil, err
	}
	done = func() { os.RemoveAll(view) }
	link := func(target, name string) error {
		abs, err := filepath.Abs(target)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		return os.Symlink(abs, name)
	}
	if err := link(filepath.Join(bin, "python"), filepath.Join(view, "python")); err != nil {
		done()
		return nil, nil, err
	}
	if err := link(site, filepath.Join(view, runtimes.PackagesDir, "site-packages")); err != nil {
		done()
		return nil, nil, err
	}
	if l, err = newLocal(view); err != nil {
		done()
		return nil, nil, err
	}
	return l, done, nil
}

// compileSite compiles site-packages to .pyc inside the sandbox, with the
// guest paths recorded in the code objects (tracebacks name the files where
// runs see them).
func compileSite(l *sandbox.Local, site string) error {
	code := fmt.Sprintf(`import compileall, sys
ok = compileall.compile_dir("/app", quiet=1, ddir=%q, workers=1)
print("compiled" if ok else "some files did not compile")
`, runtimes.SitePackagesGuest)
	res := l.Execute(context.Background(), 1, run.Job{Runtime: runtimes.Python, Code: []byte(code), Workspace: site,
		Policy: run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: 20 * time.Minute, StdoutMaxBytes: 8 << 20}.OrDefaults()}, run.Hooks{})
	if res.Outcome != run.OutcomeOK {
		return fmt.Errorf("compiling site-packages: %s %s\n%s", res.Outcome, res.Message, clip(string(res.Stderr)))
	}
	fmt.Printf("packages: %s", res.Stdout)
	return nil
}

// importEach imports every public top-level module of every package in
// the sandbox; a module that does not import fails the build.
func importEach(l *sandbox.Local, m *runtimes.PackagesManifest) error {
	var modules []string
	for _, p := range m.Packages {
		for _, mod := range p.Modules {
			if !strings.HasPrefix(mod, "_") {
				modules = append(modules, mod)
			}
		}
	}
	code := fmt.Sprintf(`import importlib, sys, traceback
failed = []
for name in %s:
    try:
        importlib.import_module(name)
    except Exception as e:
        failed.append(name)
        print(name, "does not import:", type(e).__name__, e, file=sys.stderr)
print(len(%s) - len(failed), "of", len(%s), "modules import")
sys.exit(1 if failed else 0)
`, pyList(modules), pyList(modules), pyList(modules))
	ws, err := os.MkdirTemp("", "buildtool-ws-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(ws)
	res := l.Execute(context.Background(), 1, run.Job{Runtime: runtimes.Python, Code: []byte(code), Workspace: ws,
		Policy: run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: 5 * time.Minute}.OrDefaults()}, run.Hooks{})
	fmt.Printf("packages: %s", res.Stdout)
	if res.Outcome != run.OutcomeOK {
		return fmt.Errorf("importing the packages in the sandbox: %s\n%s", res.Outcome, clip(string(res.Stderr)))
	}
	return nil
}

// hashPackageFiles lists a package's files (its own, and the .pyc compiled
// from them) with their digests.
func hashPackageFiles(site string, p *runtimes.PythonPackage, owner map[string]string) error {
	p.Files = nil
	return filepath.WalkDir(site, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(site, path)
		key := filepath.ToSlash(rel)
		if owner[sourceOf(key)] != p.Name {
			return nil
		}
		sum, size, err := runtimes.FileSHA256(path)
		if err != nil {
			return err
		}
		p.Files = append(p.Files, runtimes.PackageFile{Path: key, SHA256: sum, Size: size})
		return nil
	})
}

// sourceOf maps a compiled file (pkg/__pycache__/mod.cpython-313.pyc) to
// its source (pkg/mod.py); other paths map to themselves.
func sourceOf(path string) string {
	dir, file := filepath.Split(path)
	if filepath.Base(dir) != "__pycache__" || !strings.HasSuffix(file, ".pyc") {
		return path
	}
	mod := strings.SplitN(file, ".", 2)[0]
	return filepath.ToSlash(filepath.Join(filepath.Dir(filepath.Clean(dir)), mod+".py"))
}

func pyList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

func splitNonEmpty(s, sep string) []string {
	var out []string
	for _, part := range strings.Split(s, sep) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
