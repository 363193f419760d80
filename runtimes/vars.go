package runtimes

import (
	_ "embed"
	"maps"
	"slices"
	"strings"
)

// VarsDir is the guest directory (read-write, private to one run) through
// which a run that keeps variables gets the last run's values (in.json)
// and leaves its own (out.json).
const VarsDir = "/state"

// State files inside VarsDir.
const (
	VarsInFile  = "in.json"
	VarsOutFile = "out.json"
)

//go:embed state/state.py
var pythonVarsPrelude string

//go:embed state/state.js
var javascriptVarsPrelude string

// VarsRuntimes are the runtimes that can keep variables between runs.
func VarsRuntimes() []string { return []string{Python, JavaScript} }

// KeepsVars reports whether the runtime can keep variables between runs.
func (r *Runtime) KeepsVars() bool {
	return slices.Contains(VarsRuntimes(), r.Name)
}

// Launch is how the runner starts an interpreter on a script.
type Launch struct {
	// Argv is the guest argv.
	Argv []string
	// Env is the environment the interpreter needs.
	Env map[string]string
	// Prelude maps file names to contents to write into PreludeDir.
	Prelude map[string]string
}

// Launch says how to start the interpreter on the script at guestScript.
// With keepState it adds the prelude that carries variables between runs
// (Python: public globals; JavaScript: the `state` object) through
// VarsDir, without touching the user's code, so line numbers stay true.
func (r *Runtime) Launch(guestScript string, keepState bool) Launch {
	l := Launch{Env: maps.Clone(r.Env), Prelude: maps.Clone(r.Prelude)}
	if l.Env == nil {
		l.Env = map[string]string{}
	}
	if l.Prelude == nil {
		l.Prelude = map[string]string{}
	}
	keepState = keepState && r.KeepsVars()
	switch r.Name {
	case Python:
		l.Argv = []string{"python", "-u", "-B", guestScript}
		if keepState {
			// site imports sitecustomize from the prelude directory.
			l.Prelude["sitecustomize.py"] += pythonVarsPrelude
			if path := l.Env["PYTHONPATH"]; !strings.Contains(path, PreludeDir) {
				l.Env["PYTHONPATH"] = PreludeDir + ":" + path
			}
		}
	case JavaScript:
		l.Argv = []string{"qjs", "--std", "--include", PreludeDir + "/init.js"}
		if keepState {
			l.Prelude["state.js"] = javascriptVarsPrelude
			l.Argv = append(l.Argv, "--include", PreludeDir+"/state.js")
		}
		l.Argv = append(l.Argv, guestScript)
	default:
		l.Argv = []string{r.Name}
	}
	return l
}
