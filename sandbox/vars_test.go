package sandbox

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/wasmplay/wasmplay/run"
)

func TestState_PythonCarriesVariables(t *testing.T) {
	needRuntime(t, "python")
	ws := t.TempDir()
	first := `import datetime, pathlib
count = 41
names = {"ada", "grace"}
when = datetime.date(2024, 2, 29)
where = pathlib.Path("/app/data.csv")
blob = b"\x00\xff"
pair = (1, "two")
def helper(): return 1
class Thing: pass
thing = Thing()
_private = "not kept"
`
	res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "python", Code: []byte(first), Workspace: ws, KeepVars: true})
	if res.Outcome != run.OutcomeOK || res.Vars == nil {
		t.Fatalf("first run: %s %s state=%q report=%+v", res.Outcome, res.Stderr, res.Vars, res.VarsReport)
	}
	rep := res.VarsReport
	for _, want := range []string{"count", "names", "when", "where", "blob", "pair"} {
		if !slices.Contains(rep.Saved, want) {
			t.Errorf("%s not saved: %+v", want, rep)
		}
	}
	for _, bad := range []string{"_private", "helper", "Thing", "thing"} {
		if slices.Contains(rep.Saved, bad) {
			t.Errorf("%s should not be kept", bad)
		}
	}
	if !containsPrefix(rep.Skipped, "thing (Thing)") || !containsPrefix(rep.Skipped, "helper (function)") {
		t.Errorf("skipped values not named with their type: %v", rep.Skipped)
	}
	second := "count += 1\nprint(count, sorted(names), when.year, where.name, blob, pair)\n"
	res2 := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "python", Code: []byte(second), Workspace: ws, KeepVars: true, Vars: res.Vars})
	if res2.Outcome != run.OutcomeOK {
		t.Fatalf("second run: %s %s", res2.Outcome, res2.Stderr)
	}
	if got := strings.TrimSpace(string(res2.Stdout)); got != "42 ['ada', 'grace'] 2024 data.csv b'\\x00\\xff' (1, 'two')" {
		t.Errorf("second run printed %q", got)
	}
	if !slices.Contains(res2.VarsReport.Restored, "count") {
		t.Errorf("restored = %v", res2.VarsReport.Restored)
	}
}

func TestState_PythonTracebackLinesUnchanged(t *testing.T) {
	needRuntime(t, "python")
	code := "x = 1\ny = 2\nraise ValueError('on line three')\n"
	res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "python", Code: []byte(code), KeepVars: true, Vars: []byte(`{"vars":{"z":3}}`)})
	if res.Outcome != run.OutcomeExitNonzero {
		t.Fatalf("outcome %s", res.Outcome)
	}
	if !bytes.Contains(res.Stderr, []byte(`File "/code/main.py", line 3, in <module>`)) {
		t.Errorf("traceback does not point at the user's line 3:\n%s", res.Stderr)
	}
	// A failed run keeps nothing new: the previous state stands.
	if res.Vars != nil || res.VarsReport.Problem == "" {
		t.Errorf("a failed run saved state: %q %+v", res.Vars, res.VarsReport)
	}
}

func TestState_JavaScriptCarriesState(t *testing.T) {
	needRuntime(t, "javascript")
	ws := t.TempDir()
	res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "javascript", Workspace: ws, KeepVars: true,
		Code: []byte("state.count = 41;\nstate.tags = ['a', 'b'];\nstate.fn = function () {};\nos.setTimeout(() => { state.late = true; }, 20);\n")})
	if res.Outcome != run.OutcomeOK || res.Vars == nil {
		t.Fatalf("first run: %s %s %+v", res.Outcome, res.Stderr, res.VarsReport)
	}
	if !slices.Contains(res.VarsReport.Saved, "late") {
		t.Errorf("a value set in a timer was not saved: %+v", res.VarsReport)
	}
	if !containsPrefix(res.VarsReport.Skipped, "fn (function)") {
		t.Errorf("skipped = %v", res.VarsReport.Skipped)
	}
	res2 := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "javascript", Workspace: ws, KeepVars: true, Vars: res.Vars,
		Code: []byte("state.count += 1;\nconsole.log(state.count, state.tags.join('+'), state.late);\n")})
	if got := strings.TrimSpace(string(res2.Stdout)); res2.Outcome != run.OutcomeOK || got != "42 a+b true" {
		t.Fatalf("second run: %s %q %s", res2.Outcome, got, res2.Stderr)
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestState_JavaScriptErrorLinesUnchanged(t *testing.T) {
	needRuntime(t, "javascript")
	code := "state.a = 1;\nlet b = 2;\nnull.boom;\n"
	res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "javascript", Code: []byte(code), KeepVars: true, Vars: []byte(`{"vars":{"z":3}}`)})
	if res.Outcome != run.OutcomeExitNonzero {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Stderr)
	}
	if !bytes.Contains(res.Stderr, []byte("main.js:3")) {
		t.Errorf("the error does not point at the user's line 3:\n%s", res.Stderr)
	}
	if res.Vars != nil || res.VarsReport.Problem == "" {
		t.Errorf("a failed run saved state: %q %+v", res.Vars, res.VarsReport)
	}
}
