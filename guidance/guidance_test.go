package guidance

import (
	"slices"
	"strings"
	"testing"

	"github.com/wasmplay/wasmplay/run"
)

// failed builds a Result that exited with status 1 and printed stderr.
func failed(runtime, stderr string) run.Result {
	return run.Result{
		Runtime:  runtime,
		Outcome:  run.OutcomeExitNonzero,
		ExitCode: 1,
		Stderr:   []byte(stderr),
		Limits:   run.LimitsOf(run.DefaultPolicy()),
	}
}

const numpyTraceback = `Traceback (most recent call last):
  File "/code/main.py", line 1, in <module>
    import numpy
ModuleNotFoundError: No module named 'numpy'
`

func TestMatch_NoAdvice(t *testing.T) {
	tests := []struct {
		name string
		res  run.Result
	}{
		{"ok", run.Result{Runtime: "python", Outcome: run.OutcomeOK, Success: true}},
		{"ok with a traceback on stderr", run.Result{Runtime: "python", Outcome: run.OutcomeOK, Success: true, Stderr: []byte(numpyTraceback)}},
		{"canceled", run.Result{Runtime: "python", Outcome: run.OutcomeCanceled, Stderr: []byte(numpyTraceback)}},
		{"host error", run.Result{Runtime: "python", Outcome: run.OutcomeHostError, Message: "runtime python is not available"}},
		{"plain nonzero exit", failed("python", "")},
		{"unknown exception", failed("python", "Traceback (most recent call last):\n  File \"/code/main.py\", line 1, in <module>\nKeyError: 'x'\n")},
		{"unknown runtime", failed("ruby", numpyTraceback)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.res, ""); got != nil {
				t.Errorf("Match = %v, want nil", ids(got))
			}
		})
	}
}

func TestMatch_Synthetic(t *testing.T) {
	tests := []struct {
		name string
		res  run.Result
		opts MatchOptions
		want []string
	}{
		{"last exception of a chain matters",
			failed("python", "Traceback (most recent call last):\n  File \"/code/main.py\", line 2, in <module>\nKeyError: 'x'\n\nDuring handling of the above exception, another exception occurred:\n\n"+numpyTraceback),
			MatchOptions{}, []string{"missing_module"}},
		{"a handled import error earlier in the chain does not",
			failed("python", numpyTraceback+"\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"/code/main.py\", line 3, in <module>\nValueError: no numpy\n"),
			MatchOptions{}, nil},
		{"an ignored exception after the real one does not",
			failed("python", numpyTraceback+"Exception ignored in: <function f at 0x1>\nTraceback (most recent call last):\n  File \"/usr/local/lib/python313.zip/x.py\", line 1, in f\nRuntimeError: can't start new thread\n"),
			MatchOptions{}, []string{"missing_module"}},
		{"submodule", failed("python", "ModuleNotFoundError: No module named 'numpy.linalg'\n"), MatchOptions{}, nil},
		{"submodule in a traceback",
			failed("python", "Traceback (most recent call last):\n  File \"/code/main.py\", line 1, in <module>\nModuleNotFoundError: No module named 'numpy.linalg'\n"),
			MatchOptions{}, []string{"missing_module"}},
		{"out of fuel ignores stderr",
			run.Result{Runtime: "python", Outcome: run.OutcomeOutOfFuel, Stderr: []byte(numpyTraceback)},
			MatchOptions{}, []string{"out_of_fuel"}},
		{"timeout ignores stderr",
			run.Result{Runtime: "javascript", Outcome: run.OutcomeTimeout, Stderr: []byte("ReferenceError: 'require' is not defined\n")},
			MatchOptions{}, []string{"timeout"}},
		{"stack overflow outcome", run.Result{Runtime: "python", Outcome: run.OutcomeStackOverflow}, MatchOptions{}, []string{"recursion"}},
		{"MemoryError without the memory outcome",
			failed("python", "Traceback (most recent call last):\n  File \"/code/main.py\", line 1, in <module>\nMemoryError\n"),
			MatchOptions{}, []string{"memory_limit"}},
		{"invalid UTF-8 in stderr",
			failed("python", "\xff\xfe"+numpyTraceback+"\xc3"),
			MatchOptions{}, []string{"missing_module"}},
		{"CRLF stderr",
			failed("python", strings.ReplaceAll(numpyTraceback, "\n", "\r\n")),
			MatchOptions{}, []string{"missing_module"}},
		{"bz2 is not built",
			failed("python", "Traceback (most recent call last):\n  File \"/code/main.py\", line 1, in <module>\nModuleNotFoundError: No module named '_bz2'\n"),
			MatchOptions{}, []string{"unavailable_module"}},
		{"an error inside asyncio that is not the event loop",
			failed("python", "Traceback (most recent call last):\n  File \"/usr/local/lib/python313.zip/asyncio/runners.py\", line 1, in run\nValueError: x\n"),
			MatchOptions{}, nil},
		{"node: module", failed("javascript", "ReferenceError: could not load module filename 'node:fs'\n"), MatchOptions{}, []string{"js_require"}},
		{"npm package", failed("javascript", "ReferenceError: could not load module filename 'lodash'\n"), MatchOptions{}, []string{"missing_module"}},
		{"scoped npm package", failed("javascript", "ReferenceError: could not load module filename '@scope/pkg'\n"), MatchOptions{}, []string{"missing_module"}},
		{"child_process", failed("javascript", "ReferenceError: could not load module filename 'child_process'\n"), MatchOptions{}, []string{"js_require", "subprocess"}},
		{"https module", failed("javascript", "ReferenceError: could not load module filename 'https'\n"), MatchOptions{}, []string{"js_require", "network"}},
		{"document", failed("javascript", "ReferenceError: 'document' is not defined\n    at <eval> (/code/main.js:1:1)\n"), MatchOptions{}, []string{"js_browser"}},
		{"loadFile null needs the code to be recognised",
			failed("javascript", "TypeError: cannot read property 'length' of null\n    at <eval> (/code/main.js:1:33)\n"),
			MatchOptions{}, nil},
		{"os.exec needs the code to be recognised",
			failed("javascript", "TypeError: not a function\n    at <eval> (/code/main.js:1:8)\n"),
			MatchOptions{}, nil},
		{"JS runtime error named SyntaxError is not a parse error",
			failed("javascript", "SyntaxError: expecting property name\n    at <input>:1:2\n    at parse (native)\n    at <eval> (/code/main.js:1:11)\n"),
			MatchOptions{}, nil},
		{"wat trap", run.Result{Runtime: "wat", Outcome: run.OutcomeTrap, Message: "error while executing\n\nCaused by:\n    wasm trap: integer divide by zero"},
			MatchOptions{}, []string{"trap"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MatchWithOptions(tt.res, "", tt.opts)
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("Match IDs = %v, want %v", ids(got), tt.want)
			}
		})
	}
}

func TestMatch_AvailablePackages(t *testing.T) {
	res := failed("python", numpyTraceback)
	find := func(advice []Advice) string {
		for _, a := range advice {
			if a.ID == "missing_module" {
				return strings.Join(a.Steps, "\n")
			}
		}
		t.Fatalf("no missing_module advice in %v", ids(advice))
		return ""
	}
	steps := find(Match(res, "python"))
	for _, want := range []string{"No third-party packages", "standard library", "ssl, ctypes, threads, subprocess and sockets"} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps do not say %q:\n%s", want, steps)
		}
	}
	steps = find(MatchWithOptions(res, "python", MatchOptions{AvailablePackages: func() []string { return []string{"attrs", "tabulate"} }}))
	if !strings.Contains(steps, "attrs, tabulate") {
		t.Errorf("steps do not list the available packages:\n%s", steps)
	}
}

func TestMatch_Details(t *testing.T) {
	tests := []struct {
		name  string
		res   run.Result
		id    string
		field func(Advice) string
		want  string
	}{
		{"missing module names it", failed("python", numpyTraceback), "missing_module",
			func(a Advice) string { return a.Title }, "numpy"},
		{"numpy gets a statistics example", failed("python", numpyTraceback), "missing_module",
			func(a Advice) string { return a.After }, "import statistics"},
		{"path is quoted",
			failed("python", "Traceback (most recent call last):\n  File \"/code/main.py\", line 1, in <module>\nFileNotFoundError: [Errno 44] No such file or directory: '/etc/passwd'\n"),
			"path_outside_app", func(a Advice) string { return a.Cause }, `"/etc/passwd"`},
		{"fuel budget and suggestion",
			run.Result{Runtime: "python", Outcome: run.OutcomeOutOfFuel, Limits: run.Limits{FuelBudget: 100_000_000}},
			"out_of_fuel", func(a Advice) string { return a.Cause + strings.Join(a.Steps, " ") }, "--fuel 200.0M"},
		{"timeout limit",
			run.Result{Runtime: "javascript", Outcome: run.OutcomeTimeout, Limits: run.Limits{TimeoutMS: 1500}},
			"timeout", func(a Advice) string { return a.Cause }, "1.5s wall-clock limit"},
		{"memory message",
			run.Result{Runtime: "python", Outcome: run.OutcomeMemoryLimit, Message: "the guest asked for 973.7 MiB of memory; the cap is 128 MiB", Limits: run.Limits{MemoryBytes: 128 << 20}},
			"memory_limit", func(a Advice) string { return a.Cause }, "than the cap allows (the guest asked for 973.7 MiB of memory; the cap is 128 MiB)"},
		{"trap reason",
			run.Result{Runtime: "wat", Outcome: run.OutcomeTrap, Message: "error while executing\n\nCaused by:\n    wasm trap: integer divide by zero"},
			"trap", func(a Advice) string { return a.Cause }, "integer divide by zero"},
		{"syntax error quotes the exception",
			failed("python", "  File \"/code/main.py\", line 1\n    x = = 1\n        ^\nSyntaxError: invalid syntax\n"),
			"syntax_error", func(a Advice) string { return a.Cause }, "SyntaxError: invalid syntax"},
		{"JavaScript snippets for JavaScript", failed("javascript", "ReferenceError: 'fetch' is not defined\n"),
			"network", func(a Advice) string { return a.After }, "std.loadFile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, a := range Match(tt.res, "") {
				if a.ID == tt.id {
					if got := tt.field(a); !strings.Contains(got, tt.want) {
						t.Errorf("%q does not contain %q", got, tt.want)
					}
					return
				}
			}
			t.Errorf("no %s advice", tt.id)
		})
	}
}

func TestIDs_UniqueAndStable(t *testing.T) {
	got := IDs()
	want := []string{
		"js_require", "js_process", "js_timers", "js_browser", "js_file_null",
		"subprocess", "threads", "asyncio", "network",
		"unavailable_module", "missing_module", "path_outside_app", "file_not_found", "no_input",
		"indentation_error", "syntax_error", "recursion", "memory_limit", "disk_limit", "out_of_fuel", "timeout", "trap",
	}
	if !slices.Equal(got, want) {
		t.Errorf("IDs() = %v\nwant %v\n(IDs are part of the report schema: document any change in docs/REPORT.md)", got, want)
	}
}

func TestErrorLocation_Synthetic(t *testing.T) {
	tests := []struct {
		name    string
		stderr  string
		runtime string
		want    Location
		ok      bool
	}{
		{"frame in a second user file",
			"Traceback (most recent call last):\n  File \"/code/main.py\", line 4, in <module>\n  File \"/code/helper.py\", line 9, in f\nValueError: bad\n",
			"python", Location{Line: 9, Message: "ValueError: bad"}, true},
		{"only library frames",
			"Traceback (most recent call last):\n  File \"<frozen runpy>\", line 1, in <module>\nValueError: bad\n",
			"python", Location{Message: "ValueError: bad"}, false},
		{"chained: the final traceback counts",
			"Traceback (most recent call last):\n  File \"/code/main.py\", line 2, in <module>\nKeyError: 'x'\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"/code/main.py\", line 4, in <module>\nValueError: y\n",
			"python", Location{Line: 4, Message: "ValueError: y"}, true},
		{"unhandled promise rejection",
			"Possibly unhandled promise rejection: Error: x\n    at <anonymous> (/code/main.js:1:38)\n    at Promise (native)\n",
			"javascript", Location{Line: 1, Column: 38, Message: "Error: x"}, true},
		{"line without column", "Error: x\n    at f (/code/main.js:7)\n", "javascript", Location{Line: 7, Message: "Error: x"}, true},
		{"not an exception line", "\xffError: \xfe\n    at f (/code/main.js:7:2)\n", "javascript", Location{}, false},
		{"invalid UTF-8 in the message", "Error: \xfe\n    at f (/code/main.js:7:2)\n", "javascript", Location{Line: 7, Column: 2, Message: "Error: \uFFFD"}, true},
		{"empty", "", "python", Location{}, false},
		{"unknown runtime", "Error: x\n    at f (/code/main.js:7:2)\n", "", Location{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ErrorLocation(tt.stderr, tt.runtime)
			if ok != tt.ok || got != tt.want {
				t.Errorf("ErrorLocation = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
