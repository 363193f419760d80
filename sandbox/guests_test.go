package sandbox

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// These tests run the real guest runtimes built by `make runtimes`.

func TestGuests_ArtifactsMatchManifest(t *testing.T) {
	needRuntime(t, "python")
	needRuntime(t, "javascript")
	binDir := testLocal(t).Registry().BinDir()
	m, err := runtimes.ReadManifest(binDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"python", "javascript"} {
		entry := m.Runtimes[name]
		if entry == nil {
			t.Fatalf("manifest has no %s entry", name)
		}
		for _, a := range entry.Artifacts {
			if err := runtimes.VerifyArtifact(binDir, a); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

func TestGuests_Python(t *testing.T) {
	needRuntime(t, "python")
	ws := t.TempDir()
	code := `import json, re, math, collections, datetime, decimal, hashlib, zlib, sqlite3, os
data = {"pi": round(math.pi, 5), "count": collections.Counter("hello")["l"],
        "day": datetime.date(2024, 2, 29).isoformat(), "d": str(decimal.Decimal("1.10") + decimal.Decimal("2.20")),
        "sha": hashlib.sha256(b"abc").hexdigest()[:8], "z": len(zlib.compress(b"a" * 1000)),
        "re": re.sub(r"\d", "#", "a1b2")}
with open("/app/x.json", "w") as f:
    json.dump(data, f)
with open("x.json") as f:  # relative: the working directory is /app
    print(json.load(f))
db = sqlite3.connect("/app/db.sqlite")
db.execute("create table t (v)"); db.execute("insert into t values (42)"); db.commit()
print("sqlite", db.execute("select v from t").fetchone()[0], "cwd", os.getcwd())
`
	res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "python", Code: []byte(code), Workspace: ws})
	if res.Outcome != run.OutcomeOK {
		t.Fatalf("outcome %s (%s): %s", res.Outcome, res.Message, res.Stderr)
	}
	for _, want := range []string{"'pi': 3.14159", "'count': 2", "'day': '2024-02-29'", "'d': '3.30'", "'sha': 'ba7816bf'",
		"'re': 'a#b#'", "sqlite 42 cwd /app"} {
		if !bytes.Contains(res.Stdout, []byte(want)) {
			t.Errorf("stdout lacks %q:\n%s", want, res.Stdout)
		}
	}
	if len(res.Files.Created) != 2 {
		t.Errorf("files created = %+v, want x.json and db.sqlite", res.Files.Created)
	}
	if res.PeakMemoryPages < 320 {
		t.Errorf("peak pages = %d; CPython starts with 320", res.PeakMemoryPages)
	}
}

func TestGuests_JavaScript(t *testing.T) {
	needRuntime(t, "javascript")
	ws := t.TempDir()
	code := `const f = std.open("/app/x.json", "w");
f.puts(JSON.stringify({a: [1, 2, 3]}));
f.close();
const back = JSON.parse(std.loadFile("x.json"));  // relative to /app
const [names] = os.readdir("/app");
console.log("sum", back.a.reduce((s, v) => s + v, 0), "files", names.filter(n => n[0] !== ".").join(","), "cwd", os.getcwd()[0]);
`
	res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "javascript", Code: []byte(code), Workspace: ws})
	if res.Outcome != run.OutcomeOK {
		t.Fatalf("outcome %s (%s): %s", res.Outcome, res.Message, res.Stderr)
	}
	if got := strings.TrimSpace(string(res.Stdout)); got != "sum 6 files x.json cwd /app" {
		t.Errorf("stdout = %q", got)
	}
	if data, err := os.ReadFile(filepath.Join(ws, "x.json")); err != nil || string(data) != `{"a":[1,2,3]}` {
		t.Errorf("x.json = %q, %v", data, err)
	}
}

// A file written by one run is read by the next in the same workspace,
// and is invisible from another workspace.
func TestGuests_WorkspacePersistsAndIsolates(t *testing.T) {
	needRuntime(t, "python")
	a, b := t.TempDir(), t.TempDir()
	res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "python", Code: []byte("open('/app/keep.txt','w').write('kept')"), Workspace: a})
	if res.Outcome != run.OutcomeOK {
		t.Fatalf("write: %s %s", res.Outcome, res.Stderr)
	}
	res = runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "python", Code: []byte("print(open('/app/keep.txt').read())"), Workspace: a})
	if strings.TrimSpace(string(res.Stdout)) != "kept" {
		t.Fatalf("second run read %q (%s)", res.Stdout, res.Stderr)
	}
	rel, err := filepath.Rel(b, filepath.Join(a, "keep.txt"))
	if err != nil {
		t.Fatal(err)
	}
	code := "import sys\nfor p in ['/app/keep.txt', " + pyQuote(rel) + ", " + pyQuote(filepath.Join(a, "keep.txt")) + "]:\n" +
		"    try:\n        print(p, open(p).read())\n    except OSError as e:\n        print(p, 'denied', type(e).__name__)\n"
	res = runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "python", Code: []byte(code), Workspace: b})
	if bytes.Contains(res.Stdout, []byte("kept")) {
		t.Fatalf("another workspace's file was readable:\n%s", res.Stdout)
	}
	if n := bytes.Count(res.Stdout, []byte("denied")); n != 3 {
		t.Fatalf("%d of 3 attempts denied:\n%s%s", n, res.Stdout, res.Stderr)
	}
}

func pyQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }

func TestGuests_HostileCode(t *testing.T) {
	needRuntime(t, "python")
	needRuntime(t, "javascript")
	secret := "root:x:0"
	tests := []struct {
		name    string
		runtime string
		code    string
		policy  run.Policy
		outcome run.Outcome
		check   func(t *testing.T, res run.Result)
	}{
		{name: "read /etc/passwd", runtime: "python", code: "print(open('/etc/passwd').read())", outcome: run.OutcomeExitNonzero,
			check: func(t *testing.T, r run.Result) { mustNotContain(t, r, secret) }},
		{name: "dotdot out of /app", runtime: "python", code: "print(open('/app/../etc/passwd').read())", outcome: run.OutcomeExitNonzero,
			check: func(t *testing.T, r run.Result) { mustNotContain(t, r, secret) }},
		{name: "symlink out of /app", runtime: "python",
			code:    "import os\ntry:\n    os.symlink('/etc/passwd', '/app/l')\nexcept OSError as e:\n    print('no symlink', e)\nprint(open('/app/l').read())",
			outcome: run.OutcomeExitNonzero, check: func(t *testing.T, r run.Result) { mustNotContain(t, r, secret) }},
		{name: "js read /etc/passwd", runtime: "javascript", code: "const s = std.loadFile('/etc/passwd'); print(s === null ? 'denied' : s)",
			outcome: run.OutcomeOK, check: func(t *testing.T, r run.Result) {
				mustNotContain(t, r, secret)
				if !bytes.Contains(r.Stdout, []byte("denied")) {
					t.Errorf("stdout %q", r.Stdout)
				}
			}},
		{name: "environment allowlist", runtime: "python", code: "import os\nprint(sorted(os.environ))",
			policy: testenv.PolicyWith(run.Policy{Env: map[string]string{"GREETING": "hi"}}), outcome: run.OutcomeOK,
			check: func(t *testing.T, r run.Result) {
				want := "['GREETING', 'PWD', 'PYTHONDONTWRITEBYTECODE', 'PYTHONHOME', 'PYTHONPATH', 'PYTHONUNBUFFERED']"
				if got := strings.TrimSpace(string(r.Stdout)); got != want {
					t.Errorf("environment = %s, want %s", got, want)
				}
			}},
		{name: "infinite loop runs out of fuel", runtime: "python", code: "while True: pass",
			policy: testenv.PolicyWith(run.Policy{FuelBudget: 300_000_000}), outcome: run.OutcomeOutOfFuel},
		{name: "infinite loop with huge fuel times out", runtime: "python", code: "while True: pass",
			policy: testenv.PolicyWith(run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: 500 * time.Millisecond}), outcome: run.OutcomeTimeout},
		{name: "bytearray 10**9", runtime: "python", code: "b = bytearray(10**9)", outcome: run.OutcomeMemoryLimit,
			check: func(t *testing.T, r run.Result) {
				if !bytes.Contains(r.Stderr, []byte("MemoryError")) || r.PeakMemoryBytes > run.DefaultMemoryBytes {
					t.Errorf("stderr %q, peak %d", r.Stderr, r.PeakMemoryBytes)
				}
			}},
		{name: "js array bomb", runtime: "javascript", code: "const a = []; while (true) a.push(new Array(1e6).fill(1));",
			policy: testenv.PolicyWith(run.Policy{MemoryBytes: 64 << 20}), outcome: run.OutcomeMemoryLimit,
			check: func(t *testing.T, r run.Result) {
				if r.PeakMemoryBytes > 64<<20 {
					t.Errorf("peak %d above the cap", r.PeakMemoryBytes)
				}
			}},
		{name: "python recursion 10**6", runtime: "python", code: "import sys\nsys.setrecursionlimit(10**6)\ndef f(n): return f(n+1)\nf(0)",
			check: func(t *testing.T, r run.Result) {
				// With the limit raised, frames pile up in linear memory: the
				// run ends at the fuel budget (default) or at the memory cap
				// (SystemError) with more fuel. Either is a clean, bounded end;
				// what must never happen is a host crash.
				switch r.Outcome {
				case run.OutcomeExitNonzero, run.OutcomeStackOverflow, run.OutcomeMemoryLimit, run.OutcomeOutOfFuel:
				default:
					t.Errorf("outcome %s (%s)", r.Outcome, r.Message)
				}
			}},
		{name: "python default recursion", runtime: "python", code: "def f(n): return f(n+1)\nf(0)", outcome: run.OutcomeExitNonzero,
			check: func(t *testing.T, r run.Result) {
				if !bytes.Contains(r.Stderr, []byte("RecursionError")) {
					t.Errorf("stderr %.300q", r.Stderr)
				}
			}},
		{name: "js recursion", runtime: "javascript", code: "function f(n) { return f(n + 1) + 1 }\ntry { f(0) } catch (e) { console.log(e.name, e.message) }",
			outcome: run.OutcomeOK, check: func(t *testing.T, r run.Result) {
				if !bytes.Contains(r.Stdout, []byte("InternalError stack overflow")) {
					t.Errorf("stdout %q stderr %.300q", r.Stdout, r.Stderr)
				}
			}},
		{name: "print 1 GB", runtime: "python", code: "s = 'y' * (1 << 20)\nfor _ in range(1024):\n    print(s)",
			policy: testenv.PolicyWith(run.Policy{FuelBudget: 50_000_000_000}), outcome: run.OutcomeOK,
			check: func(t *testing.T, r run.Result) {
				if !r.StdoutTruncated || int64(len(r.Stdout)) != run.DefaultStdoutMaxBytes || r.StdoutBytes < 1<<30 {
					t.Errorf("truncated %v kept %d wrote %d", r.StdoutTruncated, len(r.Stdout), r.StdoutBytes)
				}
			}},
		{name: "empty code", runtime: "python", code: "", outcome: run.OutcomeOK},
		{name: "non-utf8 source", runtime: "python", code: "print('\xff')", outcome: run.OutcomeExitNonzero,
			check: func(t *testing.T, r run.Result) {
				if !bytes.Contains(r.Stderr, []byte("SyntaxError")) {
					t.Errorf("stderr %q", r.Stderr)
				}
			}},
		{name: "js non-utf8 output", runtime: "javascript", code: "std.out.write(new Uint8Array([0xff, 0xfe, 0x41]).buffer, 0, 3)",
			outcome: run.OutcomeOK, check: func(t *testing.T, r run.Result) {
				if !bytes.Equal(r.Stdout, []byte{0xff, 0xfe, 0x41}) {
					t.Errorf("stdout %q", r.Stdout)
				}
			}},
		{name: "subprocess refused", runtime: "python", code: "import subprocess\nsubprocess.run(['ls'])", outcome: run.OutcomeExitNonzero},
		{name: "10 MB source", runtime: "python", code: "x = 1\n" + strings.Repeat("# padding line for a large source file.....\n", 230_000) + "print(x)",
			outcome: run.OutcomeOK, check: func(t *testing.T, r run.Result) {
				if strings.TrimSpace(string(r.Stdout)) != "1" {
					t.Errorf("stdout %q", r.Stdout)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runJob(t, run.Job{Runtime: tc.runtime, Code: []byte(tc.code), Policy: tc.policy})
			if tc.outcome != "" && res.Outcome != tc.outcome {
				t.Fatalf("outcome %s (%s), want %s\nstdout %.300q\nstderr %.600q", res.Outcome, res.Message, tc.outcome, res.Stdout, res.Stderr)
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
	// The runner is still usable after all of that.
	res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "python", Code: []byte("print('still here')")})
	if res.Outcome != run.OutcomeOK {
		t.Fatalf("after hostile code: %s %s", res.Outcome, res.Stderr)
	}
}

func mustNotContain(t *testing.T, r run.Result, s string) {
	t.Helper()
	if bytes.Contains(r.Stdout, []byte(s)) || bytes.Contains(r.Stderr, []byte(s)) {
		t.Fatalf("output contains %q: a host file leaked", s)
	}
}

// Cancel ends a run whatever the guest is doing, and the runner stays
// usable. (How fast is measured by `make bench`, not asserted here.)
func TestGuests_CancelAnywhere(t *testing.T) {
	needRuntime(t, "python")
	needRuntime(t, "javascript")
	tests := []struct {
		name, runtime, code string
		interactive         bool
		wait                run.Activity
	}{
		{"python compute loop", "python", "while True: pass", false, run.ActivityRunning},
		{"python deep recursion", "python", "import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nf(0)", false, run.ActivityRunning},
		{"python sleep", "python", "import time\ntime.sleep(10**6)", false, run.ActivitySleeping},
		{"python input", "python", "input()", true, run.ActivityWaitingInput},
		{"js sleep", "javascript", "os.sleep(10**9)", false, run.ActivitySleeping},
		{"js loop", "javascript", "for (;;) {}", false, run.ActivityRunning},
	}
	l := testLocal(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			reached := make(chan struct{})
			var once sync.Once
			done := make(chan run.Result, 1)
			go func() {
				done <- l.Execute(ctx, 1, run.Job{Runtime: tc.runtime, Code: []byte(tc.code), Workspace: t.TempDir(), Interactive: tc.interactive,
					Policy: testenv.PolicyWith(run.Policy{FuelBudget: run.MaxFuelBudget})}, run.Hooks{Emit: func(ev run.Event) {
					if m, ok := ev.(run.Metrics); ok && m.Activity == tc.wait && m.Elapsed > 100*time.Millisecond {
						once.Do(func() { close(reached) })
					}
				}})
			}()
			select {
			case <-reached:
			case res := <-done:
				t.Fatalf("ended before the cancel: %s (%s) %s", res.Outcome, res.Message, res.Stderr)
			case <-time.After(20 * time.Second):
				t.Fatalf("never saw the guest %s", tc.wait)
			}
			cancel()
			select {
			case res := <-done:
				if res.Outcome != run.OutcomeCanceled {
					t.Fatalf("outcome %s (%s)", res.Outcome, res.Message)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("cancel did not end the run")
			}
		})
	}
	if res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "javascript", Code: []byte("console.log(1)")}); res.Outcome != run.OutcomeOK {
		t.Fatalf("after cancels: %s", res.Outcome)
	}
}

// Fuel moves live in the tightest loops each guest has, and a canceled
// Python loop records what it burned: CPython's eval loop ticks the host
// (runtimes/build/python-wasi.patch), so its count is written back as it
// runs and the cancel lands at a tick.
func TestGuests_LiveFuelInTightLoops(t *testing.T) {
	needRuntime(t, "python")
	needRuntime(t, "javascript")
	tests := []struct {
		name, runtime, code string
		exactAtCancel       bool
	}{
		{"python while pass", "python", "while True: pass", true},
		{"python for over a range", "python", "for _ in range(10**12): pass", true},
		{"python recursion", "python", "import sys\nsys.setrecursionlimit(10**5)\ndef f(n):\n    return n if n < 1 else f(n - 1)\nwhile True: f(5000)", true},
		{"js for", "javascript", "for (;;) {}", false},
	}
	l := testLocal(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			samples := make(chan run.Metrics, 1000)
			done := make(chan run.Result, 1)
			go func() {
				done <- l.Execute(ctx, 1, run.Job{Runtime: tc.runtime, Code: []byte(tc.code), Workspace: t.TempDir(),
					Policy: testenv.PolicyWith(run.Policy{FuelBudget: run.MaxFuelBudget})}, run.Hooks{Emit: func(ev run.Event) {
					if m, ok := ev.(run.Metrics); ok && m.Activity == run.ActivityRunning {
						select {
						case samples <- m:
						default:
						}
					}
				}})
			}()
			// Eight engine samples while it runs: the figure rises between
			// them, and is never marked stale.
			var last run.Metrics
			rises := 0
			for seen := 0; seen < 8; {
				select {
				case m := <-samples:
					if m.FuelStale {
						t.Fatalf("sample %d marked stale (fuel %d)", seen, m.FuelConsumed)
					}
					if m.Samples == last.Samples {
						continue // the pane was refreshed, the engine not sampled again
					}
					if seen > 0 && m.FuelConsumed > last.FuelConsumed {
						rises++
					}
					last = m
					seen++
				case res := <-done:
					t.Fatalf("ended early: %s (%s)", res.Outcome, res.Message)
				case <-time.After(20 * time.Second):
					t.Fatal("no samples")
				}
			}
			if rises < 5 {
				t.Fatalf("fuel rose in %d of 7 sample steps; it must move while the loop runs", rises)
			}
			cancel()
			res := <-done
			if res.Outcome != run.OutcomeCanceled {
				t.Fatalf("outcome %s (%s)", res.Outcome, res.Message)
			}
			if res.FuelConsumed < last.FuelConsumed {
				t.Errorf("recorded fuel %d is below the last live figure %d", res.FuelConsumed, last.FuelConsumed)
			}
			if tc.exactAtCancel && !res.FuelExact {
				t.Errorf("the canceled loop's fuel (%d, last live %d, %s) is marked a lower bound; it stopped at a tick, so it is exact", res.FuelConsumed, last.FuelConsumed, res.Message)
			}
		})
	}
}
