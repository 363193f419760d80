package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
)

// ---- packages and kept variables ---------------------------------------------

// packagesSection measures what the packages mount and keeping variables
// cost a run, and what importing each default package costs.
func (b *bench) packagesSection() (string, error) {
	m, err := runtimes.ReadPackages(b.reg.BinDir())
	if err != nil {
		return "", fmt.Errorf("%w (run `make packages` first)", err)
	}
	bare, done, err := b.localWithoutPackages()
	if err != nil {
		return "", err
	}
	defer done()
	var w strings.Builder
	w.WriteString("## Packages and kept variables\n\n")

	n := b.reps(40, 6)
	type variant struct {
		label string
		local *sandbox.Local
		job   run.Job
	}
	py := func(code string) run.Job {
		return run.Job{Runtime: runtimes.Python, Code: []byte(code), Policy: run.DefaultPolicy()}
	}
	keep := py("x = 1\nprint(x)")
	keep.KeepVars = true
	variants := []variant{
		{"`print(1)`, no packages mounted", bare, py("print(1)")},
		{"`print(1)`, packages mounted", b.local, py("print(1)")},
		{"`x = 1; print(x)`, keeping variables", b.local, keep},
	}
	fuel := make([]uint64, len(variants))
	times := make([][]time.Duration, len(variants))
	for round := 0; round < n+2; round++ {
		for i, v := range variants {
			d, res, err := timedRun(v.local, v.job)
			if err != nil {
				return "", fmt.Errorf("%s: %w", v.label, err)
			}
			if round >= 2 {
				times[i] = append(times[i], d)
				fuel[i] = res.FuelConsumed
			}
		}
	}
	fmt.Fprintf(&w, "### Start-up with and without the packages\n\nWarm in-process Python runs, %d each, interleaved. The packages sit in `site-packages`, so CPython only lists one more directory at start-up. Keeping variables adds reading and writing them (through the C JSON accelerator, from a prelude compiled once: see runner/prelude.go).\n\n", n)
	w.WriteString("| run | fuel | median | p95 | vs no packages |\n| --- | ---: | ---: | ---: | ---: |\n")
	base := statsOf(times[0]).median
	for i, v := range variants {
		s := statsOf(times[i])
		fmt.Fprintf(&w, "| %s | %s | %s | %s | %.2f× |\n", v.label, run.FormatFuel(fuel[i]), ms(s.median), ms(s.p95), float64(s.median)/float64(base))
	}

	modules := m.Modules()
	nImport := b.reps(10, 3)
	fmt.Fprintf(&w, "\n### First import of each package\n\n`import NAME` in a fresh run (what a script pays), minus a bare run, median of %d; the `.pyc` files are compiled at build time.\n\n", nImport)
	w.WriteString("| module | extra fuel | extra time |\n| --- | ---: | ---: |\n")
	baseFuel, baseTime, err := b.medianRun(py("pass"), nImport)
	if err != nil {
		return "", err
	}
	for _, mod := range modules {
		f, d, err := b.medianRun(py("import "+mod), nImport)
		if err != nil {
			return "", fmt.Errorf("import %s: %w", mod, err)
		}
		fmt.Fprintf(&w, "| %s | %s | %s |\n", mod, run.FormatFuel(f-min(f, baseFuel)), ms(max(d-baseTime, 0)))
	}
	w.WriteString("\n")
	return w.String(), nil
}

// timedRun runs job in a fresh workspace and fails unless it succeeds.
func timedRun(l *sandbox.Local, job run.Job) (time.Duration, run.Result, error) {
	ws, err := os.MkdirTemp("", "wasmplay-bench-ws-")
	if err != nil {
		return 0, run.Result{}, err
	}
	defer os.RemoveAll(ws)
	job.Workspace = ws
	start := time.Now()
	res := l.Execute(context.Background(), 1, job, run.Hooks{})
	d := time.Since(start)
	if res.Outcome != run.OutcomeOK {
		return d, res, fmt.Errorf("%s %s %s", res.Outcome, res.Message, res.Stderr)
	}
	return d, res, nil
}

// medianRun is the median fuel and time of n warm runs (after one more).
func (b *bench) medianRun(job run.Job, n int) (uint64, time.Duration, error) {
	var ds []time.Duration
	var fuels []time.Duration // fuel as durations, to reuse statsOf
	for i := 0; i < n+1; i++ {
		d, res, err := timedRun(b.local, job)
		if err != nil {
			return 0, 0, err
		}
		if i > 0 {
			ds = append(ds, d)
			fuels = append(fuels, time.Duration(res.FuelConsumed))
		}
	}
	return uint64(statsOf(fuels).median), statsOf(ds).median, nil
}

// localWithoutPackages is a runner over a bin directory that links the
// Python runtime but not the packages. done removes it.
func (b *bench) localWithoutPackages() (*sandbox.Local, func(), error) {
	view, err := os.MkdirTemp("", "wasmplay-bench-bin-")
	if err != nil {
		return nil, nil, err
	}
	done := func() { os.RemoveAll(view) }
	target, err := filepath.Abs(filepath.Join(b.reg.BinDir(), "python"))
	if err == nil {
		err = os.Symlink(target, filepath.Join(view, "python"))
	}
	var reg *runtimes.Registry
	if err == nil {
		reg, err = runtimes.NewRegistry(view, nil)
	}
	var l *sandbox.Local
	if err == nil {
		l, err = sandbox.NewLocal(reg, b.cacheDir)
	}
	if err == nil {
		_, err = l.Prepare(runtimes.Python, nil)
	}
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("a bin directory without packages: %w", err)
	}
	return l, done, nil
}
