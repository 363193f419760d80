package sandbox

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/wasmplay/wasmplay/run"
)

// Pages written through a private mapping of a file are the written ones;
// pages only read, or never touched, are not.
func TestWrittenPages_FindsTheCopiedPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "image")
	if err := os.WriteFile(path, make([]byte, 8*snapshotPage), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem, err := unix.Mmap(int(f.Fd()), 0, 8*snapshotPage, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	mem[1*snapshotPage] = 1
	mem[2*snapshotPage+100] = 1
	_ = mem[4*snapshotPage] // read only
	mem[6*snapshotPage+4095] = 1
	got, err := writtenPages(mem)
	if err != nil {
		t.Skipf("no pagemap here: %v", err)
	}
	want := []pageRange{{1 * snapshotPage, 2 * snapshotPage}, {6 * snapshotPage, snapshotPage}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("written pages %v, want %v", got, want)
	}
	populateWritten(mem, []pageRange{{4 * snapshotPage, snapshotPage}})
	if got, _ := writtenPages(mem); len(got) != 3 {
		t.Fatalf("after populating page 4 for writing: %v", got)
	}
	if mem[4*snapshotPage] != 0 {
		t.Fatal("populating changed the page's bytes")
	}
}

func TestDecodeHotPages_RejectsBadFiles(t *testing.T) {
	const size = run.WasmPageSize
	good := encodeHotPages([]pageRange{{0, snapshotPage}, {2 * snapshotPage, 3 * snapshotPage}})
	if got, err := decodeHotPages(good, size); err != nil || len(got) != 2 {
		t.Fatalf("a good file: %v %v", got, err)
	}
	build := func(ranges ...pageRange) []byte { return encodeHotPages(ranges) }
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a wasmplay hot-pages file"},
		{"other version", append([]byte("wphot\x00\x00\x02"), good[8:]...), "not a wasmplay hot-pages file"},
		{"cut short", good[:len(good)-1], "do not match"},
		{"stray bytes", append(append([]byte(nil), good...), 0), "do not match"},
		{"not whole pages", build(pageRange{0, 100}), "whole pages"},
		{"unaligned", build(pageRange{10, snapshotPage}), "whole pages"},
		{"empty range", build(pageRange{0, 0}), "whole pages"},
		{"overlapping", build(pageRange{0, 2 * snapshotPage}, pageRange{snapshotPage, snapshotPage}), "overlaps"},
		{"touching", build(pageRange{0, snapshotPage}, pageRange{snapshotPage, snapshotPage}), "touches"},
		{"outside", build(pageRange{size, snapshotPage}), "outside"},
		{"wrapping", build(pageRange{snapshotPage, ^uint64(0) - snapshotPage + 1}), "outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeHotPages(tt.data, size)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func FuzzDecodeHotPages(f *testing.F) {
	f.Add(encodeHotPages([]pageRange{{0, snapshotPage}, {2 * snapshotPage, snapshotPage}}), uint64(run.WasmPageSize))
	f.Add([]byte("wphot\x00\x00\x01"), uint64(0))
	f.Fuzz(func(t *testing.T, data []byte, size uint64) {
		ranges, err := decodeHotPages(data, size)
		if err != nil {
			return
		}
		var end uint64
		for i, r := range ranges {
			if r.length == 0 || r.offset%snapshotPage != 0 || r.length%snapshotPage != 0 ||
				(i > 0 && r.offset <= end) || r.offset > size || r.length > size-r.offset {
				t.Fatalf("accepted range %d %+v in %d bytes", i, r, size)
			}
			end = r.offset + r.length
		}
	})
}
