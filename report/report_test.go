package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wasmplay/wasmplay/guidance"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/textsafe"
)

// update rewrites the golden files: go test ./report -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// defaultLimits are the limits of a run with the default policy.
func defaultLimits() run.Limits {
	return run.Limits{
		FuelBudget:     5_000_000_000,
		MemoryBytes:    128 << 20,
		StdoutMaxBytes: 2 << 20,
		StderrMaxBytes: 1 << 20,
		TimeoutMS:      30_000,
	}
}

// baseResult is a Result with plausible figures; cases override fields.
func baseResult(runtime string, outcome run.Outcome, exit int) run.Result {
	return run.Result{
		ID:              1,
		Runtime:         runtime,
		Success:         outcome == run.OutcomeOK,
		Outcome:         outcome,
		ExitCode:        exit,
		FuelConsumed:    110_212_345,
		FuelExact:       true,
		MemoryPages:     320,
		PeakMemoryPages: 320,
		MemoryBytes:     320 * run.WasmPageSize,
		PeakMemoryBytes: 320 * run.WasmPageSize,
		Duration:        31_600 * time.Microsecond,
		Files:           run.FileChanges{},
		Limits:          defaultLimits(),
	}
}

// withOutput sets the kept stdout and stderr and their written sizes.
func withOutput(r run.Result, stdout, stderr string) run.Result {
	r.Stdout, r.Stderr = []byte(stdout), []byte(stderr)
	r.StdoutBytes, r.StderrBytes = int64(len(stdout)), int64(len(stderr))
	return r
}

// goldenCase is one report rendered to testdata/NAME.md and NAME.json.
type goldenCase struct {
	name string
	in   Input
}

func goldenCases() []goldenCase {
	var cases []goldenCase
	add := func(name string, in Input) { cases = append(cases, goldenCase{name, in}) }

	// ok: a Python run that printed and wrote a file.
	ok := withOutput(baseResult("python", run.OutcomeOK, 0), "total: 6\n", "")
	ok.Files = run.FileChanges{
		Created:  []run.FileChange{{Path: "result.txt", Size: 2}},
		Modified: []run.FileChange{{Path: "data/log.csv", Size: 1300}},
	}
	okCode := []byte("with open('/app/result.txt', 'w') as f:\n    f.write('6\\n')\nprint('total:', sum([1, 2, 3]))\n")
	in := NewInput(okCode, ok, guidance.MatchOptions{})
	in.Session, in.Run = "demo", 4
	add("ok", in)

	// exit_nonzero with a traceback (captured from the real runtime).
	numpy := withOutput(baseResult("python", run.OutcomeExitNonzero, 1), "loading data\n",
		"Traceback (most recent call last):\n  File \"/code/main.py\", line 3, in <module>\n    import numpy as np\nModuleNotFoundError: No module named 'numpy'\n")
	numpy.FuelConsumed = 252_529_680
	in = NewInput([]byte("print('loading data')\n\nimport numpy as np\nprint(np.mean([1, 2, 3]))\n"), numpy, guidance.MatchOptions{})
	in.Session, in.Run = "numpy-question", 2
	add("exit_nonzero_traceback", in)

	// A nested traceback the catalogue has no advice for.
	nested := withOutput(baseResult("python", run.OutcomeExitNonzero, 1), "",
		"Traceback (most recent call last):\n  File \"/code/main.py\", line 7, in <module>\n    f()\n    ~^^\n  File \"/code/main.py\", line 5, in f\n    return g(0)\n  File \"/code/main.py\", line 2, in g\n    return 1 / x\n           ~~^~~\nZeroDivisionError: division by zero\n")
	add("exit_nonzero_no_advice", NewInput([]byte("def g(x):\n    return 1 / x\n\ndef f():\n    return g(0)\n\nf()\n"), nested, guidance.MatchOptions{}))

	// JavaScript: require (captured).
	js := withOutput(baseResult("javascript", run.OutcomeExitNonzero, 1), "",
		"ReferenceError: 'require' is not defined\n    at <eval> (/code/main.js:1:12)\n\n")
	js.FuelConsumed, js.PeakMemoryPages, js.PeakMemoryBytes = 3_100_000, 131, 131*run.WasmPageSize
	add("javascript_require", NewInput([]byte("const fs = require('fs');\nconsole.log(fs.readFileSync('/app/a.txt', 'utf8'));\n"), js, guidance.MatchOptions{}))

	// out_of_fuel.
	fuel := baseResult("python", run.OutcomeOutOfFuel, -1)
	fuel.Message = "the fuel budget ran out"
	fuel.FuelConsumed, fuel.Limits.FuelBudget = 100_000_000, 100_000_000
	add("out_of_fuel", NewInput([]byte("while True: pass\n"), fuel, guidance.MatchOptions{}))

	// memory_limit (captured).
	mem := withOutput(baseResult("python", run.OutcomeMemoryLimit, 1), "",
		"Traceback (most recent call last):\n  File \"/code/main.py\", line 1, in <module>\n    bytearray(10**9)\n    ~~~~~~~~~^^^^^^^\nMemoryError\n")
	mem.Message = "the guest asked for 973.7 MiB of memory; the cap is 128 MiB"
	mem.PeakMemoryPages, mem.PeakMemoryBytes, mem.MemoryGrowDenied = 2036, 2036*run.WasmPageSize, 1
	add("memory_limit", NewInput([]byte("bytearray(10**9)\n"), mem, guidance.MatchOptions{}))

	// disk_limit (as wasmplay run --disk 1MiB reports it).
	disk := withOutput(baseResult("python", run.OutcomeDiskLimit, 1), "",
		"Traceback (most recent call last):\n  File \"/code/main.py\", line 2, in <module>\n    f.write(bytes(4 << 20))\n    ~~~~~~~^^^^^^^^^^^^^^^^\nOSError: [Errno 19] Quota exceeded\n")
	disk.Message = "the workspace's disk quota of 1 MiB refused a write (it takes 1016 KiB)"
	disk.Limits.DiskBytes, disk.Limits.DiskFiles = 1<<20, 100_000
	disk.Disk, disk.DiskRefused = run.DiskUsage{Bytes: 1016 << 10, Entries: 1}, 1
	disk.Files.Created = []run.FileChange{{Path: "scratch.bin", Size: 1040384}}
	add("disk_limit", NewInput([]byte("with open('/app/scratch.bin', 'wb') as f:\n    f.write(bytes(4 << 20))\n"), disk, guidance.MatchOptions{}))

	// Truncated output: the runner kept 6000 of 50000 bytes, the report
	// keeps 1 KiB of that.
	var long strings.Builder
	for i := range 600 {
		fmt.Fprintf(&long, "===== line %04d\n", i)
	}
	trunc := withOutput(baseResult("python", run.OutcomeOK, 0), long.String()[:6000], "")
	trunc.StdoutBytes, trunc.StdoutTruncated = 50_000, true
	trunc.Limits.StdoutMaxBytes = 6000
	in = NewInput([]byte("for i in range(5000):\n    print('=====', 'line', str(i).zfill(4))\n"), trunc, guidance.MatchOptions{})
	in.MaxOutputBytes = 1024
	add("truncated_output", in)

	// Output that is not UTF-8, with control characters.
	bin := withOutput(baseResult("python", run.OutcomeOK, 0), "bytes: \xff\xfe\x00 end\n\x1b[31mred\x1b[0m\r\n", "warn: \xc3\n")
	add("non_utf8_output", NewInput([]byte("import sys\nsys.stdout.buffer.write(b'bytes: \\xff\\xfe\\x00 end\\n')\n"), bin, guidance.MatchOptions{}))

	// Backtick fences inside stdout.
	md := withOutput(baseResult("python", run.OutcomeOK, 0), "Here is code:\n```python\nprint(1)\n```\nand a longer fence:\n````\n", "")
	add("backticks_in_stdout", NewInput([]byte("print('Here is code:\\n```python\\nprint(1)\\n```\\nand a longer fence:\\n````')\n"), md, guidance.MatchOptions{}))

	// Timeout: fuel is a lower bound.
	slow := withOutput(baseResult("javascript", run.OutcomeTimeout, -1), "0\n", "")
	slow.Message, slow.FuelExact, slow.Limits.TimeoutMS, slow.Duration = "the wall-clock limit passed", false, 1000, time.Second
	slow.FuelConsumed = 4_000_000_000
	add("timeout", NewInput([]byte("for (let i = 0; i < 10; i++) {\n  console.log(i);\n  os.sleep(1000);\n}\n"), slow, guidance.MatchOptions{}))

	// A WAT compile error (captured: the message is the compiler's).
	wat := baseResult("wat", run.OutcomeHostError, -1)
	wat.Message = "wat: expected `)`\n     --> <anon>:1:44\n      |\n    1 | (module (func $f (result i32) (i32.const 1)\n      |                                            ^"
	wat = withOutput(wat, "", wat.Message+"\n")
	wat.FuelConsumed, wat.PeakMemoryPages, wat.PeakMemoryBytes, wat.MemoryPages, wat.MemoryBytes = 0, 0, 0, 0, 0
	add("wat_syntax", NewInput([]byte("(module (func $f (result i32) (i32.const 1)\n"), wat, guidance.MatchOptions{}))
	return cases
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended)\n--- got ---\n%s", path, got)
	}
}

func TestMarkdown_Golden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			md := Markdown(c.in)
			if !utf8.ValidString(md) {
				t.Errorf("Markdown is not valid UTF-8")
			}
			checkGolden(t, c.name+".md", []byte(md))
		})
	}
}

func TestJSON_Golden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			data, err := JSON(c.in)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, c.name+".json", data)
		})
	}
}

// TestReports_GuestStringsCannotForge: whatever the guest chose (file
// names, output, its exception's message, the trap text naming its
// functions), the Markdown keeps its structure and neither format carries
// a raw control character.
func TestReports_GuestStringsCannotForge(t *testing.T) {
	evil := "x\n## Forged heading\n\x1b]0;pwned\x07\u009b2J\u0085\u202e"
	res := withOutput(baseResult("python", run.OutcomeExitNonzero, 1), evil,
		"Traceback (most recent call last):\n  File \"/code/main.py\", line 1, in <module>\nModuleNotFoundError: No module named 'x\x1b]0;pwned\x07\u009b2J\u0085'\n")
	res.Message = "wasm trap: " + evil
	res.Files.Created = []run.FileChange{{Path: evil, Size: 1}}
	in := NewInput([]byte("raise ValueError('...')\n"), res, guidance.MatchOptions{})
	in.Session = evil
	md := Markdown(in)
	fence := "" // inside a fenced block, text is shown as it is
	for _, line := range strings.Split(md, "\n") {
		switch {
		case fence == "" && strings.HasPrefix(line, "```"):
			fence = strings.TrimRight(line, "abcdefghijklmnopqrstuvwxyz")
		case fence != "" && line == fence:
			fence = ""
		case fence == "" && strings.HasPrefix(strings.TrimLeft(line, " >-*"), "#"):
			if strings.Contains(line, "Forged") {
				t.Errorf("a guest string forged a heading: %q", line)
			}
		}
	}
	data, err := JSON(in)
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{"markdown": md, "json": string(data)} {
		for _, r := range doc {
			if textsafe.Unsafe(r) && r != '\n' && r != '\t' {
				t.Errorf("%s report holds %U raw", name, r)
				break
			}
		}
	}
	if line := SummaryLine(res); strings.ContainsFunc(line, textsafe.Unsafe) {
		t.Errorf("summary line %q holds a control character", line)
	}
}

// What the run read on stdin is in the report: the output answers it.
func TestReport_Stdin(t *testing.T) {
	now := time.Now()
	res := run.Result{Runtime: "python", Outcome: run.OutcomeOK, StartedAt: now, FinishedAt: now, Files: run.EmptyFileChanges(),
		Stdout: []byte("hello, Ada\n")}
	in := Input{Code: []byte("print('hello,', input())"), Stdin: []byte("Ada\n"), Result: res}
	md := Markdown(in)
	if !strings.Contains(md, "### Standard input (4 B)") || !strings.Contains(md, "Ada") {
		t.Errorf("Markdown lacks the input:\n%s", md)
	}
	data, err := JSON(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"stdin": "Ada\n"`) {
		t.Errorf("JSON lacks the input:\n%s", data)
	}
	if data, _ := JSON(Input{Code: []byte("1"), Result: res}); strings.Contains(string(data), `"stdin"`) {
		t.Error("a run without input has a stdin field")
	}
}
