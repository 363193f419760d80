package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox/wasi"
)

// hostShimWAT gives the host functions whose guest-facing type has no
// parameters or no results (WASI's sched_yield and proc_exit, wasmplay's
// fuel_tick) their types, calling host functions that have one i32 of
// each (see wasi.ShimModule for why no host function may lack either).
const hostShimWAT = `(module
  (import "wasmplay_host" "sched_yield" (func $yield (param i32) (result i32)))
  (import "wasmplay_host" "proc_exit" (func $exit (param i32) (result i32)))
  (import "wasmplay_host" "fuel_tick" (func $tick (param i32) (result i32)))
  (func (export "sched_yield") (result i32) (call $yield (i32.const 0)))
  (func (export "proc_exit") (param i32) (drop (call $exit (local.get 0))) (unreachable))
  (func (export "fuel_tick") (drop (call $tick (i32.const 0)))))`

// loadShim returns the shim compiled for the engine wt (whose settings
// fingerprint names): deserialized from cacheDir's modules when an earlier
// process compiled it, else compiled and stored there (compiling costs a
// process about 2 ms, most of a short run's set-up; deserializing a
// fraction of one). Without a cacheDir it is compiled.
func loadShim(wt *wasmtime.Engine, fingerprint, cacheDir string) (*wasmtime.Module, error) {
	if cacheDir == "" {
		return compileShim(wt)
	}
	key := sha256.Sum256([]byte(hostShimWAT + "\n" + fingerprint))
	path := filepath.Join(cacheDir, "modules", "shim-"+hex.EncodeToString(key[:16])+".cwasm")
	if mod, err := wasmtime.NewModuleDeserializeFile(wt, path); err == nil {
		return mod, nil
	}
	mod, err := compileShim(wt)
	if err != nil {
		return nil, err
	}
	if data, err := mod.Serialize(); err == nil && os.MkdirAll(filepath.Dir(path), 0o700) == nil {
		// A cache we cannot write only costs the next process a compile.
		_ = writeFileAtomic(path, data, 0o600)
	}
	return mod, nil
}

// compileShim compiles the shim for an engine.
func compileShim(wt *wasmtime.Engine) (*wasmtime.Module, error) {
	bin, err := wasmtime.Wat2Wasm(hostShimWAT)
	if err != nil {
		return nil, fmt.Errorf("runner: the host shim: %w", err)
	}
	mod, err := wasmtime.NewModule(wt, bin)
	if err != nil {
		return nil, fmt.Errorf("runner: the host shim: %w", err)
	}
	return mod, nil
}

// linkShim instantiates the shim in a run's store, over the host halves
// already in linker, and defines its functions under their guest-facing
// names.
func linkShim(linker *wasmtime.Linker, store *wasmtime.Store, shim *wasmtime.Module) error {
	inst, err := linker.Instantiate(store, shim)
	if err != nil {
		return fmt.Errorf("runner: instantiate the host shim: %w", err)
	}
	exports := []struct{ module, name string }{{runtimes.HostModule, runtimes.HostFuelTick}}
	for _, name := range wasi.Shimmed {
		exports = append(exports, struct{ module, name string }{runtimes.WASIModule, name})
	}
	for _, e := range exports {
		fn := inst.GetFunc(store, e.name)
		if fn == nil {
			return fmt.Errorf("runner: the host shim has no %s", e.name)
		}
		if err := linker.Define(store, e.module, e.name, fn); err != nil {
			return fmt.Errorf("runner: define %s.%s: %w", e.module, e.name, err)
		}
	}
	return nil
}
