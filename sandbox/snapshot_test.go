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

	"golang.org/x/sys/unix"

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

func TestSnapshotImage_DropsTheDeadStack(t *testing.T) {
	const size = 2 * run.WasmPageSize
	base := make([]byte, 4*snapshotPage) // a fresh instance: smaller
	copy(base[snapshotPage/2:], "data segment in the dead page")
	now := make([]byte, size)
	copy(now, "dead stack")                      // below the frame: as in base
	copy(now[snapshotPage+10:], "live frame")    // the frame's page: kept
	copy(now[5*snapshotPage+100:], "grown heap") // beyond the fresh memory: kept
	image := snapshotImage(base, now, snapshotPage+snapshotPage/2)
	want := bytes.Clone(now)
	copy(want[:snapshotPage], base[:snapshotPage])
	if !bytes.Equal(image, want) {
		t.Fatal("the image is not the memory with the dead stack as in a fresh instance")
	}
	if !bytes.HasPrefix(now, []byte("dead stack")) {
		t.Fatal("making the image changed the memory it was made from")
	}
}

// A snapshot file holds the header, then the image with zero pages as
// holes; reading it back checks the header against the file.
func TestSnapshotFile_RoundTrip(t *testing.T) {
	image := make([]byte, 2*run.WasmPageSize)
	copy(image[3*snapshotPage:], "heap")
	copy(image[len(image)-snapshotPage:], "top page")
	path := filepath.Join(t.TempDir(), "s.snap")
	c := newSnapshotCache(filepath.Dir(path))
	snap, err := c.store(path, image)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.file.Close()
	if stored := storedBytes(t, snap); snap.size != uint64(len(image)) || stored != 2*snapshotPage {
		t.Fatalf("size %d, stored %d; want %d and two pages", snap.size, stored, len(image))
	}
	got := make([]byte, len(image))
	if _, err := snap.file.ReadAt(got, snapshotImageOffset); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, image) {
		t.Fatal("the file's image differs from the memory stored")
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	if disk := st.Blocks * 512; disk > 16*snapshotPage {
		t.Errorf("the file takes %d bytes on disk for two stored pages: zero pages are not holes", disk)
	}
	inMemory, err := memorySnapshotFile(image)
	if err != nil {
		t.Fatal(err)
	}
	defer inMemory.file.Close()
	if stored := storedBytes(t, inMemory); inMemory.size != snap.size || stored != 2*snapshotPage {
		t.Fatalf("in memory: size %d, stored %d", inMemory.size, stored)
	}
	if _, err := loadSnapshot(filepath.Join(t.TempDir(), "missing.snap")); err == nil {
		t.Error("a missing file loaded")
	}
	dir := filepath.Join(t.TempDir(), "dir.snap")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSnapshot(dir); err == nil {
		t.Error("a directory loaded")
	}
	link := filepath.Join(t.TempDir(), "link.snap")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if _, err := loadSnapshot(link); err == nil {
		t.Error("a symlink was followed")
	}
}

// storedBytes is what a snapshot's file header says it stores.
func storedBytes(t *testing.T, s *memorySnapshot) uint64 {
	t.Helper()
	info, err := s.file.Stat()
	if err != nil {
		t.Fatal(err)
	}
	header := make([]byte, snapshotHeaderBytes)
	if _, err := s.file.ReadAt(header, 0); err != nil {
		t.Fatal(err)
	}
	_, stored, err := decodeSnapshotHeader(header, info.Size())
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

func TestDecodeSnapshotHeader_RejectsBadFiles(t *testing.T) {
	const size = 2 * run.WasmPageSize
	good := encodeSnapshotHeader(size, snapshotPage)
	goodLen := int64(snapshotImageOffset + size)
	if _, _, err := decodeSnapshotHeader(good, goodLen); err != nil {
		t.Fatalf("a good header: %v", err)
	}
	patch := func(at int, v byte) []byte {
		b := bytes.Clone(good)
		b[at] = v
		return b
	}
	tests := []struct {
		name   string
		header []byte
		length int64
		want   string
	}{
		{"empty", nil, goodLen, "not a wasmplay snapshot"},
		{"other version", patch(7, 2), goodLen, "not a wasmplay snapshot"},
		{"size not in pages", patch(8, 1), goodLen, "whole number of pages"},
		{"size zero", encodeSnapshotHeader(0, 0), snapshotImageOffset, "whole number of pages"},
		{"stored beyond size", patch(22, 1), goodLen, "do not fit"},
		{"stored not in pages", patch(16, 1), goodLen, "do not fit"},
		{"padding not zero", patch(100, 7), goodLen, "padding"},
		{"file cut short", good, goodLen - 1, "header says"},
		{"file too long", good, goodLen + snapshotPage, "header says"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeSnapshotHeader(tt.header, tt.length)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func FuzzDecodeSnapshotHeader(f *testing.F) {
	f.Add(encodeSnapshotHeader(run.WasmPageSize, snapshotPage), int64(2*run.WasmPageSize))
	f.Add([]byte("wpsnap\x00\x03"), int64(0))
	f.Fuzz(func(t *testing.T, header []byte, length int64) {
		size, stored, err := decodeSnapshotHeader(header, length)
		if err != nil {
			return
		}
		if size == 0 || size%run.WasmPageSize != 0 || stored > size || uint64(length) != snapshotImageOffset+size {
			t.Fatalf("accepted size %d, stored %d in a %d-byte file", size, stored, length)
		}
		if !bytes.Equal(encodeSnapshotHeader(size, stored), header[:snapshotHeaderBytes]) {
			t.Fatal("decoding then encoding changed the header")
		}
	})
}

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
	added := snapshotKey("sha", []string{"python", "-u"}, env, mounts)
	// A file initialisation reads, changed in place (the directory's
	// times stay): the file's own size and times change the key.
	if err := os.WriteFile(filepath.Join(dir, "new.pth"), []byte("import sys"), 0o644); err != nil {
		t.Fatal(err)
	}
	rewritten := snapshotKey("sha", []string{"python", "-u"}, env, mounts)
	if err := os.Mkdir(filepath.Join(dir, "pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	withPackage := snapshotKey("sha", []string{"python", "-u"}, env, mounts)
	if rewritten == added || withPackage == rewritten {
		t.Fatal("rewriting a .pth file or adding a package directory kept the key")
	}
	changed := []string{
		added, rewritten, withPackage,
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
		// The first process probed each snapshot for the pages a run
		// writes; the later one loads them.
		for _, path := range stored {
			snap, err := loadSnapshot(path)
			if err != nil {
				t.Fatal(err)
			}
			snap.file.Close()
			hot, err := loadHotPages(hotPagesPath(path), snap.size)
			if err != nil || len(hot) == 0 {
				t.Fatalf("%s: the hot pages of %s: %d ranges, %v", process, filepath.Base(path), len(hot), err)
			}
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
