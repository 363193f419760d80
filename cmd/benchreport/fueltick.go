package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// tickLoopWAT is a loop of n iterations that calls wasmplay's fuel tick at
// each one (withTick) or not: the difference, per call, is what a tick
// costs.
func tickLoopWAT(n int, withTick bool) string {
	call := ""
	if withTick {
		call = "call $tick"
	}
	return fmt.Sprintf(`(module
  (import %q %q (func $tick))
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32)
    (loop $l
      %s
      local.get $i i32.const 1 i32.add local.tee $i
      i32.const %d i32.lt_u
      br_if $l)))`, runtimes.HostModule, runtimes.HostFuelTick, call, n)
}

// pythonTickInterval is _PY_WASMPLAY_TICK_INTERVAL of
// runtimes/build/python-wasi.patch: eval-breaker checks per tick.
const pythonTickInterval = 16384

// fuelTickCost measures what live fuel costs a Python compute loop: the
// price of one tick (a WAT loop calling it, against the same loop without
// the call, interleaved), times the ticks a `for` loop of known length
// makes (one eval-breaker check per iteration), against that loop's time.
func (b *bench) fuelTickCost(w *strings.Builder) error {
	calls, rounds, loop := 2_000_000, 7, 3_000_000
	if b.quick {
		calls, rounds, loop = 500_000, 3, 1_000_000
	}
	exec := func(rt, code string) (time.Duration, error) {
		ws, err := os.MkdirTemp("", "wasmplay-bench-ws-")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(ws)
		res := b.local.Execute(context.Background(), 1, run.Job{Runtime: rt, Code: []byte(code), Workspace: ws,
			Policy: run.Policy{FuelBudget: run.MaxFuelBudget, Timeout: time.Minute}.OrDefaults()}, run.Hooks{})
		if res.Outcome != run.OutcomeOK {
			return 0, fmt.Errorf("fuel tick bench: %s run: %s (%s)", rt, res.Outcome, res.Message)
		}
		return res.Duration, nil
	}
	var with, without, py []time.Duration
	for range rounds {
		d1, err := exec(runtimes.WAT, tickLoopWAT(calls, true))
		if err != nil {
			return err
		}
		d0, err := exec(runtimes.WAT, tickLoopWAT(calls, false))
		if err != nil {
			return err
		}
		d2, err := exec(runtimes.Python, fmt.Sprintf("for _ in range(%d): pass", loop))
		if err != nil {
			return err
		}
		with, without, py = append(with, d1), append(without, d0), append(py, d2)
	}
	perTick := (statsOf(with).median - statsOf(without).median) / time.Duration(calls)
	pyLoop := statsOf(py).median
	ticks := loop / pythonTickInterval
	share := 100 * float64(perTick) * float64(ticks) / float64(pyLoop)
	fmt.Fprintf(w, "### What live fuel costs a compute loop\n\nCPython's eval loop calls the host's `wasmplay.fuel_tick` every %d eval-breaker checks, so that its fuel count is seen live and a cancel stops it with the count exact. One tick costs %s (a WAT loop calling it %d times against the same loop without the call, medians of %d interleaved rounds). Python `for _ in range(%d): pass` takes %s and makes %d ticks: %.2f%% of its time.\n\n",
		pythonTickInterval, ns(perTick), calls, rounds, loop, ms(pyLoop), ticks, share)
	return nil
}

// ns formats a short duration in nanoseconds.
func ns(d time.Duration) string { return fmt.Sprintf("%d ns", d.Nanoseconds()) }
