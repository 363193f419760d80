package guidance

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
)

var (
	snippetRunnerOnce sync.Once
	snippetRunner     *runner.Runner
	snippetRunnerErr  error
)

// runSnippet runs code in the real sandbox, in process.
func runSnippet(t *testing.T, runtime, code, workspace string, limits run.Overrides) run.Result {
	t.Helper()
	snippetRunnerOnce.Do(func() {
		var reg *runtimes.Registry
		if reg, snippetRunnerErr = runtimes.NewRegistry(testenv.BinDir(), nil); snippetRunnerErr != nil {
			return
		}
		local, err := sandbox.NewLocal(reg, testenv.CacheDir())
		if err != nil {
			snippetRunnerErr = err
			return
		}
		snippetRunner, snippetRunnerErr = runner.New(runner.Config{Executor: local})
	})
	if snippetRunnerErr != nil {
		t.Fatal(snippetRunnerErr)
	}
	policy, err := run.Resolve([]run.Layer{{Source: run.SourceRequest, Limits: limits}}, run.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	return snippetRunner.Run(context.Background(), run.Job{Runtime: runtime, Code: []byte(code), Workspace: workspace, Policy: policy}, nil)
}

// TestSnippets_RunInSandbox runs every Before and After snippet in the
// real sandbox: each Before must fail in the way its advice describes
// (Match on its result names the advice), and each After must succeed.
func TestSnippets_RunInSandbox(t *testing.T) {
	for _, rt := range []string{"python/python.wasm", "qjs.wasm"} {
		testenv.Need(t, filepath.Join(testenv.BinDir(), rt), rt, "make runtimes")
	}
	tests := snippetCases()
	// The After snippets read these files from the workspace.
	full := t.TempDir()
	for name, content := range map[string]string{
		"data.txt": "hello\n", "data.json": `{"a": 1}`, "data.csv": "a,b\n1,2\n",
		"users.txt": "alice\nbob\n", "config.json": `{"debug": true}`,
	} {
		if err := os.WriteFile(filepath.Join(full, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var advice *Advice
			for _, a := range Match(tt.res, "") {
				if a.ID == tt.id {
					advice = &a
				}
			}
			if advice == nil {
				t.Fatalf("the synthetic result does not select %s", tt.id)
			}
			rt := tt.res.Runtime
			before := runSnippet(t, rt, advice.Before, t.TempDir(), tt.limits)
			got := MatchWithOptions(before, rt, MatchOptions{Code: []byte(advice.Before)})
			if !slices.Contains(ids(got), tt.id) {
				t.Errorf("Before ran to %s and matched %v, not %s\ncode:\n%s\nstderr:\n%s\nmessage: %s",
					before.Outcome, ids(got), tt.id, advice.Before, before.Stderr, before.Message)
			}
			after := runSnippet(t, rt, advice.After, full, run.Overrides{})
			if after.Outcome != run.OutcomeOK {
				t.Errorf("After ran to %s\ncode:\n%s\nstderr:\n%s\nmessage: %s", after.Outcome, advice.After, after.Stderr, after.Message)
			}
		})
	}
}

// TestSnippetCases_CoverCatalogue checks that the sandbox test runs a
// snippet of every catalogue entry.
func TestSnippetCases_CoverCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range snippetCases() {
		seen[c.id] = true
	}
	for _, id := range IDs() {
		if !seen[id] {
			t.Errorf("snippetCases has no case for %s", id)
		}
	}
}

// snippetCase selects one advice (by a synthetic failure) whose snippets
// are run in the sandbox.
type snippetCase struct {
	name   string
	res    run.Result // a failure Match turns into the advice
	id     string
	limits run.Overrides // for the Before run
}

// snippetCases lists a case for every snippet of the catalogue.
func snippetCases() []snippetCase {
	fuel, timeout := uint64(50_000_000), 2*time.Second
	fuel50M, timeout2s := run.Overrides{FuelBudget: &fuel}, run.Overrides{Timeout: &timeout}
	disk := uint64(1 << 20)
	disk1M := run.Overrides{DiskBytes: &disk}
	// A failure that selects each advice, so Match returns its snippets.
	py := func(exc string) run.Result {
		return failed("python", "Traceback (most recent call last):\n  File \"/code/main.py\", line 1, in <module>\n"+exc+"\n")
	}
	js := func(exc string) run.Result {
		return failed("javascript", exc+"\n    at <eval> (/code/main.js:1:1)\n")
	}
	return []snippetCase{
		{"js_require", js("ReferenceError: 'require' is not defined"), "js_require", run.Overrides{}},
		{"js_process", js("ReferenceError: 'process' is not defined"), "js_process", run.Overrides{}},
		{"js_timers", js("ReferenceError: 'setTimeout' is not defined"), "js_timers", run.Overrides{}},
		{"js_browser", js("ReferenceError: 'document' is not defined"), "js_browser", run.Overrides{}},
		{"js_file_null", js("TypeError: cannot read property 'getline' of null"), "js_file_null", run.Overrides{}},
		{"subprocess py", py("OSError: [Errno 58] wasi does not support processes."), "subprocess", run.Overrides{}},
		{"threads", py("RuntimeError: can't start new thread"), "threads", run.Overrides{}},
		{"asyncio", failed("python", "Traceback (most recent call last):\n  File \"/usr/local/lib/python313.zip/asyncio/runners.py\", line 1, in run\nOSError: [Errno 58] Not supported\n"), "asyncio", run.Overrides{}},
		{"network py", py("AttributeError: module '_socket' has no attribute 'getaddrinfo'"), "network", run.Overrides{}},
		{"network js", js("ReferenceError: 'fetch' is not defined"), "network", run.Overrides{}},
		{"unavailable ssl", py("ModuleNotFoundError: No module named '_ssl'"), "unavailable_module", run.Overrides{}},
		{"unavailable ctypes", py("ModuleNotFoundError: No module named '_ctypes'"), "unavailable_module", run.Overrides{}},
		{"unavailable curses", py("ModuleNotFoundError: No module named '_curses'"), "unavailable_module", run.Overrides{}},
		{"missing numpy", py("ModuleNotFoundError: No module named 'numpy'"), "missing_module", run.Overrides{}},
		{"missing toml", py("ModuleNotFoundError: No module named 'toml'"), "missing_module", run.Overrides{}},
		{"missing other", py("ModuleNotFoundError: No module named 'prettytable'"), "missing_module", run.Overrides{}},
		{"missing js", failed("javascript", "ReferenceError: could not load module filename 'lodash'\n"), "missing_module", run.Overrides{}},
		{"path outside app", py("FileNotFoundError: [Errno 44] No such file or directory: '/tmp/x'"), "path_outside_app", run.Overrides{}},
		{"file not found", py("FileNotFoundError: [Errno 44] No such file or directory: 'data.csv'"), "file_not_found", run.Overrides{}},
		{"no input", py("EOFError: EOF when reading a line"), "no_input", run.Overrides{}},
		{"indentation", py("IndentationError: expected an indented block"), "indentation_error", run.Overrides{}},
		{"syntax py", py("SyntaxError: invalid syntax"), "syntax_error", run.Overrides{}},
		{"syntax js", failed("javascript", "SyntaxError: unexpected token\n    at /code/main.js:1:1\n"), "syntax_error", run.Overrides{}},
		{"syntax wat", run.Result{Runtime: "wat", Outcome: run.OutcomeHostError, Message: "wat: expected `)`"}, "syntax_error", run.Overrides{}},
		{"recursion py", py("RecursionError: maximum recursion depth exceeded"), "recursion", run.Overrides{}},
		{"recursion js", js("InternalError: stack overflow"), "recursion", run.Overrides{}},
		{"recursion wat", run.Result{Runtime: "wat", Outcome: run.OutcomeStackOverflow}, "recursion", run.Overrides{}},
		{"memory py", run.Result{Runtime: "python", Outcome: run.OutcomeMemoryLimit}, "memory_limit", run.Overrides{}},
		{"memory js", run.Result{Runtime: "javascript", Outcome: run.OutcomeMemoryLimit}, "memory_limit", run.Overrides{}},
		{"memory wat", run.Result{Runtime: "wat", Outcome: run.OutcomeMemoryLimit}, "memory_limit", run.Overrides{}},
		{"disk py", run.Result{Runtime: "python", Outcome: run.OutcomeDiskLimit}, "disk_limit", disk1M},
		{"disk js", run.Result{Runtime: "javascript", Outcome: run.OutcomeDiskLimit}, "disk_limit", disk1M},
		{"fuel py", run.Result{Runtime: "python", Outcome: run.OutcomeOutOfFuel}, "out_of_fuel", fuel50M},
		{"fuel js", run.Result{Runtime: "javascript", Outcome: run.OutcomeOutOfFuel}, "out_of_fuel", fuel50M},
		{"fuel wat", run.Result{Runtime: "wat", Outcome: run.OutcomeOutOfFuel}, "out_of_fuel", fuel50M},
		{"timeout py", run.Result{Runtime: "python", Outcome: run.OutcomeTimeout}, "timeout", timeout2s},
		{"timeout js", run.Result{Runtime: "javascript", Outcome: run.OutcomeTimeout}, "timeout", timeout2s},
		{"trap wat", run.Result{Runtime: "wat", Outcome: run.OutcomeTrap}, "trap", run.Overrides{}},
	}
}
