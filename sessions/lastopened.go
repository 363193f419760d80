package sessions

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// lastOpenedFile, in the root, names the session a person last had in
// front of them in the app. LastUsedAt cannot say it: agents, CLI runs and
// the order in which an app closes its sessions on quit all touch that.
const lastOpenedFile = ".last-opened"

// MarkOpened records id as the session the app shows now, for the next
// start (see LastOpened).
func (st *Store) MarkOpened(id string) error {
	id, err := CanonicalID(id)
	if err != nil {
		return fmt.Errorf("sessions: mark opened: %w", err)
	}
	if err := st.writeFileAtomic(filepath.Join(st.root, lastOpenedFile), []byte(id+"\n")); err != nil {
		return fmt.Errorf("sessions: mark opened %s: %w", id, err)
	}
	return nil
}

// LastOpened is the session MarkOpened last recorded, if it still exists;
// "" when none was recorded or it was deleted since.
func (st *Store) LastOpened() (string, error) {
	data, err := os.ReadFile(filepath.Join(st.root, lastOpenedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sessions: last opened: %w", err)
	}
	id, err := CanonicalID(strings.TrimSpace(string(data)))
	if err != nil {
		return "", nil // damaged: as if none was recorded
	}
	if ok, err := isRealDir(filepath.Join(st.root, id)); err != nil || !ok {
		return "", nil
	}
	return id, nil
}
