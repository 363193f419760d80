package sandbox

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
)

func TestLocal_Execute_WAT(t *testing.T) {
	tests := []struct {
		name       string
		file       string
		policy     run.Policy
		outcome    run.Outcome
		exitCode   int
		stdout     string
		stderr     string
		msgContain string
	}{
		{name: "exit code", file: "exit42.wat", outcome: run.OutcomeExitNonzero, exitCode: 42},
		{name: "hello", file: "hello.wat", outcome: run.OutcomeOK, stdout: "hello from wat\n"},
		{name: "two streams", file: "stderr.wat", outcome: run.OutcomeOK, stdout: "out\nout2\n", stderr: "err\n"},
		{name: "infinite loop runs out of fuel", file: "loop.wat", policy: testenv.PolicyWith(run.Policy{FuelBudget: 50_000_000}),
			outcome: run.OutcomeOutOfFuel, exitCode: -1},
		{name: "infinite loop with huge fuel times out", file: "loop.wat",
			policy:  testenv.PolicyWith(run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: 300 * time.Millisecond}),
			outcome: run.OutcomeTimeout, exitCode: -1},
		{name: "recursion overflows the stack", file: "recurse.wat", outcome: run.OutcomeStackOverflow, exitCode: -1},
		{name: "unreachable traps", file: "unreachable.wat", outcome: run.OutcomeTrap, exitCode: -1, msgContain: "unreachable"},
		{name: "sleep ends at the timeout", file: "sleep.wat", policy: testenv.PolicyWith(run.Policy{Timeout: 200 * time.Millisecond}),
			outcome: run.OutcomeTimeout, exitCode: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runJob(t, run.Job{Runtime: "wat", Code: readTestdata(t, tc.file), Policy: tc.policy})
			if res.Outcome != tc.outcome {
				t.Fatalf("outcome = %s (%s), want %s", res.Outcome, res.Message, tc.outcome)
			}
			if res.ExitCode != tc.exitCode {
				t.Errorf("exit code = %d, want %d", res.ExitCode, tc.exitCode)
			}
			if res.Success != (tc.outcome == run.OutcomeOK) {
				t.Errorf("success = %v for outcome %s", res.Success, res.Outcome)
			}
			if tc.stdout != "" && string(res.Stdout) != tc.stdout {
				t.Errorf("stdout = %q, want %q", res.Stdout, tc.stdout)
			}
			if tc.stderr != "" && string(res.Stderr) != tc.stderr {
				t.Errorf("stderr = %q, want %q", res.Stderr, tc.stderr)
			}
			if tc.msgContain != "" && !strings.Contains(res.Message, tc.msgContain) {
				t.Errorf("message = %q, want it to contain %q", res.Message, tc.msgContain)
			}
			if res.Runtime != "wat" {
				t.Errorf("runtime = %q", res.Runtime)
			}
		})
	}
}

func TestLocal_Execute_OutOfFuelIsExact(t *testing.T) {
	const budget = 10_000_000
	res := runJob(t, run.Job{Runtime: "wat", Code: readTestdata(t, "loop.wat"), Policy: testenv.PolicyWith(run.Policy{FuelBudget: budget})})
	if res.Outcome != run.OutcomeOutOfFuel {
		t.Fatalf("outcome = %s (%s)", res.Outcome, res.Message)
	}
	if res.FuelConsumed != budget || !res.FuelExact {
		t.Errorf("fuel consumed = %d exact=%v, want the whole budget %d, exact", res.FuelConsumed, res.FuelExact, budget)
	}
}

func TestLocal_Execute_MemoryCap(t *testing.T) {
	// grow.wat starts with 1 page and grows until memory.grow fails; it
	// exits with the number of pages it got, so the cap is visible exactly.
	tests := []struct {
		capBytes uint64
		want     int
	}{
		{capBytes: 1 << 20, want: 15}, // 16 pages in all
		{capBytes: 4 << 20, want: 63}, // 64 pages
		{capBytes: 6 << 20, want: 95}, // 96 pages (WASI exit statuses stop at 125)
	}
	for _, tc := range tests {
		res := runJob(t, run.Job{Runtime: "wat", Code: readTestdata(t, "grow.wat"), Policy: testenv.PolicyWith(run.Policy{MemoryBytes: tc.capBytes})})
		if res.ExitCode != tc.want {
			t.Errorf("cap %s: pages grown = %d (%s %s), want %d", run.FormatBytes(tc.capBytes), res.ExitCode, res.Outcome, res.Message, tc.want)
		}
		// The guest failed (exit status != 0) after a refused grow.
		if res.Outcome != run.OutcomeMemoryLimit {
			t.Errorf("cap %s: outcome = %s, want memory_limit", run.FormatBytes(tc.capBytes), res.Outcome)
		}
		if res.MemoryGrowDenied == 0 {
			t.Errorf("cap %s: no refused growth recorded", run.FormatBytes(tc.capBytes))
		}
		if res.PeakMemoryBytes != tc.capBytes || res.PeakMemoryPages != tc.capBytes/run.WasmPageSize {
			t.Errorf("cap %s: peak = %d bytes / %d pages", run.FormatBytes(tc.capBytes), res.PeakMemoryBytes, res.PeakMemoryPages)
		}
	}
}

func TestLocal_Execute_MemoryBelowModuleMinimum(t *testing.T) {
	code := []byte(`(module (memory (export "memory") 32) (func (export "_start")))`) // 2 MiB minimum
	res := runJob(t, run.Job{Runtime: "wat", Code: code, Policy: testenv.PolicyWith(run.Policy{MemoryBytes: 1 << 20})})
	if res.Outcome != run.OutcomeMemoryLimit {
		t.Fatalf("outcome = %s (%s), want memory_limit", res.Outcome, res.Message)
	}
	if !strings.Contains(res.Message, "2 MiB") || !strings.Contains(res.Message, "1 MiB") {
		t.Errorf("message %q should name the module's need and the cap", res.Message)
	}
}

func TestLocal_Execute_OutputCap(t *testing.T) {
	res := runJob(t, run.Job{Runtime: "wat", Code: readTestdata(t, "flood.wat"), Policy: testenv.PolicyWith(run.Policy{StdoutMaxBytes: 100_000})})
	if res.Outcome != run.OutcomeOK {
		t.Fatalf("outcome = %s (%s)", res.Outcome, res.Message)
	}
	if len(res.Stdout) != 100_000 || !res.StdoutTruncated {
		t.Errorf("kept %d bytes, truncated=%v; want 100000, true", len(res.Stdout), res.StdoutTruncated)
	}
	if res.StdoutBytes != 128<<20 {
		t.Errorf("stdout bytes written = %d, want all 128 MiB counted", res.StdoutBytes)
	}
	if bytes.Count(res.Stdout, []byte("y")) != len(res.Stdout) {
		t.Error("kept output is not what the guest wrote")
	}
}

func TestLocal_Execute_CancelCompute(t *testing.T) {
	l := testLocal(t)
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	started := make(chan struct{})
	done := make(chan run.Result, 1)
	go func() {
		done <- l.Execute(ctx, 1, run.Job{Runtime: "wat", Code: readTestdata(t, "loop.wat"), Workspace: t.TempDir(),
			Policy: testenv.PolicyWith(run.Policy{FuelBudget: run.MaxFuelBudget})}, run.Hooks{Emit: func(ev run.Event) {
			if m, ok := ev.(run.Metrics); ok && m.Activity == run.ActivityRunning {
				once.Do(func() { close(started) })
			}
		}})
	}()
	<-started
	cancel()
	select {
	case res := <-done:
		if res.Outcome != run.OutcomeCanceled {
			t.Fatalf("outcome = %s (%s)", res.Outcome, res.Message)
		}
		if res.FuelExact {
			t.Error("fuel after a cancel must be marked as a lower bound")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not end the run")
	}
}

func TestLocal_Execute_CancelSleep(t *testing.T) {
	l := testLocal(t)
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	sleeping := make(chan struct{})
	done := make(chan run.Result, 1)
	go func() {
		done <- l.Execute(ctx, 1, run.Job{Policy: run.DefaultPolicy(), Runtime: "wat", Code: readTestdata(t, "sleep.wat"), Workspace: t.TempDir()},
			run.Hooks{Emit: func(ev run.Event) {
				if m, ok := ev.(run.Metrics); ok && m.Activity == run.ActivitySleeping {
					once.Do(func() { close(sleeping) })
				}
			}})
	}()
	select {
	case <-sleeping:
	case <-time.After(5 * time.Second):
		t.Fatal("never saw the guest sleeping")
	}
	cancel()
	select {
	case res := <-done:
		if res.Outcome != run.OutcomeCanceled {
			t.Fatalf("outcome = %s (%s)", res.Outcome, res.Message)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not wake the sleeping guest")
	}
}

func TestLocal_Execute_InteractiveStdin(t *testing.T) {
	l := testLocal(t)
	inputs := make(chan *run.Input, 1)
	done := make(chan run.Result, 1)
	go func() {
		done <- l.Execute(context.Background(), 1, run.Job{Policy: run.DefaultPolicy(), Runtime: "wat", Code: readTestdata(t, "readstdin.wat"),
			Workspace: t.TempDir(), Interactive: true}, run.Hooks{OnInput: func(in *run.Input) { inputs <- in }})
	}()
	var in *run.Input
	select {
	case in = <-inputs:
	case res := <-done:
		t.Fatalf("run ended before its stdin existed: %s %s", res.Outcome, res.Message)
	}
	if _, err := in.Write([]byte("line one\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Write([]byte("line two\n")); err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if res.Outcome != run.OutcomeOK || string(res.Stdout) != "line one\nline two\n" {
			t.Fatalf("outcome = %s, stdout = %q", res.Outcome, res.Stdout)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("guest did not see end-of-file")
	}
}

func TestLocal_Execute_FixedStdin(t *testing.T) {
	res := runJob(t, run.Job{Runtime: "wat", Code: readTestdata(t, "readstdin.wat"), Policy: testenv.PolicyWith(run.Policy{Stdin: []byte("abc")})})
	if res.Outcome != run.OutcomeOK || string(res.Stdout) != "abc" {
		t.Fatalf("outcome = %s, stdout = %q", res.Outcome, res.Stdout)
	}
}

func TestLocal_Execute_LiveMetricsDuringComputeLoop(t *testing.T) {
	l := testLocal(t)
	var mu sync.Mutex
	var samples []run.Metrics
	res := l.Execute(context.Background(), 1, run.Job{Runtime: "wat", Code: readTestdata(t, "loop.wat"), Workspace: t.TempDir(),
		Policy: testenv.PolicyWith(run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: 500 * time.Millisecond})}, run.Hooks{Emit: func(ev run.Event) {
		if m, ok := ev.(run.Metrics); ok {
			mu.Lock()
			samples = append(samples, m)
			mu.Unlock()
		}
	}})
	if res.Outcome != run.OutcomeTimeout {
		t.Fatalf("outcome = %s", res.Outcome)
	}
	// 500 ms at a 16 ms interval is ~30 samples; a loaded machine may lose
	// some, but a loop that never calls the host must still be observed.
	if len(samples) < 10 {
		t.Fatalf("only %d metrics samples during a 500 ms compute loop", len(samples))
	}
	for _, m := range samples {
		if m.MemoryBytes != run.WasmPageSize || m.MemoryCapBytes != run.DefaultMemoryBytes {
			t.Fatalf("sample memory = %d cap %d", m.MemoryBytes, m.MemoryCapBytes)
		}
	}
}

func TestLocal_Execute_BadInput(t *testing.T) {
	hello := readTestdata(t, "hello.wat")
	tests := []struct {
		name    string
		job     run.Job
		outcome run.Outcome
		message string
	}{
		{name: "unknown runtime", job: run.Job{Policy: run.DefaultPolicy(), Runtime: "cobol"}, outcome: run.OutcomeHostError, message: "unknown runtime"},
		{name: "wat syntax error", job: run.Job{Policy: run.DefaultPolicy(), Runtime: "wat", Code: []byte("(module (func")}, outcome: run.OutcomeInvalidModule, message: "wat:"},
		{name: "wat not utf-8", job: run.Job{Runtime: "wat", Code: []byte{0xff, 0xfe}}, outcome: run.OutcomeInvalidModule, message: "UTF-8"},
		{name: "no _start", job: run.Job{Runtime: "wat", Code: []byte("(module)")}, outcome: run.OutcomeInvalidModule, message: "_start"},
		{name: "foreign import", job: run.Job{Runtime: "wat", Code: []byte(`(module (import "env" "f" (func)) (func (export "_start")))`)},
			outcome: run.OutcomeInvalidModule, message: "env.f"},
		{name: "negative timeout", job: run.Job{Runtime: "wat", Code: hello, Policy: testenv.PolicyWith(run.Policy{Timeout: -time.Second})},
			outcome: run.OutcomeHostError, message: "timeout"},
		{name: "missing mount", job: run.Job{Runtime: "wat", Code: hello,
			Policy: testenv.PolicyWith(run.Policy{Mounts: []run.Mount{{HostPath: "/nonexistent/data", GuestPath: "/data"}}})}, outcome: run.OutcomeHostError, message: "mounts"},
		{name: "mount over /app", job: run.Job{Runtime: "wat", Code: hello,
			Policy: testenv.PolicyWith(run.Policy{Mounts: []run.Mount{{HostPath: "/tmp", GuestPath: "/app/x"}}})}, outcome: run.OutcomeHostError, message: "overlaps /app"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runJob(t, tc.job)
			if res.Outcome != tc.outcome || !strings.Contains(res.Message, tc.message) {
				t.Fatalf("outcome = %s message = %q; want %s containing %q", res.Outcome, res.Message, tc.outcome, tc.message)
			}
		})
	}
	// The executor is still usable afterwards.
	res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "wat", Code: readTestdata(t, "hello.wat")})
	if res.Outcome != run.OutcomeOK {
		t.Fatalf("after bad input: outcome = %s (%s)", res.Outcome, res.Message)
	}
}
