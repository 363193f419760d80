package sessions

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSession_WriteFile(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "ws"})
	size0 := s.Meta().Stats.SizeBytes

	if err := s.WriteFile("src/pkg/main.py", []byte("print(1)\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile("notes.txt", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile("notes.txt", []byte("hello, world")); err != nil { // replace
		t.Fatal(err)
	}
	b, err := s.ReadFile("notes.txt")
	if err != nil || string(b) != "hello, world" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	// The file is where the guest will see it: /app/src/pkg/main.py.
	if b, _ := os.ReadFile(filepath.Join(s.WorkspaceDir(), "src", "pkg", "main.py")); string(b) != "print(1)\n" {
		t.Errorf("file not in the workspace directory: %q", b)
	}
	if got, want := s.Meta().Stats.SizeBytes-size0, int64(len("print(1)\n")+len("hello, world")); got < want {
		t.Errorf("size grew by %d, want at least %d", got, want)
	}
	wantErrIs(t, s.WriteFile("src", []byte("x")), ErrExists) // a directory

	files, err := s.Files()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Path+":"+string(f.Kind))
	}
	if strings.Join(got, " ") != "notes.txt:file src:dir src/pkg:dir src/pkg/main.py:file" {
		t.Errorf("Files() = %v", got)
	}
	if files[1].Size != 9 || files[0].Size != 12 {
		t.Errorf("sizes: src=%d notes=%d", files[1].Size, files[0].Size)
	}
}

func TestSession_RenameFile(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "ws"})
	s.WriteFile("a.txt", []byte("A"))
	s.WriteFile("b.txt", []byte("B"))
	if err := s.RenameFile("a.txt", "dir/moved.txt"); err != nil {
		t.Fatal(err)
	}
	if b, err := s.ReadFile("dir/moved.txt"); err != nil || string(b) != "A" {
		t.Errorf("after rename: %q, %v", b, err)
	}
	_, err := s.ReadFile("a.txt")
	wantErrIs(t, err, os.ErrNotExist)
	wantErrIs(t, s.RenameFile("b.txt", "dir/moved.txt"), ErrExists)
	wantErrIs(t, s.RenameFile("missing", "x"), os.ErrNotExist)
	if err := s.RenameFile("dir", "dir2"); err != nil {
		t.Errorf("renaming a directory: %v", err)
	}
}

func TestSession_DeleteFile(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "ws"})
	s.WriteFile("keep.txt", []byte("k"))
	s.WriteFile("tree/a/b.txt", make([]byte, 1000))
	s.WriteFile("tree/c.txt", make([]byte, 1000))
	before := s.Meta().Stats.SizeBytes
	if err := s.DeleteFile("tree"); err != nil {
		t.Fatal(err)
	}
	if after := s.Meta().Stats.SizeBytes; before-after < 2000 {
		t.Errorf("size shrank by %d, want >= 2000", before-after)
	}
	if err := s.DeleteFile("keep.txt"); err != nil {
		t.Fatal(err)
	}
	if files, _ := s.Files(); len(files) != 0 {
		t.Errorf("workspace not empty: %+v", files)
	}
	wantErrIs(t, s.DeleteFile("keep.txt"), os.ErrNotExist)
}

// TestSession_FileOps_Escape: no file operation can reach outside the
// workspace, whatever the path or the symlinks inside.
func TestSession_FileOps_Escape(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "jail"})
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	os.WriteFile(secret, []byte("top secret"), 0o600)

	// Symlinks the guest could have planted (WASI allows relative ones;
	// absolute ones are planted here from the host for good measure).
	ws := s.WorkspaceDir()
	rel, _ := filepath.Rel(ws, outside)
	mustSymlink(t, outside, filepath.Join(ws, "abs-link"))
	mustSymlink(t, rel, filepath.Join(ws, "rel-link"))
	mustSymlink(t, secret, filepath.Join(ws, "file-link"))
	mustSymlink(t, "../session.json", filepath.Join(ws, "meta-link"))
	mustSymlink(t, "notes.txt", filepath.Join(ws, "ok-link")) // stays inside
	s.WriteFile("notes.txt", []byte("inside"))

	// Files lists symlinks without following them.
	files, _ := s.Files()
	for _, f := range files {
		if strings.HasSuffix(f.Path, "-link") && f.Kind != KindSymlink {
			t.Errorf("%s listed as %s", f.Path, f.Kind)
		}
		if strings.Contains(f.Path, "secret") {
			t.Errorf("Files() followed a symlink: %s", f.Path)
		}
	}
	// Even a symlink that stays inside is not followed: the guest can
	// retarget a link between any check and its use, so the host follows
	// none. The file itself reads.
	if b, err := s.ReadFile("notes.txt"); err != nil || string(b) != "inside" {
		t.Errorf("ReadFile(notes.txt) = %q, %v", b, err)
	}

	badPaths := []string{
		"../session.json", "../../x", "a/../../x", "..", "/etc/passwd", secret, "",
		"abs-link/secret.txt", "rel-link/secret.txt", "file-link", "meta-link", "ok-link", "x\x00y", ".",
	}
	for _, p := range badPaths {
		t.Run(strings.ReplaceAll(p, "/", "|"), func(t *testing.T) {
			if _, err := s.ReadFile(p); err == nil {
				t.Errorf("ReadFile(%q) succeeded", p)
			} else if !errors.Is(err, ErrInvalidPath) {
				t.Errorf("ReadFile(%q) = %v, want ErrInvalidPath", p, err)
			}
			if p == "." {
				return // "./x" is inside; "." itself was refused above
			}
			// Writing onto a symlink is allowed: it replaces the link
			// (checked below), it never writes through it.
			if err := s.WriteFile(p, []byte("pwned")); err == nil && !strings.HasSuffix(p, "-link") {
				t.Errorf("WriteFile(%q) succeeded", p)
			}
			if err := s.WriteFile(p+"/x", []byte("pwned")); err == nil {
				t.Errorf("WriteFile(%q) succeeded", p+"/x")
			}
			if err := s.RenameFile("notes.txt", p+"/moved"); err == nil {
				t.Errorf("RenameFile to %q succeeded", p+"/moved")
			}
			if err := s.DeleteFile(p + "/secret.txt"); err == nil {
				t.Errorf("DeleteFile(%q) succeeded", p+"/secret.txt")
			}
		})
	}
	// WriteFile onto a symlink replaces the link; it never writes through.
	if err := s.WriteFile("file-link", []byte("replaced")); err != nil {
		t.Errorf("WriteFile over a symlink: %v", err)
	}
	if b, _ := os.ReadFile(secret); string(b) != "top secret" {
		t.Fatalf("file outside the workspace changed: %q", b)
	}
	if des, _ := os.ReadDir(outside); len(des) != 1 {
		t.Fatalf("files created outside the workspace: %v", des)
	}
	if b, _ := os.ReadFile(filepath.Join(s.Dir(), metaFile)); !strings.Contains(string(b), `"id": "jail"`) {
		t.Fatal("session.json damaged")
	}
	// Deleting a symlink removes the link, not its target.
	if err := s.DeleteFile("abs-link"); err != nil {
		t.Errorf("DeleteFile(symlink): %v", err)
	}
	if _, err := os.Stat(secret); err != nil {
		t.Fatal("DeleteFile followed a symlink")
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestSession_FileOps_Isolation: one session's workspace API never sees
// another's files.
func TestSession_FileOps_Isolation(t *testing.T) {
	st, _ := testStore(t, Options{})
	a := mustCreate(t, st, CreateOptions{ID: "alpha"})
	b := mustCreate(t, st, CreateOptions{ID: "beta"})
	if err := a.WriteFile("private.txt", []byte("alpha's")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReadFile("private.txt"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("beta reads alpha's file: %v", err)
	}
	if _, err := b.ReadFile("../alpha/workspace/private.txt"); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("beta reaches alpha through ..: %v", err)
	}
	if files, _ := b.Files(); len(files) != 0 {
		t.Errorf("beta lists %+v", files)
	}
	if err := b.WriteFile("private.txt", []byte("beta's")); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.ReadFile("private.txt"); string(got) != "alpha's" {
		t.Errorf("alpha's file became %q", got)
	}
}

func TestSession_ReadFileHead(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "head"})
	if err := s.WriteFile("big.txt", []byte(strings.Repeat("x", 1000))); err != nil {
		t.Fatal(err)
	}
	head, size, err := s.ReadFileHead("big.txt", 10)
	if err != nil || string(head) != "xxxxxxxxxx" || size != 1000 {
		t.Fatalf("head %q size %d err %v", head, size, err)
	}
	head, size, err = s.ReadFileHead("big.txt", 5000)
	if err != nil || len(head) != 1000 || size != 1000 {
		t.Fatalf("whole file: %d bytes, size %d, err %v", len(head), size, err)
	}
	if _, _, err := s.ReadFileHead("../escape", 10); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("escape: %v", err)
	}
}

func TestSession_ResetWorkspace(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "reset"})
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "keep.txt"), []byte("keep"), 0o644)
	s.WriteFile("a/b/c.txt", []byte("x"))
	s.WriteFile("top.txt", []byte("y"))
	mustSymlink(t, outside, filepath.Join(s.WorkspaceDir(), "link"))
	if err := s.ResetWorkspace(); err != nil {
		t.Fatal(err)
	}
	if files, err := s.Files(); err != nil || len(files) != 0 {
		t.Fatalf("after reset: %v, %v", files, err)
	}
	if _, err := os.Stat(filepath.Join(outside, "keep.txt")); err != nil {
		t.Fatalf("reset followed a link: %v", err)
	}
}
