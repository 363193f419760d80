#!/bin/sh
# capture.sh records the real output of the guest runtimes for the
# guidance tests. Each case becomes testdata/captured/NAME.json:
#
#   {"name": ..., "runtime": ..., "flags": [...], "code": ..., "result": {wasmplay run --json output}}
#
# The tests read "result" (outcome, exit_code, message, stderr) and never
# need the runtimes themselves. Re-run after the runtimes change:
#
#   cd /work/main && go build -o /tmp/wasmplay . && sh guidance/testdata/capture.sh /tmp/wasmplay
#
# Run it from the repository root so ./bin holds the runtimes. Needs jq.
set -eu
WASMPLAY=${1:-wasmplay}
OUT=$(dirname "$0")/captured
mkdir -p "$OUT"

# capture NAME RUNTIME CODE [FLAGS...]
capture() {
	name=$1 rt=$2 code=$3
	shift 3
	result=$("$WASMPLAY" run --json -r "$rt" "$@" -c "$code" || true)
	if ! printf '%s' "$result" | jq -e .outcome >/dev/null 2>&1; then
		echo "$name: no JSON result (runtime missing?); kept the old capture" >&2
		return
	fi
	flags=$(printf '%s\n' "$@" | jq -R . | jq -s 'map(select(. != ""))')
	printf '%s' "$result" | jq --arg name "$name" --arg rt "$rt" --arg code "$code" --argjson flags "$flags" \
		'{name: $name, runtime: $rt, flags: $flags, code: $code, result: .}' >"$OUT/$name.json"
	echo "$name: $(printf '%s' "$result" | jq -r .outcome)"
}

nl='
'

# Python
capture py_ok python 'print("hello")'
capture py_numpy python 'import numpy'
capture py_requests python 'import requests'
capture py_from_import python 'from pandas import DataFrame'
capture py_ssl python 'import ssl'
capture py_ctypes python 'import ctypes'
capture py_open_etc_passwd python "open('/etc/passwd')"
capture py_open_dotdot python "open('../x')"
capture py_open_tmp_write python "open('/tmp/out.txt', 'w')"
capture py_open_missing python "open('data.csv')"
capture py_socket python 'import socket; socket.socket()'
capture py_socket_connect python "import socket; socket.create_connection(('example.com', 80))"
capture py_urllib python "import urllib.request; urllib.request.urlopen('http://example.com')"
capture py_subprocess python "import subprocess; subprocess.run(['ls'])"
capture py_os_system python "import os; os.system('ls')"
capture py_threading python 'import threading; threading.Thread(target=print).start()'
capture py_multiprocessing python "import multiprocessing${nl}p = multiprocessing.Process(target=print)${nl}p.start()"
capture py_recursion python "def f(n):${nl}    return f(n + 1)${nl}${nl}f(0)"
capture py_syntax python "print('hi'${nl}x = 1"
capture py_syntax_eq python "x = = 1"
capture py_indentation python "def f():${nl}return 1"
capture py_tab_error python "if True:${nl}        x = 1${nl}	y = 2"
capture py_fuel python 'while True: pass' --fuel 100M
capture py_memory_bytearray python 'bytearray(10**9)'
capture py_memory_list python "x = []${nl}while True:${nl}    x.append(' ' * 10**6)" --memory 64MiB
capture py_timeout python 'import time; time.sleep(5)' --timeout 1s
capture py_stdlib_frame python "import json${nl}${nl}json.loads('{')"
capture py_nested_frames python "def g(x):${nl}    return 1 / x${nl}${nl}def f():${nl}    return g(0)${nl}${nl}f()"
capture py_input_eof python 'name = input()'
capture py_name_error python 'print(undefined_name)'
capture py_sys_exit python 'import sys; sys.exit(3)'
capture py_open_code_write python "open('/code/out.txt', 'w')"
capture py_open_app_dotdot python "open('/app/../etc/passwd')"
capture py_listdir_root python "import os; print(os.listdir('/'))"
capture py_os_popen python "import os; os.popen('ls')"
capture py_os_fork python 'import os; os.fork()'
capture py_asyncio python "import asyncio; asyncio.run(asyncio.sleep(0)); print('ok')"
capture py_recursion_limit_raised python "import sys${nl}sys.setrecursionlimit(10**7)${nl}def f(n): return f(n+1)${nl}f(0)" --fuel 200G --timeout 60s

# JavaScript (QuickJS)
capture js_ok javascript 'console.log("hello")'
capture js_require javascript "require('fs')"
capture js_import_fs javascript "import * as fs from 'fs';${nl}fs.readFileSync('x')"
capture js_process_env javascript 'console.log(process.env.HOME)'
capture js_process_argv javascript 'console.log(process.argv)'
capture js_fetch javascript "fetch('http://x')"
capture js_xhr javascript "new XMLHttpRequest()"
capture js_undefined javascript 'undefinedVar'
capture js_syntax javascript 'let x = ;'
capture js_syntax_brace javascript "function f() {${nl}  return 1;${nl}"
capture js_recursion javascript 'function f(){return f()}; f()'
capture js_memory javascript 'new Array(1e9).fill(0)'
capture js_memory_strings javascript "let a = [];${nl}while (true) a.push('x'.repeat(1e6) + a.length);" --memory 64MiB
capture js_std_open javascript "const f = std.open('/etc/passwd', 'r');${nl}console.log(f.readAsString());"
capture js_std_loadfile_dotdot javascript "console.log(std.loadFile('../x').length)"
capture js_fuel javascript 'while (true) {}' --fuel 100M
capture js_timeout javascript 'os.sleep(5000)' --timeout 1s
capture js_nested_frames javascript "function g(o) {${nl}  return o.x;${nl}}${nl}function f() {${nl}  return g(null);${nl}}${nl}f();"
capture js_throw javascript "throw new Error('boom')"
capture js_exec javascript "os.exec(['ls'])"
capture js_json_parse javascript "JSON.parse('{')"
capture js_settimeout javascript "setTimeout(() => console.log('later'), 10)"
capture js_async_fetch javascript "async function load() {${nl}  const r = await fetch('http://example.com');${nl}  return r.text();${nl}}${nl}load();"
capture js_getline_null javascript "std.open('/etc/passwd', 'r').getline()"

# WebAssembly text
capture wat_syntax wat '(module (func $f (result i32) (i32.const 1)'
capture wat_unreachable wat '(module (func (export "_start") unreachable))'
capture wat_stack_overflow wat '(module (func $f (export "_start") call $f))'
capture wat_fuel wat '(module (func (export "_start") (loop $l (br $l))))' --fuel 100M
