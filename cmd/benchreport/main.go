// Command benchreport measures wasmplay (`make bench`) and writes the
// figures, with the machine and the date, into docs/BENCHMARKS.md.
//
// Everything that is compared is measured side by side in one run, with
// the variants interleaved, because the machines are shared and noisy:
// read ratios rather than absolute times. Each section it writes sits
// between <!-- bench:NAME --> markers; other sections of the file are kept.
package main

import (
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
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == launchArg {
		launch(os.Args[2:])
	}
	out := flag.String("out", "docs/BENCHMARKS.md", "file to update")
	binDir := flag.String("bin-dir", "bin", "guest runtimes")
	wasmplay := flag.String("wasmplay", "./wasmplay", "the wasmplay binary (for whole-process runs and pool workers)")
	quick := flag.Bool("quick", false, "fewer repetitions (for a smoke check, not for the record)")
	only := flag.String("sections", "runtimes,runner,packages,tui,sessions,walls,mcp,batch", "sections to measure")
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
		{"walls", b.wallsSection},
		{"mcp", b.mcpSection},
		{"batch", b.batchSection},
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
		res := l.Execute(context.Background(), 1, run.Job{Runtime: rt, Code: []byte(code), Workspace: ws, Policy: run.DefaultPolicy()}, run.Hooks{})
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

// ---- tui and sessions: Go benchmarks of those packages ------------------------

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

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
	order := []string{"runtimes", "runner", "packages", "tui", "sessions", "walls", "mcp", "batch"}
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
