package runtimes

import (
	"archive/zip"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// StdlibModules lists the top-level modules of Python's standard library
// as the runtime's library directory holds them (python313.zip, or a
// python3.13 directory), so a workspace file that would shadow one can be
// named. Built-in modules (sys, math, …) are left out: they are found
// before any file. It returns nil when rt is not Python or its library
// cannot be read.
func (reg *Registry) StdlibModules(rt *Runtime) map[string]bool {
	if rt.Name != Python || len(rt.Mounts) == 0 {
		return nil
	}
	lib := reg.MountHostPath(rt.Mounts[0])
	names := map[string]bool{}
	zips, _ := filepath.Glob(filepath.Join(lib, "python3*.zip"))
	for _, z := range zips {
		r, err := zip.OpenReader(z)
		if err != nil {
			continue
		}
		for _, f := range r.File {
			addModule(names, f.Name)
		}
		r.Close()
	}
	dirs, _ := filepath.Glob(filepath.Join(lib, "python3.*"))
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() {
				name += "/"
			}
			addModule(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return names
}

// addModule records the top-level module an entry of the library belongs
// to ("json/decoder.pyc" is json; "random.pyc" is random).
func addModule(names map[string]bool, entry string) {
	top, rest, isDir := strings.Cut(entry, "/")
	switch {
	case isDir && rest == "":
		if top != "site-packages" && top != "lib-dynload" && top != "__pycache__" && !strings.HasPrefix(top, "config-") {
			names[top] = true
		}
	case isDir:
		names[top] = true
	default:
		ext := path.Ext(top)
		if ext == ".py" || ext == ".pyc" {
			names[strings.TrimSuffix(top, ext)] = true
		}
	}
}

// ShadowedModule reports the standard-library module a workspace file
// (a path relative to /app) would stand in for in later Python runs,
// which import from /app before the standard library: "random.py" and
// "json/__init__.py" shadow random and json.
func ShadowedModule(stdlib map[string]bool, rel string) (string, bool) {
	var name string
	switch dir, base := path.Split(rel); {
	case dir == "" && strings.HasSuffix(base, ".py"):
		name = strings.TrimSuffix(base, ".py")
	case strings.Count(rel, "/") == 1 && base == "__init__.py":
		name = strings.TrimSuffix(dir, "/")
	default:
		return "", false
	}
	return name, stdlib[name] && name != "__main__"
}
