package sessions

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/wasmplay/wasmplay/run"
)

// exportFixture makes a session with runs, workspace files, a buffer and a
// symlink pointing outside.
func exportFixture(t *testing.T) (*Store, *Session, string) {
	t.Helper()
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "exp", Name: "demo", Runtime: "python"})
	s.WriteFile("main.py", []byte("print('hi')\n"))
	s.WriteFile("data/out.txt", []byte("result"))
	s.SaveBuffer("python", "print('draft')\n")
	s.SaveBuffer("src/x.py", "x = 1\n")
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o600)
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(s.WorkspaceDir(), "leak"))

	mustAppend(t, s, sampleRun(1))
	r := sampleRun(2)
	r.Outcome, r.ExitCode, r.Stdout, r.Stderr = run.OutcomeExitNonzero, 1, "```fenced```\n\xff", "Traceback: boom\n"
	r.Files.Created = []run.FileChange{{Path: "data/out.txt", Size: 6}}
	mustAppend(t, s, r)
	return st, s, outside
}

func TestStore_Export_Dir(t *testing.T) {
	st, s, _ := exportFixture(t)
	dest := filepath.Join(t.TempDir(), "export")
	if err := st.Export("demo", dest); err != nil {
		t.Fatal(err)
	}
	got := listTree(t, dest)
	want := []string{
		"buffers/", "buffers/python", "buffers/src%2Fx.py",
		"report.json", "report.md", "session.json",
		"workspace/", "workspace/data/", "workspace/data/out.txt", "workspace/main.py",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("export tree:\n got %v\nwant %v", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "workspace", "main.py")); string(b) != "print('hi')\n" {
		t.Errorf("main.py = %q", b)
	}
	checkReports(t, s, dest)

	// Refusals: existing non-empty destination, destination inside the
	// session, unknown session.
	wantErrIs(t, st.Export("demo", dest), ErrExists)
	wantErrIs(t, st.Export("demo", filepath.Join(s.WorkspaceDir(), "x")), ErrInvalidPath)
	wantErrIs(t, st.Export("nope", filepath.Join(t.TempDir(), "y")), ErrNotFound)
	// An empty existing directory is fine.
	empty := t.TempDir()
	if err := st.Export("demo", empty); err != nil {
		t.Errorf("export into an empty directory: %v", err)
	}
}

func checkReports(t *testing.T, s *Session, dir string) {
	t.Helper()
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	for _, want := range []string{
		"# wasmplay session demo (exp)", "| 2 |", "## Run 2: exit_nonzero", "Traceback: boom",
		"````\n```fenced```", // fence longer than the backticks inside
		"not valid UTF-8", "`data/out.txt` (6 B)", "Not exported", "`leak` (a symbolic link: links are never copied)",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	var rep struct {
		Session   Meta
		Runs      []RunRecord
		Workspace []FileEntry
	}
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report.json: %v\n%s", err, b)
	}
	if rep.Session.ID != "exp" || len(rep.Runs) != 2 || rep.Runs[1].Stdout != "```fenced```\n\xff" || len(rep.Workspace) != 4 {
		t.Errorf("report.json = %+v", rep)
	}
	if strings.Contains(string(md)+string(b), "secret\"") {
		t.Error("export followed the symlink")
	}
}

func TestStore_Export_Archive(t *testing.T) {
	st, s, _ := exportFixture(t)
	dir := t.TempDir()
	dest := filepath.Join(dir, "demo.tar.gz")
	if err := st.Export("exp", dest); err != nil {
		t.Fatal(err)
	}
	// Unpack with the standard library and compare with a directory export.
	unpacked := t.TempDir()
	f, err := os.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	prefix := "wasmplay-session-exp/"
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name, ok := strings.CutPrefix(h.Name, prefix)
		if !ok || strings.Contains(name, "..") {
			t.Fatalf("archive entry %q outside %s", h.Name, prefix)
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeDir {
			t.Fatalf("archive entry %q has type %c", h.Name, h.Typeflag)
		}
		p := filepath.Join(unpacked, filepath.FromSlash(name))
		if h.Typeflag == tar.TypeDir {
			os.MkdirAll(p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		b, _ := io.ReadAll(tr)
		os.WriteFile(p, b, 0o644)
	}
	checkReports(t, s, unpacked)
	if b, _ := os.ReadFile(filepath.Join(unpacked, "workspace", "data", "out.txt")); string(b) != "result" {
		t.Errorf("out.txt = %q", b)
	}
	wantErrIs(t, st.Export("exp", dest), ErrExists)
	// No temporary files left next to the archive.
	des, _ := os.ReadDir(dir)
	if len(des) != 1 {
		t.Errorf("files next to the archive: %v", des)
	}
}

func TestStore_Export_Empty(t *testing.T) {
	st, _ := testStore(t, Options{})
	mustCreate(t, st, CreateOptions{ID: "empty"})
	dest := filepath.Join(t.TempDir(), "e.tgz")
	if err := st.Export("empty", dest); err != nil {
		t.Fatal(err)
	}
	if err := st.Export("empty", filepath.Join(t.TempDir(), "d")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dest); errors.Is(err, os.ErrNotExist) {
		t.Fatal("archive missing")
	}
}

// listTree returns the relative paths under dir, directories with a
// trailing slash, sorted.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if info.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out
}

// An export writes what the workspace holds, not what its names add up
// to: a file with many links once, holes as holes (or not at all).
func TestStore_Export_LinksAndHolesAreNotInflated(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "inflate"})
	ws := s.WorkspaceDir()
	big := filepath.Join(ws, "big")
	if err := os.WriteFile(big, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := os.Link(big, filepath.Join(ws, "link"+string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 { // 3 x 60 MiB of holes: more than an archive takes
		f, err := os.Create(filepath.Join(ws, "sparse"+string(rune('0'+i))))
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(60 << 20)
		f.WriteAt([]byte("x"), 0)
		f.Close()
	}
	size, err := s.RefreshSize()
	if err != nil || size > 2<<20 {
		t.Errorf("session size %d, %v: a file with 21 names counts once, holes not at all", size, err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := st.Export("inflate", dir); err != nil {
		t.Fatal(err)
	}
	var dataBytes int64
	filepath.WalkDir(filepath.Join(dir, "workspace"), func(p string, d os.DirEntry, err error) error {
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			dataBytes += info.Sys().(*syscall.Stat_t).Blocks * 512
		}
		return nil
	})
	if dataBytes > 2<<20 {
		t.Errorf("the directory export takes %d bytes on disk", dataBytes)
	}
	if info, err := os.Stat(filepath.Join(dir, "workspace", "sparse0")); err != nil || info.Size() != 60<<20 {
		t.Errorf("a sparse file exported as a directory keeps its size: %v, %v", info, err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !strings.Contains(string(md), "another name (hard link) of") {
		t.Errorf("report.md does not say why the links were left out")
	}
	archive := filepath.Join(t.TempDir(), "out.tar.gz")
	if err := st.Export("inflate", archive); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var total int64
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		total += h.Size
	}
	if total > 70<<20 {
		t.Errorf("the archive holds %d bytes: more than the file and the 64 MiB of holes allowed", total)
	}
}
