package guidance

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmplay/wasmplay/run"
)

// TestSnippets_RunInSandbox runs every Before and After snippet in the
// real sandbox: each Before must fail in the way its advice describes
// (Match on its result names the advice), and each After must succeed.
// It needs a built wasmplay and the guest runtimes, so it only runs when
// WASMPLAY_CLI names the executable:
//
//	go build -o /tmp/wasmplay . && WASMPLAY_CLI=/tmp/wasmplay go test ./runner/guidance -run Snippets
//
// The runtimes are taken from WASMPLAY_BIN_DIR, else the repository's bin/.
func TestSnippets_RunInSandbox(t *testing.T) {
	cli := os.Getenv("WASMPLAY_CLI")
	if cli == "" {
		t.Skip("set WASMPLAY_CLI to a built wasmplay to run the snippets in the sandbox")
	}
	binDir := os.Getenv("WASMPLAY_BIN_DIR")
	if binDir == "" {
		binDir, _ = filepath.Abs(filepath.Join("..", "..", "bin"))
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
			before := runSnippet(t, cli, binDir, rt, advice.Before, t.TempDir(), tt.flags)
			got := MatchWithOptions(before, rt, MatchOptions{Code: []byte(advice.Before)})
			if !slices.Contains(ids(got), tt.id) {
				t.Errorf("Before ran to %s and matched %v, not %s\ncode:\n%s\nstderr:\n%s\nmessage: %s",
					before.Outcome, ids(got), tt.id, advice.Before, before.Stderr, before.Message)
			}
			after := runSnippet(t, cli, binDir, rt, advice.After, full, nil)
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

// runSnippet runs code with `wasmplay run --json` and returns its result.
func runSnippet(t *testing.T, cli, binDir, runtime, code, workspace string, flags []string) run.Result {
	t.Helper()
	args := append([]string{"--bin-dir", binDir, "run", "--json", "-r", runtime, "--workspace", workspace, "-c", code}, flags...)
	cmd := exec.Command(cli, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, _ := cmd.Output() // a failed run exits nonzero: the JSON says how
	var c captured
	if err := json.Unmarshal(out, &c.Result); err != nil {
		t.Fatalf("wasmplay %v: %v\nstdout: %s\nstderr: %s", args, err, out, stderr.String())
	}
	c.Name = runtime
	return c.result(t)
}

// snippetCase selects one advice (by a synthetic failure) whose snippets
// are run in the sandbox.
type snippetCase struct {
	name  string
	res   run.Result // a failure Match turns into the advice
	id    string
	flags []string // for the Before run
}

// snippetCases lists a case for every snippet of the catalogue.
func snippetCases() []snippetCase {
	// A failure that selects each advice, so Match returns its snippets.
	py := func(exc string) run.Result {
		return failed("python", "Traceback (most recent call last):\n  File \"/code/main.py\", line 1, in <module>\n"+exc+"\n")
	}
	js := func(exc string) run.Result {
		return failed("javascript", exc+"\n    at <eval> (/code/main.js:1:1)\n")
	}
	return []snippetCase{
		{"js_require", js("ReferenceError: 'require' is not defined"), "js_require", nil},
		{"js_process", js("ReferenceError: 'process' is not defined"), "js_process", nil},
		{"js_timers", js("ReferenceError: 'setTimeout' is not defined"), "js_timers", nil},
		{"js_browser", js("ReferenceError: 'document' is not defined"), "js_browser", nil},
		{"js_file_null", js("TypeError: cannot read property 'getline' of null"), "js_file_null", nil},
		{"subprocess py", py("OSError: [Errno 58] wasi does not support processes."), "subprocess", nil},
		{"threads", py("RuntimeError: can't start new thread"), "threads", nil},
		{"asyncio", failed("python", "Traceback (most recent call last):\n  File \"/usr/local/lib/python313.zip/asyncio/runners.py\", line 1, in run\nOSError: [Errno 58] Not supported\n"), "asyncio", nil},
		{"network py", py("AttributeError: module '_socket' has no attribute 'getaddrinfo'"), "network", nil},
		{"network js", js("ReferenceError: 'fetch' is not defined"), "network", nil},
		{"unavailable ssl", py("ModuleNotFoundError: No module named '_ssl'"), "unavailable_module", nil},
		{"unavailable ctypes", py("ModuleNotFoundError: No module named '_ctypes'"), "unavailable_module", nil},
		{"unavailable curses", py("ModuleNotFoundError: No module named '_curses'"), "unavailable_module", nil},
		{"missing numpy", py("ModuleNotFoundError: No module named 'numpy'"), "missing_module", nil},
		{"missing yaml", py("ModuleNotFoundError: No module named 'yaml'"), "missing_module", nil},
		{"missing other", py("ModuleNotFoundError: No module named 'tabulate'"), "missing_module", nil},
		{"missing js", failed("javascript", "ReferenceError: could not load module filename 'lodash'\n"), "missing_module", nil},
		{"path outside app", py("FileNotFoundError: [Errno 44] No such file or directory: '/tmp/x'"), "path_outside_app", nil},
		{"file not found", py("FileNotFoundError: [Errno 44] No such file or directory: 'data.csv'"), "file_not_found", nil},
		{"no input", py("EOFError: EOF when reading a line"), "no_input", nil},
		{"indentation", py("IndentationError: expected an indented block"), "indentation_error", nil},
		{"syntax py", py("SyntaxError: invalid syntax"), "syntax_error", nil},
		{"syntax js", failed("javascript", "SyntaxError: unexpected token\n    at /code/main.js:1:1\n"), "syntax_error", nil},
		{"syntax wat", run.Result{Runtime: "wat", Outcome: run.OutcomeHostError, Message: "wat: expected `)`"}, "syntax_error", nil},
		{"recursion py", py("RecursionError: maximum recursion depth exceeded"), "recursion", nil},
		{"recursion js", js("InternalError: stack overflow"), "recursion", nil},
		{"recursion wat", run.Result{Runtime: "wat", Outcome: run.OutcomeStackOverflow}, "recursion", nil},
		{"memory py", run.Result{Runtime: "python", Outcome: run.OutcomeMemoryLimit}, "memory_limit", nil},
		{"memory js", run.Result{Runtime: "javascript", Outcome: run.OutcomeMemoryLimit}, "memory_limit", nil},
		{"memory wat", run.Result{Runtime: "wat", Outcome: run.OutcomeMemoryLimit}, "memory_limit", nil},
		{"fuel py", run.Result{Runtime: "python", Outcome: run.OutcomeOutOfFuel}, "out_of_fuel", []string{"--fuel", "1G"}},
		{"fuel js", run.Result{Runtime: "javascript", Outcome: run.OutcomeOutOfFuel}, "out_of_fuel", []string{"--fuel", "1G"}},
		{"fuel wat", run.Result{Runtime: "wat", Outcome: run.OutcomeOutOfFuel}, "out_of_fuel", []string{"--fuel", "1G"}},
		{"timeout py", run.Result{Runtime: "python", Outcome: run.OutcomeTimeout}, "timeout", []string{"--timeout", "2s"}},
		{"timeout js", run.Result{Runtime: "javascript", Outcome: run.OutcomeTimeout}, "timeout", []string{"--timeout", "2s"}},
		{"trap wat", run.Result{Runtime: "wat", Outcome: run.OutcomeTrap}, "trap", nil},
	}
}
