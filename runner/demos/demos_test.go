package demos

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
)

var (
	localOnce sync.Once
	local     *runner.Local
	localErr  error
)

func testLocal(t *testing.T) *runner.Local {
	t.Helper()
	localOnce.Do(func() {
		var reg *runtimes.Registry
		if reg, localErr = runtimes.NewRegistry(filepath.Join("..", "..", "bin"), nil); localErr == nil {
			local, localErr = runner.NewLocal(reg, runner.DefaultCacheDir())
		}
	})
	if localErr != nil {
		t.Fatal(localErr)
	}
	return local
}

// Every demo runs end to end against the real runtimes and meets the
// expectation it states.
func TestAll_MeetTheirExpectations(t *testing.T) {
	l := testLocal(t)
	for _, d := range All() {
		t.Run(d.ID, func(t *testing.T) {
			rt, err := l.Registry().Lookup(d.Runtime)
			if err != nil {
				t.Fatal(err)
			}
			if rt.Kind == runtimes.Interpreter {
				if _, err := os.Stat(l.Registry().ArtifactPath(rt)); err != nil {
					if os.Getenv("WASMPLAY_REQUIRE_RUNTIMES") != "" {
						t.Fatalf("%s runtime is not built: %v", d.Runtime, err)
					}
					t.Skipf("%s runtime is not built (run `make runtimes`)", d.Runtime)
				}
			}
			job := runner.Job{Runtime: d.Runtime, Code: []byte(d.Code), Workspace: t.TempDir(),
				Policy: d.ApplyPolicy(runner.DefaultPolicy())}
			res := l.Execute(context.Background(), 1, job, runner.Hooks{})
			ok, why := d.Verdict(res)
			if !ok {
				t.Fatalf("%s: expectation not met: %s\noutcome %s (%s)\nstdout: %.500s\nstderr: %.800s", d.Expect, why,
					res.Outcome, res.Message, res.Stdout, res.Stderr)
			}
		})
	}
}

func TestAll_WellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range All() {
		if d.ID == "" || d.Title == "" || d.Expect == "" || d.Check == nil || d.Code == "" {
			t.Errorf("demo %q is incomplete", d.ID)
		}
		if seen[d.ID] {
			t.Errorf("demo %q listed twice", d.ID)
		}
		seen[d.ID] = true
		if _, ok := Lookup(d.ID); !ok {
			t.Errorf("Lookup(%q) failed", d.ID)
		}
	}
	// The gallery: hello, files, JSON/CSV, a fuel-hungry Fibonacci,
	// memory growth in WAT, and the probes.
	for _, id := range []string{"hello", "files", "json-csv", "fib-fuel", "wat-memory", "read-passwd", "escape-dotdot",
		"escape-symlink", "infinite-loop", "memory-bomb", "output-flood", "env-snoop"} {
		if !seen[id] {
			t.Errorf("the gallery lacks %q", id)
		}
	}
}
