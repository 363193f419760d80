package sandbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"

	"github.com/wasmplay/wasmplay/run"
)

// A cold start of CPython spends most of a short run initialising the
// interpreter. A runtime with a reactor build (runtimes.Runtime.Reactor) is
// initialised once instead: the runner calls its wasmplay_init, keeps the
// pages of linear memory that differ from a fresh instance's (a snapshot,
// cached on disk), and starts each run by instantiating the reactor,
// writing those pages back and calling wasmplay_run. See
// runtimes/build/python-reactor.c for the guest's half.

// Guest entry points of a reactor build.
const (
	reactorInitialize = "_initialize"
	reactorInit       = "wasmplay_init"
	reactorRun        = "wasmplay_run"
)

// snapshotPage is the granularity at which a snapshot records changes.
const snapshotPage = 4096

// snapshotMagic starts every snapshot file; its last byte is the format
// version.
var snapshotMagic = [8]byte{'w', 'p', 's', 'n', 'a', 'p', 0, 2}

// snapshotsKept is how many snapshot files the cache keeps (the newest): a
// new one is made whenever the interpreter or its mounts change.
const snapshotsKept = 8

// memorySnapshot is the linear memory of an interpreter right after its
// initialisation, as the ranges that differ from a fresh instance's.
type memorySnapshot struct {
	// size is the length of the linear memory in bytes.
	size uint64
	// chunks are sorted by offset, do not overlap, and lie inside size.
	chunks []snapshotChunk
	// file, for a snapshot read from the cache, is its file, kept open
	// and mapped read-only for the process's lifetime (the chunks alias
	// the mapping).
	file *os.File
}

// snapshotChunk is one changed range of a snapshot.
type snapshotChunk struct {
	offset uint64
	data   []byte
	// fileOffset is where data starts in the snapshot's file (when it has
	// one): page-aligned, as offset and len(data) are, so the chunks are
	// whole pages of the file's mapping.
	fileOffset int64
}

// bytes is the total length of the changed ranges.
func (s *memorySnapshot) bytes() uint64 {
	var n uint64
	for _, c := range s.chunks {
		n += uint64(len(c.data))
	}
	return n
}

// diffMemory builds a snapshot of now against base (the memory of a fresh
// instance), ignoring everything below deadBelow: the part of the stack the
// initialisation had returned from.
func diffMemory(base, now []byte, deadBelow uint64) *memorySnapshot {
	s := &memorySnapshot{size: uint64(len(now))}
	zero := make([]byte, snapshotPage)
	start := deadBelow / snapshotPage * snapshotPage
	for off := start; off < uint64(len(now)); off += snapshotPage {
		end := min(off+snapshotPage, uint64(len(now)))
		was := zero[:end-off]
		if off < uint64(len(base)) {
			was = base[off:min(end, uint64(len(base)))]
			if len(was) < int(end-off) {
				was = append(slices.Clone(was), zero[:int(end-off)-len(was)]...)
			}
		}
		page := now[off:end]
		if bytes.Equal(page, was) {
			continue
		}
		if n := len(s.chunks); n > 0 && s.chunks[n-1].offset+uint64(len(s.chunks[n-1].data)) == off {
			s.chunks[n-1].data = append(s.chunks[n-1].data, page...)
		} else {
			s.chunks = append(s.chunks, snapshotChunk{offset: off, data: slices.Clone(page)})
		}
	}
	return s
}

// restore writes the snapshot into mem, growing it to the snapshot's size
// first (the growth counts against the run's memory cap).
func (s *memorySnapshot) restore(store *wasmtime.Store, mem *wasmtime.Memory) error {
	want := s.size / run.WasmPageSize
	if have := mem.Size(store); have < want {
		if _, err := mem.Grow(store, want-have); err != nil {
			return fmt.Errorf("runner: grow memory to the snapshot's %s: %w", run.FormatBytes(s.size), err)
		}
	}
	data := mem.UnsafeData(store)
	if uint64(len(data)) < s.size {
		return fmt.Errorf("runner: memory is %d bytes, the snapshot %d", len(data), s.size)
	}
	// Copied, not mapped: mapping the file's pages over the guest memory
	// (MAP_PRIVATE|MAP_FIXED) made warm runs slower, 8.2-9.1 ms against
	// 6.6-7.2 ms, as each mapping costs every thread of the process a TLB
	// shootdown and each touched page a fault anyway.
	for _, c := range s.chunks {
		copy(data[c.offset:c.offset+uint64(len(c.data))], c.data)
	}
	return nil
}

// encodeSnapshot writes s in the cache's file format: the magic, the
// memory size and chunk count, each chunk's offset and length, zeros up to
// the next 4 KiB boundary, then the chunks' bytes (all integers
// little-endian uint64).
func encodeSnapshot(s *memorySnapshot) []byte {
	out := make([]byte, 0, 24+16*len(s.chunks)+int(s.bytes()))
	out = append(out, snapshotMagic[:]...)
	out = binary.LittleEndian.AppendUint64(out, s.size)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(s.chunks)))
	for _, c := range s.chunks {
		out = binary.LittleEndian.AppendUint64(out, c.offset)
		out = binary.LittleEndian.AppendUint64(out, uint64(len(c.data)))
	}
	// The chunks start on a page boundary, so they can be mapped.
	out = append(out, make([]byte, alignUp(len(out), snapshotPage)-len(out))...)
	for _, c := range s.chunks {
		out = append(out, c.data...)
	}
	return out
}

// alignUp rounds n up to a multiple of to.
func alignUp(n, to int) int { return (n + to - 1) / to * to }

// maxSnapshotMemory bounds the memory size a snapshot file may claim (the
// wasm32 address space).
const maxSnapshotMemory = 4 << 30

// decodeSnapshot parses a snapshot file, rejecting anything encodeSnapshot
// would not have written: the chunks are restored into guest memory, so
// every range is checked against the memory size. The chunks alias data.
func decodeSnapshot(data []byte) (*memorySnapshot, error) {
	if len(data) < 24 || !bytes.Equal(data[:8], snapshotMagic[:]) {
		return nil, errors.New("snapshot: not a wasmplay snapshot of this version")
	}
	s := &memorySnapshot{size: binary.LittleEndian.Uint64(data[8:])}
	count := binary.LittleEndian.Uint64(data[16:])
	if s.size > maxSnapshotMemory || s.size%run.WasmPageSize != 0 {
		return nil, fmt.Errorf("snapshot: memory size %d is not a whole number of pages up to 4 GiB", s.size)
	}
	body := data[24:]
	if count > uint64(len(body))/16 {
		return nil, fmt.Errorf("snapshot: %d chunks do not fit in %d bytes", count, len(body))
	}
	table := body[:16*count]
	start := alignUp(24+16*int(count), snapshotPage)
	if start > len(data) || !allZero(data[24+16*count:start]) {
		return nil, errors.New("snapshot: the padding before the chunks is missing or not zero")
	}
	payload := data[start:]
	var end uint64
	for i := uint64(0); i < count; i++ {
		offset := binary.LittleEndian.Uint64(table[16*i:])
		length := binary.LittleEndian.Uint64(table[16*i+8:])
		switch {
		case length == 0:
			return nil, fmt.Errorf("snapshot: chunk %d is empty", i)
		case offset < end:
			return nil, fmt.Errorf("snapshot: chunk %d overlaps or precedes the one before", i)
		case offset > s.size || length > s.size-offset:
			return nil, fmt.Errorf("snapshot: chunk %d lies outside the %d-byte memory", i, s.size)
		case length > uint64(len(payload)):
			return nil, fmt.Errorf("snapshot: chunk %d is cut short", i)
		}
		s.chunks = append(s.chunks, snapshotChunk{offset: offset, data: payload[:length:length], fileOffset: int64(len(data) - len(payload))})
		payload = payload[length:]
		end = offset + length
	}
	if len(payload) != 0 {
		return nil, fmt.Errorf("snapshot: %d stray bytes after the chunks", len(payload))
	}
	return s, nil
}

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// snapshotCache holds the snapshots of one process, made or loaded once per
// key, and the directory they are kept in between processes.
type snapshotCache struct {
	dir string

	mu    sync.Mutex
	byKey map[string]*snapshotSlot
}

// snapshotSlot is one key's snapshot, or why there is none.
type snapshotSlot struct {
	once sync.Once
	snap *memorySnapshot
	err  error
}

func newSnapshotCache(dir string) *snapshotCache {
	return &snapshotCache{dir: dir, byKey: map[string]*snapshotSlot{}}
}

// get returns the snapshot for key: from memory, from the cache directory,
// or made by create (and then stored). A failure is remembered: the process
// does not try again for the same key.
func (c *snapshotCache) get(key string, create func() (*memorySnapshot, error)) (*memorySnapshot, error) {
	c.mu.Lock()
	slot := c.byKey[key]
	if slot == nil {
		slot = &snapshotSlot{}
		c.byKey[key] = slot
	}
	c.mu.Unlock()
	slot.once.Do(func() {
		file := filepath.Join(c.dir, key+".snap")
		if snap, err := loadSnapshot(file); err == nil {
			slot.snap = snap
			return
		}
		slot.snap, slot.err = create()
		if slot.err != nil {
			return
		}
		// A snapshot that cannot be stored is still good for this process;
		// one stored is used from its mapped file, off the heap.
		if os.MkdirAll(c.dir, 0o700) == nil && writeFileAtomic(file, encodeSnapshot(slot.snap), 0o600) == nil {
			if snap, err := loadSnapshot(file); err == nil {
				slot.snap = snap
			}
			c.prune()
		}
	})
	return slot.snap, slot.err
}

// failures lists the snapshots this process could not make, and why: a
// run then starts cold, correct but slower, so tests name the cause.
func (c *snapshotCache) failures() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, key := range sortedKeys(c.byKey) {
		if err := c.byKey[key].err; err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// prune deletes all but the newest snapshotsKept snapshot files.
func (c *snapshotCache) prune() {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type file struct {
		path string
		mod  int64
	}
	var files []file
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".snap" {
			continue
		}
		if info, err := e.Info(); err == nil {
			files = append(files, file{filepath.Join(c.dir, e.Name()), info.ModTime().UnixNano()})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mod > files[j].mod })
	for i := snapshotsKept; i < len(files); i++ {
		os.Remove(files[i].path)
	}
}

// loadSnapshot maps a snapshot file read-only and decodes it, for the
// process's lifetime: what runs copy into guest memory comes from the page
// cache, never read into the heap first (a thousand page faults and a
// 4 MiB copy less for every process). Snapshot files are only ever
// replaced by a rename and removed, never truncated, so the mapping stays
// whole.
func loadSnapshot(path string) (*memorySnapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() || info.Size() == 0 || info.Size() > maxSnapshotFile {
		f.Close()
		return nil, fmt.Errorf("snapshot: %s is not a snapshot file", path)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(info.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("snapshot: map %s: %w", path, err)
	}
	snap, err := decodeSnapshot(data)
	if err != nil {
		unix.Munmap(data)
		f.Close()
		return nil, err
	}
	snap.file = f
	return snap, nil
}

// maxSnapshotFile bounds the snapshot files mapped: more than any
// interpreter's initial memory.
const maxSnapshotFile = 1 << 30
