// Package guidance explains why a run failed and what to change, in terms
// a person or a language model can act on: a catalogue of known failures
// (out of fuel, memory, recursion, paths outside /app, missing modules,
// network and subprocess attempts, QuickJS differences from Node.js,
// syntax errors, ...), the line of the user's code an error points at,
// and an analysis of the run's fuel use.
//
// Matching reads the run's Outcome and the error report the guest
// printed on stderr (CPython tracebacks, QuickJS exceptions, WAT compiler
// errors). The formats were taken from the real runtimes; the captured
// examples the tests use are in testdata/captured. The package never
// touches the UI.
package guidance

import (
	"regexp"
	"slices"
	"strings"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// Advice is one catalogue entry applied to a run: what went wrong and how
// to change the code.
type Advice struct {
	// ID names the entry; stable, part of the report's JSON schema
	// ("out_of_fuel", "missing_module", ...). See IDs.
	ID string
	// Title is a short heading ("The module numpy is not available").
	Title string
	// Cause explains what happened in one line.
	Cause string
	// Steps are concrete things to do, most useful first.
	Steps []string
	// Before is a snippet in the run's language showing the problem.
	Before string
	// After is the same snippet changed to work in the sandbox.
	After string
	// Lang is the language of Before and After, a Markdown fence tag
	// ("python", "javascript", "wat").
	Lang string
}

// MatchOptions adds what the run's Result does not say.
type MatchOptions struct {
	// AvailablePackages, if not nil, lists the third-party (vendored,
	// pure-Python) packages the guest can import besides the standard
	// library. The missing-module advice lists them; it is called only
	// then (reading the list has a cost every run would pay).
	AvailablePackages func() []string
	// Code is the code that ran. A few entries look at it when the error
	// alone is ambiguous: QuickJS's "cannot read property 'length' of
	// null" after std.loadFile, "not a function" after os.exec.
	Code []byte
}

// Match returns the catalogue entries that explain a run, most specific
// first, each at most once. It returns nil for a successful or canceled
// run and for a failure the catalogue does not know. runtime is the
// canonical runtime name ("python", "javascript", "wat"); when empty,
// res.Runtime is used.
func Match(res run.Result, runtime string) []Advice {
	return MatchWithOptions(res, runtime, MatchOptions{})
}

// MatchWithOptions is Match with the packages the guest can import and
// the code that ran.
func MatchWithOptions(res run.Result, runtime string, opts MatchOptions) []Advice {
	if runtime == "" {
		runtime = res.Runtime
	}
	switch res.Outcome {
	case run.OutcomeOK, run.OutcomeCanceled:
		return nil
	}
	f := &facts{
		runtime:  runtime,
		outcome:  res.Outcome,
		message:  strings.ToValidUTF8(res.Message, "\uFFFD"),
		limits:   res.Limits,
		code:     strings.ToValidUTF8(string(opts.Code), "\uFFFD"),
		packages: opts.AvailablePackages,
	}
	// Only a run that ended by itself has an error report worth reading:
	// a run stopped for fuel or time was killed mid-flight.
	switch res.Outcome {
	case run.OutcomeExitNonzero, run.OutcomeMemoryLimit, run.OutcomeDiskLimit, run.OutcomeStackOverflow, run.OutcomeTrap:
		f.fail = parse(strings.ToValidUTF8(string(res.Stderr), "\uFFFD"), runtime)
	case run.OutcomeInvalidModule, run.OutcomeHostError:
		if runtime == runtimes.WAT {
			f.fail = parseWAT(res.Message)
		}
	}
	var out []Advice
	for _, e := range catalogue() {
		if e.match(f) {
			a := e.advice(f)
			a.ID = e.id
			out = append(out, a)
		}
	}
	return out
}

// IDs lists the ID of every catalogue entry, in the order Match returns
// them (most specific first).
func IDs() []string {
	var ids []string
	for _, e := range catalogue() {
		ids = append(ids, e.id)
	}
	return ids
}

// entry is one catalogue entry: when it applies and what it advises.
type entry struct {
	id     string
	match  func(f *facts) bool
	advice func(f *facts) Advice
}

// facts is what is known about a failed run, for the catalogue's
// matchers.
type facts struct {
	runtime  string
	outcome  run.Outcome
	message  string          // the Result's Message
	limits   run.Limits      // the run's limits
	fail     failure         // the final error report on stderr
	code     string          // MatchOptions.Code
	packages func() []string // MatchOptions.AvailablePackages
}

func (f *facts) python() bool     { return f.runtime == runtimes.Python }
func (f *facts) javascript() bool { return f.runtime == runtimes.JavaScript }
func (f *facts) wat() bool        { return f.runtime == runtimes.WAT }

// exception reports whether the final exception is one of types.
func (f *facts) exception(types ...string) bool {
	return f.fail.excType != "" && slices.Contains(types, f.fail.excType)
}

// says reports whether the final exception's message contains s.
func (f *facts) says(s string) bool {
	return strings.Contains(f.fail.excText, s)
}

// frameIn reports whether a frame of the final traceback is in a file
// whose path contains s ("/socket.py", "/asyncio/").
func (f *facts) frameIn(s string) bool {
	for _, fr := range f.fail.frames {
		if strings.Contains(fr.file, s) {
			return true
		}
	}
	return false
}

// jsUndefined reports whether QuickJS said one of names is not defined
// ("ReferenceError: 'require' is not defined").
func (f *facts) jsUndefined(names ...string) bool {
	if !f.javascript() || !f.exception("ReferenceError") {
		return false
	}
	for _, n := range names {
		if f.fail.excText == "'"+n+"' is not defined" {
			return true
		}
	}
	return false
}

var (
	// pyNoModule matches "No module named 'numpy.linalg'".
	pyNoModule = regexp.MustCompile(`^No module named '([^']+)'`)
	// jsNoModule matches QuickJS's "could not load module filename 'fs'".
	jsNoModule = regexp.MustCompile(`^could not load module filename '([^']+)'`)
	// pyOSErrorPath matches "[Errno 44] No such file or directory: '/etc/passwd'".
	pyOSErrorPath = regexp.MustCompile(`^\[Errno \d+\] [^:]*: '(.*)'`)
	// jsNullProperty matches "cannot read property 'getline' of null".
	jsNullProperty = regexp.MustCompile(`^cannot read property '([^']*)' of null`)
	// pyNoAttribute matches "module 'os' has no attribute 'system'".
	pyNoAttribute = regexp.MustCompile(`^module '([^']+)' has no attribute '([^']+)'`)
)

// missingModule returns the module an import could not find: the full
// dotted name and its top-level package ("numpy.linalg", "numpy").
func (f *facts) missingModule() (name, top string) {
	var m []string
	switch {
	case f.python() && f.exception("ModuleNotFoundError", "ImportError"):
		m = pyNoModule.FindStringSubmatch(f.fail.excText)
	case f.javascript() && f.exception("ReferenceError", "SyntaxError", "Error"):
		m = jsNoModule.FindStringSubmatch(f.fail.excText)
	}
	if m == nil {
		return "", ""
	}
	name = m[1]
	top, _, _ = strings.Cut(strings.TrimPrefix(name, "node:"), ".")
	if f.javascript() {
		top, _, _ = strings.Cut(top, "/")
	}
	return name, top
}

// missingAttribute returns the module and attribute of an AttributeError
// such as "module 'os' has no attribute 'system'".
func (f *facts) missingAttribute() (module, attr string) {
	if !f.python() || !f.exception("AttributeError") {
		return "", ""
	}
	if m := pyNoAttribute.FindStringSubmatch(f.fail.excText); m != nil {
		return m[1], m[2]
	}
	return "", ""
}

// osErrorPath returns the path a Python file error names, if the final
// exception is one.
func (f *facts) osErrorPath() (string, bool) {
	if !f.python() || !f.exception("FileNotFoundError", "PermissionError", "IsADirectoryError", "NotADirectoryError", "OSError") {
		return "", false
	}
	m := pyOSErrorPath.FindStringSubmatch(f.fail.excText)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// outsideApp reports whether a guest path leaves the workspace: an
// absolute path not under /app, or one that climbs with "..".
func outsideApp(p string) bool {
	if slices.Contains(strings.Split(p, "/"), "..") {
		return true
	}
	return strings.HasPrefix(p, "/") && p != runtimes.WorkspaceDir && !strings.HasPrefix(p, runtimes.WorkspaceDir+"/")
}

// codeCalls reports whether the code that ran mentions any of calls.
func (f *facts) codeCalls(calls ...string) bool {
	for _, c := range calls {
		if strings.Contains(f.code, c) {
			return true
		}
	}
	return false
}
