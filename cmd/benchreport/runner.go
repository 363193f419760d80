package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
	"github.com/wasmplay/wasmplay/workers"
)

func (b *bench) runnerSection() (string, error) {
	var w strings.Builder
	w.WriteString("## Runner\n\n")
	steps := []func(*strings.Builder) error{b.startModes, b.wholeProcess, b.poolOverhead, b.meteringOverhead, b.cpuVersusPeers, b.cancelLatency, b.eventRate, b.fuelTickCost}
	for _, step := range steps {
		if err := step(&w); err != nil {
			return "", err
		}
	}
	return w.String(), nil
}

// startModes compares warm in-process Python runs started from the
// snapshot with cold starts, interleaved.
func (b *bench) startModes(w *strings.Builder) error {
	cold, err := sandbox.NewLocalWith(b.reg, b.cacheDir, sandbox.EngineOptions{ColdStart: true})
	if err != nil {
		return err
	}
	programs := []string{"print(1)", "import json, re\nprint(json.dumps(re.findall('a', 'banana')))", typicalScript}
	modes := []struct {
		label string
		local *sandbox.Local
	}{{"from the snapshot", b.local}, {"cold", cold}}
	n := b.reps(60, 10)
	fmt.Fprintf(w, "### Python: start from a snapshot vs cold start\n\nWarm in-process runs (store, WASI, instantiation with the snapshot mapped as memory, the guest, teardown), %d of each, interleaved. See docs/RUNTIMES.md, \"Starting from a snapshot\".\n\n", n)
	w.WriteString("| program | start | median | p95 | fuel | page faults | ratio to cold |\n|---|---|---|---|---|---|---|\n")
	for _, code := range programs {
		times := make([][]time.Duration, len(modes))
		faults := make([][]float64, len(modes))
		fuel := make([]uint64, len(modes))
		for round := 0; round < n+2; round++ {
			for i, m := range modes {
				before := minorFaults()
				d, res, err := timedRun(m.local, run.Job{Runtime: runtimes.Python, Code: []byte(code), Policy: run.DefaultPolicy()})
				if err != nil {
					return fmt.Errorf("%s start: %w", m.label, err)
				}
				if round >= 2 {
					times[i] = append(times[i], d)
					faults[i] = append(faults[i], float64(minorFaults()-before))
				}
				fuel[i] = res.FuelConsumed
			}
		}
		coldMedian := statsOf(times[len(modes)-1]).median
		for i, m := range modes {
			s := statsOf(times[i])
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %d | %.2f× |\n", programLabel(code), m.label, ms(s.median), ms(s.p95),
				run.FormatFuel(fuel[i]), int64(median(faults[i])), float64(s.median)/float64(coldMedian))
		}
	}
	w.WriteString("\nPage faults are the process's minor faults during the run (median): each is a 4 KiB page the run touched for the first time, copied or mapped; they are what a run costs in resident memory beyond what the process already holds.\n\nTargets (issue 15): a warm `print(1)` at most 3 ms (moonshot 1 ms), the typical script at most 10 ms (moonshot 5 ms). A run from the snapshot ends without tearing the interpreter down, and the snapshot has already imported the standard modules LLM code imports (see docs/RUNTIMES.md).\n\n")
	return nil
}

// typicalScript is a typical LLM-written script (json, re, math,
// itertools, collections, dataclasses, datetime, typing), the benchmark
// input of issue 15.
//
//go:embed testdata/typical_llm.py
var typicalScript string

// programLabel names a benchmark program in a table.
func programLabel(code string) string {
	if code == typicalScript {
		return "typical LLM script (`cmd/benchreport/testdata/typical_llm.py`)"
	}
	return "`" + strings.ReplaceAll(code, "\n", "; ") + "`"
}

// wholeProcess compares `wasmplay run` with native interpreters, each as
// a whole process, interleaved.
func (b *bench) wholeProcess(w *strings.Builder) error {
	type cmd struct {
		label string
		argv  []string
	}
	script, err := os.CreateTemp("", "wasmplay-bench-*.py")
	if err != nil {
		return err
	}
	defer os.Remove(script.Name())
	if _, err := script.WriteString(typicalScript); err != nil {
		return err
	}
	script.Close()
	cmds := []cmd{
		{"`wasmplay run -c 'print(1)'`", []string{b.wasmplay, "run", "-c", "print(1)"}},
		{"native `python3 -c 'print(1)'` (" + nativePython() + ")", []string{nativePython(), "-c", "print(1)"}},
		{"`wasmplay run typical_llm.py`", []string{b.wasmplay, "run", script.Name()}},
		{"native `python3 typical_llm.py`", []string{nativePython(), script.Name()}},
		{"`wasmplay run -r js -c 'console.log(1)'`", []string{b.wasmplay, "run", "-r", "js", "-c", "console.log(1)"}},
		{"native `node -e 'console.log(1)'` (" + nativeNode() + ")", []string{nativeNode(), "-e", "console.log(1)"}},
	}
	times := make([][]time.Duration, len(cmds))
	n := b.reps(30, 5)
	for round := 0; round < n+1; round++ {
		for i, c := range cmds {
			start := time.Now()
			if out, err := exec.Command(c.argv[0], c.argv[1:]...).CombinedOutput(); err != nil {
				return fmt.Errorf("%s: %v: %s", c.label, err, out)
			}
			if round > 0 {
				times[i] = append(times[i], time.Since(start))
			}
		}
	}
	fmt.Fprintf(w, "### Whole process: `print(1)`, a typical LLM script, `console.log(1)`\n\nEach command %d times, interleaved; the first round (cold caches) is dropped. Native Python is Debian's %s (the guest is CPython 3.13.5). Targets (issue 15): `print(1)` at most 1.0× native (moonshot 0.7×), the typical script at most 0.6× (moonshot 0.4×).\n\n", n, pythonVersion())
	w.WriteString("| command | median | p95 | ratio to native |\n|---|---|---|---|\n")
	for i, c := range cmds {
		s := statsOf(times[i])
		ratio := ""
		if i%2 == 0 {
			ratio = fmt.Sprintf("%.1f×", float64(s.median)/float64(statsOf(times[i+1]).median))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", c.label, ms(s.median), ms(s.p95), ratio)
	}
	w.WriteString("\n")
	return nil
}

// pythonVersion is the native interpreter's version, for the tables.
func pythonVersion() string {
	out, err := exec.Command(nativePython(), "-c", "import platform; print(platform.python_version())").Output()
	if err != nil {
		return "python3"
	}
	return "CPython " + strings.TrimSpace(string(out))
}

// nativePython is the Debian interpreter (not a version-manager shim,
// which adds tens of milliseconds and would flatter the comparison).
func nativePython() string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// nativeNode is Node.js from the system, not a shim.
func nativeNode() string {
	if _, err := os.Stat("/usr/bin/node"); err == nil {
		return "/usr/bin/node"
	}
	return "node"
}

// poolOverhead compares a run in-process with the same run in a worker
// process of the pool the app uses.
func (b *bench) poolOverhead(w *strings.Builder) error {
	pool, err := workers.NewPool(workers.PoolConfig{
		Command: []string{b.wasmplay, "__worker", "--bin-dir", b.reg.BinDir(), "--cache-dir", b.cacheDir},
		Env:     workers.WorkerEnv(), Size: 1, Prepare: []string{runtimes.Python, runtimes.JavaScript},
	})
	if err != nil {
		return err
	}
	defer pool.Close(context.Background())
	if err := pool.Prepare(context.Background(), runtimes.Python); err != nil {
		return err
	}
	n := b.reps(40, 6)
	w.WriteString("### Worker process vs in-process\n\nThe app runs guests in a warm pool of worker processes (a wasmtime abort or a fault in the cgo layer kills a worker, never the app); `wasmplay run` runs in-process. Same run, interleaved:\n\n")
	w.WriteString("| run | in-process median | worker median | overhead |\n|---|---|---|---|\n")
	for _, c := range []struct{ rt, code string }{{runtimes.Python, "print(1)"}, {runtimes.JavaScript, "console.log(1)"}} {
		var local, viaPool []time.Duration
		ws, _ := os.MkdirTemp("", "wasmplay-bench-ws-")
		for i := 0; i < n+2; i++ {
			start := time.Now()
			b.local.Execute(context.Background(), 1, run.Job{Runtime: c.rt, Code: []byte(c.code), Workspace: ws, Policy: run.DefaultPolicy()}, run.Hooks{})
			d1 := time.Since(start)
			start = time.Now()
			res := pool.Execute(context.Background(), 1, run.Job{Runtime: c.rt, Code: []byte(c.code), Workspace: ws, Policy: run.DefaultPolicy()}, run.Hooks{})
			d2 := time.Since(start)
			if res.Outcome != run.OutcomeOK {
				return fmt.Errorf("pool run: %s %s", res.Outcome, res.Message)
			}
			if i >= 2 {
				local, viaPool = append(local, d1), append(viaPool, d2)
			}
		}
		os.RemoveAll(ws)
		l, p := statsOf(local), statsOf(viaPool)
		fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", c.code, ms(l.median), ms(p.median), ms(p.median-l.median))
	}
	w.WriteString("\n")
	return nil
}

// meteringOverhead runs a CPU-bound Python loop on engines with and
// without fuel and epoch checks.
func (b *bench) meteringOverhead(w *strings.Builder) error {
	variants := []struct {
		label string
		opts  sandbox.EngineOptions
	}{
		{"no metering", sandbox.EngineOptions{NoFuel: true, NoEpoch: true}},
		{"fuel only", sandbox.EngineOptions{NoEpoch: true}},
		{"epoch only", sandbox.EngineOptions{NoFuel: true}},
		{"fuel + epoch (wasmplay)", sandbox.EngineOptions{}},
	}
	locals := make([]*sandbox.Local, len(variants))
	for i, v := range variants {
		l, err := sandbox.NewLocalWith(b.reg, b.cacheDir, v.opts)
		if err != nil {
			return err
		}
		if _, err := l.Prepare(runtimes.Python, nil); err != nil {
			return err
		}
		locals[i] = l
	}
	code := "sum(range(10**7))"
	n := b.reps(7, 2)
	times := make([][]time.Duration, len(variants))
	var fuel uint64
	ws, _ := os.MkdirTemp("", "wasmplay-bench-ws-")
	defer os.RemoveAll(ws)
	for round := 0; round < n; round++ {
		for i := range variants {
			start := time.Now()
			res := locals[i].Execute(context.Background(), 1, run.Job{Runtime: runtimes.Python, Code: []byte(code), Workspace: ws,
				Policy: run.Policy{FuelBudget: run.MaxFuelBudget}.OrDefaults()}, run.Hooks{})
			times[i] = append(times[i], time.Since(start))
			if res.Outcome != run.OutcomeOK {
				return fmt.Errorf("%s: %s %s", variants[i].label, res.Outcome, res.Message)
			}
			if res.FuelConsumed > 0 {
				fuel = res.FuelConsumed
			}
		}
	}
	base := statsOf(times[0]).median
	fmt.Fprintf(w, "### Cost of metering: Python `%s` (%s fuel)\n\nEach engine %d times, interleaved. The probe this project started from measured +53%% (fuel only) and +80%% (fuel + epoch).\n\n", code, run.FormatFuel(fuel), n)
	w.WriteString("| engine | median | vs no metering |\n|---|---|---|\n")
	for i, v := range variants {
		s := statsOf(times[i])
		fmt.Fprintf(w, "| %s | %s | %+.0f%% |\n", v.label, ms(s.median), 100*(float64(s.median)/float64(base)-1))
	}
	w.WriteString("\n")
	return nil
}

// cancelLatency measures the time from a cancel to the end of the run,
// for guests computing, sleeping and waiting for input, in-process and
// through a worker.
func (b *bench) cancelLatency(w *strings.Builder) error {
	pool, err := workers.NewPool(workers.PoolConfig{
		Command: []string{b.wasmplay, "__worker", "--bin-dir", b.reg.BinDir(), "--cache-dir", b.cacheDir},
		Env:     workers.WorkerEnv(), Size: 1, Prepare: []string{runtimes.Python, runtimes.JavaScript},
	})
	if err != nil {
		return err
	}
	defer pool.Close(context.Background())
	cases := []struct {
		label, rt, code string
		interactive     bool
		wait            run.Activity
	}{
		{"Python compute loop", runtimes.Python, "while True: pass", false, run.ActivityRunning},
		{"Python `time.sleep(10**6)`", runtimes.Python, "import time\ntime.sleep(10**6)", false, run.ActivitySleeping},
		{"Python `input()`", runtimes.Python, "input()", true, run.ActivityWaitingInput},
		{"JavaScript `os.sleep`", runtimes.JavaScript, "os.sleep(10**9)", false, run.ActivitySleeping},
		{"JavaScript compute loop", runtimes.JavaScript, "for (;;) {}", false, run.ActivityRunning},
	}
	n := b.reps(20, 3)
	fmt.Fprintf(w, "### Cancel latency\n\nFrom the cancel to the run's end (its Result returned), %d times each. Target: under 20 ms in every case.\n\n", n)
	w.WriteString("| guest | in-process median / max | worker median / max |\n|---|---|---|\n")
	for _, c := range cases {
		var row []string
		for _, ex := range []run.Executor{b.local, pool} {
			var ds []time.Duration
			for i := 0; i < n; i++ {
				d, err := cancelOnce(ex, c.rt, c.code, c.interactive, c.wait)
				if err != nil {
					return fmt.Errorf("%s: %v", c.label, err)
				}
				ds = append(ds, d)
			}
			s := statsOf(ds)
			row = append(row, ms(s.median)+" / "+ms(s.max))
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", c.label, row[0], row[1])
	}
	w.WriteString("\n")
	return nil
}

func cancelOnce(ex run.Executor, rt, code string, interactive bool, wait run.Activity) (time.Duration, error) {
	ws, _ := os.MkdirTemp("", "wasmplay-bench-ws-")
	defer os.RemoveAll(ws)
	ctx, cancel := context.WithCancel(context.Background())
	reached := make(chan struct{})
	var once sync.Once
	done := make(chan run.Result, 1)
	go func() {
		done <- ex.Execute(ctx, 1, run.Job{Runtime: rt, Code: []byte(code), Workspace: ws, Interactive: interactive,
			Policy: run.Policy{FuelBudget: run.MaxFuelBudget}.OrDefaults()}, run.Hooks{Emit: func(ev run.Event) {
			if m, ok := ev.(run.Metrics); ok && m.Activity == wait && m.Elapsed > 150*time.Millisecond {
				once.Do(func() { close(reached) })
			}
		}})
	}()
	select {
	case <-reached:
	case res := <-done:
		cancel()
		return 0, fmt.Errorf("ended before the cancel: %s %s", res.Outcome, res.Message)
	case <-time.After(30 * time.Second):
		cancel()
		return 0, fmt.Errorf("never reached %s", wait)
	}
	start := time.Now()
	cancel()
	res := <-done
	d := time.Since(start)
	if res.Outcome != run.OutcomeCanceled {
		return 0, fmt.Errorf("outcome %s", res.Outcome)
	}
	return d, nil
}

// eventRate counts live Metrics events during a compute loop.
func (b *bench) eventRate(w *strings.Builder) error {
	dur := 2 * time.Second
	if b.quick {
		dur = 500 * time.Millisecond
	}
	var rows []string
	for _, c := range []struct{ label, rt, code string }{
		{"Python `while True: pass`", runtimes.Python, "while True: pass"},
		{"JavaScript `for (;;) {}`", runtimes.JavaScript, "for (;;) {}"},
	} {
		var mu sync.Mutex
		var count, stale int
		ws, _ := os.MkdirTemp("", "wasmplay-bench-ws-")
		res := b.local.Execute(context.Background(), 1, run.Job{Runtime: c.rt, Code: []byte(c.code), Workspace: ws,
			Policy: run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: dur}.OrDefaults()}, run.Hooks{Emit: func(ev run.Event) {
			if m, ok := ev.(run.Metrics); ok {
				mu.Lock()
				count++
				if m.FuelStale {
					stale++
				}
				mu.Unlock()
			}
		}})
		os.RemoveAll(ws)
		rate := float64(count) / res.Duration.Seconds()
		rows = append(rows, fmt.Sprintf("| %s | %.0f/s | %d of %d |", c.label, rate, stale, count))
	}
	fmt.Fprintf(w, "### Live events during a compute loop\n\nMetrics events delivered while a loop runs for %s. Target: at least 30 per second, none stale. \"Stale\" samples are those whose fuel figure did not move while the guest ran (it keeps its count in a register between calls; CPython reports it at its fuel ticks).\n\n", dur)
	w.WriteString("| guest | metrics events | stale samples |\n|---|---|---|\n")
	w.WriteString(strings.Join(rows, "\n") + "\n\n")
	return nil
}

// minorFaults is this process's minor page faults so far.
func minorFaults() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Minflt
}
