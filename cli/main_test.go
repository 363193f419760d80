package cli

import (
	"os"
	"testing"
)

// beWasmplayEnv, set in a test's child process, makes the test binary
// behave as the wasmplay command: tests start it as a subprocess (`wasmplay
// mcp` for real MCP clients) and so drive exactly this build of the code.
const beWasmplayEnv = "WASMPLAY_TEST_BE_WASMPLAY"

// workerCommand is the hidden command wasmplay starts its sandbox workers
// with; they get a clean environment (workers.WorkerEnv), so the test
// binary knows them by their arguments.
const workerCommand = "__worker"

func TestMain(m *testing.M) {
	if os.Getenv(beWasmplayEnv) == "1" || (len(os.Args) > 1 && os.Args[1] == workerCommand) {
		os.Exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
