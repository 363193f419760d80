package sessions

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/uuid"
)

// Names of the entries wasmplay keeps directly in the sessions root. They
// all start with ".", which no session ID can, so List never confuses them
// with sessions.
const (
	storeLockFile  = ".lock"
	listCacheFile  = ".list-cache"
	creatingPrefix = ".creating-"
	trashPrefix    = ".trash-"
)

// Options configure a Store.
type Options struct {
	// UUIDOnly makes Create refuse user-chosen IDs: every new session gets
	// a UUIDv4 and a user-chosen name can only be an alias. Existing
	// sessions with other IDs are still listed and resolved.
	UUIDOnly bool
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Warn receives problems that do not stop an operation: a torn or
	// damaged history line that was skipped, a run index rebuilt, an entry
	// in the sessions root that is not a valid session. nil discards them.
	// It may be called from several goroutines at once.
	Warn func(error)
}

// Store is a sessions root directory. It is safe for use by several
// goroutines, and several Stores (in one or several processes) may use the
// same root: all coordination is through file locks.
type Store struct {
	root string
	opts Options

	// noSync skips fsync; only tests and benchmarks set it, to build large
	// fixtures quickly.
	noSync bool
	// testHook, if set, is called at named points of risky sequences so
	// tests can simulate a crash there.
	testHook func(point string)

	mu    sync.Mutex
	owned map[string]*flock.Flock // owner locks held by this Store, by ID
}

// Open opens (creating if needed) the sessions root (config.ResolveDirs
// says where the user's is).
func Open(root string, opts Options) (*Store, error) {
	if root == "" {
		return nil, errors.New("sessions: open: empty root directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("sessions: open %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, dirPerm); err != nil {
		return nil, fmt.Errorf("sessions: open %s: %w", root, err)
	}
	// The root itself may be a symlink (to another disk, say); resolve it
	// once so every later containment check compares real paths.
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("sessions: open %s: %w", root, err)
	}
	if fi, err := os.Stat(real); err != nil {
		return nil, fmt.Errorf("sessions: open %s: %w", root, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("sessions: open %s: not a directory", root)
	}
	return &Store{root: real, opts: opts, owned: map[string]*flock.Flock{}}, nil
}

// Root returns the sessions root directory (symlinks resolved).
func (st *Store) Root() string { return st.root }

func (st *Store) now() time.Time {
	if st.opts.Now != nil {
		return st.opts.Now().UTC().Round(0)
	}
	return time.Now().UTC().Round(0)
}

func (st *Store) warn(err error) {
	if st.opts.Warn != nil {
		st.opts.Warn(err)
	}
}

func (st *Store) hook(point string) {
	if st.testHook != nil {
		st.testHook(point)
	}
}

// lockStore takes the root-wide lock that serialises creating, renaming
// and deleting sessions (so name uniqueness holds across processes).
func (st *Store) lockStore() (func(), error) {
	unlock, err := lockFile(filepath.Join(st.root, storeLockFile))
	if err != nil {
		return nil, fmt.Errorf("lock sessions root: %w", err)
	}
	return unlock, nil
}

// ownsWith reports whether this Store holds id's owner lock through fl.
func (st *Store) ownsWith(id string, fl *flock.Flock) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.owned[id] == fl
}

// releaseOwner frees an owner lock held by this Store.
func (st *Store) releaseOwner(id string, fl *flock.Flock) {
	st.mu.Lock()
	if st.owned[id] == fl {
		delete(st.owned, id)
	}
	st.mu.Unlock()
	fl.Close()
}

// CreateOptions describe a new session.
type CreateOptions struct {
	// ID is the directory name to use; empty means a new UUIDv4. It must
	// pass CanonicalID and is refused when Options.UUIDOnly is set (unless
	// it is a UUID).
	ID string
	// Name is an optional alias; it follows the same rules as an ID, must
	// not itself be a UUID, and must not equal another session's ID or
	// name (compared case-insensitively).
	Name string
	// Runtime is the initial runtime ("python", ...); may be empty.
	Runtime string
	// CreatedBy says who asks for the session (nil: a person).
	CreatedBy *Origin
}

// Create makes a new session: an empty workspace, no history. The session
// appears in the root complete or not at all (it is built in a hidden
// staging directory and renamed into place).
func (st *Store) Create(opts CreateOptions) (*Session, error) {
	id, name, err := st.checkCreate(opts)
	if err != nil {
		return nil, fmt.Errorf("sessions: create: %w", err)
	}
	unlock, err := st.lockStore()
	if err != nil {
		return nil, fmt.Errorf("sessions: create: %w", err)
	}
	defer unlock()

	if opts.ID != "" || name != "" {
		all, err := st.scan(false)
		if err != nil {
			return nil, fmt.Errorf("sessions: create: %w", err)
		}
		if err := conflicts(all, id, id, name, opts.ID != ""); err != nil {
			return nil, fmt.Errorf("sessions: create: %w", err)
		}
	}
	final := filepath.Join(st.root, id)
	if _, err := os.Lstat(final); err == nil {
		return nil, fmt.Errorf("sessions: create: session %s: %w", id, ErrExists)
	}

	now := st.now()
	m := Meta{ID: id, Name: name, Runtime: opts.Runtime, CreatedAt: now, LastUsedAt: now, CreatedBy: opts.CreatedBy}
	if err := st.buildSession(final, &m); err != nil {
		return nil, fmt.Errorf("sessions: create %s: %w", id, err)
	}
	return st.openSession(id)
}

// checkCreate validates CreateOptions and picks the ID.
func (st *Store) checkCreate(opts CreateOptions) (id, name string, err error) {
	if opts.ID == "" {
		id = uuid.NewString()
	} else {
		if id, err = CanonicalID(opts.ID); err != nil {
			return "", "", err
		}
		if st.opts.UUIDOnly && !isUUID(id) {
			return "", "", fmt.Errorf("ID %q: only UUIDs are allowed here (use it as a name instead): %w", id, ErrInvalidID)
		}
	}
	if name, err = checkName(opts.Name); err != nil {
		return "", "", err
	}
	if opts.Runtime != "" {
		if reason := idProblem(opts.Runtime); reason != "" {
			return "", "", fmt.Errorf("runtime %q: %s: %w", truncateForError(opts.Runtime), reason, ErrInvalidID)
		}
	}
	return id, name, nil
}

// checkName validates an alias; "" (no alias) is fine.
// CheckName says whether name can be a session's name (an empty name
// removes it); whether another session has it is checked when it is set.
func CheckName(name string) error {
	_, err := checkName(name)
	return err
}

func checkName(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	if reason := idProblem(name); reason != "" {
		return "", fmt.Errorf("name %q: %s: %w", truncateForError(name), reason, ErrInvalidID)
	}
	if isUUID(name) {
		return "", fmt.Errorf("name %q: a name cannot be a UUID: %w", name, ErrInvalidID)
	}
	return name, nil
}

// conflicts checks a new or renamed session (self) against all others: its
// ID (if newID) and its name must not equal, ignoring case, any other
// session's ID or name, so that Resolve never has to choose.
func conflicts(all []scanned, self, id, name string, newID bool) error {
	for _, o := range all {
		if o.id == self {
			continue
		}
		if newID && (strings.EqualFold(o.id, id) || strings.EqualFold(o.sum.Name, id)) {
			return fmt.Errorf("%q is already used by session %s: %w", id, displayName(o.id, o.sum.Name), ErrExists)
		}
		if name != "" && (strings.EqualFold(o.id, name) || strings.EqualFold(o.sum.Name, name)) {
			return fmt.Errorf("name %q is already used by session %s: %w", name, displayName(o.id, o.sum.Name), ErrExists)
		}
		// A session with a UUID is reached by a prefix of it, as people
		// abbreviate them; a new ID or name that is such a prefix would
		// take that reference over (an exact match wins over a prefix).
		_, uuidErr := uuid.Parse(o.id)
		for _, ref := range []string{id, name} {
			if uuidErr == nil && ref != "" && (newID || ref == name) && len(ref) < len(o.id) &&
				strings.HasPrefix(strings.ToLower(o.id), strings.ToLower(ref)) {
				return fmt.Errorf("%q begins the ID of session %s, which it would no longer reach by it: %w", ref, displayName(o.id, o.sum.Name), ErrExists)
			}
		}
	}
	return nil
}

// buildSession creates the session's files in a staging directory and
// renames it to final.
func (st *Store) buildSession(final string, m *Meta) error {
	stage, err := os.MkdirTemp(st.root, creatingPrefix+"*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage) // no-op once renamed
	if err := os.Chmod(stage, dirPerm); err != nil {
		return err
	}
	for _, d := range []string{workspaceDir, buffersDir} {
		if err := os.Mkdir(filepath.Join(stage, d), dirPerm); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(stage, historyFile), nil, filePerm); err != nil {
		return err
	}
	if err := st.writeMeta(stage, m); err != nil {
		return err
	}
	size, err := dirSize(stage)
	if err != nil {
		return err
	}
	m.Stats.SizeBytes, m.Stats.SizeMeasuredAt = size, m.UpdatedAt
	if err := st.writeMeta(stage, m); err != nil {
		return err
	}
	if err := st.syncDir(stage); err != nil {
		return err
	}
	if err := os.Rename(stage, final); err != nil {
		return err
	}
	return st.syncDir(st.root)
}

// openSession opens the session whose canonical ID is id, refusing
// anything but a real directory directly under the root (a symlink planted
// in the root is refused even if it points at a valid session).
func (st *Store) openSession(id string) (*Session, error) {
	dir := filepath.Join(st.root, id)
	fi, err := os.Lstat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("sessions: session %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("sessions: open %s: %w", id, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("sessions: %s in %s is not a session directory (symlink or file), refused: %w", id, st.root, ErrInvalidID)
	}
	m, err := st.readMeta(id)
	if err != nil {
		return nil, fmt.Errorf("sessions: open %s: %w", id, err)
	}
	return &Session{st: st, id: id, dir: dir, meta: m}, nil
}

// Resolve finds a session by exact ID, exact name, or a unique ID prefix of
// at least 4 characters, in that order. A prefix matching several sessions
// fails with an *AmbiguousError listing them; no match fails with
// ErrNotFound.
func (st *Store) Resolve(ref string) (*Session, error) {
	id, err := CanonicalID(ref)
	if err != nil {
		return nil, err
	}
	s, err := st.openSession(id)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return s, err
	}
	all, err := st.scan(false)
	if err != nil {
		return nil, fmt.Errorf("sessions: resolve %q: %w", ref, err)
	}
	// IDs and names are one namespace, matched ignoring case: creation
	// refuses one that differs from another only by case, so at most one
	// session matches.
	for _, o := range all {
		if strings.EqualFold(o.sum.Name, ref) || strings.EqualFold(o.id, ref) {
			return st.openSession(o.id)
		}
	}
	var matches []string
	if len(ref) >= minPrefixLength {
		for _, o := range all {
			if len(o.id) >= len(id) && strings.EqualFold(o.id[:len(id)], id) {
				matches = append(matches, o.id)
			}
		}
	}
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("sessions: no session %q: %w", ref, ErrNotFound)
	case 1:
		return st.openSession(matches[0])
	default:
		sort.Strings(matches)
		return nil, &AmbiguousError{Ref: ref, Candidates: matches}
	}
}

// List returns every session, most recently used first. It reads only
// session.json files (and skips even those when the list cache says they
// are unchanged); it never reads history or walks workspaces. Entries of the
// root that are not valid sessions are skipped and reported to
// Options.Warn.
func (st *Store) List() ([]Summary, error) {
	all, err := st.scan(true)
	if err != nil {
		return nil, fmt.Errorf("sessions: list: %w", err)
	}
	out := make([]Summary, len(all))
	for i, o := range all {
		out[i] = o.sum
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].LastUsedAt.Equal(out[j].LastUsedAt) {
			return out[i].LastUsedAt.After(out[j].LastUsedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Rename sets the session's alias to newName ("" removes it). The ID, and
// so the directory, never changes.
func (st *Store) Rename(ref, newName string) error {
	name, err := checkName(newName)
	if err != nil {
		return fmt.Errorf("sessions: rename %q: %w", ref, err)
	}
	s, err := st.Resolve(ref)
	if err != nil {
		return fmt.Errorf("sessions: rename %q: %w", ref, err)
	}
	unlock, err := st.lockStore()
	if err != nil {
		return fmt.Errorf("sessions: rename %q: %w", ref, err)
	}
	defer unlock()
	if name != "" {
		all, err := st.scan(false)
		if err != nil {
			return fmt.Errorf("sessions: rename %q: %w", ref, err)
		}
		if err := conflicts(all, s.id, s.id, name, false); err != nil {
			return fmt.Errorf("sessions: rename %q: %w", ref, err)
		}
	}
	err = s.updateMeta(func(m *Meta) error {
		m.Name = name
		return nil
	})
	if err != nil {
		return fmt.Errorf("sessions: rename %q: %w", ref, err)
	}
	return nil
}

// Delete removes a session: workspace, history, buffers, everything. It
// fails with an *InUseError if another process (or another Store) owns the
// session, and with ErrRunning while a run is in progress in it (see
// Session.BeginRun); if this Store owns it, the owner lock is released. A session
// whose session.json is unreadable can still be deleted by its exact ID.
func (st *Store) Delete(ref string) error {
	id, err := st.resolveForDelete(ref)
	if err != nil {
		return fmt.Errorf("sessions: delete %q: %w", ref, err)
	}
	unlock, err := st.lockStore()
	if err != nil {
		return fmt.Errorf("sessions: delete %q: %w", ref, err)
	}
	defer unlock()
	if _, err := st.remove(id); err != nil {
		return fmt.Errorf("sessions: delete %q: %w", ref, err)
	}
	return nil
}

// resolveForDelete is Resolve, except that an exact ID is accepted even if
// the session's metadata cannot be read.
func (st *Store) resolveForDelete(ref string) (string, error) {
	id, err := CanonicalID(ref)
	if err != nil {
		return "", err
	}
	if ok, _ := isRealDir(filepath.Join(st.root, id)); ok {
		return id, nil
	}
	s, err := st.Resolve(ref)
	if err != nil {
		return "", err
	}
	return s.id, nil
}

// remove deletes session id and returns the bytes it occupied. The caller
// holds the store lock. The session directory is first renamed to a hidden
// trash name (one atomic step: it vanishes from List and Resolve), then
// removed; a crash in between leaves trash that the next List clears.
func (st *Store) remove(id string) (int64, error) {
	dir := filepath.Join(st.root, id)
	if ok, err := isRealDir(dir); err != nil || !ok {
		return 0, fmt.Errorf("session %s: %w", id, ErrNotFound)
	}
	fl, mine, err := st.takeOwnerForRemoval(id)
	if err != nil {
		return 0, err
	}
	removed := false
	defer func() {
		// A lock this Store already held (the app's own session) stays
		// held unless the session is gone.
		if removed || !mine {
			st.releaseOwner(id, fl)
		}
	}()

	noRuns, err := holdNoRuns(dir, id, st.nameOf(id))
	if err != nil {
		return 0, err
	}
	defer noRuns.Close()

	unlockWrite, err := lockFile(filepath.Join(dir, writeLockFile))
	if err != nil {
		return 0, err
	}
	defer unlockWrite()

	size, err := dirSize(dir)
	if err != nil {
		return 0, err
	}
	trash := filepath.Join(st.root, trashPrefix+id+"-"+uuid.NewString()[:8])
	if err := os.Rename(dir, trash); err != nil {
		return 0, err
	}
	removed = true
	if err := st.syncDir(st.root); err != nil {
		return 0, err
	}
	if err := os.RemoveAll(trash); err != nil {
		st.warn(fmt.Errorf("sessions: delete %s: removing %s: %w", id, trash, err))
	}
	return size, nil
}

// HeldElsewhere reports whether another process (or another Store) owns
// session id, with its PID (0 when it cannot be read). It probes the
// owner lock without waiting and lets it go at once; it reads nothing
// else of the session.
func (st *Store) HeldElsewhere(id string) (pid int, held bool) {
	st.mu.Lock()
	_, mine := st.owned[id]
	st.mu.Unlock()
	if mine {
		return 0, false
	}
	lockPath := filepath.Join(st.root, id, ownerLockFile)
	fl, ok, err := tryLockFile(lockPath)
	if err != nil {
		return 0, false
	}
	if !ok {
		return readOwnerPID(lockPath), true
	}
	fl.Close()
	return 0, false
}

// nameOf is session id's name, for messages ("" when it has none or its
// metadata cannot be read).
func (st *Store) nameOf(id string) string {
	if m, err := st.readMeta(id); err == nil {
		return m.Name
	}
	return ""
}

// takeOwnerForRemoval returns the session's owner lock: the one this Store
// already holds, or a freshly taken one. It fails with *InUseError if
// someone else holds it.
func (st *Store) takeOwnerForRemoval(id string) (fl *flock.Flock, mine bool, err error) {
	st.mu.Lock()
	fl = st.owned[id]
	st.mu.Unlock()
	if fl != nil {
		return fl, true, nil
	}
	lockPath := filepath.Join(st.root, id, ownerLockFile)
	fl, ok, err := tryLockFile(lockPath)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, &InUseError{ID: id, Name: st.nameOf(id), PID: readOwnerPID(lockPath)}
	}
	st.mu.Lock()
	st.owned[id] = fl
	st.mu.Unlock()
	return fl, false, nil
}
