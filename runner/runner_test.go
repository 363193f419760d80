package runner_test

import (
	"context"
	"sync"
	"testing"
	"time"

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

// testLocal is one in-process executor shared by the package's tests.
func testLocal(t testing.TB) *sandbox.Local {
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

// loopJob is a WebAssembly loop that only its timeout (or a cancel) ends.
func loopJob(t *testing.T, timeout time.Duration) run.Job {
	return run.Job{Runtime: "wat", Code: testenv.WAT(t, "loop.wat"), Workspace: t.TempDir(),
		Policy: testenv.PolicyWith(run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: timeout})}
}

// Several runs at once are bounded by the slots; the rest are queued, and
// a queued run can be canceled before it starts.
func TestRunner_SlotsAndQueue(t *testing.T) {
	rn, err := runner.New(runner.Config{Executor: testLocal(t), Slots: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer rn.Close(context.Background())

	var mu sync.Mutex
	queued := map[run.ID]bool{}
	record := func(ev run.Event) {
		if q, ok := ev.(run.Queued); ok {
			mu.Lock()
			queued[q.ID] = true
			mu.Unlock()
		}
	}
	var handles []*runner.Handle
	for i := 0; i < 4; i++ {
		h, err := rn.Start(context.Background(), loopJob(t, 400*time.Millisecond), record)
		if err != nil {
			t.Fatal(err)
		}
		handles = append(handles, h)
	}
	for _, h := range handles {
		if res := h.Wait(); res.Outcome != run.OutcomeTimeout {
			t.Errorf("%s: %s", h.ID(), res.Outcome)
		}
	}
	mu.Lock()
	if len(queued) != 2 {
		t.Errorf("%d runs reported queued, want 2 (4 runs, 2 slots)", len(queued))
	}
	mu.Unlock()

	// Fill both slots, queue a third run and cancel it by its ID.
	started := make(chan struct{}, 2)
	for i := 0; i < 2; i++ {
		if _, err := rn.Start(context.Background(), loopJob(t, time.Second), func(ev run.Event) {
			if _, ok := ev.(run.Started); ok {
				started <- struct{}{}
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	<-started
	<-started
	isQueued := make(chan struct{})
	waiting, err := rn.Start(context.Background(), loopJob(t, time.Second), func(ev run.Event) {
		if _, ok := ev.(run.Queued); ok {
			close(isQueued)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	<-isQueued
	if !rn.Cancel(waiting.ID()) {
		t.Fatal("Cancel did not find the queued run")
	}
	if res := waiting.Wait(); res.Outcome != run.OutcomeCanceled || res.Message != "canceled before it started" {
		t.Errorf("queued run canceled: %s %q", res.Outcome, res.Message)
	}
}

// Run registers its run, so Cancel and SendInput by ID reach it.
func TestRunner_RunIsRegistered(t *testing.T) {
	rn, err := runner.New(runner.Config{Executor: testLocal(t), Slots: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rn.Close(context.Background())
	done := make(chan run.Result, 1)
	var id run.ID
	started := make(chan struct{})
	go func() {
		done <- rn.Run(context.Background(), loopJob(t, 10*time.Second), func(ev run.Event) {
			if s, ok := ev.(run.Started); ok {
				id = s.ID
				close(started)
			}
		})
	}()
	<-started
	if !rn.Cancel(id) {
		t.Fatal("Cancel did not find the run started by Run")
	}
	select {
	case res := <-done:
		if res.Outcome != run.OutcomeCanceled {
			t.Fatalf("outcome %s, want canceled", res.Outcome)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the canceled run did not end")
	}
}

// Every run's last event is Finished, carrying the Result Wait returns.
func TestRunner_FinishedIsLast(t *testing.T) {
	rn, err := runner.New(runner.Config{Executor: testLocal(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer rn.Close(context.Background())
	var events []run.Event
	h, err := rn.Start(context.Background(), run.Job{Runtime: "wat", Code: testenv.WAT(t, "hello.wat"),
		Workspace: t.TempDir(), Policy: run.DefaultPolicy()}, func(ev run.Event) { events = append(events, ev) })
	if err != nil {
		t.Fatal(err)
	}
	res := h.Wait()
	if len(events) == 0 {
		t.Fatal("no events")
	}
	fin, ok := events[len(events)-1].(run.Finished)
	if !ok || fin.Result.Outcome != res.Outcome || fin.ID != h.ID() {
		t.Fatalf("last event %#v, result %s", events[len(events)-1], res.Outcome)
	}
	if _, err := rn.Start(context.Background(), run.Job{}, nil); err != nil {
		t.Fatalf("Start refused a job it should run and report: %v", err)
	}
}
