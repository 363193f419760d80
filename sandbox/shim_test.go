package sandbox

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sandbox/wasi"
)

// wasmArity counts the wasm parameters and results of a Go host function
// as wasmtime-go's FuncWrap sees it (*Caller and *Trap are not values).
func wasmArity(fn any) (params, results int) {
	t := reflect.TypeOf(fn)
	caller, trap := reflect.TypeOf(&wasmtime.Caller{}), reflect.TypeOf(&wasmtime.Trap{})
	for i := 0; i < t.NumIn(); i++ {
		if t.In(i) != caller {
			params++
		}
	}
	for i := 0; i < t.NumOut(); i++ {
		if t.Out(i) != trap {
			results++
		}
	}
	return params, results
}

// No host function has an empty parameter or result list: wasmtime-go
// passes those a dangling pointer the Go runtime may find on the stack
// during a call, and a garbage collection then kills the process (see
// wasi.ShimModule). The shim gives the guest the types it imports.
func TestHostFunctions_EachHasAParameterAndAResult(t *testing.T) {
	x := &execution{}
	funcs := append(new(wasi.Host).Funcs(), wasi.HostFunc{Module: wasi.ShimModule, Name: "fuel_tick", Fn: x.fuelTick})
	for _, f := range funcs {
		if p, r := wasmArity(f.Fn); p == 0 || r == 0 {
			t.Errorf("%s.%s has %d parameters and %d results", f.Module, f.Name, p, r)
		}
	}
}

// A guest calling sched_yield in a tight loop, and one exiting through
// proc_exit, run as before through the shim.
func TestHostShim_YieldAndExit(t *testing.T) {
	const wat = `(module
  (import "wasi_snapshot_preview1" "sched_yield" (func $y (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32)
    (loop $l
      (if (call $y) (then unreachable))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 20000))))
    (call $exit (i32.const 7))))`
	res := runJob(t, run.Job{Runtime: "wat", Code: []byte(wat), Policy: run.DefaultPolicy()})
	if res.Outcome != run.OutcomeExitNonzero || res.ExitCode != 7 {
		t.Fatalf("outcome %s exit %d: %s", res.Outcome, res.ExitCode, res.Message)
	}
}

// The shim is compiled once per machine: a later process deserializes it,
// and a cached file that does not load is compiled over.
func TestLoadShim_CachedCompiled(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "modules"), 0o700); err != nil {
		t.Fatal(err)
	}
	wt := wasmtime.NewEngineWithConfig(engineConfig(EngineOptions{}))
	fingerprint := engineFingerprint(EngineOptions{})
	exports := func(m *wasmtime.Module) []string {
		var names []string
		for _, e := range m.Exports() {
			names = append(names, e.Name())
		}
		return names
	}
	first, err := loadShim(wt, fingerprint, dir)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "modules", "shim-*.cwasm"))
	if len(files) != 1 {
		t.Fatalf("cached shims: %v", files)
	}
	again, err := loadShim(wt, fingerprint, dir)
	if err != nil || !reflect.DeepEqual(exports(again), exports(first)) {
		t.Fatalf("the cached shim: %v, exports %v against %v", err, exports(again), exports(first))
	}
	if err := os.WriteFile(files[0], []byte("not a module"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadShim(wt, fingerprint, dir); err != nil {
		t.Fatalf("a broken cached shim was not compiled over: %v", err)
	}
	if data, _ := os.ReadFile(files[0]); string(data) == "not a module" {
		t.Fatal("the broken cached shim stayed")
	}
}
