package sessions

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// A run holds the session's run.lock from before it starts until it is
// recorded, so runs in one session take turns, whichever process starts
// them: each is held to the workspace's disk quota from what the last one
// left, never two of them to the same room. Deleting the session or
// resetting its workspace needs the lock too and does not wait for it: a
// run never loses its workspace or its history entry under it, and
// whoever deletes is told why it cannot.

// BeginRun tries the lock again after runLockFirstRetry, then at twice
// the wait each time up to runLockMaxRetry: a run that follows another
// closely (the lock is let go a moment after its output is shown) starts
// at once, and a long wait costs a few syscalls a second.
const (
	runLockFirstRetry = 250 * time.Microsecond
	runLockMaxRetry   = 20 * time.Millisecond
)

// BeginRun marks a run in progress in the session until end is called:
// meanwhile Delete, Prune and ResetWorkspace refuse with ErrRunning. While
// another run of the session, a delete or a reset is under way it waits
// (until ctx ends); a session deleted meanwhile is ErrNotFound.
func (s *Session) BeginRun(ctx context.Context) (end func(), err error) {
	fl := flock.New(s.path(runLockFile), flock.SetFlag(os.O_CREATE|os.O_RDONLY), flock.SetPermissions(filePerm))
	for wait := runLockFirstRetry; ; wait = min(2*wait, runLockMaxRetry) {
		ok, err := fl.TryLock()
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("sessions: run in %s: %w", s.id, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("sessions: run in %s: %w", s.id, err)
		}
		if ok {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			fl.Close()
			return nil, fmt.Errorf("sessions: run in %s: %w", s.id, context.Cause(ctx))
		case <-t.C:
		}
	}
	// The lock may be on a session that was removed while this waited.
	if ok, err := isRealDir(s.dir); err != nil || !ok {
		fl.Close()
		return nil, fmt.Errorf("sessions: run in %s: %w", s.id, ErrNotFound)
	}
	return func() { fl.Close() }, nil
}

// holdNoRuns takes the session directory's run lock exclusively, failing
// with ErrRunning at once if a run holds it. The caller closes the lock.
func holdNoRuns(dir, id, name string) (*flock.Flock, error) {
	fl, ok, err := tryLockFile(filepath.Join(dir, runLockFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("session %s: %w", displayName(id, name), ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w in session %s: wait for it to end or cancel it", ErrRunning, displayName(id, name))
	}
	return fl, nil
}
