// Times CPU-bound programs in the peers wasmplay's benchmarks compare
// with, in-process: Pyodide's runPython and quickjs-emscripten's evalCode,
// under this Node.js. Prints one JSON object: program name -> the
// milliseconds of each run (after warm-up).
//
//   node peers.mjs ROUNDS PROGRAMS.json
import { loadPyodide } from "pyodide";
import { getQuickJS } from "quickjs-emscripten";

import { readFileSync } from "node:fs";

const rounds = Number(process.argv[2] || 5);
// The programs, from the Go side: {"python": {name: code}, "javascript": {name: code}}.
const { python, javascript } = JSON.parse(readFileSync(process.argv[3], "utf8"));

function time(fn) {
  const times = [];
  fn(); // warm-up
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times;
}

const out = {};
const pyodide = await loadPyodide();
for (const [name, code] of Object.entries(python)) {
  out["pyodide " + name] = time(() => pyodide.runPython(code));
}
const QuickJS = await getQuickJS();
for (const [name, code] of Object.entries(javascript)) {
  out["quickjs-emscripten " + name] = time(() => {
    const vm = QuickJS.newContext();
    const result = vm.evalCode(code);
    if (result.error) {
      result.error.dispose();
    } else {
      result.value.dispose();
    }
    vm.dispose();
  });
}
console.log(JSON.stringify({ node: process.version, pyodide: pyodide.version, results: out }));
