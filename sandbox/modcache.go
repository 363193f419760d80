package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/gofrs/flock"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// ModuleCache compiles each interpreter binary once per machine: compiled
// code is serialized to disk, keyed by the binary's sha256 and the engine
// fingerprint (wasmtime version and settings), and deserialized (mapped) by
// later processes in about a millisecond. In memory it keeps one Module per
// binary, shared by all runs.
//
// The cache directory must belong to the user: deserializing runs the
// native code it holds. Files are written atomically (temp file, rename).
type ModuleCache struct {
	engine *Engine
	dir    string

	mu      sync.Mutex
	modules map[string]*moduleLoad // by absolute artifact path
}

type moduleLoad struct {
	done chan struct{}
	mod  *wasmtime.Module
	info ModuleInfo
	err  error
}

// ModuleInfo says how a module was obtained, for benchmarks and messages.
type ModuleInfo struct {
	// Path is the artifact.
	Path string
	// SHA256 is the artifact's hash.
	SHA256 string
	// Compiled is true when this process compiled it (a cache miss).
	Compiled bool
	// LoadTime is how long hashing, compiling or deserializing took.
	LoadTime time.Duration
}

// NewModuleCache returns a cache that stores compiled modules under dir.
func NewModuleCache(engine *Engine, dir string) (*ModuleCache, error) {
	if err := os.MkdirAll(filepath.Join(dir, "modules"), 0o700); err != nil {
		return nil, fmt.Errorf("runner: module cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "hashes"), 0o700); err != nil {
		return nil, fmt.Errorf("runner: module cache: %w", err)
	}
	return &ModuleCache{engine: engine, dir: dir, modules: map[string]*moduleLoad{}}, nil
}

// Load returns the module for a .wasm file, compiling it at most once per
// machine. check, if not nil, vets the file before it is used (e.g. that it
// is a WASI command): once per file, since a pass is remembered beside the
// file's hash and holds while its size, mtime and inode do. onCompile, if
// not nil, is called before a slow compile starts.
func (c *ModuleCache) Load(path string, check func(string) error, onCompile func(run.Compiling)) (*wasmtime.Module, ModuleInfo, error) {
	return c.loadVariant(path, check, moduleVariant{}, onCompile)
}

// moduleVariant is a rewrite of a module's binary that is compiled (and
// cached) in place of the binary itself.
type moduleVariant struct {
	// name identifies the rewrite, and its version, in cache keys; "" is
	// the binary as it is.
	name string
	// transform rewrites the binary.
	transform func(wasm []byte) ([]byte, error)
}

// loadVariant is Load for the rewrite variant makes of the .wasm file at
// path (check vets the file itself; ModuleInfo.SHA256 is its hash).
func (c *ModuleCache) loadVariant(path string, check func(string) error, variant moduleVariant, onCompile func(run.Compiling)) (*wasmtime.Module, ModuleInfo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, ModuleInfo{}, fmt.Errorf("runner: module path: %w", err)
	}
	memo := abs + "\x00" + variant.name
	c.mu.Lock()
	load, ok := c.modules[memo]
	if !ok {
		load = &moduleLoad{done: make(chan struct{})}
		c.modules[memo] = load
	}
	c.mu.Unlock()
	if ok {
		<-load.done
		return load.mod, load.info, load.err
	}
	if check != nil {
		load.err = c.checkOnce(abs, check)
	}
	if load.err == nil {
		load.mod, load.info, load.err = c.load(abs, variant, onCompile)
	}
	if load.err != nil {
		// Forget failures so a fixed binary can be loaded later.
		c.mu.Lock()
		delete(c.modules, memo)
		c.mu.Unlock()
	}
	close(load.done)
	return load.mod, load.info, load.err
}

func (c *ModuleCache) load(path string, variant moduleVariant, onCompile func(run.Compiling)) (*wasmtime.Module, ModuleInfo, error) {
	start := time.Now()
	info := ModuleInfo{Path: path}
	rec, err := c.artifactHash(path)
	if err != nil {
		return nil, info, err
	}
	sum := rec.SHA256
	info.SHA256 = sum
	keyText := sum + "\n" + c.engine.Fingerprint()
	if variant.name != "" {
		keyText += "\nvariant " + variant.name
	}
	key := sha256.Sum256([]byte(keyText))
	compiled := filepath.Join(c.dir, "modules", hex.EncodeToString(key[:16])+".cwasm")

	if mod, err := wasmtime.NewModuleDeserializeFile(c.engine.wt, compiled); err == nil {
		info.LoadTime = time.Since(start)
		return mod, info, nil
	}

	// Compile under a file lock so two processes do not both spend seconds
	// on it; the second one finds the first one's result.
	lock := flock.New(compiled + ".lock")
	if err := lock.Lock(); err != nil {
		return nil, info, fmt.Errorf("runner: lock module cache: %w", err)
	}
	defer lock.Unlock()
	if mod, err := wasmtime.NewModuleDeserializeFile(c.engine.wt, compiled); err == nil {
		info.LoadTime = time.Since(start)
		return mod, info, nil
	}
	if onCompile != nil {
		onCompile(run.Compiling{Path: path})
	}
	wasm, err := hostfs.ReadFile(path, runtimes.MaxModuleFileBytes)
	if err != nil {
		return nil, info, fmt.Errorf("runner: read %s: %w", path, err)
	}
	if variant.transform != nil {
		if wasm, err = variant.transform(wasm); err != nil {
			return nil, info, fmt.Errorf("runner: %s: %w", path, err)
		}
	}
	mod, err := wasmtime.NewModule(c.engine.wt, wasm)
	if err != nil {
		return nil, info, fmt.Errorf("runner: compile %s: %w", path, err)
	}
	info.Compiled = true
	if data, err := mod.Serialize(); err == nil {
		// A cache we cannot write only costs the next process a compile.
		_ = writeFileAtomic(compiled, data, 0o600)
	}
	info.LoadTime = time.Since(start)
	return mod, info, nil
}

// hashRecord remembers an artifact's sha256 with the file facts it was
// computed from, so later processes skip re-hashing an unchanged file, and
// whether the file passed the Load check (which reads all of it).
type hashRecord struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mod_time_ns"`
	Inode   uint64 `json:"inode"`
	SHA256  string `json:"sha256"`
	Checked bool   `json:"checked,omitempty"`
}

// recordPath is where the hashRecord of path lives.
func (c *ModuleCache) recordPath(path string) string {
	pathKey := sha256.Sum256([]byte(path))
	return filepath.Join(c.dir, "hashes", hex.EncodeToString(pathKey[:12])+".json")
}

// artifactHash returns the record of path: from the cache when the file is
// unchanged (same size, mtime and inode), else freshly hashed (and not
// checked).
func (c *ModuleCache) artifactHash(path string) (hashRecord, error) {
	info, err := os.Stat(path)
	if err != nil {
		return hashRecord{}, fmt.Errorf("runner: %w", err)
	}
	if !info.Mode().IsRegular() {
		return hashRecord{}, fmt.Errorf("runner: %s is not a regular file", path)
	}
	facts := hashRecord{Path: path, Size: info.Size(), ModTime: info.ModTime().UnixNano(), Inode: hostfs.Inode(info)}
	if data, err := os.ReadFile(c.recordPath(path)); err == nil {
		var rec hashRecord
		if json.Unmarshal(data, &rec) == nil && rec.SHA256 != "" {
			want := facts
			want.SHA256, want.Checked = rec.SHA256, rec.Checked
			if rec == want {
				return rec, nil
			}
		}
	}
	sum, _, err := runtimes.FileSHA256(path)
	if err != nil {
		return hashRecord{}, err
	}
	facts.SHA256 = sum
	c.saveRecord(facts)
	return facts, nil
}

// saveRecord stores rec; a cache we cannot write only costs a re-hash.
func (c *ModuleCache) saveRecord(rec hashRecord) {
	if data, err := json.Marshal(rec); err == nil {
		_ = writeFileAtomic(c.recordPath(rec.Path), data, 0o600)
	}
}

// checkOnce runs check on path unless an earlier process recorded that
// this very file (same size, mtime, inode and sha256) passed it.
func (c *ModuleCache) checkOnce(path string, check func(string) error) error {
	rec, err := c.artifactHash(path)
	if err != nil {
		// Let check say what is wrong (a missing file, a directory).
		return check(path)
	}
	if rec.Checked {
		return nil
	}
	if err := check(path); err != nil {
		return err
	}
	rec.Checked = true
	c.saveRecord(rec)
	return nil
}

// writeFileAtomic writes data to a temp file beside path, syncs it and
// renames it into place, so readers see the old file or the new one.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	return writeFileAtomicWith(path, perm, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// writeFileAtomicWith is writeFileAtomic with the writing done by write.
func writeFileAtomicWith(path string, perm os.FileMode, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	werr := write(tmp)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr, os.Chmod(name, perm)); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}
