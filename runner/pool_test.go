package runner

import (
	"context"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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
	res := p.Execute(context.Background(), 1, Job{Runtime: "wat", Code: readTestdata(t, "stderr.wat"), Workspace: t.TempDir()}, Hooks{})
	if res.Outcome != OutcomeOK || string(res.Stdout) != "out\nout2\n" || string(res.Stderr) != "err\n" {
		t.Fatalf("outcome = %s (%s), stdout %q, stderr %q", res.Outcome, res.Message, res.Stdout, res.Stderr)
	}
	res = p.Execute(context.Background(), 2, Job{Runtime: "wat", Code: readTestdata(t, "exit42.wat"), Workspace: t.TempDir()}, Hooks{})
	if res.Outcome != OutcomeExitNonzero || res.ExitCode != 42 {
		t.Fatalf("outcome = %s exit %d", res.Outcome, res.ExitCode)
	}
}

func TestPool_Execute_StreamsEvents(t *testing.T) {
	p := newTestPool(t, 1)
	var mu sync.Mutex
	var kinds []string
	res := p.Execute(context.Background(), 1, Job{Runtime: "wat", Code: readTestdata(t, "loop.wat"), Workspace: t.TempDir(),
		Policy: Policy{FuelBudget: MaxFuelBudget, Timeout: 300 * time.Millisecond}}, Hooks{Emit: func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		switch ev.(type) {
		case Started:
			kinds = append(kinds, "started")
		case Metrics:
			kinds = append(kinds, "metrics")
		}
	}})
	if res.Outcome != OutcomeTimeout {
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
	done := make(chan Result, 1)
	go func() {
		done <- p.Execute(ctx, 1, Job{Runtime: "wat", Code: readTestdata(t, "sleep.wat"), Workspace: t.TempDir()},
			Hooks{Emit: func(ev Event) {
				if m, ok := ev.(Metrics); ok && m.Activity == ActivitySleeping {
					once.Do(func() { close(running) })
				}
			}})
	}()
	<-running
	cancel()
	select {
	case res := <-done:
		if res.Outcome != OutcomeCanceled {
			t.Fatalf("outcome = %s (%s)", res.Outcome, res.Message)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not end the run")
	}
	// The worker is reused for the next job.
	res := p.Execute(context.Background(), 2, Job{Runtime: "wat", Code: readTestdata(t, "hello.wat"), Workspace: t.TempDir()}, Hooks{})
	if res.Outcome != OutcomeOK {
		t.Fatalf("after cancel: %s (%s)", res.Outcome, res.Message)
	}
}

// A worker that dies mid-run (here: SIGABRT, as a wasmtime abort would)
// costs that run only: the caller gets a host_error and the pool recovers.
func TestPool_Execute_WorkerCrash(t *testing.T) {
	p := newTestPool(t, 1)
	running := make(chan struct{})
	var once sync.Once
	done := make(chan Result, 1)
	go func() {
		done <- p.Execute(context.Background(), 1, Job{Runtime: "wat", Code: readTestdata(t, "loop.wat"), Workspace: t.TempDir(),
			Policy: Policy{FuelBudget: MaxFuelBudget}}, Hooks{Emit: func(ev Event) {
			if _, ok := ev.(Metrics); ok {
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
		if res.Outcome != OutcomeHostError || !strings.Contains(res.Message, "crashed") {
			t.Fatalf("outcome = %s (%s)", res.Outcome, res.Message)
		}
		if res.FuelExact {
			t.Error("fuel of a crashed run must be marked as a lower bound")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a dead worker was not noticed")
	}
	res := p.Execute(context.Background(), 2, Job{Runtime: "wat", Code: readTestdata(t, "hello.wat"), Workspace: t.TempDir()}, Hooks{})
	if res.Outcome != OutcomeOK || string(res.Stdout) != "hello from wat\n" {
		t.Fatalf("after a crash: %s (%s)", res.Outcome, res.Message)
	}
}

func TestPool_Execute_InteractiveStdin(t *testing.T) {
	p := newTestPool(t, 1)
	inputs := make(chan *Input, 1)
	done := make(chan Result, 1)
	go func() {
		done <- p.Execute(context.Background(), 1, Job{Runtime: "wat", Code: readTestdata(t, "readstdin.wat"),
			Workspace: t.TempDir(), Interactive: true}, Hooks{OnInput: func(in *Input) { inputs <- in }})
	}()
	var in *Input
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
		if res.Outcome != OutcomeOK || string(res.Stdout) != "through the pool\n" {
			t.Fatalf("outcome = %s, stdout = %q", res.Outcome, res.Stdout)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("guest did not see end-of-file")
	}
}

func TestPool_Execute_FilesDiffedByParent(t *testing.T) {
	p := newTestPool(t, 1)
	ws := t.TempDir()
	if err := os.WriteFile(ws+"/old.txt", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// wat cannot easily write files; remove one from the host mid-run to
	// check that the parent's diff sees it.
	running := make(chan struct{})
	var once sync.Once
	go func() {
		<-running
		os.Remove(ws + "/old.txt")
	}()
	res := p.Execute(context.Background(), 1, Job{Runtime: "wat", Code: readTestdata(t, "loop.wat"), Workspace: ws,
		Policy: Policy{FuelBudget: MaxFuelBudget, Timeout: 300 * time.Millisecond}}, Hooks{Emit: func(ev Event) {
		if _, ok := ev.(Metrics); ok {
			once.Do(func() { close(running) })
		}
	}})
	if len(res.Files.Deleted) != 1 || res.Files.Deleted[0].Path != "old.txt" {
		t.Fatalf("files = %+v", res.Files)
	}
}

func TestRunner_SubmitThroughPool(t *testing.T) {
	p := newTestPool(t, 2)
	rn, err := New(Config{Executor: p, Slots: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer rn.Close(context.Background())
	id, err := rn.Submit(Job{Runtime: "wat", Code: readTestdata(t, "hello.wat"), Workspace: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-rn.Events():
			if f, ok := ev.(Finished); ok && f.ID == id {
				if f.Result.Outcome != OutcomeOK {
					t.Fatalf("outcome = %s (%s)", f.Result.Outcome, f.Result.Message)
				}
				return
			}
		case <-timeout:
			t.Fatal("no Finished event")
		}
	}
}

// TestPool_Execute_KeepsState checks kept variables cross the process
// boundary both ways.
func TestPool_Execute_KeepsState(t *testing.T) {
	needRuntime(t, "javascript")
	p := newTestPool(t, 1)
	job := Job{Runtime: "javascript", Code: []byte("state.n = (state.n || 0) + 1; console.log(state.n);"), KeepState: true}
	job.Workspace = t.TempDir()
	first := p.Execute(context.Background(), 1, job, Hooks{})
	if first.Outcome != OutcomeOK || first.State == nil || first.StateReport == nil {
		t.Fatalf("first run: %s %s state=%q report=%+v", first.Outcome, first.Stderr, first.State, first.StateReport)
	}
	job.State = first.State
	second := p.Execute(context.Background(), 2, job, Hooks{})
	if got := string(second.Stdout); got != "2\n" {
		t.Fatalf("second run printed %q (%s %s), want 2", got, second.Outcome, second.Stderr)
	}
}
