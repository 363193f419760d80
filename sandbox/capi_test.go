package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/wasmplay/wasmplay/run"
)

// The runner reads two private fields of wasmtime-go (Store._ptr and
// Config._ptr) and relies on a trap code wasmtime-go gets wrong. These
// tests compare each against the public API so an upgrade cannot silently
// break them: run them whenever wasmtime-go changes.

func TestCAPI_StorePointerLayout(t *testing.T) {
	l := testLocal(t)
	store := wasmtime.NewStore(l.engine.wt)
	defer store.Close()
	got := unsafe.Pointer(wasmtimeStoreContext(store))
	if got != unsafe.Pointer(store.Context()) {
		t.Fatalf("wasmtime_store_context(storePtr(store)) = %p, store.Context() = %p: wasmtime.Store layout changed", got, store.Context())
	}
}

func TestCAPI_MemoryCreatorInstalled(t *testing.T) {
	// If configPtr read the wrong field, the memory creator would not be
	// installed and no memory would be counted.
	before := liveMemories()
	res := runJob(t, run.Job{Policy: run.DefaultPolicy(), Runtime: "wat", Code: []byte(`(module (memory (export "memory") 3) (func (export "_start")))`)})
	if res.Outcome != run.OutcomeOK {
		t.Fatalf("outcome = %s (%s)", res.Outcome, res.Message)
	}
	if res.MemoryPages != 3 || res.PeakMemoryPages != 3 {
		t.Fatalf("memory pages = %d peak %d, want 3 (the runner's allocator did not see the memory)", res.MemoryPages, res.PeakMemoryPages)
	}
	if after := liveMemories(); after != before {
		t.Errorf("live memories before %d, after %d: a run's memory was not freed", before, after)
	}
}

func TestCAPI_OutOfFuelTrapCode(t *testing.T) {
	if int(wasmtime.OutOfFuel) == trapCodeOutOfFuel {
		t.Fatalf("wasmtime.OutOfFuel is now %d, the C value: use the constant and drop trapCodeOutOfFuel", wasmtime.OutOfFuel)
	}
	engineCfg := wasmtime.NewConfig()
	engineCfg.SetConsumeFuel(true)
	engine := wasmtime.NewEngineWithConfig(engineCfg)
	store := wasmtime.NewStore(engine)
	defer store.Close()
	wasm, err := wasmtime.Wat2Wasm(`(module (func (export "f") (loop $l (br $l))))`)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := wasmtime.NewModule(engine, wasm)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := wasmtime.NewInstance(store, mod, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetFuel(1000); err != nil {
		t.Fatal(err)
	}
	_, err = inst.GetFunc(store, "f").Call(store)
	trap, ok := err.(*wasmtime.Trap)
	if !ok || trap.Code() == nil {
		t.Fatalf("expected a trap with a code, got %v", err)
	}
	if int(*trap.Code()) != trapCodeOutOfFuel {
		t.Fatalf("out-of-fuel trap code = %d, want %d", *trap.Code(), trapCodeOutOfFuel)
	}
}

func TestCAPI_GuestThreadStack(t *testing.T) {
	var size uint64
	if err := testLocal(t).engine.threads.run(func() { size = threadStackSize() }); err != nil {
		t.Fatal(err)
	}
	if size < bigStackBytes {
		t.Fatalf("guest thread stack = %d bytes, want at least %d", size, bigStackBytes)
	}
	if size < 2*MaxWasmStackBytes {
		t.Fatalf("guest thread stack %d leaves no margin above the wasm stack limit %d", size, MaxWasmStackBytes)
	}
}

// A linear memory made outside any run has nobody to cap it: the C layer
// refuses it instead of leaving it uncapped.
func TestCAPI_MemoryOutsideARunIsRefused(t *testing.T) {
	l := testLocal(t)
	store := wasmtime.NewStore(l.engine.wt)
	defer store.Close()
	wasm, err := wasmtime.Wat2Wasm(`(module (memory 1))`)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := wasmtime.NewModule(l.engine.wt, wasm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wasmtime.NewInstance(store, mod, nil); err == nil || !strings.Contains(err.Error(), "outside any run") {
		t.Fatalf("instantiating with no current run: %v, want a refusal", err)
	}
}

// A Go panic on a guest thread becomes an error, and the threads keep
// working: a host fault costs the run, never the process.
func TestCAPI_PanicOnGuestThreadIsRecovered(t *testing.T) {
	threads := testLocal(t).engine.threads
	err := threads.run(func() { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("run of a panicking function: %v", err)
	}
	ran := false
	if err := threads.run(func() { ran = true }); err != nil || !ran {
		t.Fatalf("after the panic: %v, ran %v", err, ran)
	}
}

// The C layer declares the subset of wasmtime's C API it uses (the Go
// module does not put wasmtime's include directory on our path). This
// compiles those declarations together with wasmtime's own headers from
// the wasmtime-go module, and checks the layouts the callbacks rely on, so
// a wasmtime upgrade that changes any of them fails here, not at run time.
func TestCAPI_DeclarationsMatchWasmtimeHeaders(t *testing.T) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc to check the declarations with")
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/bytecodealliance/wasmtime-go/v39").Output()
	if err != nil {
		t.Fatalf("find the wasmtime-go module: %v", err)
	}
	include := filepath.Join(strings.TrimSpace(string(out)), "build", "include")
	check := `#define WP_WITH_WASMTIME_HEADERS
#include <stddef.h>
#include "capi.h"
#define SAME_SIZE(a, b) _Static_assert(sizeof(a) == sizeof(b), #a " and " #b " differ in size")
#define SAME_OFFSET(a, b, f) _Static_assert(offsetof(a, f) == offsetof(b, f), #a "." #f " moved")
SAME_SIZE(wp_linear_memory_layout_t, wasmtime_linear_memory_t);
SAME_OFFSET(wp_linear_memory_layout_t, wasmtime_linear_memory_t, env);
SAME_OFFSET(wp_linear_memory_layout_t, wasmtime_linear_memory_t, get_memory);
SAME_OFFSET(wp_linear_memory_layout_t, wasmtime_linear_memory_t, grow_memory);
SAME_OFFSET(wp_linear_memory_layout_t, wasmtime_linear_memory_t, finalizer);
// The callback types must be wasmtime's, not merely look like them.
static wasmtime_memory_get_callback_t get_cb;
static wasmtime_memory_grow_callback_t grow_cb;
void check_callbacks(wp_memory_get_fn g, wp_memory_grow_fn gr) {
  get_cb = g;
  grow_cb = gr;
}
`
	dir := t.TempDir()
	src := filepath.Join(dir, "check.c")
	if err := os.WriteFile(src, []byte(check), 0o644); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	cmd := exec.Command(cc, "-fsyntax-only", "-Werror", "-Wall", "-Wno-unused-variable", "-Wno-unused-but-set-variable",
		"-I", include, "-I", wd, src)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the C layer's declarations do not match wasmtime's headers:\n%s", msg)
	}
}
