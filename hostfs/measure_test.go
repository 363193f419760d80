package hostfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Measure counts a tree whole, however many entries it has and however
// deep (to MaxMeasureDepth), where Scan stops: a quota's starting point is
// never a lower bound.
func TestMeasure_CountsPastTheListingBounds(t *testing.T) {
	dir := t.TempDir()
	// Deeper than a listing goes, with data at the bottom.
	deep := filepath.Join(dir, strings.Repeat("d/", MaxTreeDepth+4))
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(deep, "bottom"), make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	// A hard link counts once; a symlink is counted, not followed.
	os.WriteFile(filepath.Join(dir, "a"), make([]byte, 64<<10), 0o644)
	os.Link(filepath.Join(dir, "a"), filepath.Join(dir, "b"))
	os.Symlink("/", filepath.Join(dir, "root-link"))

	scan, err := Scan(dir)
	if !errors.Is(err, ErrTreeTooLarge) || !scan.Truncated {
		t.Fatalf("Scan of a deep tree: %v, truncated %v; the test needs it cut short", err, scan.Truncated)
	}
	u, err := Measure(dir)
	if err != nil {
		t.Fatal(err)
	}
	if u.Bytes < 1<<20+64<<10 || u.Bytes > 1<<20+64<<10+(MaxTreeDepth+8)*8192 {
		t.Errorf("Measure = %d bytes, want the 1 MiB at the bottom and the 64 KiB file once", u.Bytes)
	}
	if want := uint64(MaxTreeDepth + 4 + 4); u.Entries != want {
		t.Errorf("Measure = %d entries, want %d", u.Entries, want)
	}
	if u.Bytes <= scan.Usage.Bytes {
		t.Errorf("Measure (%d) does not see past Scan (%d)", u.Bytes, scan.Usage.Bytes)
	}
}

func TestMeasure_TooDeep(t *testing.T) {
	dir := t.TempDir()
	// Built by descriptor: the path is longer than PATH_MAX.
	fd, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for range MaxMeasureDepth + 1 {
		if err := mkdirAt(fd, "d"); err != nil {
			t.Fatal(err)
		}
		next, err := openDirAt(fd, "d")
		fd.Close()
		if err != nil {
			t.Fatal(err)
		}
		fd = next
	}
	fd.Close()
	if _, err := Measure(dir); !errors.Is(err, ErrTooDeepToMeasure) {
		t.Fatalf("Measure of a tree past MaxMeasureDepth: %v", err)
	}
	if u, err := Measure(filepath.Join(dir, "missing")); err != nil || u != (Usage{}) {
		t.Errorf("a missing directory: %+v, %v", u, err)
	}
}

func mkdirAt(dir *os.File, name string) error {
	return unix.Mkdirat(int(dir.Fd()), name, 0o755)
}

func openDirAt(dir *os.File, name string) (*os.File, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

func TestMountProblem(t *testing.T) {
	tests := []struct {
		dir  string
		want string // "" for none
	}{
		{t.TempDir(), ""},
		{"/proc/self", "proc"},
		{"/sys", "sysfs"},
		{"/dev", "devices"},
		{"/", "mounted beneath"},
		{"/nonexistent-wasmplay-dir", "no such file"},
	}
	for _, tt := range tests {
		got := MountProblem(tt.dir)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("MountProblem(%s) = %q, want one naming %q", tt.dir, got, tt.want)
		}
	}
}
