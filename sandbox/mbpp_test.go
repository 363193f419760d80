package sandbox

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/internal/mbpp"
	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
)

// TestMBPP_CompatibleWithCPython runs the 974 MBPP tasks (reference code
// and asserts) in the sandbox: each must pass, except the few whose
// reference code fails its own asserts under CPython anywhere.
func TestMBPP_CompatibleWithCPython(t *testing.T) {
	if testing.Short() {
		t.Skip("974 Python runs; skipped with -short")
	}
	needRuntime(t, "python")
	tasks, err := mbpp.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 974 {
		t.Fatalf("mbpp.jsonl holds %d tasks, want 974", len(tasks))
	}
	known, err := mbpp.KnownFailures()
	if err != nil {
		t.Fatal(err)
	}
	l := testLocal(t)

	type outcome struct {
		id     int
		passed bool
		detail string
	}
	results := make(chan outcome)
	work := make(chan mbpp.Task)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := t.TempDir()
			for task := range work {
				// The budget is generous: the question is whether the code
				// behaves as under CPython, not how fast (task 123 sums
				// amicable numbers below 10,000: 2 s natively).
				res := l.Execute(context.Background(), 1, run.Job{Runtime: "python", Code: []byte(task.Program()), Workspace: ws,
					Policy: testenv.PolicyWith(run.Policy{FuelBudget: 200_000_000_000, Timeout: 2 * time.Minute})}, run.Hooks{})
				detail := fmt.Sprintf("%s: %s", res.Outcome, lastLine(string(res.Stderr)))
				results <- outcome{id: task.TaskID, passed: res.Outcome == run.OutcomeOK, detail: detail}
			}
		}()
	}
	go func() {
		for _, task := range tasks {
			work <- task
		}
		close(work)
		wg.Wait()
		close(results)
	}()

	var unexpected, fixed []string
	passed := 0
	for r := range results {
		_, isKnown := known[r.id]
		switch {
		case r.passed && isKnown:
			fixed = append(fixed, strconv.Itoa(r.id))
		case r.passed:
			passed++
		case !isKnown:
			unexpected = append(unexpected, fmt.Sprintf("task %d: %s", r.id, r.detail))
		}
	}
	sort.Strings(unexpected)
	t.Logf("%d of %d MBPP tasks pass; %d known failures", passed, len(tasks), len(known))
	if len(unexpected) > 0 {
		t.Errorf("%d tasks fail in the sandbox:\n%s", len(unexpected), strings.Join(unexpected, "\n"))
	}
	if len(fixed) > 0 {
		t.Errorf("tasks listed in known_failures.txt now pass (remove them): %s", strings.Join(fixed, " "))
	}
}

// lastLine is the last non-empty line of s (a traceback's error).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
