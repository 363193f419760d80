// Package demos is wasmplay's gallery: ready examples that show what the
// sandbox does, and probes that show its walls holding. Each demo states
// what should happen and can check, from the run's Result, whether it did.
package demos

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/run"
)

// Demo is one example of the gallery.
type Demo struct {
	// ID is a stable short name ("hello", "escape-symlink").
	ID string
	// Title is the list label.
	Title string
	// Probe marks a sandbox probe (an attempt that must fail safely).
	Probe bool
	// Runtime is the runtime name.
	Runtime string
	// Code is the program.
	Code string
	// Limits are the demo's own: a layer over the config file's limits
	// (the demo runs in its own session, never the user's).
	Limits run.Overrides
	// Stdin is fed to the guest (for demos that read input).
	Stdin string
	// Expect says, for people, what should happen.
	Expect string
	// Check tells whether the result is what Expect says. It returns a
	// short explanation either way.
	Check func(res run.Result) (bool, string)
}

// Verdict checks a result against the demo's expectation.
func (d Demo) Verdict(res run.Result) (bool, string) {
	return d.Check(res)
}

func fuel(n uint64) run.Overrides           { return run.Overrides{FuelBudget: &n} }
func memory(n uint64) run.Overrides         { return run.Overrides{MemoryBytes: &n} }
func timeout(d time.Duration) run.Overrides { return run.Overrides{Timeout: &d} }

// Lookup finds a demo by ID.
func Lookup(id string) (Demo, bool) {
	for _, d := range All() {
		if d.ID == id {
			return d, true
		}
	}
	return Demo{}, false
}

// outcomeIs checks the outcome.
func outcomeIs(res run.Result, want run.Outcome) (bool, string) {
	if res.Outcome != want {
		return false, fmt.Sprintf("expected outcome %s, got %s", want, res.Outcome)
	}
	return true, ""
}

// all combines checks: every one must pass; the explanations are joined.
func all(res run.Result, checks ...func(run.Result) (bool, string)) (bool, string) {
	var why []string
	ok := true
	for _, c := range checks {
		pass, msg := c(res)
		if !pass {
			ok = false
		}
		if msg != "" && !pass {
			why = append(why, msg)
		}
	}
	return ok, strings.Join(why, "; ")
}

func outcome(want run.Outcome) func(run.Result) (bool, string) {
	return func(r run.Result) (bool, string) { return outcomeIs(r, want) }
}

func stdoutHas(s string) func(run.Result) (bool, string) {
	return func(r run.Result) (bool, string) {
		if !bytes.Contains(r.Stdout, []byte(s)) {
			return false, fmt.Sprintf("stdout lacks %q", s)
		}
		return true, ""
	}
}

func stderrHas(any ...string) func(run.Result) (bool, string) {
	return func(r run.Result) (bool, string) {
		for _, s := range any {
			if bytes.Contains(r.Stderr, []byte(s)) || bytes.Contains(r.Stdout, []byte(s)) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("the output names none of %q", any)
	}
}

func outputLacks(s string) func(run.Result) (bool, string) {
	return func(r run.Result) (bool, string) {
		if bytes.Contains(r.Stdout, []byte(s)) || bytes.Contains(r.Stderr, []byte(s)) {
			return false, fmt.Sprintf("the output contains %q: the wall did not hold", s)
		}
		return true, ""
	}
}

// noVariable checks that the guest printed no NAME=... line.
func noVariable(name string) func(run.Result) (bool, string) {
	return func(r run.Result) (bool, string) {
		for _, line := range strings.Split(string(r.Stdout), "\n") {
			if strings.HasPrefix(line, name+"=") {
				return false, fmt.Sprintf("the guest sees the host's %s: the wall did not hold", name)
			}
		}
		return true, ""
	}
}

func created(path string) func(run.Result) (bool, string) {
	return func(r run.Result) (bool, string) {
		for _, c := range r.Files.Created {
			if c.Path == path {
				return true, ""
			}
		}
		for _, c := range r.Files.Modified {
			if c.Path == path {
				return true, ""
			}
		}
		return false, fmt.Sprintf("/app/%s was not written", path)
	}
}

// All returns the gallery in display order: examples first, then probes.
func All() []Demo {
	return []Demo{
		{
			ID: "hello", Title: "Hello, sandbox", Runtime: "python",
			Code:   "import sys\nprint('hello from', sys.implementation.name, sys.version.split()[0], 'on', sys.platform)\n",
			Expect: "prints a greeting naming CPython 3.13 on wasi and exits 0",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeOK), stdoutHas("hello from cpython 3.13"), stdoutHas("wasi"))
			},
		},
		{
			ID: "files", Title: "Files in /app", Runtime: "python",
			Code: `import os, pathlib

notes = pathlib.Path("/app/notes.txt")
notes.write_text("written inside the sandbox\n")
print("wrote", notes, notes.stat().st_size, "bytes")
os.makedirs("/app/data", exist_ok=True)
for i in range(3):
    pathlib.Path(f"/app/data/part{i}.txt").write_text(str(i) * (i + 1))
print("workspace:", sorted(os.listdir("/app")))
print("back again:", notes.read_text().strip())
`,
			Expect: "writes /app/notes.txt and three files in /app/data, lists them, reads one back; the Files pane shows them marked new",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeOK), created("notes.txt"), created("data/part2.txt"),
					stdoutHas("back again: written inside the sandbox"))
			},
		},
		{
			ID: "json-csv", Title: "JSON and CSV processing", Runtime: "python",
			Code: `import csv, io, json, statistics

raw = """city,temp_c
Oslo,4.5
Lisbon,17.2
Nairobi,21.0
Quito,13.9
"""
rows = list(csv.DictReader(io.StringIO(raw)))
temps = [float(r["temp_c"]) for r in rows]
summary = {
    "cities": len(rows),
    "mean_c": round(statistics.mean(temps), 2),
    "warmest": max(rows, key=lambda r: float(r["temp_c"]))["city"],
}
with open("/app/summary.json", "w") as f:
    json.dump(summary, f, indent=2)
with open("/app/cities.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["city", "temp_f"])
    for r in rows:
        w.writerow([r["city"], round(float(r["temp_c"]) * 9 / 5 + 32, 1)])
print(json.dumps(summary))
`,
			Expect: "reads a CSV, prints a JSON summary (4 cities, warmest Nairobi) and writes summary.json and cities.csv",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeOK), stdoutHas(`"warmest": "Nairobi"`), created("summary.json"), created("cities.csv"))
			},
		},
		{
			ID: "js-std-os", Title: "JavaScript with std and os", Runtime: "javascript",
			Code: `// QuickJS: no require/process; the std and os modules are globals.
const f = std.open("/app/hello.txt", "w");
f.puts("written by QuickJS\n");
f.close();
const [names, err] = os.readdir("/app");
console.log("readdir:", err === 0 ? names.filter(n => n[0] !== ".").sort().join(",") : "error " + err);
console.log("read back:", std.loadFile("/app/hello.txt").trim());
console.log("platform:", os.platform);
`,
			Expect: "writes /app/hello.txt with std.open, lists /app with os.readdir and reads the file back",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeOK), created("hello.txt"), stdoutHas("read back: written by QuickJS"),
					stdoutHas("platform: wasi"))
			},
		},
		{
			ID: "fib-fuel", Title: "Fuel-hungry Fibonacci", Runtime: "python",
			Code: `# Naive recursion burns fuel fast: watch the gauge climb.
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

for n in range(20, 40):
    print(n, fib(n), flush=True)
`,
			Limits: fuel(3_000_000_000),
			Expect: "prints Fibonacci numbers until the 3G fuel budget runs out (out_of_fuel); alt+u then applies a doubled budget and runs again",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeOutOfFuel), stdoutHas("25 75025"))
			},
		},
		{
			ID: "wat-memory", Title: "Memory growth in WebAssembly text", Runtime: "wat",
			Code: `;; Grows linear memory one 64 KiB page at a time until memory.grow
;; fails at the cap, printing a dot every 64 pages (4 MiB).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) ".")
  (data (i32.const 32) "\nmemory.grow failed: the cap held\n")
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (local $pages i32)
    (block $full
      (loop $grow
        (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (local.set $pages (i32.add (local.get $pages) (i32.const 1)))
        (if (i32.eqz (i32.rem_u (local.get $pages) (i32.const 64)))
          (then (call $print (i32.const 16) (i32.const 1))))
        (br $grow)))
    (call $print (i32.const 32) (i32.const 34))))
`,
			Limits: memory(64 << 20),
			Expect: "memory grows page by page (see the sparkline) and stops exactly at the 64 MiB cap: 1024 pages, then exits 0",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeOK), stdoutHas("the cap held"), func(r run.Result) (bool, string) {
					if r.PeakMemoryPages != 1024 || r.MemoryGrowDenied == 0 {
						return false, fmt.Sprintf("peak %d pages, %d refusals: expected 1024 and at least one", r.PeakMemoryPages, r.MemoryGrowDenied)
					}
					return true, ""
				})
			},
		},
		{
			ID: "stdin", Title: "Reading input", Runtime: "python",
			Code:   "name = input('Your name? ')\nprint(f'Hello, {name}!')\n",
			Stdin:  "Ada\n",
			Expect: "asks for a name and greets it (in the app, type it on the stdin line; the gallery feeds \"Ada\")",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeOK), stdoutHas("Hello, Ada!"))
			},
		},
		{
			ID: "read-passwd", Title: "Probe: read /etc/passwd", Probe: true, Runtime: "python",
			Code:   "print(open('/etc/passwd').read())\n",
			Expect: "fails: the guest sees no /etc, only /app (FileNotFoundError or PermissionError); no host account leaks",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeExitNonzero), stderrHas("FileNotFoundError", "PermissionError"), outputLacks("root:x:0"))
			},
		},
		{
			ID: "escape-dotdot", Title: "Probe: escape /app with ..", Probe: true, Runtime: "python",
			Code: `import os
for path in ["../etc/passwd", "/app/../etc/passwd", "../../../../etc/hostname"]:
    try:
        print(path, "->", open(path).read()[:40])
    except OSError as e:
        print(path, "-> refused:", type(e).__name__)
`,
			Expect: "every path that climbs out of /app is refused (PermissionError or FileNotFoundError)",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeOK), outputLacks("root:x:0"), func(r run.Result) (bool, string) {
					if n := bytes.Count(r.Stdout, []byte("refused:")); n != 3 {
						return false, fmt.Sprintf("%d of 3 paths refused", n)
					}
					return true, ""
				})
			},
		},
		{
			ID: "escape-symlink", Title: "Probe: escape with a symlink", Probe: true, Runtime: "python",
			Code: `import os
try:
    os.symlink("/etc/passwd", "/app/passwd-link")
    print("symlink created")
except OSError as e:
    print("symlink refused:", type(e).__name__, e)
try:
    print(open("/app/passwd-link").read()[:40])
except OSError as e:
    print("reading through it refused:", type(e).__name__)
`,
			Expect: "a link pointing outside /app may be created but cannot be followed: reading through it is refused",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeOK), outputLacks("root:x:0"), stdoutHas("refused"))
			},
		},
		{
			ID: "infinite-loop", Title: "Probe: infinite loop", Probe: true, Runtime: "python",
			Code:   "n = 0\nwhile True:\n    n += 1\n",
			Limits: fuel(1_000_000_000),
			Expect: "never ends on its own: the 1G fuel budget stops it (out_of_fuel) in well under a second",
			Check:  func(r run.Result) (bool, string) { return outcomeIs(r, run.OutcomeOutOfFuel) },
		},
		{
			ID: "memory-bomb", Title: "Probe: memory bomb", Probe: true, Runtime: "python",
			Code:   "blocks = []\nwhile True:\n    blocks.append(bytearray(16 * 1024 * 1024))\n    print(len(blocks) * 16, 'MiB', flush=True)\n",
			Limits: memory(96 << 20),
			Expect: "allocates 16 MiB blocks until the 96 MiB cap refuses to grow memory: MemoryError, outcome memory_limit; the host is untouched",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeMemoryLimit), stderrHas("MemoryError"))
			},
		},
		{
			ID: "output-flood", Title: "Probe: output flood", Probe: true, Runtime: "python",
			Code:   "line = 'y' * 1000\nfor i in range(20000):\n    print(line)\nprint('done')\n",
			Expect: "prints 20 MB; only the first 2 MiB are kept (stdout truncated), the run still ends normally",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeOK), func(r run.Result) (bool, string) {
					if !r.StdoutTruncated || r.StdoutBytes < 20_000_000 || int64(len(r.Stdout)) > r.Limits.StdoutMaxBytes {
						return false, fmt.Sprintf("truncated=%v, wrote %d, kept %d", r.StdoutTruncated, r.StdoutBytes, len(r.Stdout))
					}
					return true, ""
				})
			},
		},
		{
			ID: "env-snoop", Title: "Probe: environment snooping", Probe: true, Runtime: "python",
			Code:   "import os\nfor k, v in sorted(os.environ.items()):\n    print(f'{k}={v}')\n",
			Expect: "shows only the few variables the runtime needs (PYTHONHOME, PWD, …): no HOME, PATH, tokens or keys from the host",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeOK), stdoutHas("PYTHONHOME="), noVariable("HOME"), noVariable("PATH"),
					noVariable("USER"))
			},
		},
		{
			ID: "network", Title: "Probe: network and subprocess", Probe: true, Runtime: "python",
			Code: `import socket, subprocess
for name, attempt in [
    ("socket", lambda: socket.create_connection(("example.com", 80), timeout=2)),
    ("subprocess", lambda: subprocess.run(["ls", "/"])),
]:
    try:
        attempt()
        print(name, "worked")
    except Exception as e:
        print(name, "refused:", type(e).__name__)
`,
			Expect: "no network and no processes in the sandbox: both attempts are refused",
			Check: func(r run.Result) (bool, string) {
				return all(r, outcome(run.OutcomeOK), func(r run.Result) (bool, string) {
					if n := bytes.Count(r.Stdout, []byte("refused:")); n != 2 {
						return false, fmt.Sprintf("%d of 2 attempts refused", n)
					}
					return true, ""
				})
			},
		},
		{
			ID: "sleep-timeout", Title: "Probe: sleeping past the timeout", Probe: true, Runtime: "python",
			Code:   "import time\nprint('sleeping for an hour…', flush=True)\ntime.sleep(3600)\n",
			Limits: timeout(2 * time.Second),
			Expect: "a guest asleep inside the host is still stopped: the 2 s wall-clock limit ends it (timeout); ctrl+c would too",
			Check:  func(r run.Result) (bool, string) { return outcomeIs(r, run.OutcomeTimeout) },
		},
	}
}
