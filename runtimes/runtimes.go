// Package runtimes describes the guest languages wasmplay can run: which
// WebAssembly binary under bin/ hosts each one, how the guest program is
// handed to it (argv, environment, read-only mounts), how its source is
// highlighted, and how the binary is built and verified.
//
// The package knows nothing of wasmtime: it is pure data plus the manifest
// and the checks that a .wasm file is a WASI command.
package runtimes

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Kind tells how a runtime turns the user's code into a running module.
type Kind int

const (
	// Interpreter runtimes run a prebuilt interpreter (.wasm) that reads the
	// user's code from a script file mounted read-only in the guest.
	Interpreter Kind = iota
	// WebAssemblyText runtimes compile the user's code (WAT) into the module
	// that runs; no prebuilt binary is needed.
	WebAssemblyText
)

// Names of the built-in runtimes.
const (
	Python     = "python"
	JavaScript = "javascript"
	WAT        = "wat"
)

// Default is the language code runs as when nothing names one.
const Default = Python

// ScriptDir is the guest directory (mounted read-only, private to one run)
// that holds the user's code as a file, so tracebacks can quote it.
const ScriptDir = "/code"

// WorkspaceDir is the guest path of the session workspace (read-write), also
// the guest's working directory.
const WorkspaceDir = "/app"

// PreludeDir is the guest directory (inside ScriptDir) holding a runtime's
// prelude: start-up code the interpreter loads before the user's script.
const PreludeDir = ScriptDir + "/.wasmplay"

// pythonPrelude is imported by CPython's site module at start-up
// (sitecustomize): WASI starts every program in "/", so it moves to the
// workspace, as a shell would have. The Python wasmplay builds does this in
// its main() (build/python-wasi.patch), at no cost; the prelude is for a
// python.wasm brought by the user (it costs ~20M fuel, ~3 ms per run).
const pythonPrelude = `# wasmplay prelude: start in the workspace, like a program run from a shell.
import os as _os
_os.chdir(_os.environ.get("PWD", "/app"))
del _os
`

// Starter code of an empty editor buffer, per language.
const (
	pythonStarter = `# Python 3.13 in a WebAssembly sandbox. F5 or ctrl+r runs it.
# /app is this session's workspace: files written there show up on the right.
print("hello from the sandbox")
`
	javascriptStarter = `// JavaScript (QuickJS) in a WebAssembly sandbox. F5 or ctrl+r runs it.
// std and os are globals; /app is this session's workspace.
const msg = "hello from the sandbox";
console.log(msg);
`
	watStarter = `;; WebAssembly text, run as a WASI command. F5 or ctrl+r runs it.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from the sandbox\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))   ;; iovec: text at 16
    (i32.store (i32.const 4) (i32.const 23))   ;;        23 bytes
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
`
)

// javascriptPrelude is included by qjs before the script (--include).
const javascriptPrelude = `// wasmplay prelude: start in the workspace, like a program run from a shell.
os.chdir(std.getenv("PWD") || "/app");
`

// Mount is a host directory made visible to the guest read-only.
type Mount struct {
	// Host is the host directory; relative paths are relative to the bin
	// directory the runtime was loaded from.
	Host string
	// Guest is the absolute guest path the directory appears at.
	Guest string
	// Optional mounts are skipped when the host directory does not exist
	// (the packages, which `make packages` builds).
	Optional bool
}

// Runtime describes one guest language.
type Runtime struct {
	// Name is the canonical name: "python", "javascript" or "wat".
	Name string
	// Aliases are other names accepted on the command line and as Markdown
	// fence tags ("py", "js", "node", ...).
	Aliases []string
	// Title is the human name shown in the UI ("Python 3.13").
	Title string
	// Kind says whether the runtime interprets a script or compiles WAT.
	Kind Kind
	// Artifact is the interpreter binary, relative to the bin directory
	// (empty for WebAssemblyText).
	Artifact string
	// Reactor is the same interpreter built as a WASI reactor (relative to
	// the bin directory), exporting wasmplay_init and wasmplay_run: the
	// runner initialises it once, keeps a snapshot of its memory and starts
	// runs from that instead of starting Artifact cold. Empty when the
	// runtime has none (then every run starts cold).
	Reactor string
	// StartEnv names the environment variables the interpreter reads only
	// while it initialises ("PYTHON*": a trailing * matches a prefix). A
	// run that sets one starts cold: the snapshot was made without it.
	StartEnv []string
	// RunEnv names variables of StartEnv the reactor's run step takes from
	// each run itself (PYTHONPATH: kept variables add the prelude to it).
	RunEnv []string
	// Mounts are read-only directories the interpreter needs (its stdlib).
	Mounts []Mount
	// Env is the environment the interpreter needs; it is always set and
	// never taken from the host.
	Env map[string]string
	// ScriptName is the file name the user's code is written to inside
	// ScriptDir ("main.py").
	ScriptName string
	// Prelude maps file names to contents the runner writes into
	// PreludeDir before every run; Launch makes the interpreter load them
	// first.
	Prelude map[string]string
	// Extensions are the file name extensions of the language's source
	// files, lower case with the dot (".py").
	Extensions []string
	// Starter is what an empty editor buffer of the language starts with.
	Starter string
	// Editing is how an editor treats the source: comments, strings,
	// indentation.
	Editing Editing
	// Lexer is the chroma lexer name used to highlight the source.
	Lexer string
	// MinMemoryBytes is the smallest linear memory the binary can start
	// with (its declared minimum), so a lower cap can be refused clearly.
	// Zero when unknown before loading the module.
	MinMemoryBytes uint64
	// BuildCommand is the one command that builds the artifact.
	BuildCommand string
	// Source names where the artifact comes from, for messages.
	Source string
}

// Editing is how an editor treats a language's source.
type Editing struct {
	// Comment starts a line comment ("#", "//", ";;").
	Comment string
	// Quotes open and close strings.
	Quotes string
	// BlockOpener ends a line that opens an indented block (":").
	BlockOpener string
	// OpenParens: a line with an unclosed "(" opens a block.
	OpenParens bool
	// DedentAfter are the words after which the next line is indented
	// one level less.
	DedentAfter []string
}

// ScriptPath is the guest path of the user's code file.
func (r *Runtime) ScriptPath() string {
	return ScriptDir + "/" + r.ScriptName
}

// builtins returns fresh descriptors of the built-in runtimes.
func builtins() []*Runtime {
	return []*Runtime{
		{
			Name:     Python,
			Aliases:  []string{"py", "python3", "py3", "python3.13"},
			Title:    "Python 3.13",
			Kind:     Interpreter,
			Artifact: "python/python.wasm",
			Reactor:  "python/python-reactor.wasm",
			// CPython's own variables, the locale, and HOME (the user
			// site-packages directory) are read by Py_Initialize.
			StartEnv: []string{"PYTHON*", "LC_*", "LANG", "LANGUAGE", "HOME"},
			RunEnv:   []string{"PYTHONPATH"},
			Mounts: []Mount{{Host: "python/lib", Guest: "/usr/local/lib"},
				// The packages `make packages` builds, where site looks.
				{Host: PackagesDir + "/site-packages", Guest: SitePackagesGuest, Optional: true}},
			Env: map[string]string{"PYTHONHOME": "/usr/local", "PYTHONPATH": WorkspaceDir,
				"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"},
			ScriptName: "main.py",
			Extensions: []string{".py"},
			Starter:    pythonStarter,
			Editing: Editing{Comment: "#", Quotes: "\"'", BlockOpener: ":",
				DedentAfter: []string{"return", "pass", "break", "continue", "raise"}},
			Lexer: "python",
			// CPython links with a 20 MiB initial memory.
			MinMemoryBytes: 20 << 20,
			BuildCommand:   "make runtimes",
			Source:         "Debian trixie source package python3.13",
		},
		{
			Name:           JavaScript,
			Aliases:        []string{"js", "node", "nodejs", "quickjs", "qjs", "ecmascript", "mjs", "cjs"},
			Title:          "JavaScript (QuickJS)",
			Kind:           Interpreter,
			Artifact:       "qjs.wasm",
			Reactor:        "qjs-reactor.wasm",
			ScriptName:     "main.js",
			Extensions:     []string{".js", ".mjs", ".cjs"},
			Starter:        javascriptStarter,
			Editing:        Editing{Comment: "//", Quotes: "\"'`"},
			Prelude:        map[string]string{"init.js": javascriptPrelude},
			Lexer:          "javascript",
			MinMemoryBytes: 0,
			BuildCommand:   "make runtimes",
			Source:         "Debian trixie source package quickjs",
		},
		{
			Name:       WAT,
			Aliases:    []string{"wast", "wasm", "wasm-text", "webassembly"},
			Title:      "WebAssembly text",
			Kind:       WebAssemblyText,
			ScriptName: "main.wat",
			Extensions: []string{".wat", ".wast", ".wasm"},
			Starter:    watStarter,
			Editing:    Editing{Comment: ";;", Quotes: "\"", OpenParens: true},
			Lexer:      "wast",
			Source:     "compiled from the editor with wasmtime's wat2wasm",
		},
	}
}

// Registry holds the runtimes known to one process, with the bin directory
// their artifacts are loaded from and any bring-your-own overrides.
type Registry struct {
	binDir   string
	runtimes []*Runtime
}

// Override points a runtime at a binary (and optionally a stdlib directory)
// brought by the user instead of the one under bin/.
type Override struct {
	// Wasm is the path of the WASI command to use.
	Wasm string
	// Home, for Python only, is a directory holding lib/python3.13 (or
	// lib/python313.zip), mounted read-only at /usr/local.
	Home string
}

// NewRegistry returns the built-in runtimes with artifacts under binDir.
// Overrides, keyed by runtime name, replace an interpreter's artifact.
func NewRegistry(binDir string, overrides map[string]Override) (*Registry, error) {
	abs, err := filepath.Abs(binDir)
	if err != nil {
		return nil, fmt.Errorf("runtimes: resolve bin directory %q: %w", binDir, err)
	}
	reg := &Registry{binDir: abs, runtimes: builtins()}
	names := make([]string, 0, len(overrides))
	for name := range overrides {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ov := overrides[name]
		rt, err := reg.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("runtimes: override: %w", err)
		}
		if rt.Kind != Interpreter {
			return nil, fmt.Errorf("runtimes: override: %s needs no binary", rt.Name)
		}
		if ov.Wasm == "" {
			return nil, fmt.Errorf("runtimes: override for %s: no .wasm path given", rt.Name)
		}
		wasm, err := filepath.Abs(ov.Wasm)
		if err != nil {
			return nil, fmt.Errorf("runtimes: override for %s: %w", rt.Name, err)
		}
		rt.Artifact = wasm
		rt.Reactor = ""
		rt.Source = "brought by the user: " + wasm
		rt.BuildCommand = ""
		if rt.Name == Python {
			// Only wasmplay's own build starts in PWD by itself.
			rt.Prelude = map[string]string{"sitecustomize.py": pythonPrelude}
			rt.Env["PYTHONPATH"] = PreludeDir + ":" + WorkspaceDir
		}
		if ov.Home != "" {
			if rt.Name != Python {
				return nil, fmt.Errorf("runtimes: override for %s: only python takes a home directory", rt.Name)
			}
			home, err := filepath.Abs(ov.Home)
			if err != nil {
				return nil, fmt.Errorf("runtimes: override for %s: %w", rt.Name, err)
			}
			rt.Mounts = []Mount{{Host: home, Guest: "/usr/local"}}
			// Packages built for wasmplay's Python are still offered.
			rt.Mounts = append(rt.Mounts, Mount{Host: filepath.Join(reg.binDir, PackagesDir, "site-packages"),
				Guest: SitePackagesGuest, Optional: true})
		}
	}
	return reg, nil
}

// BinDir is the absolute bin directory artifacts are loaded from.
func (reg *Registry) BinDir() string { return reg.binDir }

// All returns the runtimes in display order.
func (reg *Registry) All() []*Runtime { return reg.runtimes }

// Names returns the canonical runtime names in display order.
func (reg *Registry) Names() []string {
	names := make([]string, len(reg.runtimes))
	for i, rt := range reg.runtimes {
		names[i] = rt.Name
	}
	return names
}

// Lookup finds a runtime by name or alias, case-insensitively.
func (reg *Registry) Lookup(name string) (*Runtime, error) {
	if rt := find(reg.runtimes, name); rt != nil {
		return rt, nil
	}
	return nil, &UnknownRuntimeError{Name: name, Known: reg.Names()}
}

// ForPath returns the runtime of a source file by its extension.
func (reg *Registry) ForPath(path string) (*Runtime, bool) {
	rt := forPath(reg.runtimes, path)
	return rt, rt != nil
}

func find(all []*Runtime, name string) *Runtime {
	want := strings.ToLower(strings.TrimSpace(name))
	for _, rt := range all {
		if rt.Name == want || slices.Contains(rt.Aliases, want) {
			return rt
		}
	}
	return nil
}

func forPath(all []*Runtime, path string) *Runtime {
	ext := strings.ToLower(filepath.Ext(path))
	for _, rt := range all {
		if ext != "" && slices.Contains(rt.Extensions, ext) {
			return rt
		}
	}
	return nil
}

// Languages returns the built-in languages in display order, as plain
// descriptions (no bin directory): for code that needs names, extensions
// and editor rules but runs nothing.
func Languages() []*Runtime { return builtins() }

// Interpreters names the built-in languages that run on an interpreter
// binary (those worth loading ahead of a first run).
func Interpreters() []string {
	var names []string
	for _, rt := range builtins() {
		if rt.Kind == Interpreter {
			names = append(names, rt.Name)
		}
	}
	return names
}

// Language finds a built-in language by name or alias, case-insensitively.
func Language(name string) (*Runtime, bool) {
	rt := find(builtins(), name)
	return rt, rt != nil
}

// LanguageForPath finds the built-in language of a source file by its
// extension (".cjs" is JavaScript).
func LanguageForPath(path string) (*Runtime, bool) {
	rt := forPath(builtins(), path)
	return rt, rt != nil
}

// ArtifactPath returns the absolute path of a runtime's binary.
func (reg *Registry) ArtifactPath(rt *Runtime) string {
	return reg.resolve(rt.Artifact)
}

// Built says whether a runtime's binary is on this machine: nil when it
// is (or the runtime needs none), else a *NotBuiltError.
func (reg *Registry) Built(rt *Runtime) error {
	if rt.Artifact == "" {
		return nil
	}
	if _, err := os.Stat(reg.ArtifactPath(rt)); err != nil {
		return &NotBuiltError{Runtime: rt.Name, BuildCommand: rt.BuildCommand, Err: err}
	}
	return nil
}

// NotBuiltError reports a runtime whose binary is missing.
type NotBuiltError struct {
	// Runtime is the runtime's canonical name.
	Runtime string
	// BuildCommand builds it (empty for a user's own binary).
	BuildCommand string
	// Err is why the binary could not be found.
	Err error
}

func (e *NotBuiltError) Error() string {
	msg := fmt.Sprintf("runtime %s is not built on this machine", e.Runtime)
	if e.BuildCommand != "" {
		msg += fmt.Sprintf(": build it with `%s`", e.BuildCommand)
	}
	return msg
}

// Unwrap gives the file error.
func (e *NotBuiltError) Unwrap() error { return e.Err }

// ReactorPath returns the absolute path of a runtime's reactor build, or
// "" when it has none.
func (reg *Registry) ReactorPath(rt *Runtime) string {
	return reg.resolve(rt.Reactor)
}

// ReadAtStart reports whether the interpreter reads the environment
// variable name only while it initialises (see StartEnv and RunEnv).
func (r *Runtime) ReadAtStart(name string) bool {
	if slices.Contains(r.RunEnv, name) {
		return false
	}
	for _, pattern := range r.StartEnv {
		if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
			if strings.HasPrefix(name, prefix) {
				return true
			}
		} else if name == pattern {
			return true
		}
	}
	return false
}

// MountHostPath returns the absolute host path of a runtime mount.
func (reg *Registry) MountHostPath(m Mount) string {
	return reg.resolve(m.Host)
}

func (reg *Registry) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(reg.binDir, filepath.FromSlash(p))
}

// UnknownRuntimeError reports a runtime name that is not known.
type UnknownRuntimeError struct {
	// Name is what was asked for.
	Name string
	// Known lists the canonical names that exist.
	Known []string
}

func (e *UnknownRuntimeError) Error() string {
	return fmt.Sprintf("unknown runtime %q (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

// IsWasmBinary reports whether code is a binary WebAssembly module (it
// starts with the magic bytes \0asm): only the wat runtime runs one.
func IsWasmBinary(code []byte) bool { return len(code) >= 4 && string(code[:4]) == "\x00asm" }
