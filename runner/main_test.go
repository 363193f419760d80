package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmplay/wasmplay/runtimes"
)

// testWorkerEnv makes the test binary serve as a Pool worker process.
const testWorkerEnv = "WASMPLAY_RUNNER_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(testWorkerEnv) == "1" {
		os.Exit(serveTestWorker())
	}
	os.Exit(m.Run())
}

func serveTestWorker() int {
	reg, err := runtimes.NewRegistry(filepath.Join("..", "bin"), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	local, err := NewLocal(reg, DefaultCacheDir())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := ServeWorker(os.Stdin, os.Stdout, local); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
