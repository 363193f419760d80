package workers

import (
	"fmt"
	"os"
	"testing"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
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
	reg, err := runtimes.NewRegistry(testenv.BinDir(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	local, err := sandbox.NewLocal(reg, testenv.CacheDir())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	prepare := func(rt string, onCompile func(run.Compiling)) error {
		_, err := local.Prepare(rt, onCompile)
		return err
	}
	if err := Serve(os.Stdin, os.Stdout, local, prepare); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
