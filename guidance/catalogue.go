package guidance

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// This file is the catalogue: every failure the package knows, in the
// order Match reports them (most specific first). Each entry says when it
// applies (match) and what to tell the user (advice). Snippets are given
// for each language the failure can happen in.

// snippet is a before/after pair in one language.
type snippet struct {
	before, after string
}

// snippets are an advice's before/after pairs, by language.
type snippets map[string]snippet

// withSnippets sets a's Before, After and Lang from the snippet for the
// run's language (Python when the run names none); a language with no
// snippet leaves them empty.
func withSnippets(a Advice, f *facts, by snippets) Advice {
	lang := f.runtime
	if lang == "" {
		lang = runtimes.Python
	}
	if s, ok := by[lang]; ok {
		a.Before, a.After, a.Lang = s.before, s.after, lang
	}
	return a
}

// nodeModules are Node.js built-in modules, which QuickJS does not have.
var nodeModules = []string{
	"assert", "buffer", "child_process", "cluster", "crypto", "dgram", "dns", "events", "fs",
	"http", "http2", "https", "net", "path", "perf_hooks", "process", "querystring", "readline",
	"stream", "string_decoder", "timers", "tls", "url", "util", "v8", "vm", "worker_threads", "zlib",
}

// networkPackages are Python packages and JavaScript modules whose only
// purpose is the network.
var networkPackages = []string{
	"requests", "httpx", "aiohttp", "urllib3", "websocket", "websockets", "paramiko", "socketio",
	"http", "http2", "https", "net", "dgram", "tls", "dns", "node-fetch", "axios",
}

// unavailableWhy says why a standard-library module is missing from this
// CPython for WASI; "" for any other module. The list was taken by
// importing every module in the real runtime.
func unavailableWhy(name string) string {
	switch name {
	case "ssl":
		return "it needs TLS on top of sockets, and WASI has no sockets"
	case "ctypes":
		return "it loads native libraries, which a WebAssembly guest cannot do"
	case "curses", "readline", "termios", "pty":
		return "it needs a terminal, which the guest does not have"
	case "tkinter":
		return "it needs a display"
	case "bz2", "lzma":
		return "its compression library is not part of this build (zlib, gzip and zipfile work)"
	case "mmap":
		return "WASI has no memory-mapped files"
	case "resource", "fcntl", "grp", "pwd":
		return "it needs operating-system services (users, groups, file locks, process limits) that WASI does not have"
	case "ensurepip":
		return "nothing can be installed at run time"
	}
	return ""
}

// processAttribute reports whether attr is an os function that starts or manages
// processes; WASI has none of them.
func processAttribute(attr string) bool {
	switch attr {
	case "system", "fork", "forkpty", "kill", "killpg", "wait", "waitpid", "wait3", "wait4", "WNOHANG", "posix_spawn", "posix_spawnp":
		return true
	}
	return strings.HasPrefix(attr, "spawn") || strings.HasPrefix(attr, "exec")
}

// fileMethods are the methods of QuickJS's FILE objects: calling one on
// null means std.open returned null.
var fileMethods = []string{
	"close", "eof", "fileno", "flush", "getByte", "getline", "printf", "putByte", "puts",
	"read", "readAsArrayBuffer", "readAsString", "seek", "tell", "tmpfile", "write",
}

// catalogue returns the entries in match order. It builds a fresh slice
// each time: the catalogue is data, never shared state.
func catalogue() []entry {
	return []entry{
		{id: "js_require", match: matchJSRequire, advice: adviseJSRequire},
		{id: "js_process", match: func(f *facts) bool { return f.jsUndefined("process") }, advice: adviseJSProcess},
		{id: "js_timers", match: func(f *facts) bool {
			return f.jsUndefined("setTimeout", "setInterval", "clearTimeout", "clearInterval", "setImmediate")
		}, advice: adviseJSTimers},
		{id: "js_browser", match: func(f *facts) bool {
			return f.jsUndefined("window", "document", "alert", "localStorage", "sessionStorage", "navigator", "prompt")
		}, advice: adviseJSBrowser},
		{id: "js_file_null", match: matchJSFileNull, advice: adviseJSFileNull},
		{id: "subprocess", match: matchSubprocess, advice: adviseSubprocess},
		{id: "threads", match: matchThreads, advice: adviseThreads},
		{id: "asyncio", match: func(f *facts) bool {
			return f.python() && f.frameIn("/asyncio/") && (f.frameIn("/socket.py") || f.says("Not supported"))
		}, advice: adviseAsyncio},
		{id: "network", match: matchNetwork, advice: adviseNetwork},
		{id: "unavailable_module", match: matchUnavailableModule, advice: adviseUnavailableModule},
		{id: "missing_module", match: matchMissingModule, advice: adviseMissingModule},
		{id: "path_outside_app", match: func(f *facts) bool {
			p, ok := f.osErrorPath()
			return ok && outsideApp(p)
		}, advice: advisePathOutsideApp},
		{id: "file_not_found", match: func(f *facts) bool {
			p, ok := f.osErrorPath()
			return ok && f.exception("FileNotFoundError") && !outsideApp(p)
		}, advice: adviseFileNotFound},
		{id: "no_input", match: func(f *facts) bool { return f.python() && f.exception("EOFError") }, advice: adviseNoInput},
		{id: "indentation_error", match: func(f *facts) bool {
			return f.python() && f.exception("IndentationError", "TabError")
		}, advice: adviseIndentation},
		{id: "syntax_error", match: matchSyntaxError, advice: adviseSyntaxError},
		{id: "recursion", match: matchRecursion, advice: adviseRecursion},
		{id: "memory_limit", match: matchMemory, advice: adviseMemory},
		{id: "out_of_fuel", match: func(f *facts) bool { return f.outcome == run.OutcomeOutOfFuel }, advice: adviseOutOfFuel},
		{id: "timeout", match: func(f *facts) bool { return f.outcome == run.OutcomeTimeout }, advice: adviseTimeout},
		{id: "trap", match: func(f *facts) bool { return f.outcome == run.OutcomeTrap }, advice: adviseTrap},
	}
}

// ---- QuickJS is not Node.js ----

// matchJSRequire: require() is undefined, or a Node built-in module could
// not be loaded.
func matchJSRequire(f *facts) bool {
	if f.jsUndefined("require") {
		return true
	}
	name, top := f.missingModule()
	return f.javascript() && (slices.Contains(nodeModules, top) || strings.HasPrefix(name, "node:"))
}

func adviseJSRequire(f *facts) Advice {
	return Advice{
		Title: "require() and Node.js modules do not exist in QuickJS",
		Cause: "QuickJS is not Node.js: there is no require(), no npm and no Node modules (fs, path, child_process, http, ...); only its built-in modules std and os exist.",
		Steps: []string{
			"Use the globals std and os (wasmplay starts QuickJS with --std), or import them: import * as std from 'std';",
			"Read a whole file with std.loadFile('/app/data.txt') (null when it cannot be read); write with const f = std.open(path, 'w'); f.puts(text); f.close();",
			"List a directory with os.readdir('/app'), which returns [names, errno].",
			"Keep files under /app, the workspace; nothing else is visible. There is no network and no child process.",
		},
		Before: "const fs = require('fs');\nconst text = fs.readFileSync('/app/data.txt', 'utf8');\nconsole.log(text.length);\n",
		After:  "const text = std.loadFile('/app/data.txt');\nif (text === null) throw new Error('cannot read /app/data.txt');\nconsole.log(text.length);\n",
		Lang:   runtimes.JavaScript,
	}
}

func adviseJSProcess(f *facts) Advice {
	return Advice{
		Title: "process does not exist in QuickJS",
		Cause: "QuickJS has no Node.js process object: arguments, environment, exit and the standard streams come from scriptArgs, std and os.",
		Steps: []string{
			"process.argv → scriptArgs (scriptArgs[0] is the script; the run's arguments follow).",
			"process.env.NAME → std.getenv('NAME') (the sandbox passes only the variables given with --env).",
			"process.exit(n) → std.exit(n).",
			"process.stdout.write(s) → std.out.puts(s); process.stderr.write(s) → std.err.puts(s).",
		},
		Before: "const name = process.env.NAME || 'world';\nprocess.stdout.write(`hello ${name}\\n`);\nprocess.exit(0);\n",
		After:  "const name = std.getenv('NAME') || 'world';\nstd.out.puts(`hello ${name}\\n`);\nstd.exit(0);\n",
		Lang:   runtimes.JavaScript,
	}
}

func adviseJSTimers(f *facts) Advice {
	return Advice{
		Title: "Timers are in QuickJS's os module",
		Cause: "QuickJS has no global setTimeout or setInterval; os.setTimeout and os.clearTimeout provide timers, and os.sleep(ms) blocks.",
		Steps: []string{
			"setTimeout(fn, ms) → os.setTimeout(fn, ms); clearTimeout(t) → os.clearTimeout(t).",
			"For setInterval, call os.setTimeout again from the callback.",
			"Waiting counts against the wall-clock limit (--timeout), not against fuel.",
		},
		Before: "setTimeout(() => console.log('later'), 100);\n",
		After:  "os.setTimeout(() => console.log('later'), 100);\n",
		Lang:   runtimes.JavaScript,
	}
}

func adviseJSBrowser(f *facts) Advice {
	return Advice{
		Title: "There is no browser here",
		Cause: "The code expects a web page (window, document, alert, localStorage), but QuickJS runs it as a plain script with no DOM.",
		Steps: []string{
			"Print results with console.log instead of writing them into the page.",
			"Keep state in variables, or in files under /app instead of localStorage.",
			"Take input from scriptArgs or std.in instead of prompt().",
		},
		Before: "document.getElementById('out').textContent = String(6 * 7);\n",
		After:  "console.log(String(6 * 7));\n",
		Lang:   runtimes.JavaScript,
	}
}

// matchJSFileNull: a FILE method (or, given the code, anything after
// std.open/std.loadFile) was called on null.
func matchJSFileNull(f *facts) bool {
	if !f.javascript() || !f.exception("TypeError") {
		return false
	}
	m := jsNullProperty.FindStringSubmatch(f.fail.excText)
	if m == nil {
		return false
	}
	return slices.Contains(fileMethods, m[1]) || f.codeCalls("std.open(", "std.loadFile(", "std.fdopen(")
}

func adviseJSFileNull(f *facts) Advice {
	return Advice{
		Title: "std.open or std.loadFile returned null",
		Cause: "QuickJS's std.open and std.loadFile return null instead of throwing when a file cannot be opened: it does not exist, or it is outside /app, the only directory the sandbox shows.",
		Steps: []string{
			"Check the result for null before using it.",
			"Pass an object as the third argument of std.open to learn why: std.open(path, 'r', err), then std.strerror(err.errno).",
			"Keep files under /app (the working directory); /etc, /tmp and paths with .. are not visible.",
		},
		Before: "const f = std.open('/etc/passwd', 'r');\nconsole.log(f.getline());\n",
		After:  "const err = {};\nconst f = std.open('/app/users.txt', 'r', err);\nif (f === null) {\n  console.log('cannot open /app/users.txt: ' + std.strerror(err.errno));\n} else {\n  console.log(f.getline());\n  f.close();\n}\n",
		Lang:   runtimes.JavaScript,
	}
}

// ---- What WASI does not provide ----

// matchSubprocess: the code tried to start a process.
func matchSubprocess(f *facts) bool {
	if f.python() {
		if mod, attr := f.missingAttribute(); mod == "os" && processAttribute(attr) {
			return true
		}
		_, top := f.missingModule()
		return f.says("does not support processes") || f.frameIn("/subprocess.py") ||
			f.frameIn("/multiprocessing/") || top == "_posixsubprocess" || top == "_multiprocessing"
	}
	if f.javascript() {
		_, top := f.missingModule()
		return top == "child_process" ||
			(f.exception("TypeError") && f.says("not a function") && f.codeCalls("os.exec("))
	}
	return false
}

func adviseSubprocess(f *facts) Advice {
	a := Advice{
		Title: "The code cannot start other programs",
		Cause: "The code tried to run a command or a process (subprocess, os.system, os.popen, multiprocessing), but WASI has no processes and no shell: the guest is one program.",
		Steps: []string{
			"Do the work in Python itself: os.listdir or pathlib instead of ls, shutil.copy instead of cp, open() instead of cat.",
			"multiprocessing and ProcessPoolExecutor cannot work: process the items one after another in a loop.",
		},
	}
	if f.javascript() {
		a.Cause = "The code tried to run a command (os.exec, child_process), but the sandbox has no processes and no shell."
		a.Steps = []string{
			"Use std and os instead of shell commands: os.readdir('/app') instead of ls, std.loadFile instead of cat.",
			"Do the processing in JavaScript itself.",
		}
	}
	return withSnippets(a, f, snippets{
		runtimes.Python: snippet{
			before: "import subprocess\nout = subprocess.run(['ls', '/app'], capture_output=True, text=True).stdout\nprint(out)\n",
			after:  "import os\nprint('\\n'.join(sorted(os.listdir('/app'))))\n",
		},
		runtimes.JavaScript: snippet{
			before: "const out = os.exec(['ls', '/app']);\n",
			after:  "const [names, errno] = os.readdir('/app');\nconsole.log(names.sort().join('\\n'));\n",
		},
	})
}

// matchThreads: the code tried to start a thread.
func matchThreads(f *facts) bool {
	_, top := f.missingModule()
	return f.python() && (f.says("can't start new thread") || top == "_thread")
}

func adviseThreads(f *facts) Advice {
	return withSnippets(Advice{
		Title: "Threads are not available",
		Cause: "WASI gives the guest no threads, so starting a thread (threading.Thread.start, ThreadPoolExecutor) fails with \"can't start new thread\".",
		Steps: []string{
			"Run the work sequentially: call the function directly, or loop over the inputs.",
			"Replace executor.map(fn, items) with map(fn, items) or a list comprehension.",
		},
	}, f, snippets{
		runtimes.Python: snippet{
			before: "import threading\n\ndef work(n):\n    print('working on', n)\n\nthreads = [threading.Thread(target=work, args=(n,)) for n in range(3)]\nfor t in threads:\n    t.start()\nfor t in threads:\n    t.join()\n",
			after:  "def work(n):\n    print('working on', n)\n\nfor n in range(3):\n    work(n)\n",
		},
	})
}

func adviseAsyncio(f *facts) Advice {
	return withSnippets(Advice{
		Title: "asyncio cannot start an event loop here",
		Cause: "asyncio's event loop needs a socket pair to wake itself up, and WASI has no sockets, so asyncio.run() fails before the coroutine runs.",
		Steps: []string{
			"Write the code as plain functions and call them directly instead of awaiting them.",
			"Replace await asyncio.sleep(s) with time.sleep(s) (it counts against --timeout).",
			"Run \"concurrent\" tasks one after another; threads are not available either.",
		},
	}, f, snippets{
		runtimes.Python: snippet{
			before: "import asyncio\n\nasync def main():\n    await asyncio.sleep(0.1)\n    print('done')\n\nasyncio.run(main())\n",
			after:  "import time\n\ndef main():\n    time.sleep(0.1)\n    print('done')\n\nmain()\n",
		},
	})
}

// matchNetwork: the code tried to use the network (asyncio's socket pair
// is left to the asyncio entry).
func matchNetwork(f *facts) bool {
	_, top := f.missingModule()
	if slices.Contains(networkPackages, top) {
		return true
	}
	if f.python() {
		return !f.frameIn("/asyncio/") &&
			(f.frameIn("/socket.py") || f.frameIn("/http/client.py") || f.frameIn("/urllib/request.py") || f.says("'_socket'"))
	}
	return f.jsUndefined("fetch", "XMLHttpRequest", "WebSocket", "EventSource")
}

func adviseNetwork(f *facts) Advice {
	a := Advice{
		Title: "There is no network in the sandbox",
		Cause: "The code tried to reach the network (socket, urllib, http.client, requests), but WASI gives the guest no sockets: no connection can be made.",
		Steps: []string{
			"Do not download data at run time: put it in a file in the workspace (/app) and read it from there.",
			"Or paste a small sample of the data into the code as a literal.",
			"If the real data is needed, say which URL the user should download by hand.",
		},
	}
	if f.javascript() {
		a.Cause = "The code tried to reach the network (fetch, XMLHttpRequest, WebSocket, http), which QuickJS in the sandbox does not have."
	}
	return withSnippets(a, f, snippets{
		runtimes.Python: snippet{
			before: "import json\nimport urllib.request\n\nwith urllib.request.urlopen('https://example.com/data.json') as r:\n    data = json.load(r)\nprint(data)\n",
			after:  "import json\n\nwith open('/app/data.json') as f:\n    data = json.load(f)\nprint(data)\n",
		},
		runtimes.JavaScript: snippet{
			before: "fetch('https://example.com/data.json')\n  .then((res) => res.json())\n  .then((data) => console.log(data));\n",
			after:  "const data = JSON.parse(std.loadFile('/app/data.json'));\nconsole.log(data);\n",
		},
	})
}

// ---- Modules ----

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
	if len(f.packages) > 0 {
		available = "Besides the standard library, these packages can be imported: " + strings.Join(f.packages, ", ") + "."
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

// ---- Files ----

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

// ---- Parsing ----

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

// ---- Limits ----

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
