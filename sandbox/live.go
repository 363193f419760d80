package sandbox

import (
	"time"

	"github.com/wasmplay/wasmplay/run"
)

// pump batches output and samples metrics until done is closed.
func (x *execution) pump(emit func(run.Event), done <-chan struct{}) {
	t := time.NewTicker(flushInterval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if emit == nil {
				continue
			}
			x.emitOutput(emit, x.out.collect())
			emit(x.metrics())
		}
	}
}

func (x *execution) emitOutput(emit func(run.Event), chunks []run.Chunk) {
	if len(chunks) == 0 {
		return
	}
	_, _, outCut, errCut := x.out.totals()
	emit(run.Output{ID: x.id, Chunks: chunks, StdoutTruncated: outCut, StderrTruncated: errCut})
}

// staleAfterSamples is how many engine samples with an unchanged fuel count
// make the count a lower bound rather than a live figure.
const staleAfterSamples = 3

// metrics builds a live sample.
func (x *execution) metrics() run.Metrics {
	s := x.crun.sample()
	stdoutBytes, stderrBytes, _, _ := x.out.totals()
	mem := x.crun.memory()
	m := run.Metrics{
		ID:               x.id,
		Elapsed:          time.Since(x.started),
		FuelBudget:       x.job.Policy.FuelBudget,
		MemoryBytes:      mem.bytes,
		PeakMemoryBytes:  mem.peak,
		MemoryCapBytes:   x.job.Policy.MemoryBytes,
		MemoryGrowDenied: mem.denied,
		StdoutBytes:      stdoutBytes,
		StderrBytes:      stderrBytes,
		Samples:          s.samples,
	}
	if s.samples > 0 && s.fuelLeft <= x.job.Policy.FuelBudget {
		m.FuelConsumed = x.job.Policy.FuelBudget - s.fuelLeft
	}
	// Staleness: samples keep arriving (the guest executes code) while the
	// fuel figure does not move.
	if s.samples != x.lastSamples {
		if s.fuelLeft == x.lastFuelLeft {
			x.unchangedFuelAt += int(s.samples - x.lastSamples)
		} else {
			x.unchangedFuelAt = 0
		}
		x.lastSamples, x.lastFuelLeft = s.samples, s.fuelLeft
	}
	m.FuelStale = x.unchangedFuelAt >= staleAfterSamples

	switch {
	case !x.instantiated.Load():
		m.Activity = run.ActivityStarting
	case x.blocked.Load() == blockedSleep:
		m.Activity = run.ActivitySleeping
	case x.blocked.Load() == blockedInput:
		m.Activity = run.ActivityWaitingInput
	case s.samples > 0 && wpNow()-int64(s.atNanos) > int64(3*SampleInterval),
		s.samples == 0 && m.Elapsed > 3*SampleInterval:
		// No engine sample for a while: the guest is inside a host call.
		// With an interactive stdin that is almost always a read on it.
		if x.job.Interactive {
			m.Activity = run.ActivityWaitingInput
		} else {
			m.Activity = run.ActivityHostCall
		}
		m.FuelStale = false
	default:
		m.Activity = run.ActivityRunning
	}
	return m
}
