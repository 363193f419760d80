package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
)

// smokeCheck is one program a freshly built runtime must run correctly.
type smokeCheck struct {
	// Name says what is checked.
	Name string
	// Code is the guest program.
	Code string
	// WantStdout is the exact expected standard output.
	WantStdout string
	// WantFile, when set, is a file the program must leave in the
	// workspace, with WantFileContent as its content.
	WantFile        string
	WantFileContent string
}

// pythonSmokeChecks are the checks for CPython: clean start-up (nothing on
// stderr), the stdlib modules the
// playground promises, zlib and sqlite3 (in memory and on a workspace file),
// and file I/O in the workspace.
var pythonSmokeChecks = []smokeCheck{
	{Name: "print(1)", Code: "print(1)\n", WantStdout: "1\n"},
	{
		Name: "stdlib modules",
		Code: `import collections, datetime, decimal, hashlib, json, math, os, re, sqlite3, sys, zlib
import _decimal  # the C implementation, not _pydecimal
assert sys.platform == "wasi", sys.platform
assert json.loads(json.dumps({"a": [1, 2.5, None]})) == {"a": [1, 2.5, None]}
assert re.sub(r"\d+", "#", "a1b22c") == "a#b#c"
assert math.isclose(math.sqrt(2) ** 2, 2.0)
assert collections.Counter("hello")["l"] == 2
assert datetime.date(2024, 2, 28) + datetime.timedelta(days=1) == datetime.date(2024, 2, 29)
assert decimal.Decimal("0.1") + decimal.Decimal("0.2") == decimal.Decimal("0.3")
assert hashlib.sha256(b"abc").hexdigest().startswith("ba7816bf8f01cfea")
assert zlib.decompress(zlib.compress(b"wasm" * 1000)) == b"wasm" * 1000
mem = sqlite3.connect(":memory:")
assert mem.execute("select sum(value) from json_each('[1, 2, 3]')").fetchone() == (6,)
disk = sqlite3.connect("/app/smoke.db")
disk.execute("create table t (x integer)")
disk.executemany("insert into t values (?)", [(i,) for i in range(100)])
disk.commit()
assert disk.execute("select count(*), sum(x) from t").fetchone() == (100, 4950)
disk.close()
with open("/app/hello.txt", "w") as f:
    f.write("hello from python")
assert sorted(os.listdir("/app")) == ["hello.txt", "smoke.db"]
print("ok")
`,
		WantStdout:      "ok\n",
		WantFile:        "hello.txt",
		WantFileContent: "hello from python",
	},
}

// quickJSSmokeChecks are the checks for QuickJS: the std and os modules as
// globals (--std), files in the workspace, os.readdir, os.sleep, timers
// (the event loop), os.platform, and a script that is an ES module.
var quickJSSmokeChecks = []smokeCheck{
	{Name: "print", Code: "console.log(1 + 1);\n", WantStdout: "2\n"},
	{
		Name: "std and os",
		Code: `if (os.platform !== "wasi") throw new Error("os.platform is " + os.platform);
const f = std.open("/app/hello.txt", "w");
f.puts("hello from quickjs");
f.close();
if (std.loadFile("/app/hello.txt") !== "hello from quickjs") throw new Error("loadFile");
const [names, err] = os.readdir("/app");
if (err !== 0) throw new Error("readdir errno " + err);
if (!names.includes("hello.txt")) throw new Error("readdir: " + names);
const t0 = Date.now();
os.sleep(20);
if (Date.now() - t0 < 15) throw new Error("os.sleep returned early");
os.setTimeout(() => print("timer"), 5);
print(JSON.stringify({ sum: [1, 2, 3].reduce((a, b) => a + b), big: (2n ** 70n).toString() }));
`,
		WantStdout:      "{\"sum\":6,\"big\":\"1180591620717411303424\"}\ntimer\n",
		WantFile:        "hello.txt",
		WantFileContent: "hello from quickjs",
	},
	{
		Name:       "ES module",
		Code:       "import * as os from \"os\";\nconsole.log(typeof os.readdir, import.meta.url);\n",
		WantStdout: "function file:///code/main.js\n",
	},
}

// smokeChecks returns the checks for a runtime name.
func smokeChecks(name string) ([]smokeCheck, error) {
	switch name {
	case runtimes.Python:
		return pythonSmokeChecks, nil
	case runtimes.JavaScript:
		return quickJSSmokeChecks, nil
	default:
		return nil, fmt.Errorf("smoke: no checks for runtime %q", name)
	}
}

// smoke runs the runtime's smoke checks against the artifacts under
// binDir. It returns the first failure, quoting what the guest printed.
func smoke(binDir, name string) error {
	checks, err := smokeChecks(name)
	if err != nil {
		return err
	}
	l, err := newLocal(binDir)
	if err != nil {
		return fmt.Errorf("smoke: %w", err)
	}
	for _, check := range checks {
		if err := runSmokeCheck(l, name, check); err != nil {
			return fmt.Errorf("smoke %s, %s: %w", name, check.Name, err)
		}
	}
	return nil
}

func runSmokeCheck(l *sandbox.Local, rt string, check smokeCheck) error {
	res, ws, err := runOnce(l, rt, check.Code)
	if err != nil {
		return err
	}
	defer os.RemoveAll(ws)
	switch {
	case res.Outcome == run.OutcomeHostError:
		return fmt.Errorf("%s", res.Message)
	case res.Outcome != run.OutcomeOK:
		return fmt.Errorf("%s %s (stderr: %q)", res.Outcome, res.Message, clip(string(res.Stderr)))
	case len(res.Stderr) > 0:
		return fmt.Errorf("unexpected output on stderr: %q", clip(string(res.Stderr)))
	case string(res.Stdout) != check.WantStdout:
		return fmt.Errorf("stdout is %q, want %q", clip(string(res.Stdout)), check.WantStdout)
	}
	if check.WantFile != "" {
		data, err := os.ReadFile(filepath.Join(ws, check.WantFile))
		if err != nil {
			return fmt.Errorf("the program left no %s in the workspace: %w", check.WantFile, err)
		}
		if string(data) != check.WantFileContent {
			return fmt.Errorf("workspace file %s holds %q, want %q", check.WantFile, clip(string(data)), check.WantFileContent)
		}
	}
	return nil
}
