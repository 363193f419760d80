package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	for run := 1; run <= 2; run++ {
		res := l.Execute(t.Context(), 1, Job{Runtime: "python", Code: []byte(code), Workspace: t.TempDir(), KeepState: true}, Hooks{})
		if res.Outcome != OutcomeOK {
			t.Fatalf("run %d: %s %s", run, res.Outcome, res.Stderr)
		}
		if got := strings.TrimSpace(string(res.Stdout)); !strings.HasSuffix(got, "/sitecustomize.pyc") {
			t.Fatalf("run %d imported %q, want the compiled prelude", run, got)
		}
		if res.StateReport == nil || len(res.StateReport.Saved) != 1 {
			t.Fatalf("run %d: the compiled prelude did not keep variables: %+v", run, res.StateReport)
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
	job := func() Job {
		return Job{Runtime: "python", Code: []byte("x = 1\n"), Workspace: t.TempDir(), KeepState: true}
	}
	if res := l.Execute(t.Context(), 1, job(), Hooks{}); res.Outcome != OutcomeOK {
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
	res := l.Execute(t.Context(), 1, job(), Hooks{})
	if res.Outcome != OutcomeOK || res.StateReport == nil || len(res.StateReport.Saved) != 1 {
		t.Fatalf("after damage: %s %s %+v", res.Outcome, res.Stderr, res.StateReport)
	}
	if data, _ := os.ReadFile(files[0]); !isPreludePyc(data) {
		t.Fatal("the damaged cache file was not rewritten")
	}
}
