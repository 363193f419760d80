package wasi

import (
	"reflect"
	"sync"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Every host function has a type and a binding.
func TestBind_EveryHostFunction(t *testing.T) {
	types, err := NewFuncTypes()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range new(Host).Funcs() {
		if types.byShape[reflect.TypeOf(f.Fn)] == nil {
			t.Errorf("%s: no type", f.Name)
		}
		if _, err := bind(f.Fn); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
	if _, err := bind(func(*wasmtime.Caller, float32) int32 { return 0 }); err == nil {
		t.Error("a shape no host function has was bound")
	}
}

// A bound function gets its arguments in order, with their widths, and
// its result or its trap comes back.
func TestBind_PassesArgumentsAndResults(t *testing.T) {
	var got []int64
	call, err := bind(func(_ *wasmtime.Caller, a int32, b int64, c int64, d int32) int32 {
		got = []int64{int64(a), b, c, int64(d)}
		return 7
	})
	if err != nil {
		t.Fatal(err)
	}
	res, trap := call(nil, []wasmtime.Val{wasmtime.ValI32(-1), wasmtime.ValI64(1 << 40), wasmtime.ValI64(-5), wasmtime.ValI32(3)})
	if trap != nil || len(res) != 1 || res[0].I32() != 7 || !reflect.DeepEqual(got, []int64{-1, 1 << 40, -5, 3}) {
		t.Fatalf("results %v, trap %v, arguments %v", res, trap, got)
	}
	want := wasmtime.NewTrap("stop")
	trapping, err := bind(func(*wasmtime.Caller, int32) (int32, *wasmtime.Trap) { return 0, want })
	if err != nil {
		t.Fatal(err)
	}
	if res, trap := trapping(nil, []wasmtime.Val{wasmtime.ValI32(0)}); trap != want || res != nil {
		t.Fatalf("results %v, trap %v: the trap was not passed on", res, trap)
	}
	for _, bad := range []any{
		func(int32) int32 { return 0 },
		func(*wasmtime.Caller, string) int32 { return 0 },
		func(*wasmtime.Caller, int32) {},
		func(*wasmtime.Caller, int32) (int32, int32) { return 0, 0 },
	} {
		if _, err := funcTypeOf(reflect.TypeOf(bad)); err == nil {
			t.Errorf("%T got a wasm type", bad)
		}
	}
}

// Runs define their functions at the same time, with the same types: the
// C API must never see two threads fill in a type's lists at once (that
// aborted the process). Each round starts from new types, the moment a
// race could happen, and lets its goroutines go at once.
func TestDefine_ConcurrentRuns(t *testing.T) {
	engine := wasmtime.NewEngine()
	for range 30 {
		types, err := NewFuncTypes()
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if err := new(Host).Define(wasmtime.NewLinker(engine), types); err != nil {
					errs <- err
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
}
