// Command benchreport measures wasmplay (`make bench`) and writes the
// figures, with the machine and the date, into docs/BENCHMARKS.md.
//
// Everything that is compared is measured side by side in one run, with
// the variants interleaved, because the machines are shared and noisy:
// read ratios rather than absolute times. Each section it writes sits
// between <!-- bench:NAME --> markers; other sections of the file are kept.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
	"github.com/wasmplay/wasmplay/workers"
)

func main() {
	out := flag.String("out", "docs/BENCHMARKS.md", "file to update")
	binDir := flag.String("bin-dir", "bin", "guest runtimes")
	wasmplay := flag.String("wasmplay", "./wasmplay", "the wasmplay binary (for whole-process runs and pool workers)")
	quick := flag.Bool("quick", false, "fewer repetitions (for a smoke check, not for the record)")
	only := flag.String("sections", "runtimes,runner,packages,tui,sessions", "sections to measure")
	flag.Parse()
	b := &bench{binDir: *binDir, wasmplay: *wasmplay, quick: *quick, sections: map[string]string{}}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		want[strings.TrimSpace(s)] = true
	}
	if err := b.setup(); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	steps := []struct {
		name string
		run  func() (string, error)
	}{
		{"runtimes", b.runtimesSection},
		{"runner", b.runnerSection},
		{"packages", b.packagesSection},
		{"tui", b.tuiSection},
		{"sessions", b.sessionsSection},
	}
	for _, s := range steps {
		if !want[s.name] {
			continue
		}
		fmt.Fprintf(os.Stderr, "benchreport: measuring %s …\n", s.name)
		text, err := s.run()
		if err != nil {
			fmt.Fprintf(os.Stderr, "benchreport: %s: %v\n", s.name, err)
			os.Exit(1)
		}
		b.sections[s.name] = text
	}
	if err := writeSections(*out, b.machine(), b.sections); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "benchreport: wrote %s\n", *out)
}

// bench holds what the measurements share.
type bench struct {
	binDir   string
	wasmplay string
	quick    bool
	reg      *runtimes.Registry
	local    *sandbox.Local
	cacheDir string
	sections map[string]string
}

func (b *bench) setup() error {
	reg, err := runtimes.NewRegistry(b.binDir, nil)
	if err != nil {
		return err
	}
	b.reg = reg
	b.cacheDir = config.ResolveDirs(config.Dirs{}).Cache
	b.local, err = sandbox.NewLocal(reg, b.cacheDir)
	if err != nil {
		return err
	}
	for _, rt := range []string{runtimes.Python, runtimes.JavaScript} {
		if _, err := b.local.Prepare(rt, nil); err != nil {
			return fmt.Errorf("%v (run `make runtimes` first)", err)
		}
	}
	if _, err := os.Stat(b.wasmplay); err != nil {
		return fmt.Errorf("%v (run `make build` first)", err)
	}
	return nil
}

func (b *bench) reps(full, quick int) int {
	if b.quick {
		return quick
	}
	return full
}

// machine describes where and when the figures were taken.
func (b *bench) machine() string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	kernel, _ := exec.Command("uname", "-r").Output()
	wt := "?"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if strings.Contains(d.Path, "wasmtime-go") {
				wt = d.Version
			}
		}
	}
	mode := ""
	if b.quick {
		mode = " (quick mode: few repetitions, not for the record)"
	}
	return fmt.Sprintf("Measured %s on %s, %d CPUs, Linux %s, %s, wasmtime-go %s%s.",
		time.Now().UTC().Format("2006-01-02"), cpu, runtime.NumCPU(), strings.TrimSpace(string(kernel)), runtime.Version(), wt, mode)
}

// stats are the median and 95th percentile of some durations.
type stats struct {
	median, p95, min, max time.Duration
	n                     int
}

func statsOf(ds []time.Duration) stats {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return stats{}
	}
	return stats{median: s[len(s)/2], p95: s[min(len(s)-1, len(s)*95/100)], min: s[0], max: s[len(s)-1], n: len(s)}
}

func ms(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// ---- runtimes ----------------------------------------------------------------

func (b *bench) runtimesSection() (string, error) {
	m, err := runtimes.ReadManifest(b.reg.BinDir())
	if err != nil {
		return "", err
	}
	var w strings.Builder
	w.WriteString("## Guest runtimes: build, size, compile, first run\n\n")
	w.WriteString("Built by `make runtimes` from Debian sources (see docs/RUNTIMES.md); build times come from the manifest, the rest is measured now.\n\n")
	w.WriteString("| runtime | source | build | artifacts | compile (`NewModule`) | deserialize (cached) | warm run, median / p95 |\n|---|---|---|---|---|---|---|\n")
	tmpCache, err := os.MkdirTemp("", "wasmplay-bench-cache-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmpCache)
	for _, name := range []string{runtimes.Python, runtimes.JavaScript} {
		e := m.Runtimes[name]
		if e == nil {
			return "", fmt.Errorf("no %s in the manifest", name)
		}
		var sizes []string
		for _, a := range e.Artifacts {
			sizes = append(sizes, fmt.Sprintf("%s %s", filepath.Base(a.Path), run.FormatBytes(uint64(a.Size))))
		}
		// Compile into an empty cache, then deserialize from it in a fresh engine.
		compile, deser, err := compileAndDeserialize(b.reg, tmpCache, name)
		if err != nil {
			return "", err
		}
		code := map[string]string{runtimes.Python: "print(1)", runtimes.JavaScript: "console.log(1)"}[name]
		warm := statsOf(b.warmRuns(b.local, name, code, b.reps(60, 10)))
		fmt.Fprintf(&w, "| %s | %s %s | %.0f s | %s | %s | %s | %s / %s |\n", name, e.Source.Name, e.Source.Version,
			e.BuildSeconds, strings.Join(sizes, ", "), ms(compile), ms(deser), ms(warm.median), ms(warm.p95))
	}
	w.WriteString("\nThe warm run is a whole run in-process from a loaded module: store, WASI, instantiation, the guest, teardown.\n")
	if py := m.Runtimes[runtimes.Python]; py != nil && len(py.Options) > 0 {
		var keys []string
		for k := range py.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var opts []string
		for _, k := range keys {
			opts = append(opts, k+"="+py.Options[k])
		}
		fmt.Fprintf(&w, "Python build options: %s (the layout decision and its figures are in the \"Guest runtimes: build choices\" section).\n", strings.Join(opts, ", "))
	}
	return w.String(), nil
}

func compileAndDeserialize(reg *runtimes.Registry, cacheDir, name string) (time.Duration, time.Duration, error) {
	first, err := sandbox.NewLocal(reg, cacheDir)
	if err != nil {
		return 0, 0, err
	}
	info, err := first.Prepare(name, nil)
	if err != nil {
		return 0, 0, err
	}
	if !info.Compiled {
		return 0, 0, fmt.Errorf("%s was not compiled in an empty cache", name)
	}
	second, err := sandbox.NewLocal(reg, cacheDir)
	if err != nil {
		return 0, 0, err
	}
	info2, err := second.Prepare(name, nil)
	if err != nil {
		return 0, 0, err
	}
	return info.LoadTime, info2.LoadTime, nil
}

// warmRuns times whole in-process runs after two warm-ups.
func (b *bench) warmRuns(l *sandbox.Local, rt, code string, n int) []time.Duration {
	ws, _ := os.MkdirTemp("", "wasmplay-bench-ws-")
	defer os.RemoveAll(ws)
	var ds []time.Duration
	for i := 0; i < n+2; i++ {
		start := time.Now()
		res := l.Execute(context.Background(), 1, run.Job{Runtime: rt, Code: []byte(code), Workspace: ws}, run.Hooks{})
		d := time.Since(start)
		if res.Outcome != run.OutcomeOK {
			fmt.Fprintf(os.Stderr, "benchreport: %s run failed: %s %s\n", rt, res.Outcome, res.Stderr)
		}
		if i >= 2 {
			ds = append(ds, d)
		}
	}
	return ds
}

// ---- runner ------------------------------------------------------------------

func (b *bench) runnerSection() (string, error) {
	var w strings.Builder
	w.WriteString("## Runner\n\n")
	steps := []func(*strings.Builder) error{b.startModes, b.wholeProcess, b.poolOverhead, b.meteringOverhead, b.cancelLatency, b.eventRate}
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
	programs := []string{"print(1)", "import json, re\nprint(json.dumps(re.findall('a', 'banana')))"}
	modes := []struct {
		label string
		local *sandbox.Local
	}{{"from the snapshot", b.local}, {"cold", cold}}
	n := b.reps(60, 10)
	fmt.Fprintf(w, "### Python: start from a snapshot vs cold start\n\nWarm in-process runs (store, WASI, instantiation, restoring the snapshot, the guest, teardown), %d of each, interleaved. See docs/RUNTIMES.md, \"Starting from a snapshot\".\n\n", n)
	w.WriteString("| program | start | median | p95 | fuel | ratio to cold |\n|---|---|---|---|---|---|\n")
	for _, code := range programs {
		times := make([][]time.Duration, len(modes))
		fuel := make([]uint64, len(modes))
		for round := 0; round < n+2; round++ {
			for i, m := range modes {
				d, res, err := timedRun(m.local, run.Job{Runtime: runtimes.Python, Code: []byte(code)})
				if err != nil {
					return fmt.Errorf("%s start: %w", m.label, err)
				}
				if round >= 2 {
					times[i] = append(times[i], d)
				}
				fuel[i] = res.FuelConsumed
			}
		}
		coldMedian := statsOf(times[len(modes)-1]).median
		for i, m := range modes {
			s := statsOf(times[i])
			fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s | %.2f× |\n", strings.ReplaceAll(code, "\n", "; "), m.label, ms(s.median), ms(s.p95),
				run.FormatFuel(fuel[i]), float64(s.median)/float64(coldMedian))
		}
	}
	w.WriteString("\nThe issue's target for a warm `print(1)` is under 20 ms; the bare probe runner measured 29 ms (cold, same zip).\n\n")
	return nil
}

// wholeProcess compares `wasmplay run` with native interpreters, each as
// a whole process, interleaved.
func (b *bench) wholeProcess(w *strings.Builder) error {
	type cmd struct {
		label string
		argv  []string
	}
	cmds := []cmd{
		{"`wasmplay run -c 'print(1)'`", []string{b.wasmplay, "run", "-c", "print(1)"}},
		{"native `python3 -c 'print(1)'` (" + nativePython() + ")", []string{nativePython(), "-c", "print(1)"}},
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
	fmt.Fprintf(w, "### Whole process, `print(1)` / `console.log(1)`\n\nEach command %d times, interleaved; the first round (cold caches) is dropped.\n\n", n)
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
			b.local.Execute(context.Background(), 1, run.Job{Runtime: c.rt, Code: []byte(c.code), Workspace: ws}, run.Hooks{})
			d1 := time.Since(start)
			start = time.Now()
			res := pool.Execute(context.Background(), 1, run.Job{Runtime: c.rt, Code: []byte(c.code), Workspace: ws}, run.Hooks{})
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
				Policy: run.Policy{FuelBudget: run.MaxFuelBudget}}, run.Hooks{})
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
			Policy: run.Policy{FuelBudget: run.MaxFuelBudget}}, run.Hooks{Emit: func(ev run.Event) {
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
			Policy: run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: dur}}, run.Hooks{Emit: func(ev run.Event) {
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
	fmt.Fprintf(w, "### Live events during a compute loop\n\nMetrics events delivered while a loop that never calls the host runs for %s. Target: at least 30 per second. \"Stale\" samples are those marked as a lower bound (the guest keeps its fuel count in a register between calls).\n\n", dur)
	w.WriteString("| guest | metrics events | stale samples |\n|---|---|---|\n")
	w.WriteString(strings.Join(rows, "\n") + "\n\n")
	return nil
}

// ---- tui and sessions: Go benchmarks of those packages ------------------------

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// goBench runs a package's benchmarks and returns each one's metrics.
func goBench(pkg, pattern, benchtime string, env ...string) (map[string]map[string]float64, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime, "-timeout", "60m", pkg)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench %s: %v\n%s", pkg, err, out)
	}
	res := map[string]map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		fields := strings.Fields(m[2])
		metrics := map[string]float64{}
		for i := 0; i+1 < len(fields); i += 2 {
			if v, err := strconv.ParseFloat(fields[i], 64); err == nil {
				metrics[fields[i+1]] = v
			}
		}
		res[m[1]] = metrics
	}
	return res, nil
}

func (b *bench) tuiSection() (string, error) {
	r, err := goBench("./tui/", "FrameWhileStreaming|TenSessionsRSS|IdleCPU", "1x")
	if err != nil {
		return "", err
	}
	keyN := b.reps(30, 5)
	rk, err := goBench("./tui/", "KeypressToOutput", strconv.Itoa(keyN)+"x")
	if err != nil {
		return "", err
	}
	key, frame, rss, idle := rk["BenchmarkKeypressToOutput"], r["BenchmarkFrameWhileStreaming"], r["BenchmarkTenSessionsRSS"], r["BenchmarkIdleCPU"]
	if key == nil || frame == nil || rss == nil || idle == nil {
		return "", fmt.Errorf("missing TUI benchmark results: %v %v", r, rk)
	}
	var w strings.Builder
	w.WriteString("## Playground (TUI)\n\nMeasured through the real root model and runner (`go test -bench` in `tui/`).\n\n")
	w.WriteString("| measurement | median | p95 | target |\n|---|---|---|---|\n")
	fmt.Fprintf(&w, "| key press (ctrl+r) to the first output of a `print` on the model's screen, warm (%d runs) | %.1f ms | %.1f ms | under 50 ms |\n",
		keyN, key["ms-median"], key["ms-p95"])
	fmt.Fprintf(&w, "| frame time while a guest prints 10 MB (%.0f frames) | %.2f ms | %.2f ms | under 16 ms p95 |\n",
		frame["frames"], frame["ms-median"], frame["ms-p95"])
	fmt.Fprintf(&w, "\nMemory with 10 sessions open (20 runs each, every pane drawn): %.1f MiB resident for the whole test process, %.1f MiB of Go heap in use.\n",
		rss["MiB-rss"], rss["MiB-heap"])
	w.WriteString("The terminal shows a model change at Bubble Tea's next frame (60 per second), so on screen add up to 17 ms to the first figure.\n")
	fmt.Fprintf(&w, "Idle: %.2f%% of one core with nothing running. The app schedules nothing when idle (no ticker, no polling: the epoch ticker runs only during runs, autosave only after an edit); what remains is Bubble Tea's renderer waking 60 times a second to compare frames.\n", idle["%cpu"])
	return w.String(), nil
}

func (b *bench) sessionsSection() (string, error) {
	sessions, runs := "10000", "100"
	if b.quick {
		sessions, runs = "1000", "20"
	}
	r, err := goBench("./sessions/", "Store_List|Session_Runs", "10x",
		"WASMPLAY_BENCH_SESSIONS="+sessions, "WASMPLAY_BENCH_RUNS="+runs)
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(r))
	for name := range r {
		names = append(names, name)
	}
	sort.Strings(names)
	var w strings.Builder
	fmt.Fprintf(&w, "## Sessions list (measured now)\n\n%s sessions with %s runs each; target: `sessions list` under 200 ms.\n\n", sessions, runs)
	w.WriteString("| benchmark | time per op |\n|---|---|\n")
	for _, name := range names {
		if ns, ok := r[name]["ns/op"]; ok {
			fmt.Fprintf(&w, "| %s | %s |\n", strings.TrimPrefix(name, "Benchmark"), ms(time.Duration(ns)))
		}
	}
	return w.String(), nil
}

// ---- the file -----------------------------------------------------------------

// writeSections replaces the marked sections it has, keeps the rest, and
// stamps the machine line of each.
func writeSections(path, machine string, sections map[string]string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	if text == "" {
		text = "# Benchmarks\n\nFigures from `make bench` (runner/benchreport) and from the build (`make runtimes`). Times are medians unless stated; compare ratios measured in the same run, since these machines are shared and noisy. Nothing here is a test assertion.\n"
	}
	order := []string{"runtimes", "runner", "packages", "tui", "sessions"}
	for k, name := range order {
		body, ok := sections[name]
		if !ok {
			continue
		}
		begin, end := "<!-- bench:"+name+" -->", "<!-- /bench:"+name+" -->"
		block := begin + "\n" + body + "\n" + machine + "\n" + end
		i, j := strings.Index(text, begin), strings.Index(text, end)
		if i >= 0 && j > i {
			text = text[:i] + block + text[j+len(end):]
			continue
		}
		// A new section goes before the next one in order, else at the end.
		at := -1
		for _, next := range order[k+1:] {
			if at = strings.Index(text, "<!-- bench:"+next+" -->"); at >= 0 {
				break
			}
		}
		if at >= 0 {
			text = text[:at] + block + "\n\n" + text[at:]
		} else {
			text = strings.TrimRight(text, "\n") + "\n\n" + block + "\n"
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
