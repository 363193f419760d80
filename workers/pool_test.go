package workers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runner"
)

func newTestPool(t *testing.T, size int) *Pool {
	t.Helper()
	p, err := NewPool(PoolConfig{
		Command: []string{os.Args[0]},
		Env:     append(os.Environ(), testWorkerEnv+"=1"),
		Size:    size,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Close(ctx)
	})
	return p
}

func TestPool_Execute(t *testing.T) {
	p := newTestPool(t, 1)
	res := p.Execute(context.Background(), 1, run.Job{Policy: run.DefaultPolicy(), Runtime: "wat", Code: testenv.WAT(t, "stderr.wat"), Workspace: t.TempDir()}, run.Hooks{})
	if res.Outcome != run.OutcomeOK || string(res.Stdout) != "out\nout2\n" || string(res.Stderr) != "err\n" {
		t.Fatalf("outcome = %s (%s), stdout %q, stderr %q", res.Outcome, res.Message, res.Stdout, res.Stderr)
	}
	res = p.Execute(context.Background(), 2, run.Job{Policy: run.DefaultPolicy(), Runtime: "wat", Code: testenv.WAT(t, "exit42.wat"), Workspace: t.TempDir()}, run.Hooks{})
	if res.Outcome != run.OutcomeExitNonzero || res.ExitCode != 42 {
		t.Fatalf("outcome = %s exit %d", res.Outcome, res.ExitCode)
	}
}

func TestPool_Execute_StreamsEvents(t *testing.T) {
	p := newTestPool(t, 1)
	var mu sync.Mutex
	var kinds []string
	res := p.Execute(context.Background(), 1, run.Job{Runtime: "wat", Code: testenv.WAT(t, "loop.wat"), Workspace: t.TempDir(),
		Policy: testenv.PolicyWith(run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: 300 * time.Millisecond})}, run.Hooks{Emit: func(ev run.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch ev.(type) {
		case run.Started:
			kinds = append(kinds, "started")
		case run.Metrics:
			kinds = append(kinds, "metrics")
		}
	}})
	if res.Outcome != run.OutcomeTimeout {
		t.Fatalf("outcome = %s (%s)", res.Outcome, res.Message)
	}
	if len(kinds) < 5 || kinds[0] != "started" {
		t.Fatalf("events = %v: want Started then live Metrics", kinds)
	}
}

func TestPool_Execute_Cancel(t *testing.T) {
	p := newTestPool(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	running := make(chan struct{})
	var once sync.Once
	done := make(chan run.Result, 1)
	go func() {
		done <- p.Execute(ctx, 1, run.Job{Policy: run.DefaultPolicy(), Runtime: "wat", Code: testenv.WAT(t, "sleep.wat"), Workspace: t.TempDir()},
			run.Hooks{Emit: func(ev run.Event) {
				if m, ok := ev.(run.Metrics); ok && m.Activity == run.ActivitySleeping {
					once.Do(func() { close(running) })
				}
			}})
	}()
	<-running
	cancel()
	select {
	case res := <-done:
		if res.Outcome != run.OutcomeCanceled {
			t.Fatalf("outcome = %s (%s)", res.Outcome, res.Message)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not end the run")
	}
	// The worker is reused for the next job.
	res := p.Execute(context.Background(), 2, run.Job{Policy: run.DefaultPolicy(), Runtime: "wat", Code: testenv.WAT(t, "hello.wat"), Workspace: t.TempDir()}, run.Hooks{})
	if res.Outcome != run.OutcomeOK {
		t.Fatalf("after cancel: %s (%s)", res.Outcome, res.Message)
	}
}

// A worker that dies mid-run (here: SIGABRT, as a wasmtime abort would)
// costs that run only: the caller gets a host_error and the pool recovers.
func TestPool_Execute_WorkerCrash(t *testing.T) {
	p := newTestPool(t, 1)
	running := make(chan struct{})
	var once sync.Once
	done := make(chan run.Result, 1)
	go func() {
		done <- p.Execute(context.Background(), 1, run.Job{Runtime: "wat", Code: testenv.WAT(t, "loop.wat"), Workspace: t.TempDir(),
			Policy: testenv.PolicyWith(run.Policy{FuelBudget: run.MaxFuelBudget})}, run.Hooks{Emit: func(ev run.Event) {
			if _, ok := ev.(run.Metrics); ok {
				once.Do(func() { close(running) })
			}
		}})
	}()
	<-running
	p.mu.Lock()
	for w := range p.workers {
		w.cmd.Process.Signal(syscall.SIGABRT)
	}
	p.mu.Unlock()
	select {
	case res := <-done:
		if res.Outcome != run.OutcomeHostError || !strings.Contains(res.Message, "crashed") {
			t.Fatalf("outcome = %s (%s)", res.Outcome, res.Message)
		}
		if res.FuelExact {
			t.Error("fuel of a crashed run must be marked as a lower bound")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a dead worker was not noticed")
	}
	res := p.Execute(context.Background(), 2, run.Job{Policy: run.DefaultPolicy(), Runtime: "wat", Code: testenv.WAT(t, "hello.wat"), Workspace: t.TempDir()}, run.Hooks{})
	if res.Outcome != run.OutcomeOK || string(res.Stdout) != "hello from wat\n" {
		t.Fatalf("after a crash: %s (%s)", res.Outcome, res.Message)
	}
}

func TestPool_Execute_InteractiveStdin(t *testing.T) {
	p := newTestPool(t, 1)
	inputs := make(chan *run.Input, 1)
	done := make(chan run.Result, 1)
	go func() {
		done <- p.Execute(context.Background(), 1, run.Job{Policy: run.DefaultPolicy(), Runtime: "wat", Code: testenv.WAT(t, "readstdin.wat"),
			Workspace: t.TempDir(), Interactive: true}, run.Hooks{OnInput: func(in *run.Input) { inputs <- in }})
	}()
	var in *run.Input
	select {
	case in = <-inputs:
	case res := <-done:
		t.Fatalf("run ended before its stdin existed: %s %s", res.Outcome, res.Message)
	}
	if _, err := in.Write([]byte("through the pool\n")); err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if res.Outcome != run.OutcomeOK || string(res.Stdout) != "through the pool\n" {
			t.Fatalf("outcome = %s, stdout = %q", res.Outcome, res.Stdout)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("guest did not see end-of-file")
	}
}

// TestRunner_ThroughPool runs jobs on a Runner whose executor is a pool:
// the workspace diff is the runner's, so it is true even when the worker
// that ran the job is killed.
func TestRunner_ThroughPool(t *testing.T) {
	p := newTestPool(t, 2)
	rn, err := runner.New(runner.Config{Executor: p, Slots: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer rn.Close(context.Background())
	res := rn.Run(context.Background(), run.Job{Policy: run.DefaultPolicy(), Runtime: "wat", Code: testenv.WAT(t, "hello.wat"), Workspace: t.TempDir()}, nil)
	if res.Outcome != run.OutcomeOK {
		t.Fatalf("outcome = %s (%s)", res.Outcome, res.Message)
	}

	ws := t.TempDir()
	if err := os.WriteFile(ws+"/old.txt", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// wat cannot easily write files; remove one from the host mid-run,
	// then let the run time out so its worker is killed.
	running := make(chan struct{})
	var once sync.Once
	go func() {
		<-running
		os.Remove(ws + "/old.txt")
	}()
	res = rn.Run(context.Background(), run.Job{Runtime: "wat", Code: testenv.WAT(t, "loop.wat"), Workspace: ws,
		Policy: testenv.PolicyWith(run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: 300 * time.Millisecond})}, func(ev run.Event) {
		if _, ok := ev.(run.Metrics); ok {
			once.Do(func() { close(running) })
		}
	})
	if len(res.Files.Deleted) != 1 || res.Files.Deleted[0].Path != "old.txt" {
		t.Fatalf("files = %+v", res.Files)
	}
}

// TestPool_Execute_KeepsState checks kept variables cross the process
// boundary both ways.
func TestPool_Execute_KeepsState(t *testing.T) {
	testenv.Need(t, filepath.Join(testenv.BinDir(), "qjs.wasm"), "the javascript runtime", "make runtimes")
	p := newTestPool(t, 1)
	job := run.Job{Policy: run.DefaultPolicy(), Runtime: "javascript", Code: []byte("state.n = (state.n || 0) + 1; console.log(state.n);"), KeepVars: true}
	job.Workspace = t.TempDir()
	first := p.Execute(context.Background(), 1, job, run.Hooks{})
	if first.Outcome != run.OutcomeOK || first.Vars == nil || first.VarsReport == nil {
		t.Fatalf("first run: %s %s state=%q report=%+v", first.Outcome, first.Stderr, first.Vars, first.VarsReport)
	}
	job.Vars = first.Vars
	second := p.Execute(context.Background(), 2, job, run.Hooks{})
	if got := string(second.Stdout); got != "2\n" {
		t.Fatalf("second run printed %q (%s %s), want 2", got, second.Outcome, second.Stderr)
	}
}
