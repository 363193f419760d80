package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wasmplay/wasmplay/internal/mbpp"
	"github.com/wasmplay/wasmplay/run"
)

// batchSection runs the MBPP set three ways, one after the other on the
// same machine: through `wasmplay batch`, through `wasmplay run` one
// process per program (2 at a time), and through native python3 one
// process per program (2 at a time, as human-eval's harness does).
func (b *bench) batchSection() (string, error) {
	tasks, err := mbpp.Tasks()
	if err != nil {
		return "", err
	}
	if b.quick {
		tasks = tasks[:100]
	}
	dir, err := os.MkdirTemp("", "wasmplay-bench-batch-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	// The items, and each program as a file for the one-process runs.
	var in strings.Builder
	for _, t := range tasks {
		line, _ := json.Marshal(map[string]any{"id": t.TaskID, "language": "python", "code": t.Code,
			"tests": t.Asserts()})
		in.Write(append(line, '\n'))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("task_%d.py", t.TaskID)), []byte(t.Program()), 0o644); err != nil {
			return "", err
		}
	}
	items := filepath.Join(dir, "mbpp.jsonl")
	if err := os.WriteFile(items, []byte(in.String()), 0o644); err != nil {
		return "", err
	}
	type way struct {
		label  string
		run    func() (passed int, err error)
		took   time.Duration
		passed int
	}
	out := filepath.Join(dir, "mbpp.results.jsonl")
	perProcess := func(argv func(path string) []string) func() (int, error) {
		return func() (int, error) {
			return runEach(tasks, 2, func(t mbpp.Task) bool {
				a := argv(filepath.Join(dir, fmt.Sprintf("task_%d.py", t.TaskID)))
				return exec.Command(a[0], a[1:]...).Run() == nil
			}), nil
		}
	}
	ways := []*way{
		{label: "`wasmplay batch` (2 workers, every limit on)", run: func() (int, error) {
			os.Remove(out)
			if o, err := exec.Command(b.wasmplay, "batch", "-j", "2", "-o", out, items).CombinedOutput(); err != nil {
				return 0, fmt.Errorf("wasmplay batch: %v: %s", err, o)
			}
			return countPassed(out)
		}},
		{label: "`wasmplay run` one process per program, 2 at a time", run: perProcess(func(p string) []string {
			return []string{b.wasmplay, "run", p}
		})},
		{label: "native `python3` one process per program, 2 at a time (" + pythonVersion() + ")", run: perProcess(func(p string) []string {
			return []string{nativePython(), p}
		})},
	}
	for _, w := range ways {
		start := time.Now()
		passed, err := w.run()
		if err != nil {
			return "", err
		}
		w.took, w.passed = time.Since(start), passed
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "## Batch\n\nThe MBPP set (%d programs, each with its asserts), run three ways one after the other. Target (issue 14): `wasmplay batch` at least twice as fast as native python3 one process per program (moonshot three times), with every sandbox limit on (the default 25G fuel, 128 MiB, 30 s).\n\n", len(tasks))
	sb.WriteString("| how | time | items per second | passed | ratio to native |\n|---|---|---|---|---|\n")
	native := ways[len(ways)-1].took
	for _, w := range ways {
		fmt.Fprintf(&sb, "| %s | %s | %.1f | %d | %.2f× the time |\n", w.label, ms(w.took), float64(len(tasks))/w.took.Seconds(),
			w.passed, float64(w.took)/float64(native))
	}
	slow, err := slowest(out, 3)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&sb, "\nThe slowest items in the batch (not hidden: task 123 needs about 87G fuel, more than the default budget, so it ends `out_of_fuel`): %s.\n\n", slow)
	return sb.String(), nil
}

// runEach runs f for every task, n at a time, and counts the trues.
func runEach(tasks []mbpp.Task, n int, f func(mbpp.Task) bool) int {
	work := make(chan mbpp.Task)
	var passed int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				if f(t) {
					mu.Lock()
					passed++
					mu.Unlock()
				}
			}
		}()
	}
	for _, t := range tasks {
		work <- t
	}
	close(work)
	wg.Wait()
	return passed
}

// batchResult is what the bench reads of a result line.
type batchResult struct {
	ID         json.RawMessage `json:"id"`
	Outcome    string          `json:"outcome"`
	Passed     *bool           `json:"passed"`
	Fuel       uint64          `json:"fuel"`
	DurationMS float64         `json:"duration_ms"`
}

func readBatchResults(path string) ([]batchResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []batchResult
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r batchResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func countPassed(path string) (int, error) {
	results, err := readBatchResults(path)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range results {
		if r.Passed != nil && *r.Passed {
			n++
		}
	}
	return n, nil
}

// slowest names the n slowest items of a results file.
func slowest(path string, n int) (string, error) {
	results, err := readBatchResults(path)
	if err != nil {
		return "", err
	}
	sort.Slice(results, func(i, j int) bool { return results[i].DurationMS > results[j].DurationMS })
	var parts []string
	for _, r := range results[:min(n, len(results))] {
		parts = append(parts, fmt.Sprintf("task %s, %s, %.0f ms, %s fuel", r.ID, r.Outcome, r.DurationMS, run.FormatFuel(r.Fuel)))
	}
	return strings.Join(parts, "; "), nil
}
