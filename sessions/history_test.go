package sessions

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/run"
)

func TestSession_AppendRun(t *testing.T) {
	clk := newClock()
	st, _ := testStore(t, Options{Now: clk.now})
	s := mustCreate(t, st, CreateOptions{ID: "hist"})

	if n, err := s.NextRunNumber(); err != nil || n != 1 {
		t.Fatalf("NextRunNumber on empty history = %d, %v", n, err)
	}
	var stored []RunRecord
	for i := 1; i <= 3; i++ {
		clk.advance(time.Minute)
		got := mustAppend(t, s, sampleRun(i))
		if got.Number != i || got.Version != RecordVersion || got.RunID == "" || got.StartedAt.IsZero() {
			t.Fatalf("AppendRun #%d returned %+v", i, got)
		}
		stored = append(stored, got)
	}
	if _, err := s.AppendRun(RunRecord{Runtime: "python"}); err == nil {
		t.Error("AppendRun without outcome accepted")
	}

	runs, err := s.Runs()
	if err != nil || len(runs) != 3 {
		t.Fatalf("Runs = %v, %v", runs, err)
	}
	for i, r := range runs {
		if r != stored[i].Summary() {
			t.Errorf("Runs[%d] = %+v, want %+v", i, r, stored[i].Summary())
		}
	}
	for _, want := range stored {
		got, err := s.Run(want.Number)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(want)) {
			t.Errorf("Run(%d) = %+v\nwant %+v", want.Number, got, want)
		}
	}
	_, err = s.Run(4)
	wantErrIs(t, err, ErrNotFound)

	m := s.Meta()
	if m.Stats.Runs != 3 || m.Stats.LastRun != 3 || m.Stats.LastOutcome != run.OutcomeOK || !m.LastUsedAt.Equal(clk.now()) {
		t.Errorf("stats after 3 runs = %+v, last used %v", m.Stats, m.LastUsedAt)
	}
	if n, _ := s.NextRunNumber(); n != 4 {
		t.Errorf("NextRunNumber = %d, want 4", n)
	}
	// One line per record, each ending in a newline.
	b, _ := os.ReadFile(filepath.Join(s.Dir(), historyFile))
	if lines := bytes.Count(b, []byte("\n")); lines != 3 || b[len(b)-1] != '\n' {
		t.Errorf("history has %d lines", lines)
	}
	if !bytes.Contains(b, []byte(`"files":{"created":[],"modified":[],"deleted":[]}`)) || bytes.Contains(b, []byte("null")) {
		t.Errorf("empty file lists not written as []:\n%s", b)
	}
}

// normalize drops the monotonic clock reading and location so records
// compare equal after a JSON round trip.
func normalize(r RunRecord) RunRecord {
	r.StartedAt = r.StartedAt.UTC().Round(0)
	r.FinishedAt = r.FinishedAt.UTC().Round(0)
	return r
}

// TestRunRecord_JSON: output that is not UTF-8 (and code, messages and
// file names) survives byte for byte; outcomes like canceled with partial
// output are representable.
func TestRunRecord_JSON(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "bytes"})
	rec := RunRecord{
		Runtime:         "javascript",
		Code:            "print('\xe9')", // Latin-1 é: not UTF-8
		Outcome:         run.OutcomeCanceled,
		Message:         "canceled by user\nat \xff",
		FuelConsumed:    99,
		FuelExact:       false,
		Stdout:          "partial \x00\xff\xfe output",
		Stderr:          "ok text ✓",
		StdoutTruncated: true,
		StdoutBytes:     1 << 20,
		Files: run.FileChanges{
			Created:  []run.FileChange{{Path: "caf\xe9.txt", Size: 3}, {Path: "plain.txt", Size: 0}},
			Modified: []run.FileChange{{Path: "dir/ünï.txt", Size: 7}},
			Deleted:  []run.FileChange{{Path: "gone", Size: 1}},
		},
	}
	got := mustAppend(t, s, rec)
	back, err := s.Run(got.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(back), normalize(got)) {
		t.Fatalf("round trip changed the record:\n got %+v\nwant %+v", back, got)
	}
	line, _ := os.ReadFile(filepath.Join(s.Dir(), historyFile))
	for _, want := range []string{`"stdout_encoding":"base64"`, `"code_encoding":"base64"`, `"message_encoding":"base64"`, `"path_base64":"Y2Fm6S50eHQ="`, `"stderr":"ok text ✓"`, `"outcome":"canceled"`} {
		if !bytes.Contains(line, []byte(want)) {
			t.Errorf("history line lacks %s:\n%s", want, line)
		}
	}
	if bytes.Contains(line, []byte(`null`)) {
		t.Errorf("history line has nulls:\n%s", line)
	}
	if bytes.Contains(line, []byte(`"stderr_encoding"`)) {
		t.Errorf("valid UTF-8 stderr was encoded:\n%s", line)
	}
	if !json.Valid(bytes.TrimSpace(line)) {
		t.Errorf("history line is not valid JSON")
	}
	sum := back.Summary()
	if sum.Message != "canceled by user" || sum.FuelExact || !sum.StdoutTruncated || sum.FilesChanged != 4 {
		t.Errorf("summary = %+v", sum)
	}

	// host_error with no output at all.
	he := mustAppend(t, s, RunRecord{Runtime: "python", Outcome: run.OutcomeHostError, Message: "wasmtime: instantiate: boom"})
	if back, _ := s.Run(he.Number); back.Outcome != run.OutcomeHostError || back.Message != "wasmtime: instantiate: boom" {
		t.Errorf("host error record = %+v", back)
	}
	var bad RunRecord
	if err := json.Unmarshal([]byte(`{"number":1,"stdout":"x","stdout_encoding":"rot13"}`), &bad); err == nil {
		t.Error("unknown encoding accepted")
	}
}

// TestSession_Runs_TornLine opens the testdata fixture: a session written
// by hand in schema 1 whose history ends in a record torn by a crash.
func TestSession_Runs_TornLine(t *testing.T) {
	root := t.TempDir()
	copyDir(t, filepath.Join("testdata", "v1-root"), root)
	st, w := openTestStore(t, root, Options{})

	s, err := st.Resolve("legacy")
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Meta().Limits.FuelBudget; p == nil || *p != 5_000_000 {
		t.Errorf("policy override not read: %v", p)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatalf("Runs with a torn line: %v", err)
	}
	if len(runs) != 2 || runs[1].Outcome != run.OutcomeExitNonzero || runs[1].ExitCode != 3 {
		t.Fatalf("Runs = %+v", runs)
	}
	if !w.contains("torn last record") {
		t.Errorf("no warning about the torn record: %q", w.all())
	}
	r2, err := s.Run(2)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Stdout != "\xff\xfe" || r2.Files.Created[0].Path != "\xff" {
		t.Errorf("base64 fields not decoded: stdout %q, path %q", r2.Stdout, r2.Files.Created[0].Path)
	}
	if code, ok, _ := s.LoadBuffer("python"); !ok || code != "print('draft')\n" {
		t.Errorf("buffer = %q, %v", code, ok)
	}

	// The next append replaces the torn record (it was never acknowledged)
	// and the history is whole again.
	got := mustAppend(t, s, sampleRun(3))
	if got.Number != 3 {
		t.Errorf("run after torn record got number %d, want 3", got.Number)
	}
	b, _ := os.ReadFile(filepath.Join(s.Dir(), historyFile))
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("history has %d lines after repair", len(lines))
	}
	for i, l := range lines {
		var rec RunRecord
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.Number != i+1 {
			t.Errorf("line %d: %v (number %d)", i+1, err, rec.Number)
		}
	}
}

// TestSession_Runs_Index: the run index is rebuilt when missing, damaged
// or stale, and records appended behind its back are picked up.
func TestSession_Runs_Index(t *testing.T) {
	st, w := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "idx"})
	for i := 1; i <= 5; i++ {
		mustAppend(t, s, sampleRun(i))
	}
	want, _ := s.Runs()
	idx := filepath.Join(s.Dir(), indexFile)
	hist := filepath.Join(s.Dir(), historyFile)

	check := func(name string) {
		t.Helper()
		fresh, err := st.Resolve("idx") // no in-memory cache
		if err != nil {
			t.Fatal(err)
		}
		got, err := fresh.Runs()
		if err != nil {
			t.Fatalf("%s: Runs: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: Runs = %+v\nwant %+v", name, got, want)
		}
		if r, err := fresh.Run(len(want)); err != nil || r.Number != len(want) {
			t.Fatalf("%s: Run(%d) = %v", name, len(want), err)
		}
		entries, clean := readIndex(idx)
		if !clean || len(entries) != len(want) {
			t.Fatalf("%s: index not repaired: %d entries, clean=%v", name, len(entries), clean)
		}
	}
	check("intact")

	os.Remove(idx)
	check("missing")

	b, _ := os.ReadFile(idx)
	os.WriteFile(idx, b[:len(b)-10], 0o600) // torn last index line
	check("torn")

	os.WriteFile(idx, []byte("not an index\n"), 0o600)
	check("garbage")

	// An index pointing past the history's end (history replaced).
	entries, _ := readIndex(idx)
	entries[len(entries)-1].Offset += 1000
	var buf bytes.Buffer
	writeIndexLines(&buf, entries, true)
	os.WriteFile(idx, buf.Bytes(), 0o600)
	check("pointing past end")

	// An index whose last entry points at the wrong record.
	entries, _ = readIndex(idx)
	entries[len(entries)-1].Number = 99
	buf.Reset()
	writeIndexLines(&buf, entries, true)
	os.WriteFile(idx, buf.Bytes(), 0o600)
	check("wrong record")
	if !w.contains("rebuilding") {
		t.Errorf("no warning about rebuilding: %q", w.all())
	}

	// A record appended by a process that died before updating the index
	// and session.json.
	entries, _ = readIndex(idx)
	rec := sampleRun(6)
	rec.Number, rec.Version, rec.RunID, rec.Outcome = 6, 1, "66666666-6666-4666-8666-666666666666", run.OutcomeTimeout
	line, _ := json.Marshal(rec)
	f, _ := os.OpenFile(hist, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(append(line, '\n'))
	f.Close()
	want = append(want, rec.Summary())
	check("record behind the index")
	fresh, _ := st.Resolve("idx")
	if m := fresh.Meta(); m.Stats.Runs != 6 || m.Stats.LastOutcome != run.OutcomeTimeout {
		t.Errorf("session.json stats not reconciled: %+v", m.Stats)
	}

	// A damaged line in the middle is skipped with a warning, never fatal.
	b, _ = os.ReadFile(hist)
	lines := bytes.SplitAfter(b, []byte("\n"))
	lines[2] = []byte("{this is not json}\n")
	os.WriteFile(hist, bytes.Join(lines, nil), 0o600)
	os.Remove(idx)
	fresh, _ = st.Resolve("idx")
	got, err := fresh.Runs()
	if err != nil || len(got) != 5 || got[2].Number != 4 {
		t.Fatalf("Runs with a damaged middle line = %+v, %v", got, err)
	}
	if !w.contains("damaged record") {
		t.Errorf("no warning about the damaged line: %q", w.all())
	}
	if r := mustAppend(t, fresh, sampleRun(7)); r.Number != 7 {
		t.Errorf("next number after damage = %d, want 7", r.Number)
	}
}

// TestSession_Runs_MissingHistory: a history file removed by hand means an
// empty history, not a broken session.
func TestSession_Runs_MissingHistory(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "nohist"})
	mustAppend(t, s, sampleRun(1))
	os.Remove(filepath.Join(s.Dir(), historyFile))
	runs, err := s.Runs()
	if err != nil || len(runs) != 0 {
		t.Fatalf("Runs = %v, %v", runs, err)
	}
	if r := mustAppend(t, s, sampleRun(1)); r.Number != 1 {
		t.Errorf("number = %d", r.Number)
	}
}

// TestSession_Runs_DoesNotReadOutput: listing runs reads the index only,
// so even a history whose outputs are unreadable garbage lists fine.
func TestSession_Runs_DoesNotReadOutput(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "big"})
	for i := 1; i <= 3; i++ {
		rec := sampleRun(i)
		rec.Stdout = strings.Repeat("x", 100_000)
		mustAppend(t, s, rec)
	}
	// Overwrite the middle of record 1's output (same length): the last
	// record still checks out, so the index is trusted and record 1 is
	// never parsed.
	hist := filepath.Join(s.Dir(), historyFile)
	f, _ := os.OpenFile(hist, os.O_WRONLY, 0)
	f.WriteAt([]byte("\"}garbage"), 50_000)
	f.Close()
	fresh, _ := st.Resolve("big")
	runs, err := fresh.Runs()
	if err != nil || len(runs) != 3 {
		t.Fatalf("Runs = %d runs, %v", len(runs), err)
	}
	_, err = fresh.Run(1)
	wantErrIs(t, err, ErrCorrupt)
	if _, err := fresh.Run(3); err != nil {
		t.Errorf("Run(3): %v", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Error("unexpected not found")
	}
}

func TestCodeHead(t *testing.T) {
	tests := []struct{ code, want string }{
		{"", ""},
		{"\n\n   \nprint(1)\nprint(2)", "print(1)"},
		{"  x = 1  \r\n", "x = 1"},
		{strings.Repeat("é", 60), strings.Repeat("é", 40) + "…"},
		{"\xff\xfe = 1", "\uFFFD = 1"},
	}
	for _, tt := range tests {
		if got := codeHead(tt.code); got != tt.want {
			t.Errorf("codeHead(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}
