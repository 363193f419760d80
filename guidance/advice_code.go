package guidance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// unavailableName returns the public name of a standard-library module
// this Python lacks ("ssl" for "_ssl"), or "".
func unavailableName(top string) string {
	name := strings.TrimPrefix(top, "_")
	if unavailableWhy(name) != "" {
		return name
	}
	return ""
}

// matchUnavailableModule: a standard module this build lacks.
func matchUnavailableModule(f *facts) bool {
	_, top := f.missingModule()
	return f.python() && unavailableName(top) != ""
}

func adviseUnavailableModule(f *facts) Advice {
	_, top := f.missingModule()
	name := unavailableName(top)
	a := Advice{
		Title: fmt.Sprintf("The %s module cannot work in the sandbox", name),
		Cause: fmt.Sprintf("%s is part of the standard library, but this Python for WASI is built without it: %s.", name, unavailableWhy(name)),
		Steps: []string{
			fmt.Sprintf("Remove the import of %s and do without it.", name),
			"The rest of the standard library works. Missing besides this one: ssl, ctypes, bz2, lzma, mmap, curses, readline and the Unix-only modules (fcntl, pwd, grp, resource, termios); threads, subprocesses and sockets fail when used.",
		},
	}
	switch name {
	case "ssl":
		a.Steps = append([]string{"There is no network either: read the data from a file in /app instead of over HTTPS."}, a.Steps...)
		return withSnippets(a, f, snippets{
			runtimes.Python: snippet{
				before: "import ssl\nimport urllib.request\n\nctx = ssl.create_default_context()\ndata = urllib.request.urlopen('https://example.com/data.csv', context=ctx).read()\n",
				after:  "with open('/app/data.csv', 'rb') as f:\n    data = f.read()\n",
			},
		})
	case "ctypes":
		a.Steps = append([]string{"Write the logic in pure Python: no native library can be loaded."}, a.Steps...)
		return withSnippets(a, f, snippets{
			runtimes.Python: snippet{
				before: "import ctypes\n\nlibc = ctypes.CDLL(None)\nprint(libc.abs(-5))\n",
				after:  "print(abs(-5))\n",
			},
		})
	}
	return withSnippets(a, f, snippets{
		runtimes.Python: snippet{
			before: "import curses\n\ncurses.wrapper(lambda screen: screen.addstr('score: 42'))\n",
			after:  "print('score: 42')\n",
		},
	})
}

// matchMissingModule: any other module that could not be found.
func matchMissingModule(f *facts) bool {
	name, top := f.missingModule()
	if name == "" {
		return false
	}
	if f.javascript() {
		return !slices.Contains(nodeModules, top) && !strings.HasPrefix(name, "node:")
	}
	return unavailableName(top) == "" && top != "_thread" && top != "_posixsubprocess" && top != "_multiprocessing"
}

func adviseMissingModule(f *facts) Advice {
	_, top := f.missingModule()
	if f.javascript() {
		return Advice{
			Title: fmt.Sprintf("The module %s is not available", top),
			Cause: fmt.Sprintf("QuickJS could not load %q: there is no npm and no node_modules; only the built-in modules std and os can be imported.", top),
			Steps: []string{
				"Write the needed functions in plain JavaScript inside the script.",
				"Use std and os for files, environment and time; use the built-ins (Math, JSON, Array, Map, Set, RegExp, Date, BigInt) for the rest.",
			},
			Before: "import _ from 'lodash';\nconsole.log(_.sum([1, 2, 3]));\n",
			After:  "const sum = (xs) => xs.reduce((a, b) => a + b, 0);\nconsole.log(sum([1, 2, 3]));\n",
			Lang:   runtimes.JavaScript,
		}
	}
	available := "No third-party packages are installed: only the standard library."
	if f.packages != nil {
		if pkgs := f.packages(); len(pkgs) > 0 {
			available = "Besides the standard library, these packages can be imported: " + strings.Join(pkgs, ", ") + "."
		}
	}
	a := Advice{
		Title: fmt.Sprintf("The module %s is not available", top),
		Cause: fmt.Sprintf("%s is not installed in the sandbox, and nothing can be installed at run time (there is no pip and no network).", top),
		Steps: []string{
			"Rewrite the code with the standard library: math, statistics, itertools, collections, json, csv, re, datetime, decimal, fractions and random cover most needs.",
			available,
			"A pure-Python module can be used by putting its source in the workspace: /app is on sys.path.",
			"Whoever runs the sandbox can add a pure-Python package that Debian ships as python3-NAME, for later runs: wasmplay packages add NAME.",
			"Never available, because WASI cannot support them: ssl, ctypes, threads, subprocess and sockets.",
		},
	}
	switch top {
	case "numpy", "pandas", "scipy":
		return withSnippets(a, f, snippets{
			runtimes.Python: snippet{
				before: "import numpy as np\n\nvalues = np.array([3.0, 1.0, 4.0, 1.0, 5.0])\nprint(values.mean(), values.std())\n",
				after:  "import statistics\n\nvalues = [3.0, 1.0, 4.0, 1.0, 5.0]\nprint(statistics.mean(values), statistics.pstdev(values))\n",
			},
		})
	case "toml":
		return withSnippets(a, f, snippets{
			runtimes.Python: snippet{
				before: "import toml\n\nconfig = toml.loads('debug = true')\nprint(config['debug'])\n",
				after:  "import tomllib\n\nconfig = tomllib.loads('debug = true')\nprint(config['debug'])\n",
			},
		})
	}
	return withSnippets(a, f, snippets{
		runtimes.Python: snippet{
			before: "from prettytable import PrettyTable\n\nt = PrettyTable(['n', 'name'])\nt.add_row([1, 'a'])\nprint(t)\n",
			after:  "rows = [[1, 'a'], [2, 'b']]\nfor row in rows:\n    print('  '.join(str(cell) for cell in row))\n",
		},
	})
}

func advisePathOutsideApp(f *facts) Advice {
	p, _ := f.osErrorPath()
	return withSnippets(Advice{
		Title: "Only /app is visible to the code",
		Cause: fmt.Sprintf("The code used %q, which is outside the workspace: the guest sees only /app (read-write, the working directory), so /etc, /tmp, /home and paths that climb out with .. do not exist or cannot be written.", p),
		Steps: []string{
			"Keep every file the code reads or writes under /app, e.g. /app/result.txt, or use a relative path (the working directory is /app).",
			"Do not climb out with ..: /app is the top of what the code can see.",
			"Put input files into the session's workspace before the run; system files such as /etc/passwd are never visible.",
		},
	}, f, snippets{
		runtimes.Python: snippet{
			before: "with open('/tmp/result.txt', 'w') as f:\n    f.write('42\\n')\n",
			after:  "with open('/app/result.txt', 'w') as f:\n    f.write('42\\n')\n",
		},
		runtimes.JavaScript: snippet{
			before: "const f = std.open('/tmp/result.txt', 'w');\nf.puts('42\\n');\nf.close();\n",
			after:  "const f = std.open('/app/result.txt', 'w');\nf.puts('42\\n');\nf.close();\n",
		},
	})
}

func adviseFileNotFound(f *facts) Advice {
	p, _ := f.osErrorPath()
	return withSnippets(Advice{
		Title: "The file is not in the workspace",
		Cause: fmt.Sprintf("The code opened %q, which does not exist in the workspace (/app, the working directory).", p),
		Steps: []string{
			"Add the file to the session's workspace before the run: it then appears under /app.",
			"Or create it in the code first, or handle its absence.",
			"Check the spelling and case of the name: paths are case-sensitive.",
		},
	}, f, snippets{
		runtimes.Python: snippet{
			before: "with open('data.csv') as f:\n    rows = f.read().splitlines()\n",
			after:  "import os\n\nif os.path.exists('/app/data.csv'):\n    with open('/app/data.csv') as f:\n        rows = f.read().splitlines()\nelse:\n    rows = []\n    print('data.csv is missing: add it to the workspace')\n",
		},
	})
}

func adviseNoInput(f *facts) Advice {
	return withSnippets(Advice{
		Title: "The code reads input that was not given",
		Cause: "input() reached the end of standard input: a run gets empty stdin unless input is provided.",
		Steps: []string{
			"Give the input: `wasmplay run --stdin FILE`, or type it in the playground while the run waits.",
			"Or make the code work without input: use a default, or take arguments from sys.argv.",
		},
	}, f, snippets{
		runtimes.Python: snippet{
			before: "name = input('Name: ')\nprint('hello', name)\n",
			after:  "try:\n    name = input('Name: ')\nexcept EOFError:\n    name = 'world'\nprint('hello', name)\n",
		},
	})
}

func adviseIndentation(f *facts) Advice {
	return withSnippets(Advice{
		Title: "The indentation is wrong",
		Cause: fmt.Sprintf("Python could not parse the code (%s); copying code out of a chat often loses or mixes indentation.", f.fail.exception),
		Steps: []string{
			"Look at the marked line and the one before it: the block after a line ending in ':' must be indented, and lines of one block must line up.",
			"Use 4 spaces per level and no tabs; never mix tabs and spaces.",
			"Copy the whole code block again: the fenced block keeps its indentation.",
		},
	}, f, snippets{
		runtimes.Python: snippet{
			before: "def total(xs):\nreturn sum(xs)\n",
			after:  "def total(xs):\n    return sum(xs)\n",
		},
	})
}

// matchSyntaxError: the code did not parse (Python SyntaxError, a QuickJS
// parse error in the script, a WAT compile error).
func matchSyntaxError(f *facts) bool {
	switch {
	case f.python():
		return f.exception("SyntaxError")
	case f.javascript():
		return f.exception("SyntaxError") && f.fail.compile
	case f.wat():
		return f.fail.compile
	}
	return false
}

func adviseSyntaxError(f *facts) Advice {
	lang := "Python"
	steps := []string{
		"Look at the marked line and the one before it: an unclosed bracket or string is often reported where the parser gives up.",
		"Check that the whole code block was copied, including its last lines.",
	}
	switch f.runtime {
	case runtimes.JavaScript:
		lang = "QuickJS"
		steps = append(steps, "QuickJS runs modern JavaScript (ES2023) but not TypeScript or JSX: remove type annotations and markup.")
	case runtimes.WAT:
		lang = "The WebAssembly text compiler"
		steps = append(steps, "Balance the parentheses: every (module, (func, (block and (loop needs its closing ).")
	default:
		steps = append(steps, "Make sure the code is Python 3 (print is a function: print(x)), not Python 2 or pseudo-code.")
	}
	return withSnippets(Advice{
		Title: "The code does not parse",
		Cause: fmt.Sprintf("%s rejected the code before running it: %s", lang, f.fail.exception),
		Steps: steps,
	}, f, snippets{
		runtimes.Python: snippet{
			before: "print('total:', sum([1, 2, 3])\n",
			after:  "print('total:', sum([1, 2, 3]))\n",
		},
		runtimes.JavaScript: snippet{
			before: "function add(a: number, b: number) {\n  return a + b;\n}\nconsole.log(add(1, 2));\n",
			after:  "function add(a, b) {\n  return a + b;\n}\nconsole.log(add(1, 2));\n",
		},
		runtimes.WAT: snippet{
			before: "(module\n  (func (export \"_start\")\n    nop)\n",
			after:  "(module\n  (func (export \"_start\")\n    nop))\n",
		},
	})
}

// matchRecursion: the stack ran out, or Python's recursion limit stopped
// the run.
func matchRecursion(f *facts) bool {
	return f.outcome == run.OutcomeStackOverflow ||
		(f.python() && (f.exception("RecursionError") || f.fail.repeated)) ||
		(f.javascript() && f.exception("InternalError") && f.says("stack overflow"))
}

func adviseRecursion(f *facts) Advice {
	a := Advice{
		Title: "The recursion is too deep",
		Cause: "A function kept calling itself until the stack ran out: the recursion has no reachable base case, or it is deeper than the interpreter allows.",
		Steps: []string{
			"Check the base case: every recursive call must move toward a case that returns without recursing.",
			"For deep but finite recursion, rewrite it as a loop, keeping pending work in a list.",
		},
	}
	switch f.runtime {
	case runtimes.Python:
		a.Cause = "A function kept calling itself until Python's recursion limit (1000 frames) stopped it: the recursion has no reachable base case, or it is deeper than the limit."
		a.Steps = append(a.Steps, "Do not raise sys.setrecursionlimit: the interpreter's own stack or memory then runs out instead.")
	case runtimes.JavaScript:
		a.Cause = "A function kept calling itself until QuickJS ran out of stack: the recursion has no reachable base case, or it is too deep."
	}
	return withSnippets(a, f, snippets{
		runtimes.Python: snippet{
			before: "def fact(n):\n    return n * fact(n - 1)\n\nprint(fact(5))\n",
			after:  "def fact(n):\n    result = 1\n    for i in range(2, n + 1):\n        result *= i\n    return result\n\nprint(fact(5))\n",
		},
		runtimes.JavaScript: snippet{
			before: "function fact(n) {\n  return n * fact(n - 1);\n}\nconsole.log(fact(5));\n",
			after:  "function fact(n) {\n  let result = 1;\n  for (let i = 2; i <= n; i++) result *= i;\n  return result;\n}\nconsole.log(fact(5));\n",
		},
		runtimes.WAT: snippet{
			before: "(module\n  (func $f (call $f))\n  (func (export \"_start\") (call $f)))\n",
			after:  "(module\n  (func $f (param $n i32)\n    (if (i32.gt_u (local.get $n) (i32.const 0))\n      (then (call $f (i32.sub (local.get $n) (i32.const 1))))))\n  (func (export \"_start\") (call $f (i32.const 100))))\n",
		},
	})
}

// matchMemory: the memory cap stopped the run, or an allocation failed.
func matchMemory(f *facts) bool {
	return f.outcome == run.OutcomeMemoryLimit ||
		(f.python() && f.exception("MemoryError")) ||
		(f.javascript() && f.exception("InternalError") && f.says("out of memory"))
}

func adviseMemory(f *facts) Advice {
	limit := "the memory cap"
	if f.limits.MemoryBytes > 0 {
		limit = "the " + run.FormatBytes(f.limits.MemoryBytes) + " memory cap"
	}
	cause := fmt.Sprintf("The code needed more memory than %s allows, so an allocation failed (MemoryError in Python, \"InternalError: out of memory\" in JavaScript).", limit)
	if f.outcome == run.OutcomeMemoryLimit && f.message != "" {
		cause = fmt.Sprintf("The code asked for more memory than the cap allows (%s), so an allocation failed.", firstLine(f.message))
	}
	return withSnippets(Advice{
		Title: "The code needs more memory than the cap",
		Cause: cause,
		Steps: []string{
			"Process the data in pieces: read files line by line, and use generators instead of building whole lists.",
			"Do not allocate huge lists, strings or buffers up front ([0] * 10**9, bytearray(10**9), new Array(1e9)).",
			"If the data really needs it, raise the cap with --memory 256MiB (at most 4GiB; F4 in the app).",
		},
	}, f, snippets{
		runtimes.Python: snippet{
			before: "chunks = [bytes(1_000_000) for _ in range(200)]  # 200 MB held at once\nprint(sum(len(c) for c in chunks))\n",
			after:  "total = 0\nfor _ in range(200):\n    chunk = bytes(1_000_000)  # one 1 MB chunk at a time\n    total += len(chunk)\nprint(total)\n",
		},
		runtimes.JavaScript: snippet{
			before: "const chunks = [];\nfor (let i = 0; i < 200; i++) chunks.push(new Uint8Array(1e6)); // 200 MB held at once\nconsole.log(chunks.reduce((s, c) => s + c.length, 0));\n",
			after:  "let total = 0;\nfor (let i = 0; i < 200; i++) {\n  const chunk = new Uint8Array(1e6); // one 1 MB chunk at a time\n  total += chunk.length;\n}\nconsole.log(total);\n",
		},
		runtimes.WAT: snippet{
			before: "(module\n  (memory 1)\n  (func (export \"_start\")\n    (drop (memory.grow (i32.const 4096)))\n    (i32.store (i32.const 200000000) (i32.const 1))))\n",
			after:  "(module\n  (memory 1)\n  (func (export \"_start\")\n    (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1))\n      (then unreachable))\n    (i32.store (i32.const 1000000) (i32.const 1))))\n",
		},
	})
}

// matchDisk: the workspace's disk quota refused a write or a new file.
func matchDisk(f *facts) bool {
	return f.outcome == run.OutcomeDiskLimit || (f.python() && f.exception("OSError") && f.says("Quota exceeded"))
}

func adviseDisk(f *facts) Advice {
	quota := "the workspace's disk quota"
	if f.limits.DiskBytes > 0 {
		quota = fmt.Sprintf("the workspace's quota (%s in %d files)", run.FormatBytes(f.limits.DiskBytes), f.limits.DiskFiles)
	}
	cause := fmt.Sprintf("The code wrote more to /app than %s allows, so a write or a new file failed (OSError: Quota exceeded in Python).", quota)
	if f.outcome == run.OutcomeDiskLimit && f.message != "" {
		cause = fmt.Sprintf("The code wrote more to /app than it may keep: %s.", firstLine(f.message))
	}
	return withSnippets(Advice{
		Title: "The workspace is out of disk quota",
		Cause: cause,
		Steps: []string{
			"Write results, not scratch data: keep intermediate values in memory, or reuse one scratch file and remove it when done.",
			"Delete what earlier runs left in /app that is no longer needed (the app's file browser, or os.remove in the code).",
			"If the data really needs the room, raise the quota with --disk 4GiB or --files 500000 (F4 in the app).",
		},
	}, f, snippets{
		runtimes.Python: snippet{
			before: "# 4 MiB of scratch data kept on disk\nwith open(\"/app/scratch.bin\", \"wb\") as f:\n    f.write(bytes(4 << 20))\nprint(\"done\")\n",
			after:  "import os\n\ntotal = 0\nfor part in range(16):\n    with open(\"/app/scratch.bin\", \"wb\") as f:  # one 256 KiB scratch file, reused\n        total += f.write(bytes(256 << 10))\nos.remove(\"/app/scratch.bin\")\nprint(total)\n",
		},
		runtimes.JavaScript: snippet{
			before: "// 4 MiB of scratch data kept on disk\nconst data = new Uint8Array(4 << 20);\nconst f = std.open(\"/app/scratch.bin\", \"wb\");\nconst n = f.write(data.buffer, 0, data.length);\nf.close();\nif (n < data.length) throw new Error(`wrote ${n} of ${data.length} bytes`);\nconsole.log(\"done\");\n",
			after:  "let total = 0;\nconst data = new Uint8Array(256 << 10);\nfor (let part = 0; part < 16; part++) {\n  const f = std.open(\"/app/scratch.bin\", \"wb\"); // one 256 KiB scratch file, reused\n  total += f.write(data.buffer, 0, data.length);\n  f.close();\n}\nos.remove(\"/app/scratch.bin\");\nconsole.log(total);\n",
		},
	})
}

func adviseOutOfFuel(f *facts) Advice {
	budget := "its fuel budget"
	more := "--fuel 10G"
	if b := f.limits.FuelBudget; b > 0 {
		budget = "its fuel budget of " + run.FormatFuel(b) + " instructions"
		more = "--fuel " + run.FormatFuel(suggest(b, 2, 1))
	}
	more += " (in the app: alt+u applies it and runs again)"
	return withSnippets(Advice{
		Title: "The code ran out of fuel",
		Cause: fmt.Sprintf("The run used up %s: it loops forever, or it does more work than the budget allows.", budget),
		Steps: []string{
			"Look for a loop whose condition never turns false: a while True without a break, or a counter that is never updated.",
			"If the work is finite but large, use a better algorithm: a set or dict instead of searching a list, a formula instead of a loop.",
			"If the work is right as it is, give it more fuel: " + more + ".",
		},
	}, f, snippets{
		runtimes.Python: snippet{
			before: "i = 0\nwhile i < 10:\n    print(i)\n",
			after:  "i = 0\nwhile i < 10:\n    print(i)\n    i += 1\n",
		},
		runtimes.JavaScript: snippet{
			before: "let i = 0;\nwhile (i < 10) {\n  console.log(i);\n}\n",
			after:  "let i = 0;\nwhile (i < 10) {\n  console.log(i);\n  i++;\n}\n",
		},
		runtimes.WAT: snippet{
			before: "(module\n  (func (export \"_start\")\n    (loop $l (br $l))))\n",
			after:  "(module\n  (func (export \"_start\") (local $i i32)\n    (loop $l\n      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n      (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))))\n",
		},
	})
}

func adviseTimeout(f *facts) Advice {
	limit := "the wall-clock limit"
	if f.limits.TimeoutMS > 0 {
		limit = "the " + (time.Duration(f.limits.TimeoutMS) * time.Millisecond).String() + " wall-clock limit"
	}
	return withSnippets(Advice{
		Title: "The run hit the wall-clock limit",
		Cause: fmt.Sprintf("The run was still going after %s: it was sleeping, waiting or computing for too long (fuel counts work; the timeout counts time).", limit),
		Steps: []string{
			"Remove or shorten sleeps (time.sleep, os.sleep): they count against the limit.",
			"If the code waits for input, give it (--stdin FILE, or type it in the playground).",
			"If the work is legitimately slow, raise the limit: --timeout 2m (F4 in the app).",
		},
	}, f, snippets{
		runtimes.Python: snippet{
			before: "import time\n\nfor i in range(10):\n    time.sleep(1)\n    print(i)\n",
			after:  "for i in range(10):\n    print(i)\n",
		},
		runtimes.JavaScript: snippet{
			before: "for (let i = 0; i < 10; i++) {\n  os.sleep(1000);\n  console.log(i);\n}\n",
			after:  "for (let i = 0; i < 10; i++) {\n  console.log(i);\n}\n",
		},
	})
}

func adviseTrap(f *facts) Advice {
	reason := trapReason(f.message)
	cause := "The WebAssembly code executed an instruction that cannot continue (unreachable, an out-of-bounds memory access, a division by zero, an invalid conversion)."
	if reason != "" {
		cause = fmt.Sprintf("The WebAssembly code executed an instruction that cannot continue: %s.", reason)
	}
	return withSnippets(Advice{
		Title: "The WebAssembly code trapped",
		Cause: cause,
		Steps: []string{
			"Find the failing instruction from the message: `unreachable` is an explicit trap, often at the end of a path that was not expected to run.",
			"Check that memory addresses stay below memory.size × 65536 before a load or store.",
			"Check divisors for zero before i32.div_s, i32.div_u, i32.rem_s and i32.rem_u.",
		},
	}, f, snippets{
		runtimes.WAT: snippet{
			before: "(module\n  (func $div (param $a i32) (param $b i32) (result i32)\n    (i32.div_s (local.get $a) (local.get $b)))\n  (func (export \"_start\")\n    (drop (call $div (i32.const 1) (i32.const 0)))))\n",
			after:  "(module\n  (func $div (param $a i32) (param $b i32) (result i32)\n    (if (result i32) (i32.eqz (local.get $b))\n      (then (i32.const 0))\n      (else (i32.div_s (local.get $a) (local.get $b)))))\n  (func (export \"_start\")\n    (drop (call $div (i32.const 1) (i32.const 0)))))\n",
		},
	})
}

// trapReason finds wasmtime's "wasm trap: ..." line in a trap message.
func trapReason(message string) string {
	for _, line := range lines(message) {
		if _, reason, ok := strings.Cut(line, "wasm trap: "); ok {
			return strings.TrimSpace(reason)
		}
	}
	return ""
}

// firstLine returns the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
