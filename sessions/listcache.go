package sessions

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The list cache.
//
// List must answer in well under 200 ms for 10,000 sessions. Reading and
// decoding 10,000 session.json files is the slow part, so List keeps a
// cache, <root>/.list-cache, mapping each session ID to the identity of its
// session.json (inode, size and modification time) and the Summary
// decoded from it. A listing then costs one directory read, one Lstat per
// session, and one decode of the cache; only session.json files whose
// identity changed are read again.
//
// The cache is never trusted blindly: an entry is used only if the file's
// identity is unchanged, so edits by any process (which replace
// session.json by rename, giving it a new inode) are always seen. Entries
// whose session.json changed in the last two seconds are not cached at all
// (the "racy git" rule): two writes within one timestamp tick could
// otherwise leave identical identities. The cache is written without
// fsync and replaced atomically; a damaged or missing cache is ignored and
// rebuilt.

// listCacheVersion changes whenever the cache format does.
const listCacheVersion = 1

// racyWindow: session.json files modified this recently are re-read rather
// than cached.
const racyWindow = 2 * time.Second

// fileKey identifies one version of a file.
type fileKey struct {
	Ino     uint64
	Size    int64
	ModNano int64
}

type listCache struct {
	Version int
	Entries map[string]cacheEntry
}

type cacheEntry struct {
	Key fileKey
	Sum Summary
}

// scanned is one session found by scan.
type scanned struct {
	id  string
	sum Summary
}

// scanWorkers bounds the goroutines that stat and read session.json files.
const scanWorkers = 4

// scan returns every session directory in the root, unsorted; those whose
// session.json cannot be read have Summary.Error set. Entries that cannot
// be sessions (invalid names, symlinks, files) are skipped with a warning.
// With sweep, it also clears what crashed creates and deletes left behind
// (see sweepRoot); callers holding the store lock pass false.
func (st *Store) scan(sweep bool) ([]scanned, error) {
	des, err := os.ReadDir(st.root)
	if err != nil {
		return nil, err
	}
	var ids []string
	junk := false
	for _, de := range des {
		name := de.Name()
		switch {
		case strings.HasPrefix(name, "."):
			// wasmplay's own files, staging and trash directories.
			junk = junk || isJunk(name)
		case idProblem(name) != "":
			st.warn(fmt.Errorf("sessions: %s: %q is not a valid session ID; ignored", st.root, name))
		case de.Type()&fs.ModeSymlink != 0:
			st.warn(fmt.Errorf("sessions: %s: %q is a symlink; refused", st.root, name))
		case !de.IsDir():
			st.warn(fmt.Errorf("sessions: %s: %q is not a directory; ignored", st.root, name))
		default:
			ids = append(ids, name)
		}
	}

	cache := st.loadListCache()
	results := make([]scanned, len(ids))
	entries := make([]cacheEntry, len(ids))
	fresh := make([]bool, len(ids)) // read from disk and cacheable
	racyBefore := time.Now().Add(-racyWindow).UnixNano()

	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < scanWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i].id = ids[i]
				results[i].sum, entries[i], fresh[i] = st.scanOne(ids[i], cache, racyBefore)
			}
		}()
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()

	// Save the cache if anything cacheable was read from disk or an
	// entry went away. (Correctness never depends on saving: every entry
	// is checked against the file before use.)
	newCache := listCache{Version: listCacheVersion, Entries: make(map[string]cacheEntry, len(ids))}
	changed := false
	for i := range ids {
		changed = changed || fresh[i]
		if entries[i].Key != (fileKey{}) {
			newCache.Entries[ids[i]] = entries[i]
		}
	}
	if changed || len(newCache.Entries) != len(cache.Entries) {
		st.saveListCache(&newCache)
	}
	if sweep && junk {
		st.sweepRoot()
	}
	return results, nil
}

// scanOne returns the summary of session id, from the cache if its
// session.json is unchanged. fresh says the summary was read from disk and
// may be cached (entry). A session whose session.json is missing or
// unreadable is returned with Summary.Error set (and reported to Warn), so
// that List shows it and the user can delete it.
func (st *Store) scanOne(id string, cache listCache, racyBefore int64) (sum Summary, entry cacheEntry, fresh bool) {
	dir := filepath.Join(st.root, id)
	p := filepath.Join(dir, metaFile)
	broken := func(err error) (Summary, cacheEntry, bool) {
		st.warn(fmt.Errorf("sessions: %s: %w", dir, err))
		sum := Summary{ID: id, Error: err.Error()}
		if fi, err := os.Lstat(dir); err == nil {
			sum.LastUsedAt = fi.ModTime().UTC()
		}
		return sum, cacheEntry{}, false
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return broken(fmt.Errorf("no %s: %w", metaFile, ErrCorrupt))
	}
	if !fi.Mode().IsRegular() {
		return broken(fmt.Errorf("%s is not a regular file: %w", metaFile, ErrCorrupt))
	}
	key := keyOf(fi)
	if c, hit := cache.Entries[id]; hit && c.Key == key {
		return c.Sum, c, false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return broken(err)
	}
	m, err := st.parseMeta(id, b)
	if err != nil {
		return broken(err)
	}
	sum = m.summary()
	if key.ModNano >= racyBefore {
		return sum, cacheEntry{}, false
	}
	return sum, cacheEntry{Key: key, Sum: sum}, true
}

// loadListCache reads the cache; any problem yields an empty one.
func (st *Store) loadListCache() listCache {
	empty := listCache{Entries: map[string]cacheEntry{}}
	b, err := os.ReadFile(filepath.Join(st.root, listCacheFile))
	if err != nil {
		return empty
	}
	var c listCache
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&c); err != nil || c.Version != listCacheVersion || c.Entries == nil {
		return empty
	}
	return c
}

// saveListCache replaces the cache (best effort: it is only a cache).
func (st *Store) saveListCache(c *listCache) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(c); err != nil {
		return
	}
	f, err := os.CreateTemp(st.root, listCacheFile+".*"+tmpSuffix)
	if err != nil {
		return
	}
	_, werr := f.Write(buf.Bytes())
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), filepath.Join(st.root, listCacheFile)) != nil {
		os.Remove(f.Name())
	}
}

// sweepRoot removes what crashed processes left in the root: staging
// directories of unfinished creates, trash of unfinished deletes, and
// temporary cache files. It runs only if the store lock is free right now
// (creates and deletes hold it), so nothing it removes is in use.
func (st *Store) sweepRoot() {
	des, err := os.ReadDir(st.root)
	if err != nil {
		return
	}
	var junk []string
	for _, de := range des {
		if isJunk(de.Name()) {
			junk = append(junk, de.Name())
		}
	}
	if len(junk) == 0 {
		return
	}
	fl, ok, err := tryLockFile(filepath.Join(st.root, storeLockFile))
	if err != nil || !ok {
		return
	}
	defer fl.Close()
	for _, n := range junk {
		if err := os.RemoveAll(filepath.Join(st.root, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			st.warn(fmt.Errorf("sessions: clean %s: %w", n, err))
		}
	}
}

// isJunk reports whether a root entry is left over from a crash (or is in
// flight: sweepRoot checks the lock before removing anything).
func isJunk(name string) bool {
	return strings.HasPrefix(name, creatingPrefix) || strings.HasPrefix(name, trashPrefix) ||
		strings.HasPrefix(name, listCacheFile+".") && strings.HasSuffix(name, tmpSuffix) ||
		strings.HasPrefix(name, "."+lastOpenedFile+".") && strings.HasSuffix(name, tmpSuffix)
}
