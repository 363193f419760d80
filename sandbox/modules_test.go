package sandbox

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
)

// Modules the guest brings are its input: whatever is wrong with one, or
// whatever its start function does, is the guest's outcome, and fuel is
// what it really used.
func TestModules_OutcomesAreTheGuests(t *testing.T) {
	exit := func(n string) string {
		return `(module (import "wasi_snapshot_preview1" "proc_exit" (func $e (param i32)))
			(func (export "_start") (call $e (i32.const ` + n + `))))`
	}
	binary, err := wasmtime.Wat2Wasm(`(module (func (export "_start")))`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		code     string
		policy   run.Policy
		outcome  run.Outcome
		exitCode int
		message  string
		noFuel   bool // nothing of the guest ran
	}{
		{name: "syntax error", code: "(module (func", outcome: run.OutcomeInvalidModule, message: "wat:", noFuel: true},
		{name: "no _start", code: `(module (func (export "main")))`, outcome: run.OutcomeInvalidModule, message: "_start", noFuel: true},
		{name: "foreign import", code: `(module (import "env" "f" (func)) (func (export "_start")))`,
			outcome: run.OutcomeInvalidModule, message: "env.f", noFuel: true},
		{name: "unknown WASI function", code: `(module (import "wasi_snapshot_preview1" "nope" (func)) (func (export "_start")))`,
			outcome: run.OutcomeInvalidModule, message: "nope", noFuel: true},
		{name: "WASI function of the wrong type", code: `(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32))) (func (export "_start")))`,
			outcome: run.OutcomeInvalidModule, message: "fd_write", noFuel: true},
		{name: "_start with a parameter", code: `(module (func (export "_start") (param i32)))`, outcome: run.OutcomeInvalidModule,
			message: "_start takes 1 parameters", noFuel: true},
		{name: "binary module", code: string(binary), outcome: run.OutcomeOK},
		{name: "invalid binary module", code: "\x00asm\x01\x00\x00\x00\xff", outcome: run.OutcomeInvalidModule, message: "wasm:", noFuel: true},
		{name: "start function traps", code: `(module (func $s unreachable) (start $s) (func (export "_start")))`,
			outcome: run.OutcomeTrap, message: "unreachable"},
		{name: "start function loops out of fuel", code: `(module (func $s (loop br 0)) (start $s) (func (export "_start")))`,
			policy: run.Policy{FuelBudget: 10_000_000}, outcome: run.OutcomeOutOfFuel},
		{name: "start function loops past the timeout", code: `(module (func $s (loop br 0)) (start $s) (func (export "_start")))`,
			policy: run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: 200 * time.Millisecond}, outcome: run.OutcomeTimeout},
		{name: "start function exits", code: `(module (import "wasi_snapshot_preview1" "proc_exit" (func $e (param i32)))
			(func $s (call $e (i32.const 7))) (start $s) (func (export "_start")))`, outcome: run.OutcomeExitNonzero, exitCode: 7},
		{name: "exit 200", code: exit("200"), outcome: run.OutcomeExitNonzero, exitCode: 200},
		{name: "exit 256", code: exit("256"), outcome: run.OutcomeExitNonzero, exitCode: 256},
		{name: "module larger than the cap", code: "(module)" + strings.Repeat(" ", MaxModuleBytes), outcome: run.OutcomeInvalidModule,
			message: "at most 16 MiB", noFuel: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runJob(t, run.Job{Runtime: "wat", Code: []byte(tc.code), Policy: testenv.PolicyWith(tc.policy)})
			if res.Outcome != tc.outcome || !strings.Contains(res.Message, tc.message) {
				t.Fatalf("outcome %s (%q), want %s containing %q", res.Outcome, res.Message, tc.outcome, tc.message)
			}
			if tc.exitCode != 0 && res.ExitCode != tc.exitCode {
				t.Errorf("exit code %d, want %d", res.ExitCode, tc.exitCode)
			}
			if tc.noFuel && (res.FuelConsumed != 0 || !res.FuelExact) {
				t.Errorf("fuel %d (exact %v) for a module that never ran", res.FuelConsumed, res.FuelExact)
			}
		})
	}
}

// A large module compiles in a helper process, which the run's clock and
// a cancel end.
func TestModules_CompileHelper(t *testing.T) {
	l, err := NewLocal(testLocal(t).Registry(), testenv.CacheDir())
	if err != nil {
		t.Fatal(err)
	}
	l.SetCompileHelper(os.Args[0])
	body := strings.Repeat("(local.set 0 (i32.add (local.get 0) (i32.const 1)))\n", 8_000)
	code := `(module (func (export "_start") (local i32)` + "\n" + body + "))"
	if len(code) <= inProcessCompileBytes {
		t.Fatalf("the module (%d bytes) would compile in process", len(code))
	}
	job := run.Job{Runtime: "wat", Code: []byte(code), Workspace: t.TempDir(), Policy: run.DefaultPolicy()}
	if res := l.Execute(context.Background(), 1, job, run.Hooks{}); res.Outcome != run.OutcomeOK || res.FuelConsumed == 0 {
		t.Fatalf("compiled in a helper: %s (%s), fuel %d", res.Outcome, res.Message, res.FuelConsumed)
	}
	bad := run.Job{Runtime: "wat", Code: []byte(code[:len(code)-1]), Workspace: t.TempDir(), Policy: run.DefaultPolicy()}
	if res := l.Execute(context.Background(), 2, bad, run.Hooks{}); res.Outcome != run.OutcomeInvalidModule || !strings.Contains(res.Message, "wat:") {
		t.Fatalf("a bad module compiled in a helper: %s (%s)", res.Outcome, res.Message)
	}
	// A compile that takes seconds (10 MB of text) against a short clock.
	slow := `(module (func (export "_start") (local i32)` + "\n" + strings.Repeat("(local.set 0 (i32.add (local.get 0) (i32.const 1)))\n", 200_000) + "))"
	job = run.Job{Runtime: "wat", Code: []byte(slow), Workspace: t.TempDir(), Policy: testenv.PolicyWith(run.Policy{Timeout: 100 * time.Millisecond})}
	if res := l.Execute(context.Background(), 3, job, run.Hooks{}); res.Outcome != run.OutcomeTimeout || !strings.Contains(res.Message, "compiling") {
		t.Fatalf("a slow compile against a 100 ms clock: %s (%s)", res.Outcome, res.Message)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	job.Policy = run.DefaultPolicy()
	if res := l.Execute(ctx, 4, job, run.Hooks{}); res.Outcome != run.OutcomeCanceled {
		t.Fatalf("a slow compile canceled: %s (%s)", res.Outcome, res.Message)
	}
}
