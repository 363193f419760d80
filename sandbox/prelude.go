package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// Python compiles its start-up code (the prelude a run that keeps
// variables imports as sitecustomize) on every run, since nothing writes
// bytecode: about 40M fuel, a third of CPython's own start. preludeCache
// compiles each prelude once, with the guest Python itself in a run that
// executes only wasmplay's code, and keeps the .pyc in memory and under
// the cache directory, keyed by the interpreter's hash and the source.
// Runs then get sitecustomize.pyc, which CPython imports without a source.
//
// The prelude files themselves are the same for every run of a runtime (in
// a mode), so they are written once into a content-addressed directory
// under the cache and mounted read-only at PreludeDir, instead of being
// written into every run's script directory.
type preludeCache struct {
	dir string // <cacheDir>/preludes

	mu    sync.Mutex
	known map[string][]byte // key -> .pyc; nil value: compiling failed
	dirs  map[string]bool   // prelude directories known to be complete
}

// compilePreludeScript turns the source on stdin into a .pyc on stdout. The
// header's timestamp and size are zero: a sourceless import checks only
// the magic number and the flags.
const compilePreludeScript = `import importlib.util, marshal, sys
name = sys.argv[1]
code = compile(sys.stdin.read(), name, "exec")
sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code))
`

func newPreludeCache(cacheDir string) *preludeCache {
	return &preludeCache{dir: filepath.Join(cacheDir, "preludes"), known: map[string][]byte{}, dirs: map[string]bool{}}
}

// compiledPrelude returns the .pyc of a Python prelude file, or nil when it
// cannot be had (the run then imports the source, slower but the same).
// artifactSHA names the interpreter: bytecode is specific to it.
func (l *Local) compiledPrelude(artifactSHA, name, source string) []byte {
	c := l.preludes
	sum := sha256.Sum256([]byte(artifactSHA + "\x00" + name + "\x00" + source))
	key := hex.EncodeToString(sum[:12])
	c.mu.Lock()
	pyc, ok := c.known[key]
	c.mu.Unlock()
	if ok {
		return pyc
	}
	file := filepath.Join(c.dir, key+".pyc")
	pyc, err := os.ReadFile(file)
	if err != nil || !isPreludePyc(pyc) {
		if pyc, err = l.compilePrelude(name, source); err == nil && os.MkdirAll(c.dir, 0o700) == nil {
			// A failure to store costs only the speed-up.
			_ = writeFileAtomic(file, pyc, 0o600)
		}
	}
	if !isPreludePyc(pyc) {
		pyc = nil
	}
	c.mu.Lock()
	c.known[key] = pyc
	c.mu.Unlock()
	return pyc
}

// isPreludePyc tells whether data looks like a .pyc this cache writes: a
// header with a zero timestamp and size, then code.
func isPreludePyc(data []byte) bool {
	return len(data) > 16 && bytes.Equal(data[4:16], make([]byte, 12))
}

// compilePrelude runs the compile script in the sandbox. The run writes its
// own prelude (if any) as source.
func (l *Local) compilePrelude(name, source string) ([]byte, error) {
	ws, err := hostfs.TempDir("prelude")
	if err != nil {
		return nil, fmt.Errorf("runner: compile prelude: %w", err)
	}
	defer os.RemoveAll(ws)
	policy := run.DefaultPolicy()
	policy.Stdin, policy.Args, policy.StdoutMaxBytes = []byte(source), []string{runtimes.PreludeDir + "/" + name}, 8<<20
	res := l.execute(context.Background(), 0, run.Job{
		Runtime: runtimes.Python, Code: []byte(compilePreludeScript), Workspace: ws, Policy: policy,
	}, run.Hooks{}, execOptions{sourcePrelude: true})
	if res.Outcome != run.OutcomeOK || len(res.Stdout) < 17 {
		return nil, fmt.Errorf("runner: compile prelude %s: %s %s", name, res.Outcome, strings.TrimSpace(string(res.Stderr)))
	}
	return res.Stdout, nil
}

// preludeDirFor returns the directory to mount at PreludeDir for a run of
// rt ("" when the runtime has no prelude). Python files are given as
// bytecode unless sourceOnly (the run that compiles them).
func (l *Local) preludeDirFor(rt *runtimes.Runtime, artifactSHA string, files map[string]string, sourceOnly bool) (string, error) {
	if len(files) == 0 {
		return "", nil
	}
	var compiled map[string][]byte
	if rt.Name == runtimes.Python && !sourceOnly {
		compiled = map[string][]byte{}
		for name, source := range files {
			if !strings.HasSuffix(name, ".py") {
				continue
			}
			if pyc := l.compiledPrelude(artifactSHA, name, source); pyc != nil {
				compiled[name] = pyc
			}
		}
	}
	return l.preludes.preludeDir(files, compiled)
}

// preludeDir returns a directory holding the prelude files: as compiled
// bytecode (name + "c") when compiled has it, else as source. It is named
// after its contents and written once (through a temporary directory and a
// rename), so runs share it; they mount it read-only.
func (c *preludeCache) preludeDir(files map[string]string, compiled map[string][]byte) (string, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	content := map[string][]byte{}
	for _, name := range names {
		data, file := []byte(files[name]), name
		if pyc, ok := compiled[name]; ok {
			data, file = pyc, name+"c"
		}
		content[file] = data
		fmt.Fprintf(h, "%s\x00%d\x00", file, len(data))
		h.Write(data)
	}
	dir := filepath.Join(c.dir, hex.EncodeToString(h.Sum(nil)[:12])+".d")
	c.mu.Lock()
	known := c.dirs[dir]
	c.mu.Unlock()
	if known {
		return dir, nil
	}
	if _, err := os.Stat(dir); err != nil {
		if err := os.MkdirAll(c.dir, 0o700); err != nil {
			return "", fmt.Errorf("runner: prelude directory: %w", err)
		}
		tmp, err := os.MkdirTemp(c.dir, ".tmp-")
		if err != nil {
			return "", fmt.Errorf("runner: prelude directory: %w", err)
		}
		for file, data := range content {
			if err := os.WriteFile(filepath.Join(tmp, file), data, 0o444); err != nil {
				os.RemoveAll(tmp)
				return "", fmt.Errorf("runner: write prelude: %w", err)
			}
		}
		if err := os.Chmod(tmp, 0o755); err != nil {
			os.RemoveAll(tmp)
			return "", fmt.Errorf("runner: prelude directory: %w", err)
		}
		if err := os.Rename(tmp, dir); err != nil {
			// Another process won the race: its directory is the same.
			os.RemoveAll(tmp)
			if _, statErr := os.Stat(dir); statErr != nil {
				return "", fmt.Errorf("runner: prelude directory: %w", err)
			}
		}
	}
	c.mu.Lock()
	c.dirs[dir] = true
	c.mu.Unlock()
	return dir, nil
}
