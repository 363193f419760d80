package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

var (
	sharedLocalOnce sync.Once
	sharedLocal     *Local
	sharedLocalErr  error
)

// testLocal returns one in-process executor shared by the package's tests
// (an engine is heavy; modules compile once).
func testLocal(t testing.TB) *Local {
	t.Helper()
	sharedLocalOnce.Do(func() {
		var reg *runtimes.Registry
		reg, sharedLocalErr = runtimes.NewRegistry(testenv.BinDir(), nil)
		if sharedLocalErr != nil {
			return
		}
		sharedLocal, sharedLocalErr = NewLocal(reg, testenv.CacheDir())
	})
	if sharedLocalErr != nil {
		t.Fatal(sharedLocalErr)
	}
	return sharedLocal
}

// readTestdata returns a file from testdata.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// runJob executes a job in a fresh workspace unless one is set.
func runJob(t testing.TB, job run.Job) run.Result {
	t.Helper()
	if job.Workspace == "" {
		job.Workspace = t.TempDir()
	}
	job.Policy = testenv.PolicyWith(job.Policy)
	job.Workspace, _ = hostfs.EnsureDir(job.Workspace)
	before, _ := hostfs.Scan(job.Workspace)
	res := testLocal(t).Execute(context.Background(), 1, job, run.Hooks{})
	after, _ := hostfs.Scan(job.Workspace)
	res.Files = hostfs.Diff(before, after) // as the runner does around every run
	return res
}

// needRuntime skips a test when an interpreter binary is not built.
func needRuntime(t testing.TB, name string) {
	t.Helper()
	l := testLocal(t)
	rt, err := l.Registry().Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Need(t, l.Registry().ArtifactPath(rt), "the "+name+" runtime", "make runtimes")
}
