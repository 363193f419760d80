package tui

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/themes"
)

// These benchmarks measure the app as `make bench` reports it. They use
// custom metrics (b.ReportMetric); timings are never test assertions.

// BenchmarkKeypressToOutput measures from the run key to the first output
// of print(1) being part of the screen the model draws (the terminal
// shows it at the renderer's next frame, at most 1/60 s later).
func BenchmarkKeypressToOutput(b *testing.B) {
	needRuntime(b, "python")
	h := newHarness(b, 120, 40, "")
	h.waitFor("scratch · python")
	h.setCode("print('ready-' + str(6 * 7))\n")
	// Warm up: the first run loads the runtime.
	h.key("ctrl+r")
	h.waitFor("ready-42", "run 1 · ok")
	var lat []time.Duration
	h.poll = time.Millisecond
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		marker := fmt.Sprintf("first-output-%d", i)
		h.setCode(fmt.Sprintf("print('%s')\n", marker))
		h.waitFor(fmt.Sprintf("run %d · ok", i+1), fmt.Sprintf("print('%s')", marker))
		b.StartTimer()
		start := time.Now()
		h.key("ctrl+r")
		h.waitFor("│" + marker) // an output line (the editor shows print(...))
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportDurations(b, lat)
}

// BenchmarkFrameWhileStreaming measures how long the model takes to draw
// a frame while a guest prints 10 MB, with events fed as the runner
// delivers them and frames drawn at most every 1/60 s, as Bubble Tea does.
func BenchmarkFrameWhileStreaming(b *testing.B) {
	needRuntime(b, "python")
	for i := 0; i < b.N; i++ {
		m, sv := benchModel(b, 160, 48)
		stdoutMax := int64(16 << 20)
		code := "line = 'x' * 99\nfor i in range(100_000):\n    print(line)\n" // 10 MB
		r, err := m.deps.Playground.Start(context.Background(), playground.Request{Session: sv.sess, Runtime: "python",
			Code: []byte(code), Limits: run.Overrides{StdoutMaxBytes: &stdoutMax}})
		if err != nil {
			b.Fatal(err)
		}
		m.runs[r] = sv
		sv.run = r
		var frames []time.Duration
		lastFrame := time.Now()
		for ev := range r.Events() {
			m.Update(runEventMsg{run: r, ev: ev})
			if time.Since(lastFrame) >= time.Second/60 {
				start := time.Now()
				_ = m.render()
				frames = append(frames, time.Since(start))
				lastFrame = time.Now()
			}
		}
		res := r.Wait().Result
		if res.Outcome != run.OutcomeOK || res.StdoutBytes != 10_000_000 {
			b.Fatalf("run: %s, %d bytes", res.Outcome, res.StdoutBytes)
		}
		if len(frames) == 0 {
			b.Fatal("no frame drawn while streaming")
		}
		reportDurations(b, frames)
		b.ReportMetric(float64(len(frames)), "frames")
	}
}

// BenchmarkTenSessionsRSS measures the process's resident memory with ten
// sessions open in the app, each with a short history.
func BenchmarkTenSessionsRSS(b *testing.B) {
	for i := 0; i < b.N; i++ {
		store, err := sessions.Open(b.TempDir(), sessions.Options{})
		if err != nil {
			b.Fatal(err)
		}
		pg, _ := testPlayground(b, store, 1)
		m := New(Deps{Playground: pg, Theme: themes.All()[0], Keys: DefaultKeyMap()})
		m.Update(tea.WindowSizeMsg{Width: 160, Height: 48})
		for s := 0; s < 10; s++ {
			sess, err := store.Create(sessions.CreateOptions{Name: fmt.Sprintf("s%d", s)})
			if err != nil {
				b.Fatal(err)
			}
			for r := 0; r < 20; r++ {
				if _, err := sess.AppendRun(sessions.RunRecord{Runtime: "python", Code: "print(1)", Outcome: run.OutcomeOK,
					Stdout: strings.Repeat("output line\n", 50)}); err != nil {
					b.Fatal(err)
				}
			}
			o, err := loadSession(pg, sess)
			if err != nil {
				b.Fatal(err)
			}
			m.Update(sessionOpenedMsg{opened: o, focus: true})
			_ = m.render()
		}
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(rssBytes())/(1<<20), "MiB-rss")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MiB-heap")
		for _, sv := range m.views {
			sv.close()
		}
	}
}

// reportDurations reports the median and 95th percentile in ms.
func reportDurations(b *testing.B, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	b.ReportMetric(float64(ds[len(ds)/2])/1e6, "ms-median")
	b.ReportMetric(float64(ds[len(ds)*95/100])/1e6, "ms-p95")
}

// rssBytes reads the process's resident set size.
func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, resident int64
	fmt.Sscanf(string(data), "%d %d", &size, &resident)
	return resident * int64(os.Getpagesize())
}

// BenchmarkIdleCPU measures the CPU the app uses when nothing happens: the
// app schedules nothing then; Bubble Tea's renderer still wakes at its
// frame rate to check for changes.
func BenchmarkIdleCPU(b *testing.B) {
	h := newHarness(b, 120, 40, "")
	h.waitFor("scratch · python")
	time.Sleep(time.Second) // let start-up work (runtime loading) finish
	for i := 0; i < b.N; i++ {
		before := cpuTime()
		start := time.Now()
		time.Sleep(3 * time.Second)
		used := cpuTime() - before
		b.ReportMetric(100*used.Seconds()/time.Since(start).Seconds(), "%cpu")
	}
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
