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
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
)

// A cold start of CPython spends most of a short run initialising the
// interpreter. A runtime with a reactor build (runtimes.Runtime.Reactor) is
// initialised once instead: the runner calls its wasmplay_init and keeps
// the linear memory it leaves (a snapshot, cached on disk as an image of
// that memory). Each run instantiates a copy of the reactor whose data
// segments are empty (wasmdata.go), with the image mapped copy-on-write as
// its memory (capi.c), and calls wasmplay_run: nothing is copied, and a
// run faults in only the pages it touches. See
// runtimes/build/python-reactor.c for the guest's half.

// Guest entry points of a reactor build.
const (
	reactorInitialize = "_initialize"
	reactorInit       = "wasmplay_init"
	reactorRun        = "wasmplay_run"
)

// snapshotPage is the granularity at which a snapshot file stores pages
// (a zero page is a hole in the file).
const snapshotPage = 4096

// snapshotImageOffset is where a snapshot file's image of the memory
// starts: after a header region one WebAssembly page long, so the image is
// aligned to any host page size a mapping may need.
const snapshotImageOffset = run.WasmPageSize

// snapshotHeaderBytes is the part of the header region that is read: the
// magic, the memory size and the stored bytes; the rest is zero.
const snapshotHeaderBytes = 4096

// snapshotMagic starts every snapshot file; its last byte is the format
// version.
var snapshotMagic = [8]byte{'w', 'p', 's', 'n', 'a', 'p', 0, 3}

// snapshotsKept is how many snapshot files the cache keeps (the newest): a
// new one is made whenever the interpreter or its mounts change.
const snapshotsKept = 8

// memorySnapshot is the linear memory of an interpreter right after its
// initialisation, as a file holding an image of it.
type memorySnapshot struct {
	// size is the length of the linear memory in bytes.
	size uint64
	// file holds the image from snapshotImageOffset; kept open for the
	// process's lifetime (each run maps it). A snapshot file is only ever
	// replaced by a rename and removed, never truncated, so mappings stay
	// whole.
	file *os.File
	// hot are the pages a run from the snapshot writes (hotpages.go), once
	// known: from hotPath, or from this process's probe.
	hot atomic.Pointer[[]pageRange]
	// probing is set by the run that probes for the hot pages.
	probing atomic.Bool
	// hotPath is where the hot pages are kept ("" for a snapshot only in
	// memory).
	hotPath string
}

// cover grows mem, whose start is the snapshot's image mapped by the
// memory creator, over the whole image, so the guest sees the memory the
// initialisation left (the growth counts against the run's memory cap).
func (s *memorySnapshot) cover(store *wasmtime.Store, mem *wasmtime.Memory) error {
	want := s.size / run.WasmPageSize
	if have := mem.Size(store); have < want {
		if _, err := mem.Grow(store, want-have); err != nil {
			return fmt.Errorf("runner: grow memory to the snapshot's %s: %w", run.FormatBytes(s.size), err)
		}
	} else if have > want {
		return fmt.Errorf("runner: the module's memory starts at %d pages, past the snapshot's %d", have, want)
	}
	return nil
}

// snapshotImage is the memory a snapshot keeps: now, except that
// everything below deadBelow (the part of the stack the initialisation had
// returned from) is as in base, the memory of a fresh instance. It is a
// copy: now is the live memory of an instance.
func snapshotImage(base, now []byte, deadBelow uint64) []byte {
	dead := min(deadBelow/snapshotPage*snapshotPage, uint64(len(now)))
	image := slices.Clone(now)
	clear(image[:dead])
	copy(image[:dead], base[:min(dead, uint64(len(base)))])
	return image
}

// encodeSnapshotHeader is the header of a snapshot file for an image of
// size bytes of which stored are not zero pages.
func encodeSnapshotHeader(size, stored uint64) []byte {
	h := make([]byte, snapshotHeaderBytes)
	copy(h, snapshotMagic[:])
	binary.LittleEndian.PutUint64(h[8:], size)
	binary.LittleEndian.PutUint64(h[16:], stored)
	return h
}

// maxSnapshotMemory bounds the memory size a snapshot file may claim (the
// wasm32 address space).
const maxSnapshotMemory = 4 << 30

// decodeSnapshotHeader checks the header of a snapshot file fileSize bytes
// long and returns the memory size and stored bytes it gives. The image is
// mapped as guest memory, so the file must be exactly as long as the
// header says.
func decodeSnapshotHeader(h []byte, fileSize int64) (size, stored uint64, err error) {
	if len(h) < snapshotHeaderBytes || !bytes.Equal(h[:8], snapshotMagic[:]) {
		return 0, 0, errors.New("snapshot: not a wasmplay snapshot of this version")
	}
	size = binary.LittleEndian.Uint64(h[8:])
	stored = binary.LittleEndian.Uint64(h[16:])
	switch {
	case size == 0 || size > maxSnapshotMemory || size%run.WasmPageSize != 0:
		return 0, 0, fmt.Errorf("snapshot: memory size %d is not a whole number of pages up to 4 GiB", size)
	case stored > size || stored%snapshotPage != 0:
		return 0, 0, fmt.Errorf("snapshot: %d stored bytes do not fit a %d-byte memory in whole pages", stored, size)
	case !allZero(h[24:snapshotHeaderBytes]):
		return 0, 0, errors.New("snapshot: the header's padding is not zero")
	case fileSize < 0 || uint64(fileSize) != snapshotImageOffset+size:
		return 0, 0, fmt.Errorf("snapshot: the file is %d bytes, its header says %d", fileSize, snapshotImageOffset+size)
	}
	return size, stored, nil
}

// writeSnapshotFile writes image to f as a snapshot file: the header, then
// the image from snapshotImageOffset with its zero pages left as holes.
// It returns the stored bytes.
func writeSnapshotFile(f *os.File, image []byte) (uint64, error) {
	size := uint64(len(image))
	if size == 0 || size%run.WasmPageSize != 0 || size > maxSnapshotMemory {
		return 0, fmt.Errorf("snapshot: a %d-byte memory is not a whole number of pages up to 4 GiB", size)
	}
	var stored uint64
	for off := uint64(0); off < size; off += snapshotPage {
		page := image[off : off+snapshotPage]
		if allZero(page) {
			continue
		}
		if _, err := f.WriteAt(page, int64(snapshotImageOffset+off)); err != nil {
			return 0, fmt.Errorf("snapshot: write: %w", err)
		}
		stored += snapshotPage
	}
	if _, err := f.WriteAt(encodeSnapshotHeader(size, stored), 0); err != nil {
		return 0, fmt.Errorf("snapshot: write: %w", err)
	}
	if err := f.Truncate(int64(snapshotImageOffset + size)); err != nil {
		return 0, fmt.Errorf("snapshot: write: %w", err)
	}
	return stored, nil
}

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
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
// or made by create (which returns the memory image) and then stored. A
// failure is remembered: the process does not try again for the same key.
func (c *snapshotCache) get(key string, create func() ([]byte, error)) (*memorySnapshot, error) {
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
			snap.useHotPages(hotPagesPath(file))
			return
		}
		image, err := create()
		if err != nil {
			slot.err = err
			return
		}
		if snap, err := c.store(file, image); err == nil {
			slot.snap = snap
			os.Remove(hotPagesPath(file)) // of an earlier file of that name
			snap.hotPath = hotPagesPath(file)
			c.prune()
			return
		}
		// A snapshot that cannot be stored is still good for this process,
		// from a file in memory.
		slot.snap, slot.err = memorySnapshotFile(image)
	})
	return slot.snap, slot.err
}

// hotPagesPath is where the hot pages of the snapshot file path are kept.
func hotPagesPath(path string) string { return strings.TrimSuffix(path, ".snap") + ".hot" }

// useHotPages takes the snapshot's hot pages from path, if they are there.
func (s *memorySnapshot) useHotPages(path string) {
	s.hotPath = path
	if ranges, err := loadHotPages(path, s.size); err == nil {
		s.hot.Store(&ranges)
	}
}

// store writes image to path (atomically: a temp file, then a rename) and
// loads it back.
func (c *snapshotCache) store(path string, image []byte) (*memorySnapshot, error) {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	err := writeFileAtomicWith(path, 0o600, func(f *os.File) error {
		_, err := writeSnapshotFile(f, image)
		return err
	})
	if err != nil {
		return nil, err
	}
	return loadSnapshot(path)
}

// memorySnapshotFile makes a snapshot of image in an anonymous file in
// memory.
func memorySnapshotFile(image []byte) (*memorySnapshot, error) {
	fd, err := unix.MemfdCreate("wasmplay-snapshot", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("snapshot: a file in memory: %w", err)
	}
	f := os.NewFile(uintptr(fd), "wasmplay-snapshot")
	if _, err := writeSnapshotFile(f, image); err != nil {
		f.Close()
		return nil, err
	}
	return &memorySnapshot{size: uint64(len(image)), file: f}, nil
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
		os.Remove(hotPagesPath(files[i].path))
	}
}

// loadSnapshot opens a snapshot file and checks its header.
func loadSnapshot(path string) (*memorySnapshot, error) {
	f, err := hostfs.OpenRegularNoFollow(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	header := make([]byte, snapshotHeaderBytes)
	if _, err := f.ReadAt(header, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("snapshot: %s: %w", path, err)
	}
	size, _, err := decodeSnapshotHeader(header, info.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	return &memorySnapshot{size: size, file: f}, nil
}
