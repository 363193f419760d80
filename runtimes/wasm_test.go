package runtimes

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadModule_Testdata(t *testing.T) {
	wasiFunc := func(name string) Import {
		return Import{Module: WASIModule, Name: name, Kind: KindFunc}
	}
	tests := []struct {
		file     string
		imports  []Import
		exports  []Export
		memories []Limits
	}{
		{
			file:     "command.wasm",
			imports:  []Import{wasiFunc("proc_exit")},
			exports:  []Export{{Name: "memory", Kind: KindMemory, Index: 0}, {Name: "_start", Kind: KindFunc, Index: 1}},
			memories: []Limits{{Min: 2, Max: 16, HasMax: true}},
		},
		{
			file:    "env_import.wasm",
			imports: []Import{wasiFunc("fd_write"), {Module: "env", Name: "log", Kind: KindFunc}, {Module: "env", Name: "memory", Kind: KindMemory, Limits: Limits{Min: 1}}},
			exports: []Export{{Name: "memory", Kind: KindMemory, Index: 0}, {Name: "_start", Kind: KindFunc, Index: 2}},
		},
		{
			file:     "start_global.wasm",
			exports:  []Export{{Name: "memory", Kind: KindMemory, Index: 0}, {Name: "_start", Kind: KindGlobal, Index: 0}},
			memories: []Limits{{Min: 1}},
		},
		{
			file:    "no_memory.wasm",
			exports: []Export{{Name: "_start", Kind: KindFunc, Index: 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, err := ReadModuleFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !sameEntries(m.Imports, tt.imports) {
				t.Errorf("imports = %+v, want %+v", m.Imports, tt.imports)
			}
			if !sameEntries(m.Exports, tt.exports) {
				t.Errorf("exports = %+v, want %+v", m.Exports, tt.exports)
			}
			if !sameEntries(m.Memories, tt.memories) {
				t.Errorf("memories = %+v, want %+v", m.Memories, tt.memories)
			}
		})
	}
}

// sameEntries compares two slices, a nil one equal to an empty one.
func sameEntries[T any](got, want []T) bool {
	if len(got) == 0 && len(want) == 0 {
		return true
	}
	return reflect.DeepEqual(got, want)
}

func TestModule_MemoryLimits(t *testing.T) {
	// env_import.wasm imports its memory 0 (min 1 page) and defines none.
	m, err := ReadModuleFile(filepath.Join("testdata", "env_import.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := m.MemoryLimits(0); !ok || l.Min != 1 {
		t.Errorf("MemoryLimits(0) = %+v, %v; want the imported memory, min 1", l, ok)
	}
	if _, ok := m.MemoryLimits(1); ok {
		t.Error("MemoryLimits(1) found a memory that does not exist")
	}

	// command.wasm defines memory 0 (2 to 16 pages).
	m, err = ReadModuleFile(filepath.Join("testdata", "command.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := m.MemoryLimits(0); !ok || l.Min != 2 || l.Max != 16 || !l.HasMax {
		t.Errorf("MemoryLimits(0) = %+v, %v; want min 2, max 16", l, ok)
	}
}

// header is a valid module header: magic and version 1.
var header = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

func withHeader(b ...byte) []byte {
	return append(append([]byte(nil), header...), b...)
}

func TestReadModule_Malformed(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		wantIs  error  // errors.Is target, or nil
		wantMsg string // substring of the message
	}{
		{"empty", nil, ErrNotWasm, "too short"},
		{"text", []byte("#!/bin/sh\necho hello\n"), ErrNotWasm, `starts with "#!/b"`},
		{"ELF", []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0}, ErrNotWasm, "ELF"},
		{"magic only", []byte{0x00, 0x61, 0x73, 0x6d}, nil, "truncated header"},
		{"version 2", []byte{0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00}, nil, "unsupported binary version"},
		{"component", []byte{0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}, ErrComponent, "component"},
		{"section past the end", withHeader(0x01, 0x10, 0x00), nil, "past the end"},
		{"section size cut", withHeader(0x07), nil, "unexpected end"},
		{"LEB128 of 6 bytes", withHeader(0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), nil, "too large for 32 bits"},
		{"LEB128 above 32 bits", withHeader(0x01, 0xff, 0xff, 0xff, 0xff, 0x7f), nil, "too large for 32 bits"},
		{"unknown section", withHeader(0x2a, 0x00), nil, "unknown section id 42"},
		{"duplicate export section", withHeader(0x07, 0x01, 0x00, 0x07, 0x01, 0x00), nil, "appears twice"},
		{"huge import count", withHeader(0x02, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f), nil, "cannot fit"},
		{"import name past the end", withHeader(0x02, 0x06, 0x01, 0x09, 'a', 'b', 'c', 'd'), nil, "need 9 bytes"},
		{"import name not UTF-8", withHeader(0x02, 0x07, 0x01, 0x01, 0xff, 0x01, 'f', 0x00, 0x00), nil, "not valid UTF-8"},
		{"import of unknown kind", withHeader(0x02, 0x07, 0x01, 0x01, 'm', 0x01, 'f', 0x09, 0x00), nil, "unknown kind 0x09"},
		{"memory limits flags", withHeader(0x05, 0x03, 0x01, 0x08, 0x01), nil, "unknown limits flags"},
		{"export of unknown kind", withHeader(0x07, 0x05, 0x01, 0x01, 'x', 0x05, 0x00), nil, "unknown kind 0x05"},
		{"bytes left in section", withHeader(0x07, 0x02, 0x00, 0x00), nil, "1 unread bytes"},
		{"global mutability", withHeader(0x02, 0x08, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x02), nil, "mutability"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ReadModule(tt.data)
			if err == nil {
				t.Fatalf("ReadModule = %+v, want an error", m)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %v", err, tt.wantIs)
			}
			var fe *FormatError
			if tt.wantIs == nil && !errors.As(err, &fe) {
				t.Errorf("error %q is not a *FormatError", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestReadModule_SkipsOtherSections(t *testing.T) {
	// A custom section, then a type section that is skipped whole, then an
	// export section.
	data := withHeader(
		0x00, 0x05, 0x04, 'n', 'o', 't', 'e',
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
		0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,
	)
	m, err := ReadModule(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []Export{{Name: "f", Kind: KindFunc, Index: 0}}
	if !reflect.DeepEqual(m.Exports, want) {
		t.Errorf("exports = %+v, want %+v", m.Exports, want)
	}
}

func TestReadModule_Memory64AndShared(t *testing.T) {
	// Memory section: one shared memory (flags 3: max, shared), one 64-bit
	// memory (flags 4) with a minimum above 32 bits.
	data := withHeader(0x05, 0x0b, 0x02, 0x03, 0x01, 0x02, 0x04, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)
	m, err := ReadModule(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []Limits{{Min: 1, Max: 2, HasMax: true, Shared: true}, {Min: 1 << 35, Is64: true}}
	if !reflect.DeepEqual(m.Memories, want) {
		t.Errorf("memories = %+v, want %+v", m.Memories, want)
	}
}

func TestExternKind_String(t *testing.T) {
	tests := map[ExternKind]string{KindFunc: "func", KindTable: "table", KindMemory: "memory", KindGlobal: "global", KindTag: "tag", 9: "kind(0x09)"}
	for k, want := range tests {
		if got := k.String(); got != want {
			t.Errorf("ExternKind(%d).String() = %q, want %q", byte(k), got, want)
		}
	}
}

// FuzzReadModule checks that the reader never panics and that what it
// accepts is consistent.
func FuzzReadModule(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.wasm"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(withHeader(0x05, 0x0b, 0x02, 0x03, 0x01, 0x02, 0x04, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01))
	f.Add(withHeader(0x02, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f))
	f.Add([]byte{0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadModule(data)
		if err != nil {
			if m != nil {
				t.Fatalf("ReadModule returned a module and an error: %v", err)
			}
			return
		}
		for _, e := range m.Exports {
			if e.Kind > KindTag {
				t.Fatalf("accepted export %q of unknown kind %d", e.Name, e.Kind)
			}
		}
		for _, imp := range m.Imports {
			if imp.Kind > KindTag {
				t.Fatalf("accepted import %q.%q of unknown kind %d", imp.Module, imp.Name, imp.Kind)
			}
		}
		_ = commandProblems(m) // must not panic either
	})
}
