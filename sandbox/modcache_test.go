package sandbox

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

func TestModuleCache_CheckRunsOncePerFile(t *testing.T) {
	engine, err := NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := wasmtime.Wat2Wasm(`(module (memory (export "memory") 1) (func (export "_start")))`)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tiny.wasm")
	if err := os.WriteFile(path, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	checks := 0
	check := func(string) error { checks++; return nil }
	load := func() {
		t.Helper()
		// A new cache is what a new process sees.
		c, err := NewModuleCache(engine, cacheDir)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Load(path, check, nil); err != nil {
			t.Fatal(err)
		}
	}
	load()
	load()
	if checks != 1 {
		t.Fatalf("check ran %d times for an unchanged file, want 1", checks)
	}
	// A changed file is checked again.
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	load()
	if checks != 2 {
		t.Fatalf("check ran %d times after the file changed, want 2", checks)
	}
	// A failed check is not remembered.
	other := filepath.Join(filepath.Dir(path), "other.wasm")
	if err := os.WriteFile(other, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	refusals := 0
	refuse := func(string) error { refusals++; return os.ErrInvalid }
	for range 2 {
		c, err := NewModuleCache(engine, cacheDir)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Load(other, refuse, nil); err == nil {
			t.Fatal("a failed check let the module load")
		}
	}
	if refusals != 2 {
		t.Fatalf("a failed check ran %d times in two loads, want 2", refusals)
	}
}
