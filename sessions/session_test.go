package sessions

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/run"
)

func TestSession_SetRuntime(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "rt"})
	if err := s.SetRuntime("javascript"); err != nil {
		t.Fatal(err)
	}
	if s.Runtime() != "javascript" {
		t.Errorf("Runtime() = %q", s.Runtime())
	}
	again, _ := st.Resolve("rt")
	if again.Runtime() != "javascript" {
		t.Errorf("runtime not persisted: %q", again.Runtime())
	}
	wantErrIs(t, s.SetRuntime("../x"), ErrInvalidID)
}

func TestSession_SetLimits(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "pol"})
	fuel, timeout := uint64(42), 1500*time.Millisecond
	if err := s.SetLimits(run.Overrides{FuelBudget: &fuel, Timeout: &timeout}); err != nil {
		t.Fatal(err)
	}
	fuel = 0 // the Session keeps its own copy
	again, _ := st.Resolve("pol")
	p := again.Meta().Limits
	if p.FuelBudget == nil || *p.FuelBudget != 42 || p.Timeout == nil || *p.Timeout != 1500*time.Millisecond || p.MemoryBytes != nil {
		t.Errorf("limits = %+v", p)
	}
	m := again.Meta()
	*m.Limits.FuelBudget = 7
	if *again.Meta().Limits.FuelBudget != 42 {
		t.Error("Meta() shares pointers with the Session")
	}
}

// TestSession_Reload: changes by another process become visible on Reload.
func TestSession_Reload(t *testing.T) {
	st, _ := testStore(t, Options{})
	a := mustCreate(t, st, CreateOptions{ID: "shared"})
	st2, _ := openTestStore(t, st.Root(), Options{})
	b, _ := st2.Resolve("shared")
	if err := b.SetRuntime("wat"); err != nil {
		t.Fatal(err)
	}
	if a.Runtime() == "wat" {
		t.Fatal("cached meta changed without Reload")
	}
	if err := a.Reload(); err != nil || a.Runtime() != "wat" {
		t.Fatalf("after Reload runtime = %q, %v", a.Runtime(), err)
	}
	// Updates read the file afresh: a's change does not undo b's.
	if err := a.SetLimits(run.Overrides{}); err != nil {
		t.Fatal(err)
	}
	b.Reload()
	if b.Runtime() != "wat" {
		t.Errorf("lost update: runtime %q", b.Runtime())
	}
}

func TestSession_SchemaVersion(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "future"})
	p := filepath.Join(s.Dir(), metaFile)
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), `"schema": 1`, `"schema": 99`, 1)), 0o600)
	_, err := st.Resolve("future")
	wantErrIs(t, err, ErrUnsupportedSchema)
	os.WriteFile(p, []byte(`{"id":"future"}`), 0o600)
	_, err = st.Resolve("future")
	wantErrIs(t, err, ErrCorrupt)
}

func TestSession_SaveBuffer(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "buf"})
	other := mustCreate(t, st, CreateOptions{ID: "buf2"})

	if _, ok, err := s.LoadBuffer("python"); ok || err != nil {
		t.Fatalf("LoadBuffer of nothing = %v, %v", ok, err)
	}
	buffers := map[string]string{
		"python":      "print('hi')\n",
		"javascript":  "console.log(1)",
		"src/main.py": "# a file being edited\n",
		"weird%name":  "\xff\xfe raw bytes are kept",
		".hidden":     "",
	}
	for name, code := range buffers {
		if err := s.SaveBuffer(name, code); err != nil {
			t.Fatalf("SaveBuffer(%q): %v", name, err)
		}
	}
	if err := s.SaveBuffer("python", "print('v2')\n"); err != nil {
		t.Fatal(err)
	}
	buffers["python"] = "print('v2')\n"
	for name, want := range buffers {
		got, ok, err := s.LoadBuffer(name)
		if err != nil || !ok || got != want {
			t.Errorf("LoadBuffer(%q) = %q, %v, %v; want %q", name, got, ok, err, want)
		}
	}
	names, _ := s.Buffers()
	if strings.Join(names, ",") != ".hidden,javascript,python,src/main.py,weird%name" {
		t.Errorf("Buffers() = %q", names)
	}
	// Buffers never create subdirectories or leave temp files.
	des, _ := os.ReadDir(filepath.Join(s.Dir(), buffersDir))
	for _, de := range des {
		if de.IsDir() || strings.HasSuffix(de.Name(), tmpSuffix) {
			t.Errorf("unexpected entry in buffers/: %s", de.Name())
		}
	}
	if _, ok, _ := other.LoadBuffer("python"); ok {
		t.Error("buffer visible from another session")
	}
	if err := s.DeleteBuffer("javascript"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.LoadBuffer("javascript"); ok {
		t.Error("deleted buffer still there")
	}
	if err := s.DeleteBuffer("javascript"); err != nil {
		t.Errorf("deleting a missing buffer: %v", err)
	}

	for _, bad := range []string{"", "..", "../x", "a/../../b", "/etc/passwd", "a\x00b", "tab\there", "\xff", strings.Repeat("n", 201)} {
		if err := s.SaveBuffer(bad, "x"); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("SaveBuffer(%q) = %v, want ErrInvalidPath", bad, err)
		}
		if _, _, err := s.LoadBuffer(bad); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("LoadBuffer(%q) = %v, want ErrInvalidPath", bad, err)
		}
	}
}

// TestSession_AcquireOwner within one process: a second Store (as a second
// app would) is refused with this PID; after release it succeeds.
func TestSession_AcquireOwner(t *testing.T) {
	clk := newClock()
	st, _ := testStore(t, Options{Now: clk.now})
	s := mustCreate(t, st, CreateOptions{ID: "owned", Name: "mine"})
	clk.advance(time.Hour)

	release, err := s.AcquireOwner()
	if err != nil {
		t.Fatal(err)
	}
	if !s.Meta().LastUsedAt.Equal(clk.now()) {
		t.Errorf("AcquireOwner did not mark the session used")
	}
	// The same Store twice.
	_, err = s.AcquireOwner()
	wantErrIs(t, err, ErrInUse)

	st2, _ := openTestStore(t, st.Root(), Options{Now: clk.now})
	s2, _ := st2.Resolve("owned")
	_, err = s2.AcquireOwner()
	var inUse *InUseError
	if !errors.As(err, &inUse) || inUse.PID != os.Getpid() {
		t.Fatalf("second owner: %v, want InUseError with PID %d", err, os.Getpid())
	}
	if msg := err.Error(); !strings.Contains(msg, "mine (owned) is in use by PID") {
		t.Errorf("message %q", msg)
	}
	// A headless writer may still record runs meanwhile.
	if _, err := s2.AppendRun(sampleRun(1)); err != nil {
		t.Fatalf("AppendRun while owned elsewhere: %v", err)
	}

	clk.advance(time.Hour)
	release()
	release() // idempotent
	if got, _ := os.ReadFile(filepath.Join(s.Dir(), ownerLockFile)); len(got) != 0 {
		t.Errorf("owner PID left in lock file: %q", got)
	}
	s.Reload()
	if !s.Meta().LastUsedAt.Equal(clk.now()) {
		t.Errorf("release did not mark the session used")
	}
	r2, err := s2.AcquireOwner()
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	r2()
}

// TestSession_AcquireOwner_Repairs: opening a session recreates missing
// directories, cleans temp files left by a crash and re-measures its size.
func TestSession_AcquireOwner_Repairs(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "repair"})
	os.RemoveAll(filepath.Join(s.Dir(), workspaceDir))
	stale := filepath.Join(s.Dir(), ".session.json.123"+tmpSuffix)
	os.WriteFile(stale, []byte("half"), 0o600)
	// Added behind the package's back: only a re-measure sees it.
	os.WriteFile(filepath.Join(s.Dir(), "extra"), make([]byte, 5000), 0o600)

	release, err := s.AcquireOwner()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if ok, _ := isRealDir(s.WorkspaceDir()); !ok {
		t.Error("workspace not recreated")
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temp file not cleaned")
	}
	if s.Meta().Stats.SizeBytes < 5000 {
		t.Errorf("size not re-measured: %d", s.Meta().Stats.SizeBytes)
	}

	// A workspace replaced by a symlink is refused, not followed.
	release()
	os.RemoveAll(s.WorkspaceDir())
	os.Symlink(t.TempDir(), s.WorkspaceDir())
	if _, err := s.AcquireOwner(); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("AcquireOwner with symlinked workspace = %v, want ErrInvalidPath", err)
	}
	if err := s.WriteFile("x", nil); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("WriteFile with symlinked workspace = %v, want ErrInvalidPath", err)
	}
}

// TestSession_SetRuntime_Interrupted interrupts, in process, a metadata write
// after the temp file is written and before the rename: the old
// session.json is intact. (A panic still runs the writer's deferred
// cleanup; TestSession_SetRuntime_Crash kills a real process at the same
// point, leaving the temp file behind.)
func TestSession_SetRuntime_Interrupted(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "crash", Runtime: "python"})
	before, _ := os.ReadFile(filepath.Join(s.Dir(), metaFile))

	type crash struct{}
	st.testHook = func(point string) {
		if point == "atomic:before-rename" {
			panic(crash{})
		}
	}
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("hook did not fire")
			}
		}()
		s.SetRuntime("javascript")
	}()
	st.testHook = nil

	after, _ := os.ReadFile(filepath.Join(s.Dir(), metaFile))
	if string(after) != string(before) {
		t.Fatalf("session.json changed by an interrupted write:\n%s", after)
	}
	again, err := st.Resolve("crash")
	if err != nil || again.Runtime() != "python" {
		t.Fatalf("Resolve after crash = %v, %v", again, err)
	}
	if list, err := st.List(); err != nil || len(list) != 1 {
		t.Fatalf("List after crash = %v, %v", list, err)
	}
}

func TestSession_State(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "state"})
	if data, err := s.LoadVars("python"); err != nil || data != nil {
		t.Fatalf("fresh session: %q, %v", data, err)
	}
	if err := s.SetKeepVars(true); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveVars("python", []byte(`{"vars":{"x":1}}`)); err != nil {
		t.Fatal(err)
	}
	other, err := st.Resolve("state")
	if err != nil {
		t.Fatal(err)
	}
	if !other.Meta().KeepVars {
		t.Error("keep-state switch not persisted")
	}
	if data, err := other.LoadVars("python"); err != nil || string(data) != `{"vars":{"x":1}}` {
		t.Fatalf("load: %q, %v", data, err)
	}
	if data, _ := other.LoadVars("javascript"); data != nil {
		t.Errorf("state leaked across runtimes: %q", data)
	}
	if err := other.ClearVars("python"); err != nil {
		t.Fatal(err)
	}
	if data, _ := s.LoadVars("python"); data != nil {
		t.Errorf("cleared state still there: %q", data)
	}
	if err := s.SaveVars("../evil", []byte("{}")); !errors.Is(err, ErrInvalidID) {
		t.Errorf("bad runtime name: %v", err)
	}
}
