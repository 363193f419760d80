package guidance

import (
	"slices"
	"strings"

	"github.com/wasmplay/wasmplay/runtimes"
)

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
