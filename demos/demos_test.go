package demos

import (
	"context"
	"sync"
	"testing"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
)

var (
	localOnce sync.Once
	local     *sandbox.Local
	localErr  error
)

func testLocal(t *testing.T) *sandbox.Local {
	t.Helper()
	localOnce.Do(func() {
		var reg *runtimes.Registry
		if reg, localErr = runtimes.NewRegistry(testenv.BinDir(), nil); localErr == nil {
			local, localErr = sandbox.NewLocal(reg, testenv.CacheDir())
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
				testenv.Need(t, l.Registry().ArtifactPath(rt), "the "+d.Runtime+" runtime", "make runtimes")
			}
			policy, err := run.Resolve([]run.Layer{{Source: run.SourceDemo, Limits: d.Limits}}, run.Overrides{})
			if err != nil {
				t.Fatal(err)
			}
			policy.Stdin = []byte(d.Stdin)
			job := run.Job{Runtime: d.Runtime, Code: []byte(d.Code), Workspace: t.TempDir(), Policy: policy}
			rn, err := runner.New(runner.Config{Executor: l})
			if err != nil {
				t.Fatal(err)
			}
			defer rn.Close(context.Background())
			res := rn.Run(context.Background(), job, nil)
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
