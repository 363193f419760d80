package runtimes

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
)

// WASIModule is the module a WASI preview1 command imports the system from.
const WASIModule = "wasi_snapshot_preview1"

// HostModule is wasmplay's own import module, and HostFuelTick its one
// function, () -> (): a guest that calls it now and then (CPython's eval
// loop, see build/python-wasi.patch) has its fuel count seen live, and is
// stopped there, its count exact, when the run is canceled. A module may
// import it or not.
const (
	HostModule   = "wasmplay"
	HostFuelTick = "fuel_tick"
)

// NotCommandError reports a WebAssembly module that is not a WASI preview1
// command, with every reason found.
type NotCommandError struct {
	// Path is the file that was checked.
	Path string
	// Problems says what is wrong, one entry per problem.
	Problems []string
}

// Error names the file and every problem.
func (e *NotCommandError) Error() string {
	return fmt.Sprintf("%s is not a WASI preview1 command: %s", e.Path, strings.Join(e.Problems, "; "))
}

// CheckWASICommand checks that path is a WebAssembly core module that
// wasmplay can run as a WASI preview1 command: it exports a function
// "_start" and a memory "memory", and imports only from
// wasi_snapshot_preview1 (and wasmplay's fuel tick). The error names what is wrong: a missing file,
// not WebAssembly at all, malformed, a component, or a *NotCommandError
// listing every problem.
func CheckWASICommand(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("check WASI command: no such file %s: %w", path, fs.ErrNotExist)
		}
		return fmt.Errorf("check WASI command: %w", err)
	}
	if info.IsDir() {
		return fmt.Errorf("check WASI command: %s is a directory, not a .wasm file", path)
	}
	m, err := ReadModuleFile(path)
	if err != nil {
		return fmt.Errorf("check WASI command: %w", err)
	}
	if problems := commandProblems(m); len(problems) > 0 {
		return &NotCommandError{Path: path, Problems: problems}
	}
	return nil
}

// CheckReactor reports whether the file at path is a WASI preview1 reactor
// the runner can snapshot: the functions _initialize, wasmplay_init and
// wasmplay_run (see runtimes/build/python-reactor.c), an exported memory
// and nothing imported but WASI (and wasmplay's fuel tick).
func CheckReactor(path string) error {
	m, err := ReadModuleFile(path)
	if err != nil {
		return fmt.Errorf("check reactor: %w", err)
	}
	var problems []string
	for _, name := range []string{"_initialize", "wasmplay_init", "wasmplay_run"} {
		exp, ok := m.Export(name)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("no %q function export", name))
		case exp.Kind != KindFunc:
			problems = append(problems, fmt.Sprintf("%q is exported as a %s, not a function", name, exp.Kind))
		}
	}
	problems = append(problems, hostProblems(m)...)
	if len(problems) > 0 {
		return fmt.Errorf("check reactor: %s: %s", path, strings.Join(problems, "; "))
	}
	return nil
}

// commandProblems lists why m is not a WASI preview1 command (nil if it is).
func commandProblems(m *Module) []string {
	var problems []string

	start, ok := m.Export("_start")
	switch {
	case !ok && hasExport(m, "_initialize"):
		problems = append(problems, `it is a WASI reactor (exports "_initialize"), not a command: no "_start" export`)
	case !ok:
		problems = append(problems, `no "_start" function export`)
	case start.Kind != KindFunc:
		problems = append(problems, fmt.Sprintf(`"_start" is exported as a %s, not a function`, start.Kind))
	}

	return append(problems, hostProblems(m)...)
}

// hostProblems lists why wasmplay cannot host m: no exported memory, or
// imports from anything but WASI preview1 and wasmplay's fuel tick.
func hostProblems(m *Module) []string {
	var problems []string
	mem, ok := m.Export("memory")
	switch {
	case !ok:
		problems = append(problems, `no exported memory named "memory"`)
	case mem.Kind != KindMemory:
		problems = append(problems, fmt.Sprintf(`"memory" is exported as a %s, not a memory`, mem.Kind))
	}

	// Group foreign imports by module, to name each module once.
	foreign := map[string][]string{}
	for _, imp := range m.Imports {
		if imp.Module != WASIModule && (imp.Module != HostModule || imp.Name != HostFuelTick) {
			foreign[imp.Module] = append(foreign[imp.Module], imp.Name)
		}
	}
	modules := make([]string, 0, len(foreign))
	for mod := range foreign {
		modules = append(modules, mod)
	}
	sort.Strings(modules)
	for _, mod := range modules {
		problems = append(problems, foreignImportProblem(mod, foreign[mod]))
	}
	return problems
}

// foreignImportProblem describes imports from a module other than
// wasi_snapshot_preview1, with a hint for the usual suspects.
func foreignImportProblem(module string, names []string) string {
	shown := names
	if len(shown) > 3 {
		shown = append(shown[:3:3], fmt.Sprintf("and %d more", len(names)-3))
	}
	what := fmt.Sprintf("imports from %q (%s)", module, strings.Join(shown, ", "))
	switch {
	case module == "wasi_unstable":
		return what + ": that is the older WASI snapshot 0; rebuild for wasm32-wasip1"
	case strings.HasPrefix(module, "wasi:"):
		return what + ": that is WASI preview 2; rebuild for wasm32-wasip1"
	case module == HostModule:
		return what + ": wasmplay provides only " + HostFuelTick + " there"
	case module == "env":
		return what + ": host functions of another embedder (Emscripten?); wasmplay provides only " + WASIModule
	default:
		return what + ": wasmplay provides only " + WASIModule
	}
}

func hasExport(m *Module, name string) bool {
	_, ok := m.Export(name)
	return ok
}
