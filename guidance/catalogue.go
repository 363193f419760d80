package guidance

import (
	"strings"

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
		{id: "disk_limit", match: matchDisk, advice: adviseDisk},
		{id: "out_of_fuel", match: func(f *facts) bool { return f.outcome == run.OutcomeOutOfFuel }, advice: adviseOutOfFuel},
		{id: "timeout", match: func(f *facts) bool { return f.outcome == run.OutcomeTimeout }, advice: adviseTimeout},
		{id: "trap", match: func(f *facts) bool { return f.outcome == run.OutcomeTrap }, advice: adviseTrap},
	}
}
