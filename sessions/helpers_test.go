package sessions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/run"
)

// warnings collects what a Store reports to Options.Warn.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) add(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, err.Error())
}

func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

func (w *warnings) contains(sub string) bool {
	for _, m := range w.all() {
		if strings.Contains(m, sub) {
			return true
		}
	}
	return false
}

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testStore opens a Store on a fresh temporary root.
func testStore(t testing.TB, opts Options) (*Store, *warnings) {
	t.Helper()
	return openTestStore(t, t.TempDir(), opts)
}

// openTestStore opens a Store on root, collecting warnings.
func openTestStore(t testing.TB, root string, opts Options) (*Store, *warnings) {
	t.Helper()
	w := &warnings{}
	if opts.Warn == nil {
		opts.Warn = w.add
	}
	st, err := Open(root, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", root, err)
	}
	return st, w
}

func mustCreate(t testing.TB, st *Store, opts CreateOptions) *Session {
	t.Helper()
	s, err := st.Create(opts)
	if err != nil {
		t.Fatalf("Create(%+v): %v", opts, err)
	}
	return s
}

// sampleRun is a plausible record for tests.
func sampleRun(i int) RunRecord {
	return RunRecord{
		Runtime:          "python",
		Code:             fmt.Sprintf("print(%d)\n", i),
		Limits:           run.Limits{FuelBudget: 1_000_000, MemoryBytes: 64 << 20, StdoutMaxBytes: 1 << 20, StderrMaxBytes: 1 << 20, TimeoutMS: 5000},
		Outcome:          run.OutcomeOK,
		FuelConsumed:     12345,
		FuelExact:        true,
		MemoryPagesFinal: 17,
		MemoryPagesPeak:  20,
		DurationMS:       12.5,
		Stdout:           fmt.Sprintf("%d\n", i),
		StdoutBytes:      int64(len(fmt.Sprintf("%d\n", i))),
	}
}

func mustAppend(t testing.TB, s *Session, rec RunRecord) RunRecord {
	t.Helper()
	got, err := s.AppendRun(rec)
	if err != nil {
		t.Fatalf("AppendRun: %v", err)
	}
	return got
}

func wantErrIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one matching %v", err, target)
	}
}

// copyDir copies a fixture tree (regular files and directories only).
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}
