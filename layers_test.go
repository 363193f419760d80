package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/wasmplay/wasmplay/"

// layers says which of the project's packages each package may import:
// dependencies point down, front ends (cli, tui) sit on the playground,
// and only the sandbox (with the commands that build on it) touches
// wasmtime. docs/ARCHITECTURE.md draws the same picture.
var layers = map[string][]string{
	"run":                 {},
	"runtimes":            {"run", "hostfs"},
	"themes":              {},
	"textsafe":            {},
	"hostfs":              {"run"},
	"runtimes/codeblocks": {"runtimes"},
	"sessions":            {"run", "hostfs", "textsafe"},
	"demos":               {"run"},
	"guidance":            {"run", "runtimes"},
	"report":              {"run", "runtimes", "guidance", "textsafe"},
	"config":              {"run", "runtimes"},
	"runner":              {"run", "hostfs"},
	"workers":             {"run", "hostfs"},
	"sandbox/wasi":        {"hostfs"},
	"sandbox":             {"run", "runtimes", "hostfs", "sandbox/wasi"},
	"playground":          {"run", "runtimes", "runner", "sessions", "guidance", "demos", "hostfs"},
	"tui/editor":          {"themes"},
	"live":                {"run", "sessions", "playground"},
	"batch":               {"run", "runtimes", "runtimes/codeblocks", "playground", "sessions", "textsafe", "guidance", "hostfs"},
	"mcpserver":           {"run", "runtimes", "hostfs", "sessions", "report", "guidance", "config", "playground", "live", "textsafe"},
	"tui":                 {"run", "hostfs", "textsafe", "live", "runtimes", "runtimes/codeblocks", "sessions", "guidance", "report", "demos", "config", "playground", "themes", "tui/editor"},
	"cli":                 {"run", "textsafe", "batch", "mcpserver", "live", "runtimes", "runtimes/codeblocks", "hostfs", "sessions", "guidance", "report", "demos", "config", "runner", "workers", "sandbox", "playground", "themes", "tui"},
	"cmd/buildtool":       {"run", "runtimes", "config", "sandbox"},
	"cmd/benchreport":     {"run", "runtimes", "config", "sandbox", "runner", "workers", "playground", "sessions", "internal/mbpp"},
	"internal/testenv":    {"run"},
	"internal/mbpp":       {},
}

// noCgo are the packages that must build without a C toolchain: what
// renders, advises, records and schedules never links wasmtime.
var noCgo = []string{"run", "textsafe", "runtimes", "runtimes/codeblocks", "themes", "hostfs", "sessions", "demos", "guidance",
	"report", "config", "runner", "workers", "playground", "batch", "tui", "tui/editor"}

// goList runs `go list -f format pkgs...` and returns its lines.
func goList(t *testing.T, format string, pkgs ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-f", format}, pkgs...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

func TestLayers_ImportsPointDown(t *testing.T) {
	for _, line := range goList(t, "{{.ImportPath}} {{join .Imports \" \"}}", "./...") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		if pkg == strings.TrimSuffix(module, "/") {
			continue // the program itself: main.go calls cli
		}
		allowed, known := layers[pkg]
		if !known {
			t.Errorf("package %s is not in the layers table: place it (and in docs/ARCHITECTURE.md)", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			dep, ours := strings.CutPrefix(imp, module)
			if ours && !slices.Contains(allowed, dep) {
				t.Errorf("%s imports %s, which its layer does not allow", pkg, dep)
			}
		}
	}
}

func TestLayers_NoCgoAboveTheSandbox(t *testing.T) {
	var pkgs []string
	for _, p := range noCgo {
		pkgs = append(pkgs, "./"+p)
	}
	for _, line := range goList(t, "{{.ImportPath}} {{join .Deps \" \"}}", pkgs...) {
		fields := strings.Fields(line)
		for _, dep := range fields[1:] {
			if strings.HasPrefix(dep, "github.com/bytecodealliance/wasmtime-go") || dep == module+"sandbox" {
				t.Errorf("%s depends on %s: it must build and test without wasmtime and cgo", fields[0], dep)
			}
		}
	}
}
