package sandbox

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

func wat(t testing.TB, text string) []byte {
	t.Helper()
	bin, err := wasmtime.Wat2Wasm(text)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// Stripping empties the active segments of memory 0 and keeps everything
// else: the module still validates, passive segments still work, and the
// segments taken out are the ones the module had.
func TestStripActiveData(t *testing.T) {
	module := wat(t, `(module
	  (memory (export "memory") 1)
	  (data (i32.const 16) "hello")
	  (data $p "passive")
	  (data (i32.const 65000) "near the top")
	  (data (i32.const 40) "")
	  (func (export "init") (memory.init $p (i32.const 200) (i32.const 0) (i32.const 7))))`)
	stripped, segments, err := stripActiveData(module)
	if err != nil {
		t.Fatal(err)
	}
	want := []dataSegment{{16, []byte("hello")}, {65000, []byte("near the top")}}
	if len(segments) != len(want) {
		t.Fatalf("segments %v, want %v", segments, want)
	}
	for i := range want {
		if segments[i].offset != want[i].offset || !bytes.Equal(segments[i].data, want[i].data) {
			t.Errorf("segment %d: %d %q, want %d %q", i, segments[i].offset, segments[i].data, want[i].offset, want[i].data)
		}
	}
	if bytes.Contains(stripped, []byte("hello")) || !bytes.Contains(stripped, []byte("passive")) {
		t.Fatal("the active bytes are still there, or the passive ones are gone")
	}
	again, none, err := stripActiveData(stripped)
	if err != nil || len(none) != 0 || !bytes.Equal(again, stripped) {
		t.Fatalf("stripping twice: %d segments, same %v, %v", len(none), bytes.Equal(again, stripped), err)
	}

	engine := wasmtime.NewEngine()
	mod, err := wasmtime.NewModule(engine, stripped)
	if err != nil {
		t.Fatalf("the stripped module does not compile: %v", err)
	}
	store := wasmtime.NewStore(engine)
	inst, err := wasmtime.NewInstance(store, mod, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inst.GetFunc(store, "init").Call(store); err != nil {
		t.Fatal(err)
	}
	mem := inst.GetExport(store, "memory").Memory().UnsafeData(store)
	if !allZero(mem[16:21]) || string(mem[200:207]) != "passive" {
		t.Fatalf("memory after instantiating: %q at 16, %q at 200", mem[16:21], mem[200:207])
	}
}

func TestStripActiveData_RefusesWhatCannotStartFromAnImage(t *testing.T) {
	good := wat(t, `(module (memory 1) (data (i32.const 8) "abc"))`)
	tests := []struct {
		name string
		wasm []byte
		want string
	}{
		{"not wasm", []byte("hello"), "not a core WebAssembly module"},
		{"offset from a global", wat(t, `(module (memory 1) (global $g i32 (i32.const 8)) (data (global.get $g) "x"))`), "not a constant"},
		{"cut short", good[:len(good)-2], "past the end"},
		{"second memory", wat(t, `(module (memory 1) (memory $m 1) (data (memory $m) (i32.const 0) "x"))`), "memory 1"},
		{"stray bytes", appendSection(good, dataSectionID, []byte{0}), "more than one data section"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := stripActiveData(tt.wasm)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// appendSection appends a section to a module's binary.
func appendSection(wasm []byte, id byte, body []byte) []byte {
	out := append(bytes.Clone(wasm), id)
	out = appendULEB(out, uint64(len(body)))
	return append(out, body...)
}

func FuzzStripActiveData(f *testing.F) {
	f.Add(wat(f, `(module (memory 1) (data (i32.const 8) "abc") (data "p"))`))
	f.Add(wat(f, `(module (memory i64 1) (data (i64.const 8) "abc"))`))
	f.Add(append(bytes.Clone(wasmHeader), dataSectionID, 3, 1, 0, 0x41))
	f.Fuzz(func(t *testing.T, wasm []byte) {
		stripped, segments, err := stripActiveData(wasm)
		if err != nil {
			return
		}
		var total int
		for _, s := range segments {
			if len(s.data) == 0 {
				t.Fatal("an empty segment was returned")
			}
			total += len(s.data)
		}
		if len(stripped)+total > len(wasm) {
			t.Fatalf("stripping grew the module: %d + %d bytes from %d", len(stripped), total, len(wasm))
		}
		again, none, err := stripActiveData(stripped)
		if err != nil || len(none) != 0 || !bytes.Equal(again, stripped) {
			t.Fatalf("stripping the stripped module: %d segments, %v", len(none), err)
		}
	})
}
