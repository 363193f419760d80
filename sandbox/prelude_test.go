package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmplay/wasmplay/run"
)

// localWithPreludeCache is the shared executor with its own, empty
// prelude cache under dir.
func localWithPreludeCache(t *testing.T, dir string) *Local {
	l := *testLocal(t)
	l.preludes = newPreludeCache(dir)
	return &l
}

func TestPrelude_CompiledOnceThenImportedAsBytecode(t *testing.T) {
	needRuntime(t, "python")
	dir := t.TempDir()
	l := localWithPreludeCache(t, dir)
	code := "import sitecustomize\nprint(sitecustomize.__file__)\nkept = 1\n"
	for n := 1; n <= 2; n++ {
		res := l.Execute(t.Context(), 1, run.Job{Policy: run.DefaultPolicy(), Runtime: "python", Code: []byte(code), Workspace: t.TempDir(), KeepVars: true}, run.Hooks{})
		if res.Outcome != run.OutcomeOK {
			t.Fatalf("run %d: %s %s", n, res.Outcome, res.Stderr)
		}
		if got := strings.TrimSpace(string(res.Stdout)); !strings.HasSuffix(got, "/sitecustomize.pyc") {
			t.Fatalf("run %d imported %q, want the compiled prelude", n, got)
		}
		if res.VarsReport == nil || len(res.VarsReport.Saved) != 1 {
			t.Fatalf("run %d: the compiled prelude did not keep variables: %+v", n, res.VarsReport)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "preludes", "*.pyc"))
	if len(files) != 1 {
		t.Fatalf("cache holds %v, want one .pyc", files)
	}
}

func TestPrelude_DamagedCacheFileIsReplaced(t *testing.T) {
	needRuntime(t, "python")
	dir := t.TempDir()
	l := localWithPreludeCache(t, dir)
	job := func() run.Job {
		return run.Job{Policy: run.DefaultPolicy(), Runtime: "python", Code: []byte("x = 1\n"), Workspace: t.TempDir(), KeepVars: true}
	}
	if res := l.Execute(t.Context(), 1, job(), run.Hooks{}); res.Outcome != run.OutcomeOK {
		t.Fatalf("%s %s", res.Outcome, res.Stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "preludes", "*.pyc"))
	if len(files) != 1 {
		t.Fatalf("cache holds %v", files)
	}
	if err := os.WriteFile(files[0], []byte("not bytecode"), 0o600); err != nil {
		t.Fatal(err)
	}
	l = localWithPreludeCache(t, dir) // forget the copy in memory
	res := l.Execute(t.Context(), 1, job(), run.Hooks{})
	if res.Outcome != run.OutcomeOK || res.VarsReport == nil || len(res.VarsReport.Saved) != 1 {
		t.Fatalf("after damage: %s %s %+v", res.Outcome, res.Stderr, res.VarsReport)
	}
	if data, _ := os.ReadFile(files[0]); !isPreludePyc(data) {
		t.Fatal("the damaged cache file was not rewritten")
	}
}
