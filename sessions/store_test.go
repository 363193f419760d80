package sessions

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wasmplay/wasmplay/run"
)

func TestStore_Open(t *testing.T) {
	dir := t.TempDir()
	// A root that does not exist yet is created, through a symlinked parent.
	real := filepath.Join(dir, "real")
	os.Mkdir(real, 0o700)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	st, err := Open(filepath.Join(link, "sessions"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(real, "sessions"); st.Root() != want {
		t.Errorf("Root() = %q, want %q (symlinks resolved)", st.Root(), want)
	}
	// A regular file is not a root.
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := Open(file, Options{}); err == nil {
		t.Error("Open(regular file) succeeded")
	}
	if _, err := Open("", Options{}); err == nil {
		t.Error(`Open("") succeeded`)
	}
}

func TestStore_Create(t *testing.T) {
	clk := newClock()
	st, _ := testStore(t, Options{Now: clk.now})

	s := mustCreate(t, st, CreateOptions{Runtime: "python"})
	if _, err := uuid.Parse(s.ID()); err != nil || uuid.MustParse(s.ID()).Version() != 4 {
		t.Errorf("default ID %q is not a UUIDv4", s.ID())
	}
	for _, p := range []string{"session.json", "history.jsonl", "workspace", "buffers"} {
		if _, err := os.Lstat(filepath.Join(s.Dir(), p)); err != nil {
			t.Errorf("new session lacks %s: %v", p, err)
		}
	}
	m := s.Meta()
	if m.Schema != SchemaVersion || m.ID != s.ID() || m.Runtime != "python" || !m.CreatedAt.Equal(clk.now()) || m.Stats.SizeBytes <= 0 {
		t.Errorf("Meta = %+v", m)
	}
	if fi, _ := os.Stat(s.Dir()); fi.Mode().Perm() != 0o700 {
		t.Errorf("session dir mode %v, want 0700", fi.Mode().Perm())
	}

	tests := []struct {
		name    string
		opts    CreateOptions
		wantErr error
	}{
		{"user ID", CreateOptions{ID: "proj"}, nil},
		{"ID taken", CreateOptions{ID: "proj"}, ErrExists},
		{"ID taken, other case", CreateOptions{ID: "PROJ"}, ErrExists},
		{"alias", CreateOptions{Name: "demo"}, nil},
		{"alias taken", CreateOptions{Name: "demo"}, ErrExists},
		{"alias equals an ID", CreateOptions{Name: "proj"}, ErrExists},
		{"ID equals an alias", CreateOptions{ID: "demo"}, ErrExists},
		{"ID and alias", CreateOptions{ID: "p2", Name: "second"}, nil},
		{"bad ID", CreateOptions{ID: "../x"}, ErrInvalidID},
		{"bad name", CreateOptions{Name: "a/b"}, ErrInvalidID},
		{"name is a UUID", CreateOptions{Name: uuid.NewString()}, ErrInvalidID},
		{"bad runtime", CreateOptions{Runtime: "py thon"}, ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := st.Create(tt.opts)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Create(%+v) = %v", tt.opts, err)
			}
			if tt.wantErr != nil {
				wantErrIs(t, err, tt.wantErr)
			}
		})
	}
	// Nothing half-made is left in the root.
	des, _ := os.ReadDir(st.Root())
	for _, de := range des {
		if strings.HasPrefix(de.Name(), creatingPrefix) {
			t.Errorf("staging directory %s left behind", de.Name())
		}
	}
}

func TestStore_Create_UUIDOnly(t *testing.T) {
	st, _ := testStore(t, Options{UUIDOnly: true})
	_, err := st.Create(CreateOptions{ID: "proj"})
	wantErrIs(t, err, ErrInvalidID)
	id := uuid.NewString()
	s := mustCreate(t, st, CreateOptions{ID: strings.ToUpper(id), Name: "proj"})
	if s.ID() != id || s.Name() != "proj" {
		t.Errorf("got ID %q name %q, want %q proj", s.ID(), s.Name(), id)
	}
}

func TestStore_ReservedAndCaseOnlyNames(t *testing.T) {
	st, _ := testStore(t, Options{})
	for _, name := range []string{"con", "NUL", "Com1", "lpt9", "aux"} {
		_, err := st.Create(CreateOptions{ID: name})
		wantErrIs(t, err, ErrInvalidID)
		_, err = st.Create(CreateOptions{Name: name})
		wantErrIs(t, err, ErrInvalidID)
	}
	mustCreate(t, st, CreateOptions{ID: "console", Name: "com10"}) // only the exact names are reserved
	mustCreate(t, st, CreateOptions{ID: "demo"})
	for _, opts := range []CreateOptions{{ID: "DEMO"}, {Name: "Demo"}} {
		_, err := st.Create(opts)
		wantErrIs(t, err, ErrExists)
	}
}

func TestStore_Resolve(t *testing.T) {
	st, _ := testStore(t, Options{})
	a := mustCreate(t, st, CreateOptions{ID: "aaaa1111", Name: "alpha"})
	mustCreate(t, st, CreateOptions{ID: "aaaa2222"})
	u := mustCreate(t, st, CreateOptions{})

	tests := []struct {
		ref     string
		wantID  string
		wantErr error
	}{
		{ref: "aaaa1111", wantID: "aaaa1111"},
		{ref: "alpha", wantID: "aaaa1111"},
		{ref: "aaaa1", wantID: "aaaa1111"},
		{ref: "aaaa2", wantID: "aaaa2222"},
		{ref: u.ID(), wantID: u.ID()},
		{ref: strings.ToUpper(u.ID()), wantID: u.ID()},
		{ref: u.ID()[:8], wantID: u.ID()},
		{ref: "aaaa", wantErr: ErrAmbiguous},
		{ref: "aaa", wantErr: ErrNotFound}, // prefixes need 4 characters
		{ref: "zzzz", wantErr: ErrNotFound},
		{ref: "Alpha", wantID: "aaaa1111"}, // one namespace, ignoring case
		{ref: "AAAA1111", wantID: "aaaa1111"},
		{ref: "AAAA2", wantID: "aaaa2222"},
		{ref: "../aaaa1111", wantErr: ErrInvalidID},
		{ref: "", wantErr: ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			s, err := st.Resolve(tt.ref)
			if tt.wantErr != nil {
				wantErrIs(t, err, tt.wantErr)
				return
			}
			if err != nil || s.ID() != tt.wantID {
				t.Fatalf("Resolve(%q) = %v, %v; want %s", tt.ref, s, err, tt.wantID)
			}
		})
	}

	var amb *AmbiguousError
	_, err := st.Resolve("aaaa")
	if !errors.As(err, &amb) || strings.Join(amb.Candidates, ",") != "aaaa1111,aaaa2222" {
		t.Errorf("ambiguous error = %v, want candidates aaaa1111,aaaa2222", err)
	}
	if !strings.Contains(err.Error(), "aaaa1111") {
		t.Errorf("ambiguous error %q does not list candidates", err)
	}
	_ = a
}

// TestStore_Resolve_Symlink: a symlink planted in the sessions root is never
// opened as a session, whether it points outside or at another session.
func TestStore_Resolve_Symlink(t *testing.T) {
	st, w := testStore(t, Options{})
	victim := mustCreate(t, st, CreateOptions{ID: "victim"})
	outside := t.TempDir()
	copyDir(t, victim.Dir(), outside) // a valid-looking session elsewhere

	for name, target := range map[string]string{"evil": outside, "alias": victim.Dir(), "rel": "victim"} {
		if err := os.Symlink(target, filepath.Join(st.Root(), name)); err != nil {
			t.Fatal(err)
		}
		_, err := st.Resolve(name)
		wantErrIs(t, err, ErrInvalidID)
		if !strings.Contains(err.Error(), "refused") {
			t.Errorf("Resolve(%s) error %q does not say refused", name, err)
		}
	}
	list, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != "victim" {
		t.Errorf("List = %+v, want only victim", list)
	}
	if !w.contains("symlink") {
		t.Errorf("no warning about the symlinks: %q", w.all())
	}
	// Delete by the symlink's name must not remove the target.
	wantErrIs(t, st.Delete("evil"), ErrInvalidID)
	if _, err := os.Stat(filepath.Join(outside, metaFile)); err != nil {
		t.Errorf("target of planted symlink damaged: %v", err)
	}
}

func TestStore_List(t *testing.T) {
	clk := newClock()
	st, w := testStore(t, Options{Now: clk.now})
	if list, err := st.List(); err != nil || len(list) != 0 {
		t.Fatalf("empty List = %v, %v", list, err)
	}
	old := mustCreate(t, st, CreateOptions{ID: "old", Runtime: "python"})
	clk.advance(time.Hour)
	busy := mustCreate(t, st, CreateOptions{ID: "busy", Runtime: "javascript"})
	clk.advance(time.Hour)
	mustCreate(t, st, CreateOptions{ID: "new"})
	clk.advance(time.Hour)
	rec := sampleRun(1)
	rec.Outcome = run.OutcomeTrap
	rec.FinishedAt = clk.now()
	mustAppend(t, busy, rec)

	// Junk that List must ignore (with a warning where it is unexpected).
	os.Mkdir(filepath.Join(st.Root(), "not a session"), 0o700)
	os.Mkdir(filepath.Join(st.Root(), "nometa"), 0o700)
	os.WriteFile(filepath.Join(st.Root(), "stray-file"), nil, 0o600)

	list, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	// A directory with a valid ID but no session.json is listed as
	// broken (so that it can be seen and deleted); its time is the
	// directory's (real, so later than the test clock).
	if list[0].ID != "nometa" || list[0].Error == "" || list[0].LastUsedAt.IsZero() {
		t.Fatalf("broken session = %+v", list[0])
	}
	list = list[1:]
	var ids []string
	for _, s := range list {
		ids = append(ids, s.ID)
		if s.Error != "" {
			t.Errorf("%s: unexpected error %q", s.ID, s.Error)
		}
	}
	if strings.Join(ids, ",") != "busy,new,old" {
		t.Fatalf("List order = %v, want busy,new,old (last used first)", ids)
	}
	b := list[0]
	if b.Runtime != "javascript" || b.Runs != 1 || b.LastOutcome != run.OutcomeTrap || b.SizeBytes <= 0 || !b.LastUsedAt.Equal(clk.now()) {
		t.Errorf("busy summary = %+v", b)
	}
	for _, sub := range []string{`"not a session"`, `nometa`, `stray-file`} {
		if !w.contains(sub) {
			t.Errorf("no warning mentioning %s: %q", sub, w.all())
		}
	}
	_ = old

	// A second Store (another process) sees changes: the cache never
	// hides a changed session.json, even one changed within the same
	// second.
	st2, _ := openTestStore(t, st.Root(), Options{Now: clk.now})
	if _, err := st2.List(); err != nil {
		t.Fatal(err)
	}
	if err := st2.Rename("old", "renamed"); err != nil {
		t.Fatal(err)
	}
	list, _ = st.List()
	if s := find(list, "old"); s == nil || s.Name != "renamed" {
		t.Errorf("after rename by another Store, List has %+v", s)
	}
}

func find(list []Summary, id string) *Summary {
	for i := range list {
		if list[i].ID == id {
			return &list[i]
		}
	}
	return nil
}

// TestStore_List_Cache checks that a warm cache is used (session.json not
// re-read) and invalidated by changes.
func TestStore_List_Cache(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "cached"})
	// Age session.json beyond the racy window so it is cacheable.
	old := time.Now().Add(-time.Minute)
	os.Chtimes(filepath.Join(s.Dir(), metaFile), old, old)
	if _, err := st.List(); err != nil {
		t.Fatal(err)
	}
	c := st.loadListCache()
	if _, ok := c.Entries["cached"]; !ok {
		t.Fatalf("cache has no entry after List: %+v", c)
	}
	// Poison the cached summary: a List that uses the cache shows it.
	e := c.Entries["cached"]
	e.Sum.Runtime = "from-cache"
	c.Entries["cached"] = e
	st.saveListCache(&c)
	list, _ := st.List()
	if list[0].Runtime != "from-cache" {
		t.Fatalf("List did not use the cache: %+v", list[0])
	}
	// Any change to session.json invalidates the entry.
	if err := s.SetRuntime("python"); err != nil {
		t.Fatal(err)
	}
	list, _ = st.List()
	if list[0].Runtime != "python" {
		t.Fatalf("List used a stale cache entry: %+v", list[0])
	}
	// A damaged cache is ignored.
	os.WriteFile(filepath.Join(st.Root(), listCacheFile), []byte("garbage"), 0o600)
	if list, err := st.List(); err != nil || len(list) != 1 {
		t.Fatalf("List with damaged cache = %v, %v", list, err)
	}
}

func TestStore_Rename(t *testing.T) {
	st, _ := testStore(t, Options{})
	mustCreate(t, st, CreateOptions{ID: "one", Name: "first"})
	mustCreate(t, st, CreateOptions{ID: "two"})

	if err := st.Rename("first", "uno"); err != nil {
		t.Fatal(err)
	}
	s, err := st.Resolve("uno")
	if err != nil || s.ID() != "one" {
		t.Fatalf("Resolve(new name) = %v, %v", s, err)
	}
	_, err = st.Resolve("first")
	wantErrIs(t, err, ErrNotFound)

	wantErrIs(t, st.Rename("two", "uno"), ErrExists) // taken by another
	wantErrIs(t, st.Rename("two", "ONE"), ErrExists) // another's ID
	wantErrIs(t, st.Rename("two", "a/b"), ErrInvalidID)
	wantErrIs(t, st.Rename("nope", "x"), ErrNotFound)
	if err := st.Rename("one", "uno"); err != nil { // same name again: fine
		t.Errorf("re-applying own name: %v", err)
	}
	if err := st.Rename("uno", ""); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.Resolve("one"); s.Name() != "" {
		t.Errorf("name not cleared: %q", s.Name())
	}
}

func TestStore_Delete(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "doomed"})
	mustAppend(t, s, sampleRun(1))
	if err := s.WriteFile("a.txt", []byte("x")); err != nil {
		t.Fatal(err)
	}
	keep := mustCreate(t, st, CreateOptions{ID: "keep"})

	if err := st.Delete("doomed"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(s.Dir()); !os.IsNotExist(err) {
		t.Errorf("session dir still there: %v", err)
	}
	wantErrIs(t, st.Delete("doomed"), ErrNotFound)
	// The old handle fails cleanly instead of recreating the session.
	_, err := s.AppendRun(sampleRun(2))
	wantErrIs(t, err, ErrNotFound)
	if _, err := os.Lstat(s.Dir()); !os.IsNotExist(err) {
		t.Errorf("append after delete recreated the directory")
	}
	des, _ := os.ReadDir(st.Root())
	for _, de := range des {
		if strings.HasPrefix(de.Name(), trashPrefix) {
			t.Errorf("trash left: %s", de.Name())
		}
	}

	// Owned by another Store (as by another app): refused with the PID.
	st2, _ := openTestStore(t, st.Root(), Options{})
	k2, _ := st2.Resolve("keep")
	release, err := k2.AcquireOwner()
	if err != nil {
		t.Fatal(err)
	}
	err = st.Delete("keep")
	var inUse *InUseError
	if !errors.As(err, &inUse) || inUse.PID != os.Getpid() {
		t.Fatalf("Delete of owned session = %v, want InUseError with our PID", err)
	}
	// Owned by this Store: allowed, and release afterwards is harmless.
	release()
	release2, err := keep.AcquireOwner()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Delete("keep"); err != nil {
		t.Fatalf("Delete of a session this Store owns: %v", err)
	}
	release2()

	// A session whose session.json is damaged can still be deleted by ID.
	bad := mustCreate(t, st, CreateOptions{ID: "broken"})
	os.WriteFile(filepath.Join(bad.Dir(), metaFile), []byte("{"), 0o600)
	_, err = st.Resolve("broken")
	wantErrIs(t, err, ErrCorrupt)
	if err := st.Delete("broken"); err != nil {
		t.Fatalf("Delete(broken) = %v", err)
	}
}

func TestStore_List_SweepsCrashLeftovers(t *testing.T) {
	st, _ := testStore(t, Options{})
	mustCreate(t, st, CreateOptions{ID: "alive"})
	// What a crash mid-create or mid-delete leaves behind.
	for _, d := range []string{creatingPrefix + "123", trashPrefix + "gone-abcd"} {
		os.MkdirAll(filepath.Join(st.Root(), d, "workspace"), 0o700)
	}
	list, err := st.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	des, _ := os.ReadDir(st.Root())
	for _, de := range des {
		if isJunk(de.Name()) {
			t.Errorf("leftover %s not swept", de.Name())
		}
	}
}

func TestStore_Prune(t *testing.T) {
	clk := newClock()
	st, _ := testStore(t, Options{Now: clk.now})
	old1 := mustCreate(t, st, CreateOptions{ID: "old1"})
	old1.WriteFile("big.bin", make([]byte, 10000))
	mustCreate(t, st, CreateOptions{ID: "old2"})
	ownedOld := mustCreate(t, st, CreateOptions{ID: "old-owned"})
	// A broken session (no session.json) long unused: never pruned blindly.
	broken := filepath.Join(st.Root(), "broken")
	os.Mkdir(broken, 0o700)
	ancient := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(broken, ancient, ancient)
	clk.advance(8 * 24 * time.Hour)
	mustCreate(t, st, CreateOptions{ID: "fresh"})

	// Another app has old-owned open.
	st2, _ := openTestStore(t, st.Root(), Options{Now: clk.now})
	o2, _ := st2.Resolve(ownedOld.ID())
	release, err := o2.AcquireOwner()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// AcquireOwner marked it used now; make it look old again for the test.
	o2.updateMeta(func(m *Meta) error { m.LastUsedAt = m.CreatedAt; return nil })

	dry, err := st.Prune(7*24*time.Hour, true)
	if err != nil {
		t.Fatal(err)
	}
	if !dry.DryRun || ids(dry.Removed) != "old1,old2" || len(dry.Skipped) != 2 || dry.Skipped[0].ID != "broken" || dry.Skipped[1].ID != "old-owned" {
		t.Fatalf("dry run report = %+v", dry)
	}
	if !strings.Contains(dry.Skipped[1].Reason, "in use by PID") || !strings.Contains(dry.Skipped[0].Reason, "unreadable") {
		t.Errorf("skip reasons %q, %q", dry.Skipped[0].Reason, dry.Skipped[1].Reason)
	}
	if dry.ReclaimedBytes < 10000 {
		t.Errorf("dry run reclaimed %d bytes, want >= 10000", dry.ReclaimedBytes)
	}
	if list, _ := st.List(); len(list) != 5 {
		t.Fatalf("dry run removed sessions: %d left", len(list))
	}

	rep, err := st.Prune(7*24*time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.DryRun || ids(rep.Removed) != "old1,old2" || rep.ReclaimedBytes != dry.ReclaimedBytes {
		t.Fatalf("prune report = %+v (dry run said %d bytes)", rep, dry.ReclaimedBytes)
	}
	list, _ := st.List()
	if ids(list) != "fresh,old-owned,broken" && ids(list) != "old-owned,fresh,broken" {
		t.Fatalf("after prune: %v", ids(list))
	}
	if _, err := st.Prune(0, true); err == nil {
		t.Error("Prune(0) accepted")
	}
}

func ids(list []Summary) string {
	var out []string
	for _, s := range list {
		out = append(out, s.ID)
	}
	return strings.Join(out, ",")
}

func TestStore_LastOpened(t *testing.T) {
	st, _ := testStore(t, Options{})
	if id, err := st.LastOpened(); err != nil || id != "" {
		t.Fatalf("a fresh store: %q, %v", id, err)
	}
	a := mustCreate(t, st, CreateOptions{ID: "alpha"})
	mustCreate(t, st, CreateOptions{ID: "beta"})
	if err := st.MarkOpened(a.ID()); err != nil {
		t.Fatal(err)
	}
	// Touching another session (as an agent's run or a close does) does not
	// change what the person last had open.
	b, _ := st.Resolve("beta")
	mustAppend(t, b, sampleRun(1))
	if id, err := st.LastOpened(); err != nil || id != "alpha" {
		t.Fatalf("LastOpened = %q, %v; want alpha", id, err)
	}
	if err := st.MarkOpened("../x"); err == nil {
		t.Error("MarkOpened took a bad ID")
	}
	os.WriteFile(filepath.Join(st.Root(), lastOpenedFile), []byte("../../etc\n"), 0o600)
	if id, err := st.LastOpened(); err != nil || id != "" {
		t.Errorf("a damaged record: %q, %v; want none", id, err)
	}
	st.MarkOpened("alpha")
	if err := st.Delete("alpha"); err != nil {
		t.Fatal(err)
	}
	if id, err := st.LastOpened(); err != nil || id != "" {
		t.Errorf("after the session was deleted: %q, %v; want none", id, err)
	}
	if list, _ := st.List(); len(list) != 1 {
		t.Errorf("the record shows in List: %+v", list)
	}
}

// A new name or ID that begins a UUID session's ID would take over the
// short reference people use for it; it is refused. Prefixes of IDs
// people chose are not references anyone abbreviates, and stay allowed.
func TestStore_CreateRefusesAUUIDPrefix(t *testing.T) {
	st, _ := testStore(t, Options{})
	u := mustCreate(t, st, CreateOptions{})
	mustCreate(t, st, CreateOptions{ID: "test2"})
	prefix := u.ID()[:8]
	if _, err := st.Create(CreateOptions{Name: prefix}); !errors.Is(err, ErrExists) {
		t.Errorf("name %s (a prefix of %s): %v", prefix, u.ID(), err)
	}
	if _, err := st.Create(CreateOptions{ID: strings.ToUpper(prefix)}); !errors.Is(err, ErrExists) && !errors.Is(err, ErrInvalidID) {
		t.Errorf("ID %s: %v", prefix, err)
	}
	if got, err := st.Resolve(prefix); err != nil || got.ID() != u.ID() {
		t.Errorf("Resolve(%s) = %v, %v; want %s", prefix, got, err, u.ID())
	}
	mustCreate(t, st, CreateOptions{ID: "test"})
}
