package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/textsafe"
)

// cliEnv is one isolated world for in-process runs of the command line:
// its own config file and sessions, the repository's runtimes.
type cliEnv struct {
	t        *testing.T
	config   string
	sessions string
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	testenv.Need(t, filepath.Join(testenv.BinDir(), "python", "python.wasm"), "the python runtime", "make runtimes")
	dir := t.TempDir()
	return &cliEnv{t: t, config: filepath.Join(dir, "config.toml"), sessions: filepath.Join(dir, "sessions")}
}

// run runs `wasmplay args...` with stdin and returns its exit status and
// output.
func (e *cliEnv) run(stdin string, args ...string) (int, string, string) {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	all := append([]string{"--bin-dir", testenv.BinDir(), "--cache-dir", testenv.CacheDir(),
		"--config", e.config, "--sessions-dir", e.sessions}, args...)
	status := Run(all, strings.NewReader(stdin), &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

// Every documented exit status of `wasmplay run`, each from a real run.
func TestRun_ExitStatuses(t *testing.T) {
	e := newCLIEnv(t)
	tests := []struct {
		name   string
		args   []string
		status int
		stderr string // part of what is printed
	}{
		{"success", []string{"-c", "print(1)"}, 0, "── ok · exit 0"},
		{"the guest's own status", []string{"-c", "import sys; sys.exit(3)"}, 3, "exit_nonzero · exit 3"},
		{"an uncaught exception", []string{"-c", "raise ValueError('x')"}, 1, "ValueError: x"},
		{"bad flag value", []string{"--fuel", "lots", "-c", "print(1)"}, ExitUsage, "--fuel:"},
		{"zero limit is an error, not the default", []string{"--fuel", "0", "-c", "print(1)"}, ExitUsage, "--fuel: must be positive"},
		{"unknown flag", []string{"--fuell", "1G", "-c", "print(1)"}, ExitUsage, "unknown flag"},
		{"unknown runtime", []string{"-r", "cobol", "-c", "x"}, ExitRuntimeUnavailable, "unknown runtime"},
		{"trap", []string{"-r", "wat", "-c", `(module (func (export "_start") unreachable))`}, ExitTrap, "trap"},
		{"out of fuel", []string{"--fuel", "50M", "-c", "while True: pass"}, ExitOutOfFuel, "out_of_fuel"},
		{"memory limit", []string{"--memory", "32MiB", "-c", "x = bytearray(64 << 20)"}, ExitMemoryLimit, "memory_limit"},
		{"disk quota", []string{"--disk", "1MiB", "-c", "open('/app/big', 'wb').write(b'x' * (4 << 20))"}, ExitDiskLimit, "disk_limit"},
		{"files quota", []string{"--files", "5", "-c", "for i in range(10): open(f'/app/f{i}', 'w')"}, ExitDiskLimit, "disk_limit"},
		{"stack overflow", []string{"-r", "wat", "-c", `(module (func $f (call $f)) (func (export "_start") (call $f)))`}, ExitStackOverflow, "stack_overflow"},
		{"timeout", []string{"--fuel", "1T", "--timeout", "300ms", "-c", "while True: pass"}, ExitTimeout, "timeout"},
		{"reserved variable", []string{"--env", "PYTHONHOME=/x", "-c", "print(1)"}, ExitUsage, "--env: PYTHONHOME is set by wasmplay"},
		{"keep-state without a session", []string{"--keep-state", "-c", "x = 1"}, ExitUsage, "--keep-state:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, stderr := e.run("", append([]string{"run"}, tc.args...)...)
			if status != tc.status || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("status %d, want %d; stderr %q, want it to contain %q", status, tc.status, stderr, tc.stderr)
			}
		})
	}
}

// The code comes from -c, a file, standard input or a Markdown answer,
// and a file's extension picks its runtime.
func TestRun_CodeSources(t *testing.T) {
	e := newCLIEnv(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"-c", "", []string{"-c", "print('from -c')"}, "from -c\n"},
		{"a Python file", "", []string{write("a.py", "print('from a file')")}, "from a file\n"},
		{"a .cjs file is JavaScript", "", []string{write("b.cjs", "console.log('from cjs')")}, "from cjs\n"},
		{"standard input", "print('from stdin')", []string{"-"}, "from stdin\n"},
		{"a Markdown answer", "", []string{"--from-markdown", write("answer.md", "Here:\n\n```js\nconsole.log('from markdown')\n```\n")}, "from markdown\n"},
		{"arguments after --", "", []string{"-c", "import sys; print(sys.argv[1:])", "--", "a", "b c"}, "['a', 'b c']\n"},
		{"--stdin FILE", "", []string{"--stdin", write("in.txt", "fed\n"), "-c", "print(input())"}, "fed\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, stdout, stderr := e.run(tc.stdin, append([]string{"run"}, tc.args...)...)
			if status != 0 || stdout != tc.want {
				t.Fatalf("status %d stdout %q (want %q)\nstderr: %s", status, stdout, tc.want, stderr)
			}
		})
	}
}

// runJSONSchema is the documented --json object (docs/CLI.md), decoded
// strictly: a field renamed or added without updating the documentation
// and this test fails it.
type runJSONSchema struct {
	Schema          int             `json:"schema"`
	Runtime         string          `json:"runtime"`
	Start           string          `json:"start"`
	Success         bool            `json:"success"`
	Outcome         string          `json:"outcome"`
	ExitCode        int             `json:"exit_code"`
	Message         string          `json:"message"`
	Stdout          string          `json:"stdout"`
	StdoutBase64    string          `json:"stdout_base64"`
	Stderr          string          `json:"stderr"`
	StderrBase64    string          `json:"stderr_base64"`
	StdoutTruncated bool            `json:"stdout_truncated"`
	StderrTruncated bool            `json:"stderr_truncated"`
	StdoutBytes     int64           `json:"stdout_bytes"`
	StderrBytes     int64           `json:"stderr_bytes"`
	FuelConsumed    uint64          `json:"fuel_consumed"`
	FuelExact       bool            `json:"fuel_exact"`
	MemoryPages     uint64          `json:"memory_pages"`
	PeakMemoryPages uint64          `json:"peak_memory_pages"`
	MemoryBytes     uint64          `json:"memory_bytes"`
	PeakMemoryBytes uint64          `json:"peak_memory_bytes"`
	MemoryDenied    uint64          `json:"memory_grow_denied"`
	DurationMS      float64         `json:"duration_ms"`
	QueuedMS        float64         `json:"queued_ms"`
	StartedAt       time.Time       `json:"started_at"`
	FinishedAt      time.Time       `json:"finished_at"`
	Files           run.FileChanges `json:"files"`
	FilesTruncated  bool            `json:"files_truncated"`
	Disk            struct {
		Bytes   uint64 `json:"bytes"`
		Entries uint64 `json:"entries"`
	} `json:"disk"`
	DiskRefused uint64 `json:"disk_refused"`
	Limits      struct {
		FuelBudget     uint64 `json:"fuel_budget"`
		MemoryBytes    uint64 `json:"memory_bytes"`
		StdoutMaxBytes int64  `json:"stdout_max_bytes"`
		StderrMaxBytes int64  `json:"stderr_max_bytes"`
		TimeoutMS      int64  `json:"timeout_ms"`
		DiskBytes      uint64 `json:"disk_bytes"`
		DiskFiles      uint64 `json:"disk_files"`
	} `json:"limits"`
	State *struct {
		Restored []string `json:"restored"`
		Saved    []string `json:"saved"`
		Skipped  []string `json:"skipped"`
		Problem  string   `json:"problem"`
	} `json:"state"`
	Session *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Run  int    `json:"run"`
	} `json:"session"`
}

func TestRun_JSONSchema(t *testing.T) {
	e := newCLIEnv(t)
	status, stdout, stderr := e.run("", "run", "--json", "--session", "json", "--new", "--keep-state",
		"-c", "total = 42\nopen('/app/out.txt', 'w').write('x')\nprint(total)")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	var doc runJSONSchema
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("the --json output does not match the documented schema: %v\n%s", err, stdout)
	}
	switch {
	case doc.Schema != run.ResultJSONSchema, doc.Outcome != "ok", doc.Stdout != "42\n", doc.Runtime != "python":
		t.Errorf("fields: %+v", doc)
	case doc.Limits.FuelBudget != run.DefaultFuelBudget || doc.Limits.TimeoutMS != run.DefaultTimeout.Milliseconds(),
		doc.Limits.DiskBytes != run.DefaultDiskBytes || doc.Limits.DiskFiles != run.DefaultDiskFiles:
		t.Errorf("limits: %+v", doc.Limits)
	case len(doc.Files.Created) != 1 || doc.Files.Created[0].Path != "out.txt":
		t.Errorf("files: %+v", doc.Files)
	case doc.Disk.Entries == 0 || doc.Disk.Bytes == 0 || doc.FilesTruncated:
		t.Errorf("disk: %+v, files truncated %v", doc.Disk, doc.FilesTruncated)
	case doc.State == nil || strings.Join(doc.State.Saved, ",") != "total":
		t.Errorf("state: %+v", doc.State)
	case doc.Session == nil || doc.Session.ID != "json" || doc.Session.Run != 1:
		t.Errorf("session: %+v", doc.Session)
	}
	if !strings.Contains(readDoc(t, "CLI.md"), "| `state` | object |") {
		t.Error("docs/CLI.md does not document the state field")
	}
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.Root(), "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A session's invalid saved limits are an error naming them, as in the app.
func TestRun_InvalidSessionLimits(t *testing.T) {
	e := newCLIEnv(t)
	if status, _, stderr := e.run("", "run", "--session", "lim", "--new", "-c", "pass"); status != 0 {
		t.Fatal(stderr)
	}
	store, err := sessions.Open(e.sessions, sessions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := store.Resolve("lim")
	if err != nil {
		t.Fatal(err)
	}
	zero := int64(0)
	if err := sess.SetLimits(run.Overrides{StdoutMaxBytes: &zero}); err != nil {
		t.Fatal(err)
	}
	status, _, stderr := e.run("", "run", "--session", "lim", "-c", "pass")
	if status != ExitUsage || !strings.Contains(stderr, "the stdout_max limit session lim keeps") {
		t.Fatalf("status %d: %s", status, stderr)
	}
}

// A config file's zero or unparsable limit names its key.
func TestRun_ConfigLimitErrors(t *testing.T) {
	e := newCLIEnv(t)
	if err := os.WriteFile(e.config, []byte("[policy]\ntimeout = \"0s\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, _, stderr := e.run("", "run", "-c", "pass")
	if status != ExitUsage || !strings.Contains(stderr, "policy.timeout: must be positive") {
		t.Fatalf("status %d: %s", status, stderr)
	}
}

// `wasmplay demo ID` runs through the playground: the user's config
// applies under the demo's own limits.
func TestDemo_UsesTheConfig(t *testing.T) {
	e := newCLIEnv(t)
	if err := os.WriteFile(e.config, []byte("[policy]\nmemory = \"24MiB\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, stdout, stderr := e.run("", "demo", "hello")
	if status != 0 || !strings.Contains(stdout, "met") || !strings.Contains(stderr, "of 24 MiB") {
		t.Fatalf("status %d\nstdout %s\nstderr %s", status, stdout, stderr)
	}
}

// TestSessions_GuestStringsShownSafely: what a guest printed, named its
// files and raised comes back through `sessions show`, `--json` and an
// export with no control character left raw and no line it did not own.
func TestSessions_GuestStringsShownSafely(t *testing.T) {
	e := newCLIEnv(t)
	code := `import sys
print("\x1b]0;pwned\x07\x1b[2J\u009b2J\u0085")
open("/app/evil\n## Forged\u202e", "w").write("x")
raise ValueError("\x1b]52;c;AAAA\x07")`
	status, stdout, _ := e.run("", "run", "--session", "hostile", "--new", "-c", code)
	if status != 1 || !strings.Contains(stdout, "\x1b]0;pwned") {
		t.Fatalf("status %d; to a pipe the output must stay exact: %q", status, stdout)
	}
	_, show, stderr := e.run("", "sessions", "show", "hostile")
	_, asJSON, _ := e.run("", "run", "--json", "--session", "hostile", "-c", code)
	export := filepath.Join(t.TempDir(), "out")
	if status, _, err := e.run("", "sessions", "export", "hostile", export); status != 0 {
		t.Fatalf("export: %s", err)
	}
	reportMD, err := os.ReadFile(filepath.Join(export, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	reportJSON, err := os.ReadFile(filepath.Join(export, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{"sessions show": show + stderr, "--json": asJSON,
		"report.md": string(reportMD), "report.json": string(reportJSON)} {
		for _, r := range doc {
			if textsafe.Unsafe(r) && r != '\n' && r != '\t' {
				t.Errorf("%s holds %U raw", name, r)
				break
			}
		}
		for _, line := range strings.Split(doc, "\n") {
			if strings.HasPrefix(line, "## Forged") {
				t.Errorf("%s: a file name forged a line: %q", name, line)
			}
		}
	}
}

// The theme chosen in the app is remembered beside the config file and
// wins over the configured one; a stale name falls back to the config.
func TestPickTheme_Remembered(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	dirs := config.Dirs{ConfigFile: filepath.Join(t.TempDir(), "wasmplay", "config.toml")}
	cfg := config.Config{Theme: "light"}
	pick := func() string {
		th, err := pickTheme(cfg, dirs)
		if err != nil {
			t.Fatal(err)
		}
		return th.Name
	}
	if got := pick(); got != "light" {
		t.Fatalf("nothing remembered: %s", got)
	}
	if err := saveTheme(dirs, "dracula"); err != nil {
		t.Fatal(err)
	}
	if got := pick(); got != "dracula" {
		t.Fatalf("remembered dracula: %s", got)
	}
	os.WriteFile(filepath.Join(filepath.Dir(dirs.ConfigFile), themeFile), []byte("no-such-theme\n"), 0o600)
	if got := pick(); got != "light" {
		t.Fatalf("a stale name: %s", got)
	}
}
