package sandbox

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox/wasi"
)

var (
	coldLocalOnce sync.Once
	coldLocal     *Local
	coldLocalErr  error
)

// testColdLocal is an executor that never starts from a snapshot.
func testColdLocal(t *testing.T) *Local {
	t.Helper()
	coldLocalOnce.Do(func() {
		reg, err := runtimes.NewRegistry(testenv.BinDir(), nil)
		if err != nil {
			coldLocalErr = err
			return
		}
		coldLocal, coldLocalErr = NewLocalWith(reg, testenv.CacheDir(), EngineOptions{ColdStart: true})
	})
	if coldLocalErr != nil {
		t.Fatal(coldLocalErr)
	}
	return coldLocal
}

// needReactor fails (or skips, without WASMPLAY_REQUIRE_RUNTIMES) when the
// Python reactor build is missing.
func needReactor(t *testing.T) { needReactorOf(t, runtimes.Python) }

// needReactorOf is needReactor for any runtime.
func needReactorOf(t *testing.T, name string) {
	t.Helper()
	needRuntime(t, name)
	l := testLocal(t)
	rt, _ := l.Registry().Lookup(name)
	testenv.Need(t, l.Registry().ReactorPath(rt), "the "+name+" reactor", "make runtimes")
}

// A run started from the snapshot must be indistinguishable from a cold
// start: argv, environment, paths, exceptions, exit codes, atexit,
// buffered files, stdin, imports from the workspace (a module there that
// shadows one the snapshot imported ahead included), kept variables. A
// snapshot run ends without tearing the interpreter down, a cold one
// finalises: their files, output and exit status must be the same.
func TestSnapshotStart_MatchesColdStart(t *testing.T) {
	needReactor(t)
	tests := []struct {
		name  string
		code  string
		job   run.Job
		files map[string]string // workspace files before the run
	}{
		{name: "argv, env, paths, cwd", code: `import os, sys
print(sys.argv, sys.orig_argv, sys.path, os.getcwd(), __name__, __file__)
print(sorted(os.environ.items()))
print(sys.flags.unbuffered, sys.flags.dont_write_bytecode, sys.flags.safe_path)`,
			job: run.Job{Policy: testenv.PolicyWith(run.Policy{Env: map[string]string{"GREETING": "hi", "EMPTY": ""}, Args: []string{"one", "two words"}})}},
		{name: "uncaught exception", code: "def f():\n    raise ValueError('boom')\nf()\n"},
		{name: "syntax error", code: "print('a'\n"},
		{name: "sys.exit with a code", code: "print('out')\nimport sys\nsys.exit(3)\n"},
		{name: "sys.exit with a message", code: "import sys\nsys.exit('bad input')\n"},
		{name: "atexit and unclosed file", code: `import atexit
atexit.register(print, "bye")
f = open("left-open.txt", "w")
f.write("flushed at exit")
print("main done")`},
		// The run ends without tearing the interpreter down: what a
		// program can see of its exit must not change.
		{name: "atexit order, sys.exit inside atexit", code: `import atexit, sys
atexit.register(print, "registered first, runs last")
atexit.register(lambda: sys.exit(5))
atexit.register(lambda: print(1 / 0))
atexit.register(print, "registered last, runs first")
print("main done", end="")`},
		{name: "files left open in a closure and a list", code: `def make():
    f = open("closure.txt", "w", buffering=1 << 16)
    f.write("in a closure")
    return lambda: f
keep = make()
files = [open("list.bin", "wb")]
files[0].write(b"in a list")
import sys
sys.stderr.write("no newline at the end")`},
		{name: "stdout closed before the end", code: "import sys\nprint('before')\nsys.stdout.close()\n"},
		{name: "exit status of an exception after atexit", code: "import atexit\natexit.register(print, 'bye')\nraise KeyError('k')\n"},
		{name: "a workspace module shadows one the snapshot imported", code: `import json, re
print(json.__name__, getattr(json, "MINE", None), json.__file__)
print(re.__file__)
import collections
print(collections.__file__)`,
			files: map[string]string{"json.py": "MINE = 'the workspace json'\n", "collections.py": "print('my collections')\n"}},
		{name: "imports the snapshot made ahead", code: "import math, heapq, dataclasses, typing, datetime\nprint(math.sqrt(2), heapq.nsmallest(2, [3, 1, 2]), dataclasses.is_dataclass(1), datetime.date(2026, 1, 2).isoformat())\n"},
		{name: "stdin", code: "name = input('who? ')\nprint('hello', name)\nprint(repr(input()))\n",
			job: run.Job{Policy: testenv.PolicyWith(run.Policy{Stdin: []byte("wasm\nsecond line\n")})}},
		{name: "import from the workspace", code: "import helper\nprint(helper.VALUE, helper.__file__)\n",
			files: map[string]string{"helper.py": "VALUE = 42\n"}},
		{name: "stdlib and packages", code: "import json, re, decimal, sqlite3, yaml\nprint(json.dumps({'a': [1, 2]}), re.sub('a', 'b', 'aa'), decimal.Decimal('1.1') + 1, yaml.safe_dump({'k': 1}))\n"},
		{name: "warnings", code: "import warnings\nwarnings.warn('careful')\nprint('after')\n"},
		{name: "keep variables", code: "x = globals().get('x', 0) + 1\nprint(x)\n",
			job: run.Job{Policy: run.DefaultPolicy(), KeepVars: true, Vars: []byte(`{"x":41}`)}},
		{name: "user sets a start-up variable", code: "import sys, warnings\nprint(sys.warnoptions)\nwarnings.warn('now an error')\n",
			job: run.Job{Policy: testenv.PolicyWith(run.Policy{Env: map[string]string{"PYTHONWARNINGS": "error"}})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStart := StartSnapshot
			if tt.name == "user sets a start-up variable" {
				wantStart = StartCold
			}
			tt.job.Runtime = runtimes.Python
			tt.job.Code = []byte(tt.code)
			assertSameAsCold(t, tt.job, tt.files, wantStart)
		})
	}
}

// The same for QuickJS: scriptArgs, environment, errors, exit codes,
// promises, timers, files left open, stdin, modules, kept variables.
func TestSnapshotStart_MatchesColdStart_JavaScript(t *testing.T) {
	needReactorOf(t, runtimes.JavaScript)
	tests := []struct {
		name string
		code string
		job  run.Job
	}{
		{name: "args, env, cwd", code: "console.log(JSON.stringify(scriptArgs), std.getenv('GREETING'), std.getenv('PWD'), os.getcwd()[0]);",
			job: run.Job{Policy: testenv.PolicyWith(run.Policy{Env: map[string]string{"GREETING": "hi"}, Args: []string{"one", "two words"}})}},
		{name: "uncaught error", code: "function f() { throw new TypeError('boom'); }\nf();\n"},
		{name: "syntax error", code: "let x = ;\n"},
		{name: "std.exit", code: "console.log('out'); std.exit(3);"},
		{name: "promise rejected, timer", code: "Promise.reject(new Error('nobody caught me'));\nos.setTimeout(() => console.log('later'), 5);\n"},
		{name: "file left open", code: "const f = std.open('left-open.txt', 'w'); f.puts('flushed at exit'); console.log('main done');"},
		{name: "stdin", code: "console.log('hello', std.in.getline()); console.log(JSON.stringify(std.in.getline()));",
			job: run.Job{Policy: testenv.PolicyWith(run.Policy{Stdin: []byte("wasm\nsecond line\n")})}},
		{name: "module", code: "import * as m from 'std';\nconsole.log(typeof m.printf, typeof std);\n"},
		{name: "keep variables", code: "state.x = (state.x || 0) + 1; console.log(state.x);",
			job: run.Job{Policy: run.DefaultPolicy(), KeepVars: true, Vars: []byte(`{"x":41}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.job.Runtime = runtimes.JavaScript
			tt.job.Code = []byte(tt.code)
			assertSameAsCold(t, tt.job, nil, StartSnapshot)
		})
	}
}

// assertSameAsCold runs job started from the snapshot (or as wantStart
// says) and cold, each in a fresh workspace holding files, and fails on any
// difference in outcome, output, kept variables or the left-open.txt the
// program may write.
func assertSameAsCold(t *testing.T, job run.Job, files map[string]string, wantStart string) {
	t.Helper()
	runOn := func(l *Local) run.Result {
		job := job
		job.Policy = testenv.PolicyWith(job.Policy)
		job.Workspace = t.TempDir()
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(job.Workspace, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res := l.Execute(context.Background(), 1, job, run.Hooks{})
		// What the program left in the workspace, files it never closed
		// included.
		entries, _ := os.ReadDir(job.Workspace)
		for _, e := range entries {
			if _, given := files[e.Name()]; given || e.IsDir() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(job.Workspace, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			res.Stdout = append(res.Stdout, "\n"+e.Name()+": "+string(data)...)
		}
		return res
	}
	snap, cold := runOn(testLocal(t)), runOn(testColdLocal(t))
	if snap.Start != wantStart || cold.Start != StartCold {
		t.Fatalf("started %q and %q, want %q and %q (message %q; snapshots that failed: %v)", snap.Start, cold.Start, wantStart, StartCold, snap.Message, testLocal(t).snapshots.failures())
	}
	if snap.Outcome != cold.Outcome || snap.ExitCode != cold.ExitCode {
		t.Errorf("outcome %s/%d from the snapshot, %s/%d cold", snap.Outcome, snap.ExitCode, cold.Outcome, cold.ExitCode)
	}
	if !bytes.Equal(snap.Stdout, cold.Stdout) {
		t.Errorf("stdout differs:\nsnapshot: %q\ncold:     %q", snap.Stdout, cold.Stdout)
	}
	// Objects sit at other addresses in a snapshot's heap: reprs that
	// show them ("<function f at 0x...>") are compared without them.
	snap.Stderr, cold.Stderr = maskAddresses(snap.Stderr), maskAddresses(cold.Stderr)
	snap.Stdout, cold.Stdout = maskAddresses(snap.Stdout), maskAddresses(cold.Stdout)
	if !bytes.Equal(snap.Stderr, cold.Stderr) {
		t.Errorf("stderr differs:\nsnapshot: %q\ncold:     %q", snap.Stderr, cold.Stderr)
	}
	if !bytes.Equal(snap.Vars, cold.Vars) {
		t.Errorf("kept variables differ:\nsnapshot: %s\ncold:     %s", snap.Vars, cold.Vars)
	}
}

// Everything random must differ between runs started from one snapshot:
// the random module is seeded at import, after the snapshot.
// (QuickJS seeds Math.random when its context is made: the run step draws
// a new seed.)
func TestSnapshotStart_FreshRandomness(t *testing.T) {
	programs := map[string]string{
		runtimes.Python:     "import os, random, uuid, tempfile\nprint(random.random(), os.urandom(8).hex(), uuid.uuid4(), tempfile.mktemp())\n",
		runtimes.JavaScript: "console.log(Math.random(), Math.random());",
	}
	for rt, code := range programs {
		t.Run(rt, func(t *testing.T) {
			needReactorOf(t, rt)
			seen := map[string]bool{}
			for i := 0; i < 3; i++ {
				res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: rt, Code: []byte(code)})
				if res.Start != StartSnapshot || res.Outcome != run.OutcomeOK {
					t.Fatalf("start %q, outcome %s %s: %s (snapshots that failed: %v)", res.Start, res.Outcome, res.Message, res.Stderr, testLocal(t).snapshots.failures())
				}
				if seen[string(res.Stdout)] {
					t.Fatalf("run %d repeated an earlier run's random values: %s", i, res.Stdout)
				}
				seen[string(res.Stdout)] = true
			}
		})
	}
}

// Limits hold from the first instruction of a snapshot start, and the run
// after a limit starts from the same clean snapshot.
func TestSnapshotStart_LimitsAndReuse(t *testing.T) {
	needReactor(t)
	res := runJob(t, run.Job{Runtime: runtimes.Python, Code: []byte("x = 1\nwhile True:\n    x += 1\n"),
		Policy: testenv.PolicyWith(run.Policy{FuelBudget: 50_000_000})})
	if res.Start != StartSnapshot || res.Outcome != run.OutcomeOutOfFuel {
		t.Fatalf("start %q, outcome %s, want a snapshot start running out of fuel (snapshots that failed: %v)", res.Start, res.Outcome, testLocal(t).snapshots.failures())
	}
	res = runJob(t, run.Job{Runtime: runtimes.Python, Code: []byte("import time\ntime.sleep(60)\n"),
		Policy: testenv.PolicyWith(run.Policy{Timeout: 300 * time.Millisecond})})
	if res.Outcome != run.OutcomeTimeout {
		t.Fatalf("outcome %s, want timeout", res.Outcome)
	}
	res = runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: runtimes.Python, Code: []byte("print(x)\n")})
	if res.Outcome != run.OutcomeExitNonzero || !strings.Contains(string(res.Stderr), "NameError: name 'x' is not defined") {
		t.Fatalf("a name from an earlier run leaked: %s %s", res.Outcome, res.Stderr)
	}
}

func TestDiffMemory_RestoresWhatChanged(t *testing.T) {
	const size = 2 * run.WasmPageSize
	base := make([]byte, 4*snapshotPage) // a fresh instance: smaller
	copy(base[2*snapshotPage:], "data segment")
	now := make([]byte, size)
	copy(now, "dead stack")                                    // below the frame: dropped
	copy(now[2*snapshotPage:], "DATA segment")                 // changed
	copy(now[3*snapshotPage+10:], "heap")                      // changed, next to the one before
	copy(now[5*snapshotPage+100:], "grown")                    // beyond the fresh memory
	snap := diffMemory(base, now, snapshotPage+snapshotPage/2) // the frame is in page 1
	if len(snap.chunks) != 2 || snap.chunks[0].offset != 2*snapshotPage || snap.chunks[1].offset != 5*snapshotPage {
		t.Fatalf("chunks at %v, want pages 2-3 and 5", offsets(snap))
	}
	got := make([]byte, size)
	copy(got, base)
	for _, c := range snap.chunks {
		copy(got[c.offset:], c.data)
	}
	if !bytes.Equal(got[snapshotPage:], now[snapshotPage:]) {
		t.Fatal("restoring the chunks over the fresh memory does not give the snapshot")
	}
	decoded, err := decodeSnapshot(encodeSnapshot(snap))
	if err != nil {
		t.Fatal(err)
	}
	if decoded.size != snap.size || len(decoded.chunks) != len(snap.chunks) || decoded.bytes() != snap.bytes() {
		t.Fatalf("decoded %d bytes in %d chunks, encoded %d in %d", decoded.size, len(decoded.chunks), snap.size, len(snap.chunks))
	}
}

func offsets(s *memorySnapshot) []uint64 {
	var out []uint64
	for _, c := range s.chunks {
		out = append(out, c.offset)
	}
	return out
}

func TestDecodeSnapshot_RejectsBadFiles(t *testing.T) {
	good := encodeSnapshot(&memorySnapshot{size: 2 * run.WasmPageSize, chunks: []snapshotChunk{
		{offset: 0, data: []byte("ab")}, {offset: run.WasmPageSize, data: []byte("cd")}}})
	if _, err := decodeSnapshot(good); err != nil {
		t.Fatalf("a good file: %v", err)
	}
	patch := func(at int, v byte) []byte {
		b := bytes.Clone(good)
		b[at] = v
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a wasmplay snapshot"},
		{"other version", patch(7, 9), "not a wasmplay snapshot"},
		{"size not in pages", patch(8, 1), "whole number of pages"},
		{"too many chunks", patch(17, 200), "do not fit"},
		{"padding not zero", patch(24+2*16+3, 7), "padding"},
		{"chunk outside memory", patch(24+16+5, 0xff), "outside"},
		{"overlapping chunks", patch(24+16+2, 0), "overlaps"},
		{"empty chunk", patch(24+8, 0), "empty"},
		{"cut short", good[:len(good)-1], "cut short"},
		{"stray bytes", append(bytes.Clone(good), 'x'), "stray"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeSnapshot(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add(encodeSnapshot(&memorySnapshot{size: run.WasmPageSize, chunks: []snapshotChunk{{offset: 8, data: []byte("x")}}}))
	f.Add([]byte("wpsnap\x00\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeSnapshot(data)
		if err != nil {
			return
		}
		var end uint64
		for _, c := range s.chunks {
			if c.offset < end || c.offset+uint64(len(c.data)) > s.size {
				t.Fatalf("accepted a chunk at %d+%d in %d bytes", c.offset, len(c.data), s.size)
			}
			end = c.offset + uint64(len(c.data))
		}
		if !bytes.Equal(encodeSnapshot(s), data) {
			t.Fatal("decoding then encoding changed the file")
		}
	})
}

// The snapshot key follows the mounts: a package added or the stdlib
// rebuilt makes a new snapshot.
func TestSnapshotKey_FollowsMounts(t *testing.T) {
	dir := t.TempDir()
	mounts := []wasi.Preopen{{Host: dir, GuestPath: "/usr/local/lib"}}
	env := map[string]string{"PYTHONHOME": "/usr/local"}
	first := snapshotKey("sha", []string{"python", "-u"}, env, mounts)
	if again := snapshotKey("sha", []string{"python", "-u"}, env, mounts); again != first {
		t.Fatal("the same inputs gave another key")
	}
	if err := os.WriteFile(filepath.Join(dir, "new.pth"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed := []string{
		snapshotKey("sha", []string{"python", "-u"}, env, mounts),
		snapshotKey("other", []string{"python", "-u"}, env, mounts),
		snapshotKey("sha", []string{"python"}, env, mounts),
		snapshotKey("sha", []string{"python", "-u"}, map[string]string{"PYTHONHOME": "/x"}, mounts),
	}
	for i, k := range changed {
		if k == first {
			t.Errorf("change %d kept the key", i)
		}
	}
}

// A machine that never made a snapshot makes one on its first run (with
// the same limits as any run: a snapshot made under a zero clock would
// time out at once and leave every run cold), stores it, and a later
// process starts from the stored one.
func TestSnapshotStart_MadeOnAFreshMachine(t *testing.T) {
	dir := t.TempDir()
	for _, rt := range []string{runtimes.Python, runtimes.JavaScript} {
		needReactorOf(t, rt)
	}
	for _, process := range []string{"first process: makes the snapshots", "later process: loads them"} {
		l, err := NewLocal(testLocal(t).Registry(), testenv.CacheDir())
		if err != nil {
			t.Fatal(err)
		}
		l.snapshots = newSnapshotCache(dir)
		for rt, code := range map[string]string{runtimes.Python: "print(1)", runtimes.JavaScript: "console.log(1)"} {
			res := l.Execute(context.Background(), 1, run.Job{Runtime: rt, Code: []byte(code), Workspace: t.TempDir(),
				Policy: run.DefaultPolicy()}, run.Hooks{})
			if res.Start != StartSnapshot || res.Outcome != run.OutcomeOK || string(res.Stdout) != "1\n" {
				t.Fatalf("%s, %s: start %q, outcome %s %q (snapshots that failed: %v)", process, rt, res.Start, res.Outcome,
					res.Stdout, l.snapshots.failures())
			}
		}
		stored, _ := filepath.Glob(filepath.Join(dir, "*.snap"))
		if len(stored) != 2 {
			t.Fatalf("%s: %d snapshots stored, want 2", process, len(stored))
		}
	}
}

// addressPattern matches an object's address in a repr.
var addressPattern = regexp.MustCompile(` at 0x[0-9a-f]+`)

// maskAddresses replaces the addresses in reprs.
func maskAddresses(b []byte) []byte { return addressPattern.ReplaceAll(b, []byte(" at 0x…")) }

// The one difference a quick exit makes on purpose: a file that only a
// reference cycle still held at exit keeps what was written to it, where
// CPython's teardown collects the cycle after the io machinery is gone and
// the buffer is lost (the cold start shows it).
func TestSnapshotStart_FlushesAFileHeldByACycle(t *testing.T) {
	needReactor(t)
	code := "class Holder:\n    pass\nh = Holder()\nh.me = h\nh.f = open('cycle.txt', 'w')\nh.f.write('in a cycle')\ndel h\n"
	for _, tt := range []struct {
		local *Local
		start string
		want  string
	}{{testLocal(t), StartSnapshot, "in a cycle"}, {testColdLocal(t), StartCold, ""}} {
		ws := t.TempDir()
		res := tt.local.Execute(context.Background(), 1, run.Job{Runtime: runtimes.Python, Code: []byte(code), Workspace: ws,
			Policy: run.DefaultPolicy()}, run.Hooks{})
		data, err := os.ReadFile(filepath.Join(ws, "cycle.txt"))
		if res.Start != tt.start || res.Outcome != run.OutcomeOK || err != nil || string(data) != tt.want {
			t.Errorf("%s start: %s %s, cycle.txt %q (%v), want %q", res.Start, res.Outcome, res.Stderr, data, err, tt.want)
		}
	}
}

// A snapshot read from its file is mapped, not read into the heap: its
// chunks are whole pages of the file, with the bytes that were stored.
func TestSnapshot_LoadedFromItsMappedFile(t *testing.T) {
	page := int(snapshotPage)
	snap := &memorySnapshot{size: run.WasmPageSize, chunks: []snapshotChunk{
		{offset: 0, data: bytes.Repeat([]byte{'a'}, page)},
		{offset: uint64(2 * page), data: bytes.Repeat([]byte{'b'}, 2*page)}}}
	path := filepath.Join(t.TempDir(), "s.snap")
	if err := os.WriteFile(path, encodeSnapshot(snap), 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := loadSnapshot(path)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.file.Close()
	if len(loaded.chunks) != 2 {
		t.Fatalf("%d chunks", len(loaded.chunks))
	}
	for i, c := range loaded.chunks {
		if c.fileOffset%int64(page) != 0 || c.offset != snap.chunks[i].offset || !bytes.Equal(c.data, snap.chunks[i].data) {
			t.Errorf("chunk %d: offset %d, file offset %d, %d bytes", i, c.offset, c.fileOffset, len(c.data))
		}
	}
	if _, err := loadSnapshot(filepath.Join(t.TempDir(), "missing.snap")); err == nil {
		t.Error("a missing file loaded")
	}
}
