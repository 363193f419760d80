package sandbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// A module's active data segments are copied into its linear memory every
// time it is instantiated. For a run that starts from a snapshot that copy
// is wasted (the snapshot's image holds the segments as the interpreter
// left them), so the runner instantiates a copy of the reactor whose active
// segments are empty, and maps the snapshot's image in their place (see
// memorySnapshot and capi.c). This file takes the segments out of a
// module's binary, leaving everything else byte for byte.

// wasmHeader is the magic and version every core module starts with.
var wasmHeader = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// dataSectionID is the id of a module's data section.
const dataSectionID = 11

// dataSegment is one active data segment of memory 0.
type dataSegment struct {
	offset uint64
	data   []byte
}

// stripActiveData returns a copy of the module wasm whose active data
// segments of memory 0 hold no bytes (each keeps its place, index and
// offset, so the module validates as before), with the segments taken out.
// Passive segments are left alone. A segment whose offset is not a
// constant, or a binary that does not parse, is an error: such a module
// cannot start from an image.
func stripActiveData(wasm []byte) ([]byte, []dataSegment, error) {
	if !bytes.HasPrefix(wasm, wasmHeader) {
		return nil, nil, errors.New("wasm: not a core WebAssembly module (version 1)")
	}
	out := make([]byte, 0, len(wasm))
	out = append(out, wasmHeader...)
	var segments []dataSegment
	rest := wasm[len(wasmHeader):]
	for len(rest) > 0 {
		id := rest[0]
		size, n, err := readULEB(rest[1:], 32)
		if err != nil {
			return nil, nil, fmt.Errorf("wasm: section %d: size: %w", id, err)
		}
		start := 1 + n
		if size > uint64(len(rest)-start) {
			return nil, nil, fmt.Errorf("wasm: section %d runs past the end of the module", id)
		}
		body := rest[start : start+int(size)]
		rest = rest[start+int(size):]
		if id != dataSectionID {
			out = append(out, id)
			out = appendULEB(out, size)
			out = append(out, body...)
			continue
		}
		if segments != nil {
			return nil, nil, errors.New("wasm: more than one data section")
		}
		stripped, segs, err := stripDataSection(body)
		if err != nil {
			return nil, nil, err
		}
		segments = segs
		if segments == nil {
			segments = []dataSegment{}
		}
		out = append(out, id)
		out = appendULEB(out, uint64(len(stripped)))
		out = append(out, stripped...)
	}
	return out, segments, nil
}

// stripDataSection rewrites the body of a data section.
func stripDataSection(body []byte) ([]byte, []dataSegment, error) {
	count, n, err := readULEB(body, 32)
	if err != nil {
		return nil, nil, fmt.Errorf("wasm: data section: count: %w", err)
	}
	out := appendULEB(nil, count)
	rest := body[n:]
	var segments []dataSegment
	for i := uint64(0); i < count; i++ {
		flags, n, err := readULEB(rest, 32)
		if err != nil {
			return nil, nil, fmt.Errorf("wasm: data segment %d: flags: %w", i, err)
		}
		head := rest[:n]
		rest = rest[n:]
		var memory uint64
		switch flags {
		case 0: // active, memory 0
		case 1: // passive: kept as it is
			_, n, err := readVec(rest)
			if err != nil {
				return nil, nil, fmt.Errorf("wasm: data segment %d: %w", i, err)
			}
			out = append(out, head...)
			out = append(out, rest[:n]...)
			rest = rest[n:]
			continue
		case 2: // active, explicit memory
			memory, n, err = readULEB(rest, 32)
			if err != nil {
				return nil, nil, fmt.Errorf("wasm: data segment %d: memory: %w", i, err)
			}
			head = append(slices.Clone(head), rest[:n]...)
			rest = rest[n:]
		default:
			return nil, nil, fmt.Errorf("wasm: data segment %d: unknown flags %d", i, flags)
		}
		offset, n, err := readConstOffset(rest)
		if err != nil {
			return nil, nil, fmt.Errorf("wasm: data segment %d: %w", i, err)
		}
		expr := rest[:n]
		rest = rest[n:]
		payload, n, err := readVec(rest)
		if err != nil {
			return nil, nil, fmt.Errorf("wasm: data segment %d: %w", i, err)
		}
		rest = rest[n:]
		if memory != 0 {
			return nil, nil, fmt.Errorf("wasm: data segment %d initialises memory %d; only memory 0 can start from an image", i, memory)
		}
		out = append(out, head...)
		out = append(out, expr...)
		out = appendULEB(out, 0)
		if len(payload) > 0 {
			segments = append(segments, dataSegment{offset: offset, data: payload})
		}
	}
	if len(rest) != 0 {
		return nil, nil, fmt.Errorf("wasm: data section: %d stray bytes after its segments", len(rest))
	}
	return out, segments, nil
}

// readConstOffset reads an offset expression that is a single constant
// (`i32.const N end` or, for a 64-bit memory, `i64.const N end`) and
// returns its value and length.
func readConstOffset(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, errors.New("offset: missing")
	}
	var bits uint
	switch b[0] {
	case 0x41: // i32.const
		bits = 32
	case 0x42: // i64.const
		bits = 64
	default:
		return 0, 0, fmt.Errorf("offset: opcode 0x%02x is not a constant", b[0])
	}
	v, n, err := readSLEB(b[1:], bits)
	if err != nil {
		return 0, 0, fmt.Errorf("offset: %w", err)
	}
	end := 1 + n
	if end >= len(b) || b[end] != 0x0b {
		return 0, 0, errors.New("offset: the expression is more than one constant")
	}
	if bits == 32 {
		return uint64(uint32(v)), end + 1, nil
	}
	return uint64(v), end + 1, nil
}

// readVec reads a byte vector (a length, then that many bytes) and returns
// its bytes and the total length read.
func readVec(b []byte) ([]byte, int, error) {
	size, n, err := readULEB(b, 32)
	if err != nil {
		return nil, 0, fmt.Errorf("bytes: length: %w", err)
	}
	if size > uint64(len(b)-n) {
		return nil, 0, fmt.Errorf("bytes: %d bytes run past the end of the section", size)
	}
	return b[n : n+int(size)], n + int(size), nil
}

// readULEB reads an unsigned LEB128 number of at most bits bits.
func readULEB(b []byte, bits uint) (uint64, int, error) {
	v, n := binary.Uvarint(b)
	switch {
	case n == 0:
		return 0, 0, errors.New("unexpected end")
	case n < 0 || n > int((bits+6)/7) || (bits < 64 && v >= 1<<bits):
		return 0, 0, errors.New("number too large")
	}
	return v, n, nil
}

// readSLEB reads a signed LEB128 number of at most bits bits.
func readSLEB(b []byte, bits uint) (int64, int, error) {
	var v int64
	var shift uint
	for i := 0; i < len(b) && i < int((bits+6)/7); i++ {
		c := b[i]
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("signed number cut short or too long")
}

// appendULEB appends v as unsigned LEB128.
func appendULEB(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }
