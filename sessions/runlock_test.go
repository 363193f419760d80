package sessions

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A run in progress (in this Store or another, as in another process)
// keeps its session from being deleted, pruned or reset under it; once
// it ends, each goes ahead.
func TestSession_RunInProgress(t *testing.T) {
	clock := newClock()
	st, _ := testStore(t, Options{Now: clock.now})
	s := mustCreate(t, st, CreateOptions{ID: "busy"})
	if err := s.WriteFile("a.txt", []byte("x")); err != nil {
		t.Fatal(err)
	}
	other, _ := openTestStore(t, st.Root(), Options{Now: clock.now})
	runner, err := other.Resolve("busy")
	if err != nil {
		t.Fatal(err)
	}
	end, err := runner.BeginRun(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(48 * time.Hour)

	tests := []struct {
		name string
		op   func() error
	}{
		{"delete", func() error { return st.Delete("busy") }},
		{"reset", s.ResetWorkspace},
		{"prune", func() error {
			rep, err := st.Prune(time.Hour, false)
			if err == nil && len(rep.Skipped) == 1 && len(rep.Removed) == 0 {
				return errors.New(rep.Skipped[0].Reason)
			}
			return err
		}},
		{"prune dry run", func() error {
			rep, err := st.Prune(time.Hour, true)
			if err == nil && len(rep.Skipped) == 1 && len(rep.Removed) == 0 {
				return errors.New(rep.Skipped[0].Reason)
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op()
			if err == nil {
				t.Fatal("went ahead while a run was in progress")
			}
			if tt.name == "delete" || tt.name == "reset" {
				wantErrIs(t, err, ErrRunning)
			} else if !strings.Contains(err.Error(), ErrRunning.Error()) {
				t.Fatalf("skip reason %q does not say a run is in progress", err)
			}
		})
	}
	if data, err := s.ReadFile("a.txt"); err != nil || string(data) != "x" {
		t.Fatalf("the workspace changed under the run: %q, %v", data, err)
	}

	end()
	if err := s.ResetWorkspace(); err != nil {
		t.Fatalf("reset after the run: %v", err)
	}
	if err := st.Delete("busy"); err != nil {
		t.Fatalf("delete after the run: %v", err)
	}
	// A run asked for in a session deleted meanwhile is told so.
	_, err = runner.BeginRun(context.Background())
	wantErrIs(t, err, ErrNotFound)
}

// A run that begins while a delete holds the session waits for it, then
// finds the session gone; one whose context ends first says so.
func TestSession_BeginRunDuringDelete(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "going"})
	hold, err := holdNoRuns(s.Dir(), s.ID(), "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.BeginRun(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("BeginRun while held, context ending = %v", err)
	}
	began := make(chan error, 1)
	go func() {
		_, err := s.BeginRun(context.Background())
		began <- err
	}()
	// The session goes while the lock is held, as in remove.
	time.Sleep(3 * runLockMaxRetry)
	if err := os.Rename(s.Dir(), filepath.Join(st.Root(), trashPrefix+"going")); err != nil {
		t.Fatal(err)
	}
	hold.Close()
	wantErrIs(t, <-began, ErrNotFound)
}

// A delete refused because a run is in flight leaves the owner lock of the
// Store that has the session open (the app, serving MCP itself) held.
func TestStore_FailedDeleteKeepsTheOwnersLock(t *testing.T) {
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "open"})
	release, err := s.AcquireOwner()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	end, err := s.BeginRun(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantErrIs(t, st.Delete("open"), ErrRunning)
	end()
	other, _ := openTestStore(t, st.Root(), Options{})
	o, err := other.Resolve("open")
	if err != nil {
		t.Fatal(err)
	}
	if _, held := o.HeldElsewhere(); !held {
		t.Fatal("the failed delete let go of the owner's lock")
	}
}
