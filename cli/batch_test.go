package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/wasmplay/wasmplay/batch"
	"github.com/wasmplay/wasmplay/sessions"
)

// writeItems writes a batch input of n Python items whose code is
// code(i), and returns its path.
func writeItems(t *testing.T, dir string, n int, code func(i int) string) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		line, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("item-%d", i), "language": "python", "code": code(i),
			"tests": fmt.Sprintf("assert answer == %d", i*i)})
		b.Write(append(line, '\n'))
	}
	path := filepath.Join(dir, "items.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readOut reads a results file, failing on an item answered twice.
func readOut(t *testing.T, path string) map[string]batch.Result {
	t.Helper()
	results, err := batch.ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]batch.Result{}
	for _, r := range results {
		id := string(r.ID)
		if _, dup := byID[id]; dup {
			t.Fatalf("%s answered twice", id)
		}
		byID[id] = r
	}
	return byID
}

// `wasmplay batch` end to end: results, the summary, no progress bar
// on a pipe, a restart that has nothing left to do, show and open.
func TestBatch_Command(t *testing.T) {
	e := newCLIEnv(t)
	dir := t.TempDir()
	in := writeItems(t, dir, 6, func(i int) string {
		if i == 4 {
			return "answer = 0  # wrong"
		}
		return fmt.Sprintf("answer = %d * %d", i, i)
	})
	out := filepath.Join(dir, "items.results.jsonl")
	status, stdout, stderr := e.run("", "batch", "-j", "2", "--order", "input", in)
	if status != 0 {
		t.Fatalf("status %d: %s %s", status, stdout, stderr)
	}
	if !strings.Contains(stderr, "6 items · 5 of 6 passed their tests") || strings.Contains(stderr, "\r") {
		t.Fatalf("summary (and no progress bar on a pipe) missing:\n%s", stderr)
	}
	byID := readOut(t, out)
	if len(byID) != 6 || *byID[`"item-4"`].Passed || !*byID[`"item-5"`].Passed {
		t.Fatalf("results %+v", byID)
	}
	results, _ := batch.ReadResults(out)
	for i, r := range results {
		if r.Line != i+1 {
			t.Fatalf("--order input: line %d at position %d", r.Line, i)
		}
	}
	// Again: nothing to run, the same file.
	status, stdout, _ = e.run("", "batch", "--json", in)
	var summary batch.Summary
	if status != 0 || json.Unmarshal([]byte(stdout), &summary) != nil || summary.Items != 6 || summary.Passed != 5 {
		t.Fatalf("restart: status %d, summary %s", status, stdout)
	}
	status, stdout, _ = e.run("", "batch", "show", out, "--failed")
	if status != 0 || !strings.Contains(stdout, "item-4") || strings.Contains(stdout, "item-5") || !strings.Contains(stdout, "1 of 6 results shown") {
		t.Fatalf("show --failed: %d\n%s", status, stdout)
	}
	status, stdout, stderr = e.run("", "batch", "open", "--no-app", out, "item-4")
	if status != 0 || !strings.Contains(stdout, "session batch-item-4 holds item item-4") {
		t.Fatalf("open: %d %s %s", status, stdout, stderr)
	}
	store, err := sessions.Open(e.sessions, sessions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := store.Resolve("batch-item-4")
	if err != nil {
		t.Fatal(err)
	}
	code, ok, err := sess.LoadBuffer("python")
	runs, _ := sess.Runs()
	if err != nil || !ok || !strings.Contains(code, "answer = 0") || !strings.Contains(code, "assert answer == 16") ||
		len(runs) != 1 || runs[0].Outcome != "exit_nonzero" {
		t.Fatalf("the opened session: code %q (%v %v), runs %+v", code, ok, err, runs)
	}
	// Bad input for the command itself.
	for _, args := range [][]string{{"batch", "/dev/zero"}, {"batch", "--shard", "3/2", in}, {"batch", "--order", "random", in},
		{"batch", "-o", in, in}} {
		if status, _, stderr := e.run("", args...); status != ExitUsage || stderr == "" {
			t.Errorf("%v: status %d, %s", args, status, stderr)
		}
	}
}

// startNATS starts an embedded NATS server with JetStream on port (-1:
// any), its streams kept in store; it stops with the test.
func startNATS(t *testing.T, port int, store string) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: store,
		NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	return ns
}

// A batch through NATS JetStream with two worker processes, one killed
// mid-batch: every item is answered exactly once.
func TestBatch_NATSWorkersSurviveAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("a NATS server and two worker processes; skipped with -short")
	}
	e := newCLIEnv(t)
	url := startNATS(t, -1, t.TempDir()).ClientURL()

	var mu sync.Mutex
	seen := map[int][]string{} // worker -> lines it logged
	startWorker := func(n int) *exec.Cmd {
		self, args, env := e.wasmplayCommand("worker", "--nats", url, "--jobs", "1", "--ack-wait", "2s")
		cmd := exec.Command(self, args...)
		cmd.Env = env
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				mu.Lock()
				seen[n] = append(seen[n], sc.Text())
				mu.Unlock()
			}
		}()
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	doomed := startWorker(1)
	startWorker(2)

	dir := t.TempDir()
	const items = 16
	in := writeItems(t, dir, items, func(i int) string {
		return fmt.Sprintf("import time\ntime.sleep(0.2)\nanswer = %d * %d", i, i)
	})
	out := filepath.Join(dir, "items.results.jsonl")
	done := make(chan struct{})
	var status int
	var stderr string
	go func() {
		defer close(done)
		status, _, stderr = e.run("", "batch", "--nats", url, in)
	}()
	// Kill one worker while it runs an item, after it finished one.
	midItem := func() bool {
		mu.Lock()
		defer mu.Unlock()
		lines := seen[1]
		done := 0
		for _, l := range lines {
			if strings.Contains(l, ": done,") {
				done++
			}
		}
		return done >= 1 && len(lines) > 0 && strings.HasSuffix(lines[len(lines)-1], ": running")
	}
	deadline := time.Now().Add(60 * time.Second)
	for !midItem() {
		if time.Now().After(deadline) {
			t.Fatalf("worker 1 never ran an item; workers said %v", seen)
		}
		time.Sleep(5 * time.Millisecond)
	}
	doomed.Process.Kill()
	mu.Lock()
	lost := seen[1][len(seen[1])-1]
	mu.Unlock()
	lostLine := strings.TrimSuffix(lost[strings.Index(lost, " line ")+len(" line "):], ": running")
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the batch did not finish; workers said %v", seen)
	}
	if status != 0 {
		t.Fatalf("batch --nats: status %d\n%s", status, stderr)
	}
	byID := readOut(t, out)
	if len(byID) != items {
		t.Fatalf("%d of %d items answered", len(byID), items)
	}
	for id, r := range byID {
		if r.Passed == nil || !*r.Passed {
			t.Errorf("%s: %+v", id, r)
		}
	}
	if !strings.Contains(stderr, fmt.Sprintf("%d of %d passed", items, items)) {
		t.Errorf("summary: %s", stderr)
	}
	// The killed worker's item was run again by the other one.
	mu.Lock()
	defer mu.Unlock()
	redone := false
	for _, l := range seen[2] {
		redone = redone || strings.Contains(l, " line "+lostLine+": done,")
	}
	if !redone {
		t.Errorf("line %s, lost with worker 1, was not run by worker 2: %v", lostLine, seen[2])
	}
}

// A NATS server that goes away mid-batch and comes back: the batch and
// its worker wait for it, and every item is answered exactly once.
func TestBatch_NATSServerGoesAwayAndComesBack(t *testing.T) {
	if testing.Short() {
		t.Skip("a NATS server restarted under a batch; skipped with -short")
	}
	e := newCLIEnv(t)
	store := t.TempDir()
	ns := startNATS(t, -1, store)
	url := ns.ClientURL()
	port := ns.Addr().(*net.TCPAddr).Port

	self, args, env := e.wasmplayCommand("worker", "--nats", url, "--jobs", "2", "--ack-wait", "3s")
	worker := exec.Command(self, args...)
	worker.Env = env
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { worker.Process.Kill(); worker.Wait() })

	dir := t.TempDir()
	const items = 12
	in := writeItems(t, dir, items, func(i int) string {
		return fmt.Sprintf("import time\ntime.sleep(0.15)\nanswer = %d * %d", i, i)
	})
	out := filepath.Join(dir, "items.results.jsonl")
	done := make(chan struct{})
	var status int
	var stderr string
	go func() {
		defer close(done)
		status, _, stderr = e.run("", "batch", "--nats", url, in)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if data, _ := os.ReadFile(out); strings.Count(string(data), "\n") >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no results after a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ns.Shutdown()
	ns.WaitForShutdown()
	time.Sleep(1500 * time.Millisecond) // the batch and the worker are without a server
	startNATS(t, port, store)
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the batch did not finish after the server came back")
	}
	if status != 0 {
		t.Fatalf("batch --nats: status %d\n%s", status, stderr)
	}
	if byID := readOut(t, out); len(byID) != items {
		t.Fatalf("%d of %d items answered", len(byID), items)
	}
	if !strings.Contains(stderr, "lost the NATS server") {
		t.Errorf("the batch did not say it lost the server:\n%s", stderr)
	}
}
