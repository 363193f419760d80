package hostfs

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// plant builds a workspace a hostile guest (or anyone) could have left:
// files, a link that stays inside, links that lead out, a named pipe.
func plant(t *testing.T) (ws, secret string) {
	t.Helper()
	ws, outside := t.TempDir(), t.TempDir()
	secret = filepath.Join(outside, "secret.txt")
	must(t, os.WriteFile(secret, []byte("top secret"), 0o600))
	must(t, os.MkdirAll(filepath.Join(ws, "dir/sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(ws, "dir/sub/file.txt"), []byte("inside"), 0o644))
	must(t, os.Symlink("dir/sub/file.txt", filepath.Join(ws, "inside-link")))
	must(t, os.Symlink(outside, filepath.Join(ws, "out-dir")))
	must(t, os.Symlink(secret, filepath.Join(ws, "out-file")))
	must(t, syscall.Mkfifo(filepath.Join(ws, "fifo"), 0o644))
	return ws, secret
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func openRoot(t *testing.T, dir string) *Root {
	t.Helper()
	r, err := OpenRoot(dir)
	must(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

// within fails the test when fn takes longer than a few seconds: the host
// must never wait on what a guest left.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s blocked", what)
	}
}

func TestRoot_ReadsStrictly(t *testing.T) {
	ws, _ := plant(t)
	r := openRoot(t, ws)
	tests := []struct {
		rel  string
		want error // nil: reads
	}{
		{"dir/sub/file.txt", nil},
		{"inside-link", ErrSymlink},
		{"out-file", ErrSymlink},
		{"out-dir/secret.txt", ErrSymlink},
		{"../" + filepath.Base(ws) + "/dir/sub/file.txt", ErrEscape},
		{"/etc/passwd", ErrEscape},
		{"fifo", ErrNotRegular},
		{"dir", ErrNotRegular},
		{"missing", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			within(t, "ReadFile "+tt.rel, func() {
				b, err := r.ReadFile(tt.rel, 1<<20)
				switch {
				case tt.want == nil && (err != nil || string(b) != "inside"):
					t.Errorf("ReadFile = %q, %v", b, err)
				case tt.want != nil && !errors.Is(err, tt.want):
					t.Errorf("ReadFile = %q, %v; want %v", b, err, tt.want)
				}
				if _, _, err := r.ReadFileHead(tt.rel, 3); (err == nil) != (tt.want == nil) {
					t.Errorf("ReadFileHead: %v", err)
				}
			})
		})
	}
}

func TestReadFile_Bounds(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	must(t, os.WriteFile(big, make([]byte, 2048), 0o644))
	if _, err := ReadFile(big, 1024); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a 2 KiB file read with a 1 KiB limit: %v", err)
	}
	if b, err := ReadFile(big, 2048); err != nil || len(b) != 2048 {
		t.Errorf("at the limit: %d bytes, %v", len(b), err)
	}
	fifo := filepath.Join(dir, "fifo")
	must(t, syscall.Mkfifo(fifo, 0o644))
	within(t, "ReadFile of a named pipe", func() {
		if _, err := ReadFile(fifo, 1024); !errors.Is(err, ErrNotRegular) {
			t.Errorf("named pipe: %v", err)
		}
	})
	for _, p := range []string{"/dev/zero", "/proc/self/status", "/proc/kmsg", "/sys/kernel/mm/transparent_hugepage/enabled"} {
		within(t, "ReadFile "+p, func() {
			if _, err := ReadFile(p, 1024); err == nil {
				t.Errorf("%s was read as a file", p)
			}
		})
	}
}

func TestRoot_Walk(t *testing.T) {
	ws, secret := plant(t)
	var seen []string
	within(t, "Walk", func() {
		must(t, openRoot(t, ws).Walk(func(rel string, info fs.FileInfo) error {
			seen = append(seen, rel+":"+KindOf(info.Mode()))
			return nil
		}))
	})
	want := []string{"dir:a directory", "dir/sub:a directory", "dir/sub/file.txt:a regular file",
		"fifo:a named pipe", "inside-link:a symbolic link", "out-dir:a symbolic link", "out-file:a symbolic link"}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("walk:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range seen {
		if strings.Contains(s, filepath.Base(secret)) {
			t.Errorf("the walk followed a link: %s", s)
		}
	}
}

func TestRoot_WalkIsBoundedInDepth(t *testing.T) {
	ws := t.TempDir()
	// Go's MkdirAll would pass PATH_MAX; build it a level at a time.
	cmd := exec.Command("sh", "-c", `i=0; while [ $i -lt `+strconv.Itoa(MaxTreeDepth+10)+` ]; do mkdir d && cd d || exit 1; i=$((i+1)); done`)
	cmd.Dir = ws
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	n := 0
	err := openRoot(t, ws).Walk(func(string, fs.FileInfo) error { n++; return nil })
	if !errors.Is(err, ErrTreeTooLarge) || n != MaxTreeDepth {
		t.Errorf("walked %d entries, %v; want %d and ErrTreeTooLarge", n, err, MaxTreeDepth)
	}
	tree, err := Scan(ws)
	if !errors.Is(err, ErrTreeTooLarge) || !tree.Truncated {
		t.Errorf("Scan: truncated %v, %v", tree.Truncated, err)
	}
	// Removing it stops at the same depth, with an error, not a hang.
	if _, err := openRoot(t, ws).RemoveAll("d"); !errors.Is(err, ErrTreeTooLarge) {
		t.Errorf("RemoveAll of a tree deeper than MaxTreeDepth: %v", err)
	}
}

func TestRoot_Changes(t *testing.T) {
	ws, secret := plant(t)
	r := openRoot(t, ws)

	// Writes replace a link rather than write through it.
	must(t, r.WriteFileAtomic("out-file", []byte("new"), 0o644, ".tmp1", true))
	if b, _ := os.ReadFile(secret); string(b) != "top secret" {
		t.Fatalf("the write went through a link: secret is now %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(ws, "out-file")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("out-file after the write: %v, %v", fi, err)
	}
	// No write, directory or rename goes through a link on the way.
	if err := r.WriteFileAtomic("out-dir/x", []byte("x"), 0o644, ".tmp2", true); !errors.Is(err, ErrSymlink) {
		t.Errorf("write through a linked directory: %v", err)
	}
	if err := r.MkdirAll("out-dir/new/deeper", 0o755); !errors.Is(err, ErrSymlink) {
		t.Errorf("mkdir through a linked directory: %v", err)
	}
	if err := r.Rename("dir/sub/file.txt", "out-dir/stolen.txt"); !errors.Is(err, ErrSymlink) {
		t.Errorf("rename into a linked directory: %v", err)
	}
	// Rename never replaces.
	must(t, r.WriteFileAtomic("a.txt", []byte("a"), 0o644, ".tmp3", true))
	if err := r.Rename("a.txt", "dir/sub/file.txt"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("rename over a file: %v", err)
	}
	must(t, r.MkdirAll("x/y/z", 0o755))
	must(t, r.Rename("a.txt", "x/y/z/a.txt"))
	// RemoveAll removes links, not what they point to.
	for _, rel := range []string{"out-dir", "inside-link", "fifo", "dir", "missing"} {
		within(t, "RemoveAll "+rel, func() {
			if _, err := r.RemoveAll(rel); err != nil {
				t.Errorf("RemoveAll(%s): %v", rel, err)
			}
		})
	}
	if _, err := os.Stat(secret); err != nil {
		t.Errorf("the secret went with the link: %v", err)
	}
	freed, err := r.RemoveAll("x")
	if err != nil || freed != 1 {
		t.Errorf("RemoveAll(x) freed %d, %v; want 1 byte", freed, err)
	}
}

func TestScan_CountsBlocksNotApparentSize(t *testing.T) {
	ws := t.TempDir()
	f, err := os.Create(filepath.Join(ws, "sparse"))
	must(t, err)
	must(t, f.Truncate(10<<30)) // 10 GiB apparent, nothing allocated
	must(t, f.Close())
	must(t, os.WriteFile(filepath.Join(ws, "dense"), make([]byte, 64<<10), 0o644))
	tree, err := Scan(ws)
	must(t, err)
	if tree.Usage.Entries != 2 || tree.Usage.Bytes < 64<<10 || tree.Usage.Bytes > 1<<20 {
		t.Errorf("usage %+v: want 2 entries, about 64 KiB", tree.Usage)
	}
	before := tree
	must(t, os.WriteFile(filepath.Join(ws, "dense"), make([]byte, 128<<10), 0o644))
	must(t, os.Remove(filepath.Join(ws, "sparse")))
	must(t, os.WriteFile(filepath.Join(ws, "new"), nil, 0o644))
	after, err := Scan(ws)
	must(t, err)
	d := Diff(before, after)
	if len(d.Created) != 1 || d.Created[0].Path != "new" || len(d.Modified) != 1 || d.Modified[0].Path != "dense" ||
		len(d.Deleted) != 1 || d.Deleted[0].Path != "sparse" {
		t.Errorf("diff %+v", d)
	}
}

func TestSweepTemp_OnlyTheDead(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	mine, err := TempDir("workspace")
	must(t, err)
	// A process that has exited: its PID names a directory nobody owns.
	cmd := exec.Command("true")
	must(t, cmd.Run())
	dead := filepath.Join(os.TempDir(), "wasmplay-"+pidNamespace()+"."+strconv.Itoa(cmd.Process.Pid)+"-workspace-x")
	must(t, os.MkdirAll(filepath.Join(dead, "inner"), 0o755))
	other := filepath.Join(os.TempDir(), "not-wasmplay-1-x")
	must(t, os.Mkdir(other, 0o755))
	// The same PID in another PID namespace (another container sharing
	// the directory) may be alive there: left alone.
	elsewhere := filepath.Join(os.TempDir(), "wasmplay-1."+strconv.Itoa(cmd.Process.Pid)+"-workspace-x")
	must(t, os.Mkdir(elsewhere, 0o755))
	if n := SweepTemp(); n < 1 {
		t.Errorf("swept %d", n)
	}
	for _, p := range []string{mine, other, elsewhere} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was swept: %v", p, err)
		}
	}
	if _, err := os.Stat(dead); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a dead process's directory was left: %v", err)
	}
}
