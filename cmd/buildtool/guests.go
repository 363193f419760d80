package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
)

// The build runs guests through the runner itself, so what the build
// checks and measures is what wasmplay does. Compiled modules go to the
// runner's cache: a smoke run after a build also warms it for the app.

// newLocal returns a runner for the runtimes laid out under binDir.
func newLocal(binDir string) (*sandbox.Local, error) {
	reg, err := runtimes.NewRegistry(binDir, nil)
	if err != nil {
		return nil, err
	}
	return sandbox.NewLocal(reg, config.ResolveDirs(config.Dirs{}).Cache)
}

// runOnce runs code in a fresh temporary workspace, which it returns (the
// caller removes it).
func runOnce(l *sandbox.Local, rt, code string) (run.Result, string, error) {
	ws, err := os.MkdirTemp("", "buildtool-ws-")
	if err != nil {
		return run.Result{}, "", err
	}
	res := l.Execute(context.Background(), 1, run.Job{Runtime: rt, Code: []byte(code), Workspace: ws, Policy: run.DefaultPolicy()}, run.Hooks{})
	return res, ws, nil
}

// runStats summarizes repeated runs of one program.
type runStats struct {
	runs             int
	median, min, max time.Duration
	fuel             uint64 // median
	memoryBytes      uint64 // median peak
}

// measureRuns runs code once to warm up, then n times; every run must
// succeed.
func measureRuns(l *sandbox.Local, rt, code string, n int) (runStats, error) {
	if n < 1 {
		return runStats{}, fmt.Errorf("measure: need at least one run, got %d", n)
	}
	ws, err := os.MkdirTemp("", "buildtool-ws-")
	if err != nil {
		return runStats{}, err
	}
	defer os.RemoveAll(ws)
	var walls []time.Duration
	var fuels, mems []uint64
	for i := -1; i < n; i++ {
		res := l.Execute(context.Background(), 1, run.Job{Runtime: rt, Code: []byte(code), Workspace: ws, Policy: run.DefaultPolicy()}, run.Hooks{})
		if res.Outcome != run.OutcomeOK {
			return runStats{}, fmt.Errorf("measure: %s (%s; stderr %q)", res.Outcome, res.Message, clip(string(res.Stderr)))
		}
		if i >= 0 {
			walls = append(walls, res.Duration)
			fuels = append(fuels, res.FuelConsumed)
			mems = append(mems, res.PeakMemoryBytes)
		}
	}
	slices.Sort(walls)
	slices.Sort(fuels)
	slices.Sort(mems)
	return runStats{runs: n, median: walls[n/2], min: walls[0], max: walls[n-1], fuel: fuels[n/2], memoryBytes: mems[n/2]}, nil
}

// loadStats are the costs of turning a .wasm file into a runnable module.
type loadStats struct {
	wasmBytes, serializedBytes int64
	compile, deserialize       time.Duration // deserialize: median
}

// measureLoad compiles the runtime into an empty module cache, then
// deserializes it n times from there, each time in a fresh engine.
func measureLoad(binDir, rt string, n int) (loadStats, error) {
	reg, err := runtimes.NewRegistry(binDir, nil)
	if err != nil {
		return loadStats{}, err
	}
	r, err := reg.Lookup(rt)
	if err != nil {
		return loadStats{}, err
	}
	cache, err := os.MkdirTemp("", "buildtool-cache-")
	if err != nil {
		return loadStats{}, err
	}
	defer os.RemoveAll(cache)
	var st loadStats
	if info, err := os.Stat(reg.ArtifactPath(r)); err == nil {
		st.wasmBytes = info.Size()
	}
	var times []time.Duration
	for i := -1; i < n; i++ {
		l, err := sandbox.NewLocal(reg, cache)
		if err != nil {
			return st, err
		}
		info, err := l.Prepare(rt, nil)
		if err != nil {
			return st, err
		}
		if i < 0 {
			if !info.Compiled {
				return st, fmt.Errorf("%s was not compiled in an empty cache", rt)
			}
			st.compile = info.LoadTime
			continue
		}
		times = append(times, info.LoadTime)
	}
	slices.Sort(times)
	st.deserialize = times[n/2]
	matches, _ := filepath.Glob(filepath.Join(cache, "modules", "*.cwasm"))
	for _, m := range matches {
		if info, err := os.Stat(m); err == nil {
			st.serializedBytes += info.Size()
		}
	}
	return st, nil
}

// clip shortens guest output for error messages.
func clip(s string) string {
	const max = 600
	if len(s) > max {
		return s[:max] + "..."
	}
	return strings.TrimRight(s, "\n")
}
