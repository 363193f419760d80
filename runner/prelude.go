package runner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/wasmplay/wasmplay/runtimes"
)

// Python compiles its start-up code (the prelude a run that keeps
// variables imports as sitecustomize) on every run, since nothing writes
// bytecode: about 40M fuel, a third of CPython's own start. preludeCache
// compiles each prelude once, with the guest Python itself in a run that
// executes only wasmplay's code, and keeps the .pyc in memory and under
// the cache directory, keyed by the interpreter's hash and the source.
// Runs then get sitecustomize.pyc, which CPython imports without a source.
type preludeCache struct {
	dir string // <cacheDir>/preludes

	mu    sync.Mutex
	known map[string][]byte // key -> .pyc; nil value: compiling failed
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
	return &preludeCache{dir: filepath.Join(cacheDir, "preludes"), known: map[string][]byte{}}
}

// compiled returns the .pyc of a Python prelude file, or nil when it
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
	ws, err := os.MkdirTemp("", "wasmplay-prelude-")
	if err != nil {
		return nil, fmt.Errorf("runner: compile prelude: %w", err)
	}
	defer os.RemoveAll(ws)
	res := l.execute(context.Background(), 0, Job{
		Runtime: runtimes.Python, Code: []byte(compilePreludeScript), Workspace: ws,
		Policy:        Policy{Stdin: []byte(source), Args: []string{runtimes.PreludeDir + "/" + name}, StdoutMaxBytes: 8 << 20},
		sourcePrelude: true,
	}, Hooks{}, false)
	if res.Outcome != OutcomeOK || len(res.Stdout) < 17 {
		return nil, fmt.Errorf("runner: compile prelude %s: %s %s", name, res.Outcome, strings.TrimSpace(string(res.Stderr)))
	}
	return res.Stdout, nil
}
