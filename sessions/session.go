package sessions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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
	// SizeBytes is the apparent size of the whole session directory
	// (workspace, history, buffers, metadata) when last measured.
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

// bufferPath validates a buffer name and returns its file. Buffer names are
// opaque keys chosen by the editor, e.g. a runtime name ("python") for the
// scratch editor of that runtime, or a workspace-relative path
// ("src/main.py") for a file being edited. They follow the workspace path
// rules (relative, no "..", no NUL), must be valid UTF-8 without control
// characters, and are stored under buffers/ with "/" and other special
// characters percent-escaped, so a name never creates subdirectories.
func (s *Session) bufferPath(name string) (string, error) {
	if _, err := cleanRelPath(name); err != nil {
		return "", err
	}
	if !utf8.ValidString(name) || strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return "", fmt.Errorf("buffer name %q: not printable UTF-8: %w", truncateForError(name), ErrInvalidPath)
	}
	esc := url.PathEscape(name)
	if len(name) > maxBufferName || len(esc)+len(bufferSuffix) > 255 {
		return "", fmt.Errorf("buffer name %q: too long: %w", truncateForError(name), ErrInvalidPath)
	}
	return s.path(buffersDir, esc+bufferSuffix), nil
}

// SaveBuffer stores the editor's code under name, atomically (a crash
// leaves the previous version). It does not touch session.json, so the
// editor may autosave often.
func (s *Session) SaveBuffer(name, code string) error {
	p, err := s.bufferPath(name)
	if err != nil {
		return fmt.Errorf("sessions: save buffer: %w", err)
	}
	err = s.withLock(func() error {
		if err := ensureDir(filepath.Dir(p)); err != nil {
			return err
		}
		return s.st.writeFileAtomic(p, []byte(code))
	})
	if err != nil {
		return fmt.Errorf("sessions: save buffer %q of %s: %w", name, s.id, err)
	}
	return nil
}

// LoadBuffer returns the code saved under name; ok is false if there is
// none.
func (s *Session) LoadBuffer(name string) (code string, ok bool, err error) {
	p, err := s.bufferPath(name)
	if err != nil {
		return "", false, fmt.Errorf("sessions: load buffer: %w", err)
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("sessions: load buffer %q of %s: %w", name, s.id, err)
	}
	return string(b), true, nil
}

// DeleteBuffer removes the buffer saved under name; a missing buffer is
// not an error.
func (s *Session) DeleteBuffer(name string) error {
	p, err := s.bufferPath(name)
	if err != nil {
		return fmt.Errorf("sessions: delete buffer: %w", err)
	}
	err = s.withLock(func() error {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return s.st.syncDir(filepath.Dir(p))
	})
	if err != nil {
		return fmt.Errorf("sessions: delete buffer %q of %s: %w", name, s.id, err)
	}
	return nil
}

// Buffers returns the names of the saved buffers, sorted.
func (s *Session) Buffers() ([]string, error) {
	des, err := os.ReadDir(s.path(buffersDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sessions: list buffers of %s: %w", s.id, err)
	}
	var names []string
	for _, de := range des {
		esc, ok := strings.CutSuffix(de.Name(), bufferSuffix)
		if !ok || !de.Type().IsRegular() {
			continue
		}
		if name, err := url.PathUnescape(esc); err == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

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
