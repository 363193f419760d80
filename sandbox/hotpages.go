package sandbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wasmplay/wasmplay/hostfs"
)

// A run from a snapshot writes to a few hundred pages of the image that
// every run writes (CPython's refcounts, its allocator, the interpreter
// state). Each first write to a page the run had only read, or that the
// kernel mapped ahead of a read, is a copy-on-write fault that also
// flushes the page from the TLB of every core the process ran on: perf
// put 17 % of a warm print(1) in those flushes. So once per snapshot the
// runner makes a probe run of an empty script and records which pages it
// wrote (from /proc/self/pagemap: present, and no longer the file's), and
// every later run has the kernel copy those pages in one madvise per range
// (MADV_POPULATE_WRITE) before the guest starts: no fault, no flush.

// pageRange is a run of whole pages of a memory: [offset, offset+length).
type pageRange struct {
	offset, length uint64
}

// hotPagesMagic starts a hot-pages file (KEY.hot beside KEY.snap); its last
// byte is the format version.
var hotPagesMagic = [8]byte{'w', 'p', 'h', 'o', 't', 0, 0, 1}

// encodeHotPages writes ranges in the hot-pages file format: the magic, the
// count, then each range's offset and length (little-endian uint64).
func encodeHotPages(ranges []pageRange) []byte {
	out := make([]byte, 0, 16+16*len(ranges))
	out = append(out, hotPagesMagic[:]...)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(ranges)))
	for _, r := range ranges {
		out = binary.LittleEndian.AppendUint64(out, r.offset)
		out = binary.LittleEndian.AppendUint64(out, r.length)
	}
	return out
}

// decodeHotPages parses a hot-pages file for a snapshot of a size-byte
// memory: the ranges are madvised over guest memory, so each must be whole
// pages inside it, sorted and apart.
func decodeHotPages(data []byte, size uint64) ([]pageRange, error) {
	if len(data) < 16 || !bytes.Equal(data[:8], hotPagesMagic[:]) {
		return nil, errors.New("hot pages: not a wasmplay hot-pages file of this version")
	}
	count := binary.LittleEndian.Uint64(data[8:])
	body := data[16:]
	if count > uint64(len(body))/16 || uint64(len(body)) != 16*count {
		return nil, fmt.Errorf("hot pages: %d ranges do not match %d bytes", count, len(body))
	}
	ranges := make([]pageRange, 0, count)
	var end uint64
	for i := uint64(0); i < count; i++ {
		r := pageRange{binary.LittleEndian.Uint64(body[16*i:]), binary.LittleEndian.Uint64(body[16*i+8:])}
		switch {
		case r.length == 0 || r.offset%snapshotPage != 0 || r.length%snapshotPage != 0:
			return nil, fmt.Errorf("hot pages: range %d is not whole pages", i)
		case i > 0 && r.offset <= end:
			return nil, fmt.Errorf("hot pages: range %d overlaps, touches or precedes the one before", i)
		case r.offset > size || r.length > size-r.offset:
			return nil, fmt.Errorf("hot pages: range %d lies outside the %d-byte memory", i, size)
		}
		ranges = append(ranges, r)
		end = r.offset + r.length
	}
	return ranges, nil
}

// loadHotPages reads the hot-pages file at path for a snapshot of a
// size-byte memory.
func loadHotPages(path string, size uint64) ([]pageRange, error) {
	f, err := hostfs.OpenRegularNoFollow(path)
	if err != nil {
		return nil, fmt.Errorf("hot pages: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > 16+16*int64(size/snapshotPage) {
		return nil, fmt.Errorf("hot pages: %s is not a hot-pages file", path)
	}
	data := make([]byte, info.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("hot pages: %s: %w", path, err)
	}
	return decodeHotPages(data, size)
}

// Bits of a /proc/self/pagemap entry (Documentation/admin-guide/mm/pagemap.rst).
const (
	pagemapPresent  = 1 << 63
	pagemapFileOrSh = 1 << 61
)

// writtenPages returns the pages of mem (a private mapping of a snapshot
// file) this process has written to: present, and no longer the file's.
func writtenPages(mem []byte) ([]pageRange, error) {
	if len(mem) == 0 || len(mem)%snapshotPage != 0 || uintptr(unsafe.Pointer(&mem[0]))%snapshotPage != 0 {
		return nil, errors.New("hot pages: the memory is not whole pages")
	}
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return nil, fmt.Errorf("hot pages: %w", err)
	}
	defer f.Close()
	pages := len(mem) / snapshotPage
	entries := make([]byte, 8*pages)
	first := uintptr(unsafe.Pointer(&mem[0])) / snapshotPage
	if _, err := f.ReadAt(entries, int64(first)*8); err != nil {
		return nil, fmt.Errorf("hot pages: read pagemap: %w", err)
	}
	var ranges []pageRange
	for i := 0; i < pages; i++ {
		e := binary.LittleEndian.Uint64(entries[8*i:])
		if e&pagemapPresent == 0 || e&pagemapFileOrSh != 0 {
			continue
		}
		off := uint64(i) * snapshotPage
		if n := len(ranges); n > 0 && ranges[n-1].offset+ranges[n-1].length == off {
			ranges[n-1].length += snapshotPage
		} else {
			ranges = append(ranges, pageRange{off, snapshotPage})
		}
	}
	return ranges, nil
}

// populateWritten has the kernel give mem's hot ranges their private
// copies now. A kernel without MADV_POPULATE_WRITE (before 5.14) refuses
// the first: the run then faults them in as it goes.
func populateWritten(mem []byte, ranges []pageRange) {
	for _, r := range ranges {
		if r.offset+r.length > uint64(len(mem)) {
			return
		}
		if unix.Madvise(mem[r.offset:r.offset+r.length], unix.MADV_POPULATE_WRITE) != nil {
			return
		}
	}
}
