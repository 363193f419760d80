package sessions

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmplay/wasmplay/run"
)

// SchemaVersion is the version of session.json this package writes. A file
// with a higher version is refused with ErrUnsupportedSchema rather than
// rewritten and damaged.
const SchemaVersion = 1

// Names of the entries in a session directory.
const (
	metaFile      = "session.json"
	historyFile   = "history.jsonl"
	indexFile     = "runs.idx"
	workspaceDir  = "workspace"
	buffersDir    = "buffers"
	ownerLockFile = "owner.lock"
	writeLockFile = "write.lock"
	runLockFile   = "run.lock"
	bufferSuffix  = ".buf"
)

// Meta is the content of session.json.
type Meta struct {
	// Schema is the session.json format version (SchemaVersion).
	Schema int `json:"schema"`
	// ID is the session's directory name: a UUID or a user-chosen ID.
	ID string `json:"id"`
	// Name is an optional alias, unique across sessions, usable wherever
	// an ID is.
	Name string `json:"name,omitempty"`
	// Runtime is the runtime last selected ("python", "javascript", ...).
	Runtime string `json:"runtime,omitempty"`
	// CreatedAt is when the session was created.
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is when session.json was last written.
	UpdatedAt time.Time `json:"updated_at"`
	// LastUsedAt is when the session was last opened, closed, run or had a
	// workspace file changed through this package. Prune goes by it.
	LastUsedAt time.Time `json:"last_used_at"`
	// Limits are the session's own limits, laid over the config file's
	// (F4 in the app).
	Limits run.Overrides `json:"policy_overrides"`
	// KeepVars carries variables from one successful run to the next
	// (they are kept per runtime, see UpdateVars).
	KeepVars bool `json:"keep_state,omitempty"`
	// RequireApproval makes every agent run in the session wait for a
	// person's approval in the app.
	RequireApproval bool `json:"require_approval,omitempty"`
	// CreatedBy says who made the session (nil: a person, or a session
	// made before wasmplay kept it).
	CreatedBy *Origin `json:"created_by,omitempty"`
	// Stats are kept up to date by AppendRun and the file operations so
	// that List reads nothing but session.json.
	Stats Stats `json:"stats"`
}

// Stats summarises a session's history and disk use.
type Stats struct {
	// Runs is the number of (readable) records in history.jsonl.
	Runs int `json:"runs"`
	// LastRun is the number of the latest run, 0 if none.
	LastRun int `json:"last_run"`
	// LastOutcome is the latest run's outcome, "" if none.
	LastOutcome run.Outcome `json:"last_outcome,omitempty"`
	// SizeBytes is the disk space (allocated blocks) of the whole session
	// directory (workspace, history, buffers, metadata) when last
	// measured.
	SizeBytes int64 `json:"size_bytes"`
	// SizeMeasuredAt is when SizeBytes was last computed by a full walk.
	SizeMeasuredAt time.Time `json:"size_measured_at"`
}

// Summary is one line of `wasmplay sessions list`, ready for --json: the
// session's ID and alias, runtime, creation and last-use times, number of
// runs, size on disk (see Stats.SizeBytes) and last outcome.
//
// Fields mean what the Meta and Stats fields of the same name mean.
type Summary struct {
	ID          string      `json:"id"`
	Name        string      `json:"name,omitempty"`
	Runtime     string      `json:"runtime,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
	LastUsedAt  time.Time   `json:"last_used_at"`
	Runs        int         `json:"runs"`
	SizeBytes   int64       `json:"size_bytes"`
	LastOutcome run.Outcome `json:"last_outcome,omitempty"`
	// CreatedBy says who made the session (nil: a person).
	CreatedBy *Origin `json:"created_by,omitempty"`
	// Error is set, and the other fields mostly empty, for a session
	// directory whose session.json cannot be read; such a session can only
	// be deleted (by its exact ID). LastUsedAt is then the directory's
	// modification time.
	Error string `json:"error,omitempty"`
}

// summary extracts the list line from a Meta.
func (m *Meta) summary() Summary {
	return Summary{
		ID:          m.ID,
		Name:        m.Name,
		Runtime:     m.Runtime,
		CreatedAt:   m.CreatedAt,
		LastUsedAt:  m.LastUsedAt,
		Runs:        m.Stats.Runs,
		SizeBytes:   m.Stats.SizeBytes,
		LastOutcome: m.Stats.LastOutcome,
		CreatedBy:   m.CreatedBy,
	}
}

// Session is one session directory. Get one from Store.Create or
// Store.Resolve. A Session may be used from several goroutines; every
// change to its files is made under the session's write lock, so several
// Sessions (in this or other processes) for the same directory are safe.
//
// Accessors such as Name and Meta return what was read when the Session was
// opened or last changed through it; call Reload to see changes made by
// other processes.
type Session struct {
	st  *Store
	id  string
	dir string

	mu   sync.Mutex
	meta Meta
	idx  indexCache
}

// ID returns the session's ID (its directory name).
func (s *Session) ID() string { return s.id }

// Dir returns the session directory.
func (s *Session) Dir() string { return s.dir }

// WorkspaceDir returns the host directory mounted at /app in the guest.
func (s *Session) WorkspaceDir() string { return filepath.Join(s.dir, workspaceDir) }

// Name returns the session's alias, "" if none.
func (s *Session) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meta.Name
}

// Runtime returns the session's runtime name, "" if none was set.
func (s *Session) Runtime() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meta.Runtime
}

// Meta returns a copy of the session's metadata.
func (s *Session) Meta() Meta {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.meta
	m.Limits = m.Limits.Clone()
	return m
}

// Summary returns the session's list line.
func (s *Session) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meta.summary()
}

// String returns the name and ID, for messages.
func (s *Session) String() string {
	return displayName(s.id, s.Name())
}

// Reload re-reads session.json, to see changes made by other processes.
func (s *Session) Reload() error {
	m, err := s.st.readMeta(s.id)
	if err != nil {
		return fmt.Errorf("sessions: reload %s: %w", s.id, err)
	}
	s.setMeta(m)
	return nil
}

func (s *Session) setMeta(m Meta) {
	s.mu.Lock()
	s.meta = m
	s.mu.Unlock()
}

func (s *Session) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

// SetRuntime records the session's runtime (a name like "python").
func (s *Session) SetRuntime(runtime string) error {
	if reason := idProblem(runtime); reason != "" {
		return fmt.Errorf("sessions: set runtime of %s: runtime %q: %s: %w", s.id, truncateForError(runtime), reason, ErrInvalidID)
	}
	err := s.updateMeta(func(m *Meta) error {
		m.Runtime = runtime
		return nil
	})
	if err != nil {
		return fmt.Errorf("sessions: set runtime of %s: %w", s.id, err)
	}
	return nil
}

// SetLimits replaces the session's own limits.
func (s *Session) SetLimits(o run.Overrides) error {
	err := s.updateMeta(func(m *Meta) error {
		m.Limits = o.Clone()
		return nil
	})
	if err != nil {
		return fmt.Errorf("sessions: set limits of %s: %w", s.id, err)
	}
	return nil
}

// SetKeepVars turns the "keep variables between runs" switch on or off.
func (s *Session) SetKeepVars(on bool) error {
	err := s.updateMeta(func(m *Meta) error {
		m.KeepVars = on
		return nil
	})
	if err != nil {
		return fmt.Errorf("sessions: set keep-variables of %s: %w", s.id, err)
	}
	return nil
}

// SetRequireApproval turns on or off the approval agent runs in the
// session wait for.
func (s *Session) SetRequireApproval(on bool) error {
	err := s.updateMeta(func(m *Meta) error {
		m.RequireApproval = on
		return nil
	})
	if err != nil {
		return fmt.Errorf("sessions: set approval of %s: %w", s.id, err)
	}
	return nil
}

// RefreshSize walks the session directory, stores its size in session.json
// and returns it. AppendRun and AcquireOwner do this already; call it after
// changing the workspace by other means.
func (s *Session) RefreshSize() (int64, error) {
	var size int64
	err := s.updateMeta(func(m *Meta) error {
		var err error
		size, err = s.measureLocked(m)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sessions: measure %s: %w", s.id, err)
	}
	return size, nil
}

// measureLocked walks the session directory into m.Stats.
func (s *Session) measureLocked(m *Meta) (int64, error) {
	size, err := dirSize(s.dir)
	if err != nil {
		return 0, err
	}
	m.Stats.SizeBytes = size
	m.Stats.SizeMeasuredAt = s.st.now()
	return size, nil
}

// withLock runs fn while holding the session's write lock. It fails with
// ErrNotFound if the session directory is gone (deleted meanwhile) or has
// been replaced by something that is not a directory.
func (s *Session) withLock(fn func() error) error {
	unlock, err := lockFile(s.path(writeLockFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("session %s was deleted: %w", s.id, ErrNotFound)
		}
		return fmt.Errorf("lock: %w", err)
	}
	defer unlock()
	if ok, err := isRealDir(s.dir); err != nil || !ok {
		return fmt.Errorf("session %s was deleted: %w", s.id, ErrNotFound)
	}
	return fn()
}

// updateMeta applies change to a fresh read of session.json and writes it
// back atomically, all under the write lock, so that concurrent updates
// from several processes are never lost.
func (s *Session) updateMeta(change func(m *Meta) error) error {
	return s.withLock(func() error { return s.updateMetaLocked(change) })
}

// updateMetaLocked is updateMeta for a caller already holding the lock.
func (s *Session) updateMetaLocked(change func(m *Meta) error) error {
	m, err := s.st.readMeta(s.id)
	if err != nil {
		return err
	}
	if err := change(&m); err != nil {
		return err
	}
	if err := s.st.writeMeta(s.dir, &m); err != nil {
		return err
	}
	s.setMeta(m)
	return nil
}

// touchLocked marks the session as used now.
func (s *Session) touchLocked(m *Meta) {
	if now := s.st.now(); now.After(m.LastUsedAt) {
		m.LastUsedAt = now
	}
}

// HeldElsewhere reports whether another process (or another Store) owns
// the session, with its PID (see Store.HeldElsewhere).
func (s *Session) HeldElsewhere() (pid int, held bool) { return s.st.HeldElsewhere(s.id) }

// AcquireOwner takes the session's long-lived owner lock: the interactive
// app calls it when it opens a session and calls release when it closes
// it. While it is held, AcquireOwner elsewhere (another process, or another
// Store in this one) fails with an *InUseError naming this PID, and Delete
// and Prune refuse the session. Runs may still be appended by others (a
// headless `wasmplay run --session`), each under the short write lock.
//
// Acquiring also cleans temporary files left by crashed writers, recreates
// a missing workspace or buffers directory, re-measures the session's size
// and marks it used. release marks it used again and frees the lock; it is
// safe to call more than once, and after Delete.
func (s *Session) AcquireOwner() (release func(), err error) {
	st := s.st
	st.mu.Lock()
	if _, mine := st.owned[s.id]; mine {
		st.mu.Unlock()
		return nil, &InUseError{ID: s.id, Name: s.Name(), PID: os.Getpid()}
	}
	st.mu.Unlock()

	lockPath := s.path(ownerLockFile)
	if ok, err := isRealDir(s.dir); err != nil || !ok {
		return nil, fmt.Errorf("sessions: open %s: %w", s.id, ErrNotFound)
	}
	fl, ok, err := tryLockFile(lockPath)
	if err != nil {
		return nil, fmt.Errorf("sessions: lock %s: %w", s.id, err)
	}
	if !ok {
		return nil, &InUseError{ID: s.id, Name: s.Name(), PID: readOwnerPID(lockPath)}
	}
	// The flock is held; the PID written next to it is only for messages.
	if err := os.WriteFile(lockPath, []byte(strconv.Itoa(os.Getpid())+"\n"), filePerm); err != nil {
		fl.Close()
		return nil, fmt.Errorf("sessions: lock %s: %w", s.id, err)
	}
	st.mu.Lock()
	st.owned[s.id] = fl
	st.mu.Unlock()

	err = s.withLock(func() error {
		cleanupTemps(s.dir)
		cleanupTemps(s.path(buffersDir))
		for _, d := range []string{workspaceDir, buffersDir} {
			if err := ensureDir(s.path(d)); err != nil {
				return err
			}
		}
		return s.updateMetaLocked(func(m *Meta) error {
			s.touchLocked(m)
			_, err := s.measureLocked(m)
			return err
		})
	})
	if err != nil {
		st.releaseOwner(s.id, fl)
		return nil, fmt.Errorf("sessions: open %s: %w", s.id, err)
	}

	var once sync.Once
	release = func() {
		once.Do(func() {
			if !st.ownsWith(s.id, fl) {
				return // deleted by this Store meanwhile
			}
			err := s.updateMeta(func(m *Meta) error {
				s.touchLocked(m)
				return nil
			})
			if err != nil {
				st.warn(fmt.Errorf("sessions: close %s: %w", s.id, err))
			}
			os.Truncate(lockPath, 0)
			st.releaseOwner(s.id, fl)
		})
	}
	return release, nil
}

// readOwnerPID reads the PID the owner wrote into its lock file. The owner
// writes it just after taking the lock, so an empty file is retried briefly.
func readOwnerPID(path string) int {
	for i := 0; i < 20; i++ {
		b, err := os.ReadFile(path)
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				return pid
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0
}

// ensureDir creates dir if missing and refuses a symlink in its place (a
// workspace symlinked elsewhere would let the guest write outside the
// session).
func ensureDir(dir string) error {
	err := os.Mkdir(dir, dirPerm)
	if err == nil || !errors.Is(err, fs.ErrExist) {
		return err
	}
	if ok, err := isRealDir(dir); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("%s is not a directory (a symlink?): %w", dir, ErrInvalidPath)
	}
	return nil
}

// Buffers: the editor's current code, one file per buffer name.

// maxBufferName bounds buffer names so their escaped file names stay under
// the usual 255-byte limit.
const maxBufferName = 200

// readMeta reads and checks <root>/<id>/session.json.
func (st *Store) readMeta(id string) (Meta, error) {
	b, err := os.ReadFile(filepath.Join(st.root, id, metaFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Meta{}, fmt.Errorf("session %s: %w", id, ErrNotFound)
		}
		return Meta{}, err
	}
	return st.parseMeta(id, b)
}

// parseMeta decodes session.json content for session id.
func (st *Store) parseMeta(id string, b []byte) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, fmt.Errorf("session %s: %s: %v: %w", id, metaFile, err, ErrCorrupt)
	}
	switch {
	case m.Schema < 1:
		return Meta{}, fmt.Errorf("session %s: %s: missing schema version: %w", id, metaFile, ErrCorrupt)
	case m.Schema > SchemaVersion:
		return Meta{}, fmt.Errorf("session %s: %s has schema %d, this wasmplay reads up to %d: %w",
			id, metaFile, m.Schema, SchemaVersion, ErrUnsupportedSchema)
	}
	if m.ID != id {
		// The directory name is what users type and what locks are keyed
		// by; a session copied by hand under a new name takes that name.
		st.warn(fmt.Errorf("sessions: %s/%s says id %q; using the directory name", id, metaFile, m.ID))
		m.ID = id
	}
	return m, nil
}

// writeMeta stamps and atomically writes m to dir/session.json.
func (st *Store) writeMeta(dir string, m *Meta) error {
	m.Schema = SchemaVersion
	m.UpdatedAt = st.now()
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return st.writeFileAtomic(filepath.Join(dir, metaFile), append(b, '\n'))
}
