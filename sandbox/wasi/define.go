package wasi

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Every run defines its 47 host functions in a fresh linker, bound to its
// own Host. wasmtime-go's FuncWrap infers each function's wasm type by
// reflection and builds it anew, with a finalizer for every value type:
// about 6 % of a warm run. FuncTypes builds the types once per process,
// and bind turns each host method into a FuncNew callback by a type switch,
// so a call to the host goes through no reflection either.

// FuncTypes holds the wasm type of each shape of host function Funcs
// lists. Build it once (NewFuncTypes) and pass it to every Define. The C
// API fills a function type's parameter and result lists in lazily, and
// that is not safe from two threads at once (it aborted a batch of
// concurrent runs): the lists are filled in here, and definitions with
// these types are made one at a time (mu).
type FuncTypes struct {
	mu      sync.Mutex
	byShape map[reflect.Type]*wasmtime.FuncType
}

// NewFuncTypes builds the wasm types of the host functions.
func NewFuncTypes() (*FuncTypes, error) {
	t := &FuncTypes{byShape: map[reflect.Type]*wasmtime.FuncType{}}
	for _, f := range new(Host).Funcs() {
		shape := reflect.TypeOf(f.Fn)
		if _, ok := t.byShape[shape]; ok {
			continue
		}
		ty, err := funcTypeOf(shape)
		if err != nil {
			return nil, fmt.Errorf("wasi: %s: %w", f.Name, err)
		}
		ty.Params()
		ty.Results()
		t.byShape[shape] = ty
	}
	return t, nil
}

// funcTypeOf is the wasm type of a host method: after the *Caller, int32
// and int64 parameters; one int32 result, and optionally a *Trap.
func funcTypeOf(shape reflect.Type) (*wasmtime.FuncType, error) {
	if shape.Kind() != reflect.Func || shape.NumIn() == 0 || shape.In(0) != reflect.TypeOf((*wasmtime.Caller)(nil)) {
		return nil, fmt.Errorf("%s does not take a *wasmtime.Caller first", shape)
	}
	var params []*wasmtime.ValType
	for i := 1; i < shape.NumIn(); i++ {
		switch shape.In(i).Kind() {
		case reflect.Int32:
			params = append(params, wasmtime.NewValType(wasmtime.KindI32))
		case reflect.Int64:
			params = append(params, wasmtime.NewValType(wasmtime.KindI64))
		default:
			return nil, fmt.Errorf("%s: parameter %d is not an int32 or int64", shape, i)
		}
	}
	trap := reflect.TypeOf((*wasmtime.Trap)(nil))
	if shape.NumOut() == 0 || shape.Out(0).Kind() != reflect.Int32 || shape.NumOut() > 2 ||
		(shape.NumOut() == 2 && shape.Out(1) != trap) {
		return nil, fmt.Errorf("%s does not return an int32 (and maybe a *wasmtime.Trap)", shape)
	}
	return wasmtime.NewFuncType(params, []*wasmtime.ValType{wasmtime.NewValType(wasmtime.KindI32)}), nil
}

// hostCallback is a host function as FuncNew calls it.
type hostCallback = func(*wasmtime.Caller, []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap)

// bind adapts a host method to FuncNew's calling convention, one case per
// shape the host functions have (TestBind_EveryHostFunction keeps them
// covered).
func bind(fn any) (hostCallback, error) {
	type c = *wasmtime.Caller
	type v = []wasmtime.Val
	type t = *wasmtime.Trap
	ok := func(r int32) (v, t) { return v{wasmtime.ValI32(r)}, nil }
	orTrap := func(r int32, trap t) (v, t) {
		if trap != nil {
			return nil, trap
		}
		return ok(r)
	}
	switch f := fn.(type) {
	case func(c, int32) int32:
		return func(cl c, a v) (v, t) { return ok(f(cl, a[0].I32())) }, nil
	case func(c, int32) (int32, t):
		return func(cl c, a v) (v, t) { return orTrap(f(cl, a[0].I32())) }, nil
	case func(c, int32, int32) int32:
		return func(cl c, a v) (v, t) { return ok(f(cl, a[0].I32(), a[1].I32())) }, nil
	case func(c, int32, int32, int32) int32:
		return func(cl c, a v) (v, t) { return ok(f(cl, a[0].I32(), a[1].I32(), a[2].I32())) }, nil
	case func(c, int32, int32, int32, int32) (int32, t):
		return func(cl c, a v) (v, t) { return orTrap(f(cl, a[0].I32(), a[1].I32(), a[2].I32(), a[3].I32())) }, nil
	case func(c, int32, int32, int32, int32, int32) int32:
		return func(cl c, a v) (v, t) {
			return ok(f(cl, a[0].I32(), a[1].I32(), a[2].I32(), a[3].I32(), a[4].I32()))
		}, nil
	case func(c, int32, int32, int32, int32, int32, int32) int32:
		return func(cl c, a v) (v, t) {
			return ok(f(cl, a[0].I32(), a[1].I32(), a[2].I32(), a[3].I32(), a[4].I32(), a[5].I32()))
		}, nil
	case func(c, int32, int32, int32, int32, int32, int32, int32) int32:
		return func(cl c, a v) (v, t) {
			return ok(f(cl, a[0].I32(), a[1].I32(), a[2].I32(), a[3].I32(), a[4].I32(), a[5].I32(), a[6].I32()))
		}, nil
	case func(c, int32, int32, int32, int32, int32, int64, int64, int32, int32) int32:
		return func(cl c, a v) (v, t) {
			return ok(f(cl, a[0].I32(), a[1].I32(), a[2].I32(), a[3].I32(), a[4].I32(), a[5].I64(), a[6].I64(), a[7].I32(), a[8].I32()))
		}, nil
	case func(c, int32, int32, int32, int32, int64, int64, int32) int32:
		return func(cl c, a v) (v, t) {
			return ok(f(cl, a[0].I32(), a[1].I32(), a[2].I32(), a[3].I32(), a[4].I64(), a[5].I64(), a[6].I32()))
		}, nil
	case func(c, int32, int32, int32, int64, int32) int32:
		return func(cl c, a v) (v, t) {
			return ok(f(cl, a[0].I32(), a[1].I32(), a[2].I32(), a[3].I64(), a[4].I32()))
		}, nil
	case func(c, int32, int64) int32:
		return func(cl c, a v) (v, t) { return ok(f(cl, a[0].I32(), a[1].I64())) }, nil
	case func(c, int32, int64, int32) int32:
		return func(cl c, a v) (v, t) { return ok(f(cl, a[0].I32(), a[1].I64(), a[2].I32())) }, nil
	case func(c, int32, int64, int32, int32) int32:
		return func(cl c, a v) (v, t) { return ok(f(cl, a[0].I32(), a[1].I64(), a[2].I32(), a[3].I32())) }, nil
	case func(c, int32, int64, int64) int32:
		return func(cl c, a v) (v, t) { return ok(f(cl, a[0].I32(), a[1].I64(), a[2].I64())) }, nil
	case func(c, int32, int64, int64, int32) int32:
		return func(cl c, a v) (v, t) { return ok(f(cl, a[0].I32(), a[1].I64(), a[2].I64(), a[3].I32())) }, nil
	}
	return nil, fmt.Errorf("host functions of type %T are not bound (add a case to bind)", fn)
}
