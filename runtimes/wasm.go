package runtimes

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/wasmplay/wasmplay/hostfs"
)

// This file is a small reader of the WebAssembly binary format (core
// specification, "Binary Format"): the header, and the import, memory and
// export sections, which say how a module links. Every other section is
// skipped by its size. It never panics on malformed input and never
// allocates more than the input can justify.

// ErrNotWasm reports data that does not start with the WebAssembly magic
// bytes "\x00asm".
var ErrNotWasm = errors.New("not a WebAssembly binary")

// ErrComponent reports a WebAssembly component (the component model, WASI
// preview 2) where a core module was expected.
var ErrComponent = errors.New("a WebAssembly component, not a core module")

// ExternKind is the kind of an import or export.
type ExternKind byte

// The kinds of imports and exports, with their binary encodings.
const (
	KindFunc   ExternKind = 0x00
	KindTable  ExternKind = 0x01
	KindMemory ExternKind = 0x02
	KindGlobal ExternKind = 0x03
	KindTag    ExternKind = 0x04
)

// String returns the kind's name as the text format writes it.
func (k ExternKind) String() string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	case KindTag:
		return "tag"
	default:
		return fmt.Sprintf("kind(0x%02x)", byte(k))
	}
}

// Limits are the size limits of a memory (in 64 KiB pages) or a table (in
// elements).
type Limits struct {
	// Min is the initial (smallest) size.
	Min uint64
	// Max is the largest size; meaningful only when HasMax is set.
	Max uint64
	// HasMax says whether a maximum is declared.
	HasMax bool
	// Shared is set for shared memories (the threads proposal).
	Shared bool
	// Is64 is set for 64-bit memories or tables (memory64).
	Is64 bool
}

// WasmPageSize is the size of one WebAssembly memory page in bytes.
const WasmPageSize = 64 << 10

// Import is one entry of a module's import section.
type Import struct {
	// Module is the module name the import comes from
	// ("wasi_snapshot_preview1").
	Module string
	// Name is the field name ("fd_write").
	Name string
	// Kind says what is imported.
	Kind ExternKind
	// Limits holds the declared limits of an imported memory or table.
	Limits Limits
}

// Export is one entry of a module's export section.
type Export struct {
	// Name is the export's name ("_start", "memory").
	Name string
	// Kind says what is exported.
	Kind ExternKind
	// Index is the exported item's index in its index space (imports first).
	Index uint32
}

// Module is what ReadModule learns from a WebAssembly core module.
type Module struct {
	// Imports lists the import section in order.
	Imports []Import
	// Exports lists the export section in order.
	Exports []Export
	// Memories lists the limits of the memories the module defines (its
	// memory section); imported memories are in Imports.
	Memories []Limits
}

// Export returns the export called name, if there is one.
func (m *Module) Export(name string) (Export, bool) {
	for _, e := range m.Exports {
		if e.Name == name {
			return e, true
		}
	}
	return Export{}, false
}

// MemoryLimits returns the limits of the memory at index idx of the memory
// index space (imported memories first, then defined ones).
func (m *Module) MemoryLimits(idx uint32) (Limits, bool) {
	var imported []Limits
	for _, imp := range m.Imports {
		if imp.Kind == KindMemory {
			imported = append(imported, imp.Limits)
		}
	}
	if uint64(idx) < uint64(len(imported)) {
		return imported[idx], true
	}
	rest := uint64(idx) - uint64(len(imported))
	if rest < uint64(len(m.Memories)) {
		return m.Memories[rest], true
	}
	return Limits{}, false
}

// FormatError reports malformed WebAssembly: what was wrong, and the byte
// offset where reading stopped.
type FormatError struct {
	// Offset is the position in the binary where the problem was found.
	Offset int
	// Problem says what is wrong.
	Problem string
}

// Error says what is malformed and where.
func (e *FormatError) Error() string {
	return fmt.Sprintf("malformed WebAssembly at byte %d: %s", e.Offset, e.Problem)
}

// ReadModuleFile reads the WebAssembly core module at path.
func ReadModuleFile(path string) (*Module, error) {
	data, err := hostfs.ReadFile(path, MaxModuleFileBytes)
	if err != nil {
		return nil, fmt.Errorf("read wasm module: %w", err)
	}
	m, err := ReadModule(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Section ids of the binary format that ReadModule looks into.
const (
	sectionCustom = 0
	sectionImport = 2
	sectionMemory = 5
	sectionExport = 7
	sectionLast   = 13 // the tag section (exception handling)
)

var (
	wasmMagic           = []byte{0x00, 0x61, 0x73, 0x6d}
	wasmVersion1        = []byte{0x01, 0x00, 0x00, 0x00}
	componentVersionTag = []byte{0x0d, 0x00} // component model: version 0x0d, layer 1
)

// ReadModule parses the header and the import, memory and export sections
// of a WebAssembly core module. It checks the structure of those parts and
// the size of every section, not the whole module's validity.
func ReadModule(data []byte) (*Module, error) {
	if len(data) < 8 {
		if len(data) >= 4 && string(data[:4]) == string(wasmMagic) {
			return nil, &FormatError{Offset: len(data), Problem: "truncated header (shorter than 8 bytes)"}
		}
		return nil, fmt.Errorf("%w (%d bytes, too short)", ErrNotWasm, len(data))
	}
	if string(data[:4]) != string(wasmMagic) {
		return nil, fmt.Errorf("%w (starts with %q)", ErrNotWasm, data[:4])
	}
	if string(data[4:8]) != string(wasmVersion1) {
		if string(data[4:6]) == string(componentVersionTag) {
			return nil, ErrComponent
		}
		return nil, &FormatError{Offset: 4, Problem: fmt.Sprintf("unsupported binary version % x (want 01 00 00 00)", data[4:8])}
	}

	r := &reader{data: data, pos: 8}
	m := &Module{}
	seen := map[byte]bool{}
	for !r.done() {
		start := r.pos
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		body, err := r.bytes(uint64(size))
		if err != nil {
			return nil, &FormatError{Offset: start, Problem: fmt.Sprintf("section %d declares %d bytes, past the end of the binary", id, size)}
		}
		if id > sectionLast {
			return nil, &FormatError{Offset: start, Problem: fmt.Sprintf("unknown section id %d", id)}
		}
		if id != sectionCustom {
			if seen[id] {
				return nil, &FormatError{Offset: start, Problem: fmt.Sprintf("section %d appears twice", id)}
			}
			seen[id] = true
		}
		sr := &reader{data: body, base: r.pos - len(body)}
		switch id {
		case sectionImport:
			m.Imports, err = readImports(sr)
		case sectionMemory:
			m.Memories, err = readMemories(sr)
		case sectionExport:
			m.Exports, err = readExports(sr)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		if !sr.done() {
			return nil, sr.fail(fmt.Sprintf("%d unread bytes at the end of section %d", len(sr.data)-sr.pos, id))
		}
	}
	return m, nil
}

func readImports(r *reader) ([]Import, error) {
	n, err := r.count(4) // module name, field name, kind, index: 4 bytes at least
	if err != nil {
		return nil, err
	}
	imports := make([]Import, 0, n)
	for i := uint32(0); i < n; i++ {
		var imp Import
		if imp.Module, err = r.name(); err != nil {
			return nil, err
		}
		if imp.Name, err = r.name(); err != nil {
			return nil, err
		}
		kind, err := r.byte()
		if err != nil {
			return nil, err
		}
		imp.Kind = ExternKind(kind)
		switch imp.Kind {
		case KindFunc:
			_, err = r.u32() // type index
		case KindTable:
			if err = r.skipType(); err == nil {
				imp.Limits, err = r.limits()
			}
		case KindMemory:
			imp.Limits, err = r.limits()
		case KindGlobal:
			if err = r.skipType(); err == nil {
				err = r.skipMutability()
			}
		case KindTag:
			if _, err = r.byte(); err == nil { // attribute (0: exception)
				_, err = r.u32() // type index
			}
		default:
			return nil, r.fail(fmt.Sprintf("import %q.%q has unknown kind 0x%02x", imp.Module, imp.Name, kind))
		}
		if err != nil {
			return nil, err
		}
		imports = append(imports, imp)
	}
	return imports, nil
}

func readMemories(r *reader) ([]Limits, error) {
	n, err := r.count(2) // flags and minimum: 2 bytes at least
	if err != nil {
		return nil, err
	}
	mems := make([]Limits, 0, n)
	for i := uint32(0); i < n; i++ {
		l, err := r.limits()
		if err != nil {
			return nil, err
		}
		mems = append(mems, l)
	}
	return mems, nil
}

func readExports(r *reader) ([]Export, error) {
	n, err := r.count(3) // name, kind, index: 3 bytes at least
	if err != nil {
		return nil, err
	}
	exports := make([]Export, 0, n)
	for i := uint32(0); i < n; i++ {
		var e Export
		if e.Name, err = r.name(); err != nil {
			return nil, err
		}
		kind, err := r.byte()
		if err != nil {
			return nil, err
		}
		if ExternKind(kind) > KindTag {
			return nil, r.fail(fmt.Sprintf("export %q has unknown kind 0x%02x", e.Name, kind))
		}
		e.Kind = ExternKind(kind)
		if e.Index, err = r.u32(); err != nil {
			return nil, err
		}
		exports = append(exports, e)
	}
	return exports, nil
}

// reader walks a byte slice; base is the slice's offset in the whole binary,
// for error messages.
type reader struct {
	data []byte
	pos  int
	base int
}

func (r *reader) done() bool { return r.pos >= len(r.data) }

func (r *reader) fail(problem string) error {
	return &FormatError{Offset: r.base + r.pos, Problem: problem}
}

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.data) {
		return 0, r.fail("unexpected end")
	}
	b := r.data[r.pos]
	r.pos++
	return b, nil
}

func (r *reader) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(r.data)-r.pos) {
		return nil, r.fail(fmt.Sprintf("need %d bytes, %d left", n, len(r.data)-r.pos))
	}
	b := r.data[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b, nil
}

// uleb reads an unsigned LEB128 number of at most bits bits.
func (r *reader) uleb(bits uint) (uint64, error) {
	var v uint64
	var shift uint
	for {
		b, err := r.byte()
		if err != nil {
			return 0, err
		}
		if shift+7 > bits && b>>(bits-shift) != 0 {
			return 0, r.fail(fmt.Sprintf("integer too large for %d bits", bits))
		}
		v |= uint64(b&0x7f) << shift
		if b&0x80 == 0 {
			return v, nil
		}
		// The check above refuses a continuation bit in the last byte, so
		// the loop ends within ceil(bits/7) bytes.
		shift += 7
	}
}

func (r *reader) u32() (uint32, error) {
	v, err := r.uleb(32)
	return uint32(v), err
}

// count reads a vector length, refusing one that the remaining bytes cannot
// hold at minBytes bytes per element.
func (r *reader) count(minBytes int) (uint32, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if uint64(n)*uint64(minBytes) > uint64(len(r.data)-r.pos) {
		return 0, r.fail(fmt.Sprintf("vector of %d entries cannot fit in the %d bytes left", n, len(r.data)-r.pos))
	}
	return n, nil
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(uint64(n))
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", r.fail(fmt.Sprintf("name %q is not valid UTF-8", b))
	}
	return string(b), nil
}

// limits reads memory or table limits: a flags byte (bit 0: has maximum,
// bit 1: shared, bit 2: 64-bit), the minimum, and the maximum if present.
func (r *reader) limits() (Limits, error) {
	flags, err := r.byte()
	if err != nil {
		return Limits{}, err
	}
	if flags > 0x07 {
		return Limits{}, r.fail(fmt.Sprintf("unknown limits flags 0x%02x", flags))
	}
	l := Limits{HasMax: flags&0x01 != 0, Shared: flags&0x02 != 0, Is64: flags&0x04 != 0}
	bits := uint(32)
	if l.Is64 {
		bits = 64
	}
	if l.Min, err = r.uleb(bits); err != nil {
		return Limits{}, err
	}
	if l.HasMax {
		if l.Max, err = r.uleb(bits); err != nil {
			return Limits{}, err
		}
	}
	return l, nil
}

// skipType skips a value or reference type: one byte (i32, funcref, ...)
// or, with the GC proposal, 0x63/0x64 followed by a heap type (a signed
// LEB128 of at most 5 bytes).
func (r *reader) skipType() error {
	b, err := r.byte()
	if err != nil || (b != 0x63 && b != 0x64) {
		return err
	}
	for i := 0; i < 5; i++ {
		if b, err = r.byte(); err != nil || b&0x80 == 0 {
			return err
		}
	}
	return r.fail("heap type too long")
}

func (r *reader) skipMutability() error {
	b, err := r.byte()
	if err != nil {
		return err
	}
	if b > 1 {
		return r.fail(fmt.Sprintf("unknown global mutability 0x%02x", b))
	}
	return nil
}
