package sessions

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/wasmplay/wasmplay/run"
)

// varsFile is where the kept variables of a runtime live.
func (s *Session) varsFile(runtime string) (string, error) {
	if reason := idProblem(runtime); reason != "" {
		return "", fmt.Errorf("runtime %q: %s: %w", truncateForError(runtime), reason, ErrInvalidID)
	}
	return s.path("state-" + runtime + ".json"), nil
}

// LoadVars returns the variables kept for runtime, or nil when there are
// none. It reads under the session's write lock, so it never sees half of
// an update.
func (s *Session) LoadVars(runtime string) ([]byte, error) {
	var data []byte
	err := s.UpdateVars(runtime, func(current []byte) ([]byte, error) {
		data = current
		return current, nil
	})
	return data, err
}

// UpdateVars replaces the variables kept for runtime with what change
// makes of the current ones (nil: there are none; a nil result forgets
// them), all under the session's write lock, so concurrent runs in several
// processes never lose an update.
func (s *Session) UpdateVars(runtime string, change func(current []byte) ([]byte, error)) error {
	p, err := s.varsFile(runtime)
	if err != nil {
		return fmt.Errorf("sessions: kept variables of %s: %w", s.id, err)
	}
	err = s.withLock(func() error {
		current, err := readFileLimited(p, run.MaxVarsBytes)
		if errors.Is(err, fs.ErrNotExist) {
			current, err = nil, nil
		}
		if err != nil {
			return err
		}
		next, err := change(current)
		switch {
		case err != nil:
			return err
		case bytes.Equal(next, current) && (next == nil) == (current == nil):
			return nil
		case next == nil:
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			return nil
		}
		return s.st.writeFileAtomic(p, next)
	})
	if err != nil {
		return fmt.Errorf("sessions: kept variables of %s: %w", s.id, err)
	}
	return nil
}

// SaveVars stores the variables a run of runtime left (opaque JSON from
// the runner).
func (s *Session) SaveVars(runtime string, data []byte) error {
	return s.UpdateVars(runtime, func([]byte) ([]byte, error) { return data, nil })
}

// ClearVars forgets the variables kept for runtime.
func (s *Session) ClearVars(runtime string) error {
	return s.UpdateVars(runtime, func([]byte) ([]byte, error) { return nil, nil })
}
