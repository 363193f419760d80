package runner

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

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
		reg, sharedLocalErr = runtimes.NewRegistry(filepath.Join("..", "bin"), nil)
		if sharedLocalErr != nil {
			return
		}
		sharedLocal, sharedLocalErr = NewLocal(reg, DefaultCacheDir())
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
func runJob(t testing.TB, job Job) Result {
	t.Helper()
	if job.Workspace == "" {
		job.Workspace = t.TempDir()
	}
	return testLocal(t).Execute(context.Background(), 1, job, Hooks{})
}

// needRuntime skips a test when an interpreter binary is not built.
func needRuntime(t testing.TB, name string) {
	t.Helper()
	l := testLocal(t)
	rt, err := l.Registry().Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Registry().ArtifactPath(rt)); err != nil {
		if os.Getenv("WASMPLAY_REQUIRE_RUNTIMES") != "" {
			t.Fatalf("%s runtime is not built (run `make runtimes`): %v", name, err)
		}
		t.Skipf("%s runtime is not built (run `make runtimes`)", name)
	}
}
