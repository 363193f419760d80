package sandbox

import (
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
