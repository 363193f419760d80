package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wasmplay/wasmplay/internal/mbpp"
	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/playground"
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

// testPlayground is a playground on the real runtimes, in-process, with
// ceilings.
func testPlayground(t *testing.T, ceilings run.Overrides) *playground.Playground {
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
	rt, _ := local.Registry().Lookup(runtimes.Python)
	testenv.Need(t, local.Registry().ArtifactPath(rt), "the python runtime", "make runtimes")
	rn, err := runner.New(runner.Config{Executor: local, Slots: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rn.Close(context.Background()) })
	pg, err := playground.New(playground.Options{Runner: rn, Registry: local.Registry(), Ceilings: ceilings})
	if err != nil {
		t.Fatal(err)
	}
	return pg
}

// runBatch runs input into the output file out (appending, resuming) and
// returns every result line out holds.
func runBatch(t *testing.T, pg *playground.Playground, input, out string, opts Options) ([]Result, Progress, error) {
	t.Helper()
	f, ans, err := OpenOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts.Playground = pg
	if opts.Jobs == 0 {
		opts.Jobs = 2
	}
	p, runErr := Run(context.Background(), strings.NewReader(input), f, ans, opts)
	results, err := ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	return results, p, runErr
}

// byLine indexes results by input line, failing on a line answered twice.
func byLine(t *testing.T, results []Result) map[int]Result {
	t.Helper()
	m := map[int]Result{}
	for _, r := range results {
		if _, dup := m[r.Line]; dup {
			t.Fatalf("line %d answered twice", r.Line)
		}
		m[r.Line] = r
	}
	return m
}

// Every line gets one answer: runs, verdicts of tests, and the errors of
// bad lines, whatever comes between them.
func TestRun_AnswersEveryLine(t *testing.T) {
	pg := testPlayground(t, run.Overrides{})
	input := strings.Join([]string{
		`{"id": "ok", "language": "python", "code": "print('hi')"}`,
		`{"id": "pass", "language": "python", "code": "def f(x):\n    return x * 2\n", "tests": "assert f(2) == 4"}`,
		`{"id": "fail", "language": "python", "code": "def f(x):\n    return x + 2\n", "tests": "assert f(3) == 6"}`,
		`not json at all`,
		``,
		`{"id": "ok", "language": "python", "code": "print('again')"}`,
		`{"id": "js", "language": "javascript", "code": "console.log(6 * 7)"}`,
		`{"id": "fuel", "language": "python", "code": "while True: pass", "limits": {"fuel": "20M"}}`,
		`{"id": "nolang", "code": "print(1)"}`,
		`{"language": "python", "code": "print(1)"}`,
		`{"id": "stdin", "language": "python", "code": "print(input()[::-1])", "stdin": "olleh\n", "args": ["a"]}`,
	}, "\n")
	results, p, err := runBatch(t, pg, input, filepath.Join(t.TempDir(), "out.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := byLine(t, results)
	if len(m) != 10 {
		t.Fatalf("%d lines answered, want 10 (the blank one is no item): %+v", len(m), results)
	}
	check := func(line int, outcome string, passed *bool, text string) {
		t.Helper()
		r := m[line]
		if r.Outcome != outcome || (passed == nil) != (r.Passed == nil) || passed != nil && *passed != *r.Passed ||
			!strings.Contains(r.Stdout+r.Stderr+r.Error, text) {
			t.Errorf("line %d: %+v, want %s passed=%v holding %q", line, r, outcome, passed, text)
		}
	}
	yes, no := true, false
	check(1, "ok", nil, "hi\n")
	check(2, "ok", &yes, "")
	check(3, "exit_nonzero", &no, "AssertionError")
	check(4, OutcomeBadInput, nil, "not a JSON item")
	check(6, OutcomeBadInput, nil, "duplicate id \"ok\": line 1 has it too")
	check(7, "ok", nil, "42")
	check(8, "out_of_fuel", nil, "")
	check(9, OutcomeBadInput, nil, "no language")
	check(10, OutcomeBadInput, nil, "no id")
	check(11, "ok", nil, "hello")
	if m[8].Fuel < 20_000_000 || m[8].FuelBudget != 20_000_000 || len(m[8].Advice) == 0 {
		t.Errorf("the out-of-fuel item: %+v", m[8])
	}
	if p.Done != 10 || p.Passed != 1 || p.Failed != 1 || p.BadInput != 4 {
		t.Errorf("progress %+v", p)
	}
	s := Summarize(results)
	if s.WithTests != 2 || s.Passed != 1 || s.Outcomes["bad_input"] != 4 || len(s.Hungriest) != notableCount || len(s.Slowest) != notableCount {
		t.Errorf("summary %+v", s)
	}
	for i := 1; i < len(s.Hungriest); i++ {
		if s.Hungriest[i].Fuel > s.Hungriest[i-1].Fuel || s.Slowest[i].DurationMS > s.Slowest[i-1].DurationMS {
			t.Errorf("the summary's lists are not worst first: %+v %+v", s.Hungriest, s.Slowest)
		}
	}
}

// A batch stopped part-way (canceled, or killed leaving a line cut short)
// and started again answers every line exactly once.
func TestRun_ResumesWithoutLossOrRepeat(t *testing.T) {
	pg := testPlayground(t, run.Overrides{})
	var lines []string
	for i := 1; i <= 24; i++ {
		lines = append(lines, fmt.Sprintf(`{"id": %d, "language": "python", "code": "print(%d * %d)"}`, i, i, i))
	}
	lines = append(lines, `{"id": 3, "language": "python", "code": "print('dup')"}`, `garbage`)
	input := strings.Join(lines, "\n") + "\n"
	out := filepath.Join(t.TempDir(), "out.jsonl")

	// First go: canceled after 7 answers.
	ctx, cancel := context.WithCancel(context.Background())
	f, ans, err := OpenOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(ctx, strings.NewReader(input), f, ans, Options{Playground: pg, Jobs: 2,
		Progress: func(p Progress) {
			if p.Done == 7 {
				cancel()
			}
		}})
	f.Close()
	if err == nil {
		t.Fatal("a canceled batch reported no error")
	}
	first, _ := ReadResults(out)
	if len(first) < 7 || len(first) >= len(lines) {
		t.Fatalf("%d lines answered before the cancel", len(first))
	}
	// As if killed while writing: half a line at the end.
	appendTo(t, out, `{"id": 99, "line": 9`)

	results, p, err := runBatch(t, pg, input, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := byLine(t, results)
	if len(m) != len(lines) || p.Skipped != len(first) {
		t.Fatalf("%d lines answered in all (want %d), %d skipped (want %d)", len(m), len(lines), p.Skipped, len(first))
	}
	for i := 1; i <= 24; i++ {
		if r := m[i]; r.Outcome != "ok" || r.Stdout != strconv.Itoa(i*i)+"\n" {
			t.Errorf("line %d: %+v", i, r)
		}
	}
	// A third go has nothing left to do.
	again, p, err := runBatch(t, pg, input, out, Options{})
	if err != nil || len(again) != len(lines) || p.Done != 0 {
		t.Fatalf("a finished batch ran again: %d results, progress %+v, %v", len(again), p, err)
	}
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// Shards split the lines between them, each line in exactly one; an
// item's limits may lower the batch's ceilings, never raise them; stable
// output is byte-identical from run to run.
func TestRun_ShardsCeilingsAndStableOutput(t *testing.T) {
	pg := testPlayground(t, run.Overrides{FuelBudget: ptr(uint64(2_000_000_000))})
	var lines []string
	for i := 1; i <= 9; i++ {
		lines = append(lines, fmt.Sprintf(`{"id": %d, "language": "python", "code": "print(%d)"}`, i, i))
	}
	lines = append(lines, `{"id": 10, "language": "python", "code": "print(10)", "limits": {"fuel": "1T"}}`)
	input := strings.Join(lines, "\n")
	dir := t.TempDir()
	seen := map[int]int{}
	for i := 1; i <= 3; i++ {
		results, _, err := runBatch(t, pg, input, filepath.Join(dir, fmt.Sprintf("part-%d.jsonl", i)), Options{Shard: Shard{Index: i, Of: 3}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			seen[r.Line]++
			if (r.Line-1)%3 != i-1 {
				t.Errorf("shard %d ran line %d", i, r.Line)
			}
		}
	}
	for line := 1; line <= 10; line++ {
		if seen[line] != 1 {
			t.Errorf("line %d answered %d times across the shards", line, seen[line])
		}
	}
	stable := func() []byte {
		out := filepath.Join(t.TempDir(), "stable.jsonl")
		results, _, err := runBatch(t, pg, input, out, Options{Stable: true})
		if err != nil {
			t.Fatal(err)
		}
		if r := byLine(t, results)[10]; r.Outcome != OutcomeBadInput || !strings.Contains(r.Error, "ceiling") && !strings.Contains(r.Error, "batch") {
			t.Errorf("an item above the batch's fuel ceiling: %+v", r)
		}
		if err := SortByLine(out); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(out)
		return data
	}
	if a, b := stable(), stable(); !bytes.Equal(a, b) {
		t.Fatalf("stable output differs between two runs:\n%s\n---\n%s", a, b)
	}
}

func ptr[T any](v T) *T { return &v }

// The 974 MBPP programs with their asserts pass through a batch as they
// pass one by one (sandbox's TestMBPP_CompatibleWithCPython): all but the
// known failures.
func TestRun_MBPP(t *testing.T) {
	if testing.Short() {
		t.Skip("974 Python runs; skipped with -short")
	}
	pg := testPlayground(t, run.Overrides{})
	tasks, err := mbpp.Tasks()
	if err != nil {
		t.Fatal(err)
	}
	known, err := mbpp.KnownFailures()
	if err != nil {
		t.Fatal(err)
	}
	failing := map[string]bool{}
	for id := range known {
		failing[strconv.Itoa(id)] = true
	}
	var in bytes.Buffer
	for _, task := range tasks {
		line, _ := json.Marshal(map[string]any{"id": task.TaskID, "language": "python", "code": task.Code,
			"tests": task.Asserts(), "limits": map[string]string{"fuel": "200G", "timeout": "2m"}})
		in.Write(append(line, '\n'))
	}
	pg = testPlayground(t, run.Overrides{FuelBudget: ptr(uint64(200_000_000_000))})
	results, p, err := runBatch(t, pg, in.String(), filepath.Join(t.TempDir(), "mbpp.results.jsonl"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 974 {
		t.Fatalf("%d results for 974 tasks", len(results))
	}
	for _, r := range results {
		id := string(r.ID)
		if passed := r.Passed != nil && *r.Passed; passed == failing[id] {
			t.Errorf("task %s: passed=%v in the batch, known failure=%v (%s %s)", id, passed, failing[id], r.Outcome, lastLine(r.Stderr+r.Error))
		}
	}
	t.Logf("MBPP through a batch: %d passed, %d failed, %.1f items/s", p.Passed, p.Failed, float64(p.Done)/p.Elapsed.Seconds())
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
