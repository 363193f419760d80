package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
)

// cpuProgram is one CPU-bound workload of issue 15's comparison.
type cpuProgram struct {
	name, runtime, code string
}

// cpuPrograms are the workloads, the same for wasmplay and its peers.
var cpuPrograms = []cpuProgram{
	{"sum of squares to 3 million", runtimes.Python, "sum(i * i for i in range(3_000_000))"},
	{"fib(25)", runtimes.Python, "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nfib(25)"},
	{"200k-key dict, sorted and dumped", runtimes.Python,
		"import json\nd = {str(i * 7919 % 200000): i for i in range(200000)}\ns = json.dumps(dict(sorted(d.items())))"},
	{"JavaScript loop to 10 million", runtimes.JavaScript, "let s = 0; for (let i = 0; i < 1e7; i++) { s += i % 7; } s"},
}

// peersDir holds the npm packages of the peers (make bench-peers).
const peersDir = "cmd/benchreport/peers"

// cpuVersusPeers times the CPU-bound workloads in-process in wasmplay with
// metering off, fuel only, epoch only and both, and in Pyodide and
// quickjs-emscripten under node.
func (b *bench) cpuVersusPeers(w *strings.Builder) error {
	variants := []struct {
		label string
		opts  sandbox.EngineOptions
	}{
		{"no metering", sandbox.EngineOptions{NoFuel: true, NoEpoch: true}},
		{"fuel", sandbox.EngineOptions{NoEpoch: true}},
		{"epoch", sandbox.EngineOptions{NoFuel: true}},
		{"fuel + epoch", sandbox.EngineOptions{}},
	}
	locals := make([]*sandbox.Local, len(variants))
	for i, v := range variants {
		l, err := sandbox.NewLocalWith(b.reg, b.cacheDir, v.opts)
		if err != nil {
			return err
		}
		locals[i] = l
	}
	n := b.reps(5, 2)
	ws, err := os.MkdirTemp("", "wasmplay-bench-ws-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(ws)
	ours := map[string][]float64{} // program/variant -> medians' inputs (ms)
	for _, p := range cpuPrograms {
		for round := 0; round < n+1; round++ {
			for i, v := range variants {
				start := time.Now()
				res := locals[i].Execute(context.Background(), 1, run.Job{Runtime: p.runtime, Code: []byte(p.code), Workspace: ws,
					Policy: run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: 10 * time.Minute}.OrDefaults()}, run.Hooks{})
				if res.Outcome != run.OutcomeOK {
					return fmt.Errorf("%s (%s): %s %s %s", p.name, v.label, res.Outcome, res.Message, res.Stderr)
				}
				if round > 0 {
					key := p.name + "/" + v.label
					ours[key] = append(ours[key], float64(time.Since(start).Microseconds())/1000)
				}
			}
		}
	}
	peers, versions, err := runPeers(n)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "### CPU-bound code against other WebAssembly interpreters\n\nIn-process, %d runs each after a warm-up: a wasmplay run (a whole run from the snapshot, start to end) with each metering, against %s's `runPython` and quickjs-emscripten's `evalCode` (a fresh context) under node %s, from the npm registry (`make bench-peers`). Targets (issue 15): metering at most +20%% and wasmplay at least level with both peers.\n\n", n, versions[1], versions[0])
	w.WriteString("| program | no metering | fuel | epoch | fuel + epoch (wasmplay) | metering cost | peer | peer median | wasmplay / peer |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, p := range cpuPrograms {
		med := func(v string) float64 { return median(ours[p.name+"/"+v]) }
		peer, peerName := "quickjs-emscripten "+p.name, "quickjs-emscripten"
		if p.runtime == runtimes.Python {
			peer, peerName = "pyodide "+p.name, versions[1]
		}
		pm := median(peers[peer])
		fmt.Fprintf(w, "| %s | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %+.0f%% | %s | %.0f ms | %.2f× |\n", p.name,
			med("no metering"), med("fuel"), med("epoch"), med("fuel + epoch"), 100*(med("fuel + epoch")/med("no metering")-1),
			peerName, pm, med("fuel + epoch")/pm)
	}
	w.WriteString("\n")
	return nil
}

// runPeers runs peers.mjs and returns its times by program, and the
// versions of node and Pyodide.
func runPeers(rounds int) (map[string][]float64, [2]string, error) {
	var none [2]string
	if _, err := os.Stat(filepath.Join(peersDir, "node_modules", "pyodide", "package.json")); err != nil {
		return nil, none, fmt.Errorf("the peers are not installed: make bench-peers")
	}
	programs := map[string]map[string]string{"python": {}, "javascript": {}}
	for _, p := range cpuPrograms {
		lang := "python"
		if p.runtime == runtimes.JavaScript {
			lang = "javascript"
		}
		programs[lang][p.name] = p.code
	}
	data, _ := json.Marshal(programs)
	f, err := os.CreateTemp("", "wasmplay-peers-*.json")
	if err != nil {
		return nil, none, err
	}
	defer os.Remove(f.Name())
	f.Write(data)
	f.Close()
	cmd := exec.Command(nativeNode(), "peers.mjs", fmt.Sprint(rounds), f.Name())
	cmd.Dir = peersDir
	out, err := cmd.Output()
	if err != nil {
		return nil, none, fmt.Errorf("peers.mjs: %v", err)
	}
	var got struct {
		Node    string               `json:"node"`
		Pyodide string               `json:"pyodide"`
		Results map[string][]float64 `json:"results"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		return nil, none, fmt.Errorf("peers.mjs printed %q: %v", out, err)
	}
	return got.Results, [2]string{got.Node, "Pyodide " + got.Pyodide}, nil
}

// median of values (0 for none).
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := append([]float64(nil), values...)
	sort.Float64s(s)
	return s[len(s)/2]
}
