package playground_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/demos"
	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
	"github.com/wasmplay/wasmplay/sessions"
)

var (
	localOnce sync.Once
	local     *sandbox.Local
	localErr  error
)

func testLocal(t *testing.T) *sandbox.Local {
	t.Helper()
	localOnce.Do(func() {
		var reg *runtimes.Registry
		if reg, localErr = runtimes.NewRegistry(testenv.BinDir(), nil); localErr == nil {
			local, localErr = sandbox.NewLocal(reg, testenv.CacheDir())
		}
	})
	if localErr != nil {
		t.Fatal(localErr)
	}
	return local
}

func needRuntime(t *testing.T, name string) {
	t.Helper()
	l := testLocal(t)
	rt, err := l.Registry().Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Need(t, l.Registry().ArtifactPath(rt), "the "+name+" runtime", "make runtimes")
}

// newPlayground is a playground on a fresh sessions store, with the config
// layer given.
func newPlayground(t *testing.T, configLayer run.Overrides) (*playground.Playground, *sessions.Store) {
	t.Helper()
	store, err := sessions.Open(t.TempDir(), sessions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rn, err := runner.New(runner.Config{Executor: testLocal(t), Slots: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rn.Close(context.Background()) })
	pg, err := playground.New(playground.Options{Runner: rn, Registry: testLocal(t).Registry(), Store: store, Config: configLayer})
	if err != nil {
		t.Fatal(err)
	}
	return pg, store
}

func mustRun(t *testing.T, pg *playground.Playground, req playground.Request) playground.Outcome {
	t.Helper()
	r, err := pg.Start(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return r.Wait()
}

func yes() *bool { v := true; return &v }

// Two front ends keep variables in one session: what one kept is what the
// other's next run starts with, never a copy read earlier. (The app used
// to cache a session's variables when it opened it, so a `wasmplay run
// --keep-state` made meanwhile was overwritten by the app's next run.)
func TestPlayground_KeptVariablesAreNeverStale(t *testing.T) {
	needRuntime(t, "python")
	pg, store := newPlayground(t, run.Overrides{})
	app, err := store.Create(sessions.CreateOptions{ID: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	cli, err := store.Resolve("shared") // another process's view of it
	if err != nil {
		t.Fatal(err)
	}
	if o := mustRun(t, pg, playground.Request{Session: app, Runtime: "python", Code: []byte("total = 40"), KeepVars: yes()}); !o.Vars.Saved {
		t.Fatalf("first run did not save: %+v", o.Vars)
	}
	if o := mustRun(t, pg, playground.Request{Session: cli, Runtime: "python", Code: []byte("extra = 2"), KeepVars: yes()}); !o.Vars.Saved {
		t.Fatalf("second run did not save: %+v", o.Vars)
	}
	o := mustRun(t, pg, playground.Request{Session: app, Runtime: "python", Code: []byte("print(total + extra)"), KeepVars: yes()})
	if got := strings.TrimSpace(string(o.Result.Stdout)); got != "42" {
		t.Fatalf("third run printed %q (%s), want 42: the app's view lost the other run's variable", got, o.Result.Stderr)
	}
}

// Runs in one session take turns: a run asked for while another is in
// flight starts once that one is recorded, from the variables it kept (and
// from the disk it left, for the quota).
func TestPlayground_RunsInASessionTakeTurns(t *testing.T) {
	needRuntime(t, "python")
	pg, store := newPlayground(t, run.Overrides{})
	sess, err := store.Create(sessions.CreateOptions{ID: "turns"})
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, pg, playground.Request{Session: sess, Runtime: "python", Code: []byte("a = 1\nb = 1"), KeepVars: yes()})
	slow, err := pg.Start(context.Background(), playground.Request{Session: sess, Runtime: "python",
		Code: []byte("import time\ntime.sleep(0.5)\na = 2"), KeepVars: yes()})
	if err != nil {
		t.Fatal(err)
	}
	fast := mustRun(t, pg, playground.Request{Session: sess, Runtime: "python", Code: []byte("print(a)\nb = 3\nc = 3"), KeepVars: yes()})
	o := slow.Wait()
	if !o.Vars.Saved || !fast.Vars.Saved {
		t.Fatalf("saved: slow %+v, fast %+v", o.Vars, fast.Vars)
	}
	if fast.Result.StartedAt.Before(o.Result.FinishedAt) {
		t.Fatalf("the second run started at %v, before the first ended at %v", fast.Result.StartedAt, o.Result.FinishedAt)
	}
	if got := strings.TrimSpace(string(fast.Result.Stdout)); got != "2" {
		t.Fatalf("the second run saw a = %q, want the first run's 2", got)
	}
	check := mustRun(t, pg, playground.Request{Session: sess, Runtime: "python", Code: []byte("print(a, b, c)"), KeepVars: yes()})
	if got := strings.TrimSpace(string(check.Result.Stdout)); got != "2 3 3" {
		t.Fatalf("after both runs: %q, want 2 3 3", got)
	}
}

// A session whose saved limits are invalid cannot run, in every front end
// alike, with an error naming the session's limit; it is never run with
// defaults instead. (The app used to open it with defaults and a warning
// while `wasmplay run --session` failed.)
func TestPlayground_InvalidSessionLimitsAreAnError(t *testing.T) {
	needRuntime(t, "python")
	pg, store := newPlayground(t, run.Overrides{})
	sess, err := store.Create(sessions.CreateOptions{ID: "bad-limits"})
	if err != nil {
		t.Fatal(err)
	}
	zero := uint64(0)
	if err := sess.SetLimits(run.Overrides{FuelBudget: &zero}); err != nil {
		t.Fatal(err)
	}
	_, err = pg.Start(context.Background(), playground.Request{Session: sess, Runtime: "python", Code: []byte("print(1)")})
	var le *run.LimitError
	if !errors.As(err, &le) || le.Source != run.SourceSession || le.Field != run.FieldFuel {
		t.Fatalf("Start: %v, want a session fuel LimitError", err)
	}
	if _, err := pg.Limits(sess); !errors.As(err, &le) {
		t.Fatalf("Limits: %v, want the same error for the app to show", err)
	}
	if runs, _ := sess.Runs(); len(runs) != 0 {
		t.Fatalf("%d runs recorded; nothing should have run", len(runs))
	}
}

// A demo runs with the user's config under its own limits, and its own
// limits never become the session's. (`wasmplay demo ID` used to ignore
// the config; the app laid the demo over the session's limits.)
func TestPlayground_DemoLayersOverConfig(t *testing.T) {
	needRuntime(t, "python")
	memory := uint64(96 << 20)
	timeout := 20 * time.Second
	pg, store := newPlayground(t, run.Overrides{MemoryBytes: &memory, Timeout: &timeout})
	sess, err := store.Create(sessions.CreateOptions{ID: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := demos.Lookup("fib-fuel")
	if !ok {
		t.Fatal("no fib-fuel demo")
	}
	if d.Limits.FuelBudget == nil {
		t.Fatal("the fib-fuel demo sets no fuel budget of its own")
	}
	o := mustRun(t, pg, playground.Request{Session: sess, Runtime: d.Runtime, Code: []byte(d.Code), Demo: &d})
	lim := o.Result.Limits
	if lim.FuelBudget != *d.Limits.FuelBudget || lim.MemoryBytes != memory || lim.TimeoutMS != timeout.Milliseconds() {
		t.Fatalf("demo ran with %+v; want its fuel %d and the config's memory and timeout", lim, *d.Limits.FuelBudget)
	}
	if o.Verdict == nil || !o.Verdict.Met {
		t.Fatalf("verdict %+v", o.Verdict)
	}
	if err := sess.Reload(); err != nil {
		t.Fatal(err)
	}
	if !sess.Meta().Limits.IsZero() {
		t.Fatalf("the demo's limits leaked into the session: %+v", sess.Meta().Limits)
	}
	p, err := pg.Limits(sess)
	if err != nil || p.FuelBudget != run.DefaultFuelBudget {
		t.Fatalf("session fuel after the demo: %d (%v), want the default", p.FuelBudget, err)
	}
}

// `.cjs` and every other extension of a language mean it to every front
// end: one record says so.
func TestLanguages_ExtensionsAreOneRecord(t *testing.T) {
	for path, want := range map[string]string{"a.py": "python", "b.js": "javascript", "c.mjs": "javascript",
		"d.cjs": "javascript", "e.wat": "wat", "f.WAST": "wat", "g.wasm": "wat"} {
		rt, ok := runtimes.LanguageForPath(path)
		if !ok || rt.Name != want {
			t.Errorf("%s: %v %v, want %s", path, rt, ok, want)
		}
		reg := testLocal(t).Registry()
		if rt2, ok := reg.ForPath(path); !ok || rt2.Name != want {
			t.Errorf("registry: %s: %v, want %s", path, rt2, want)
		}
	}
	if rt, ok := runtimes.LanguageForPath("notes.md"); ok {
		t.Errorf("notes.md is %s", rt.Name)
	}
}

// Limits layer once: a request wins over the session over the config over
// the defaults, within a server's ceilings.
func TestPlayground_LimitsLayerOnce(t *testing.T) {
	needRuntime(t, "python")
	cfgFuel, sessFuel, reqFuel := uint64(3_000_000_000), uint64(2_000_000_000), uint64(1_000_000_000)
	pg, store := newPlayground(t, run.Overrides{FuelBudget: &cfgFuel})
	sess, _ := store.Create(sessions.CreateOptions{ID: "layers"})
	if p, _ := pg.Limits(sess); p.FuelBudget != cfgFuel {
		t.Fatalf("config layer: %d", p.FuelBudget)
	}
	if err := sess.SetLimits(run.Overrides{FuelBudget: &sessFuel}); err != nil {
		t.Fatal(err)
	}
	o := mustRun(t, pg, playground.Request{Session: sess, Runtime: "python", Code: []byte("pass")})
	if o.Result.Limits.FuelBudget != sessFuel {
		t.Fatalf("session layer: %d", o.Result.Limits.FuelBudget)
	}
	o = mustRun(t, pg, playground.Request{Session: sess, Runtime: "python", Code: []byte("pass"), Limits: run.Overrides{FuelBudget: &reqFuel}})
	if o.Result.Limits.FuelBudget != reqFuel {
		t.Fatalf("request layer: %d", o.Result.Limits.FuelBudget)
	}
}

// A request that cannot run says why in typed errors, and runs nothing.
func TestPlayground_BadRequests(t *testing.T) {
	pg, store := newPlayground(t, run.Overrides{})
	sess, _ := store.Create(sessions.CreateOptions{ID: "bad"})
	zero := uint64(0)
	tooShort := time.Millisecond
	tests := []struct {
		name  string
		req   playground.Request
		field run.Field
	}{
		{"unknown runtime", playground.Request{Runtime: "cobol"}, playground.FieldRuntime},
		{"zero fuel", playground.Request{Runtime: "python", Limits: run.Overrides{FuelBudget: &zero}}, run.FieldFuel},
		{"timeout too short to honour", playground.Request{Runtime: "python", Limits: run.Overrides{Timeout: &tooShort}}, run.FieldTimeout},
		{"reserved variable", playground.Request{Runtime: "python", Env: map[string]string{"PYTHONHOME": "/x"}}, run.FieldEnv},
		{"PWD", playground.Request{Runtime: "javascript", Env: map[string]string{"PWD": "/"}}, run.FieldEnv},
		{"keep variables without a session", playground.Request{Runtime: "python", KeepVars: yes()}, playground.FieldKeepVars},
		{"keep variables in wat", playground.Request{Session: sess, Runtime: "wat", KeepVars: yes()}, playground.FieldKeepVars},
		{"code too large", playground.Request{Runtime: "python", Code: make([]byte, run.MaxCodeBytes+1)}, playground.FieldCode},
		{"a binary module given as python", playground.Request{Runtime: "python", Code: []byte("\x00asm\x01\x00\x00\x00")}, playground.FieldCode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pg.Start(context.Background(), tc.req)
			var re *playground.RequestError
			var le *run.LimitError
			var fe *run.FieldError
			var got run.Field
			switch {
			case errors.As(err, &re):
				got = re.Field
			case errors.As(err, &le):
				got = le.Field
			case errors.As(err, &fe):
				got = fe.Field
			}
			if got != tc.field {
				t.Fatalf("error %v names %q, want %q", err, got, tc.field)
			}
		})
	}
	if runs, _ := sess.Runs(); len(runs) != 0 {
		t.Fatalf("%d runs recorded", len(runs))
	}
}

// A request above a ceiling is refused naming it; lower layers above it
// are lowered to it.
func TestPlayground_Ceilings(t *testing.T) {
	needRuntime(t, "python")
	store, _ := sessions.Open(t.TempDir(), sessions.Options{})
	rn, _ := runner.New(runner.Config{Executor: testLocal(t)})
	defer rn.Close(context.Background())
	ceiling := uint64(1_000_000_000)
	pg, _ := playground.New(playground.Options{Runner: rn, Registry: testLocal(t).Registry(), Store: store,
		Ceilings: run.Overrides{FuelBudget: &ceiling}})
	p, err := pg.Limits(nil)
	if err != nil || p.FuelBudget != ceiling {
		t.Fatalf("default under the ceiling: %d %v", p.FuelBudget, err)
	}
	more := 2 * ceiling
	_, err = pg.Start(context.Background(), playground.Request{Runtime: "python", Limits: run.Overrides{FuelBudget: &more}})
	var le *run.LimitError
	if !errors.As(err, &le) || le.Field != run.FieldFuel || !strings.Contains(le.Problem, "ceiling") {
		t.Fatalf("above the ceiling: %v", err)
	}
}

// Every run is recorded with who asked for it, what it read on stdin, and
// its number; Events ends with Finished after the Outcome is known.
func TestPlayground_RecordsTheRun(t *testing.T) {
	needRuntime(t, "python")
	pg, store := newPlayground(t, run.Overrides{})
	sess, _ := store.Create(sessions.CreateOptions{ID: "record"})
	r, err := pg.Start(context.Background(), playground.Request{Session: sess, Runtime: "py", Code: []byte("print(input())"),
		Interactive: true, Origin: sessions.Origin{Kind: sessions.OriginAgent, Client: "test-agent", Version: "1.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SendInput([]byte("typed line\n")); err != nil {
		t.Fatal(err)
	}
	var last run.Event
	for ev := range r.Events() {
		last = ev
	}
	if _, ok := last.(run.Finished); !ok {
		t.Fatalf("last event %T", last)
	}
	o := r.Wait()
	if o.Number != 1 || o.RecordErr != nil || string(o.Result.Stdout) != "typed line\n" {
		t.Fatalf("outcome: number %d err %v stdout %q", o.Number, o.RecordErr, o.Result.Stdout)
	}
	rec, err := sess.Run(1)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Stdin != "typed line\n" || rec.Origin == nil || rec.Origin.Kind != sessions.OriginAgent || rec.Origin.Client != "test-agent" || rec.Runtime != "python" {
		t.Fatalf("record: stdin %q origin %+v runtime %s", rec.Stdin, rec.Origin, rec.Runtime)
	}
}

// A Python run that writes a module named like the standard library's is
// told that later runs will import it instead.
func TestPlayground_WarnsOfShadowedModules(t *testing.T) {
	needRuntime(t, "python")
	pg, store := newPlayground(t, run.Overrides{})
	sess, _ := store.Create(sessions.CreateOptions{ID: "shadow"})
	o := mustRun(t, pg, playground.Request{Session: sess, Runtime: "python",
		Code: []byte("open('/app/random.py', 'w').write('x = 1')\nopen('/app/mine.py', 'w').write('y = 2')")})
	if len(o.Warnings) != 1 || !strings.Contains(o.Warnings[0], "/app/random.py") {
		t.Fatalf("warnings %q, want one about /app/random.py", o.Warnings)
	}
	if o := mustRun(t, pg, playground.Request{Session: sess, Runtime: "python", Code: []byte("import mine; print(mine.y)")}); len(o.Warnings) != 0 {
		t.Fatalf("a run that wrote nothing warned: %q", o.Warnings)
	}
}

// The disk quota starts from all the workspace takes, however deep or
// large (a listing stops at its bounds; the quota must not), and a run
// that changes more files than a result lists says so.
func TestPlayground_QuotaCountsTheWholeWorkspace(t *testing.T) {
	needRuntime(t, "python")
	pg, store := newPlayground(t, run.Overrides{})
	sess, err := store.Create(sessions.CreateOptions{ID: "quota"})
	if err != nil {
		t.Fatal(err)
	}
	// 1 MiB at the bottom of a tree deeper than a listing goes.
	deep := filepath.Join(sess.WorkspaceDir(), strings.Repeat("d/", hostfs.MaxTreeDepth+2))
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(deep, "old"), bytes.Repeat([]byte("x"), 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	disk := uint64(3 << 19) // 1.5 MiB: room for 0.5 MiB more
	o := mustRun(t, pg, playground.Request{Session: sess, Runtime: "python", Limits: run.Overrides{DiskBytes: &disk},
		Code: []byte("open('/app/new', 'wb').write(b'y' * (1 << 20))")})
	if o.Result.Outcome != run.OutcomeDiskLimit {
		t.Fatalf("a 1 MiB write on top of 1 MiB, quota 1.5 MiB: %s (%s)", o.Result.Outcome, o.Result.Message)
	}

	many, err := store.Create(sessions.CreateOptions{ID: "many"})
	if err != nil {
		t.Fatal(err)
	}
	o = mustRun(t, pg, playground.Request{Session: many, Runtime: "python",
		Code: []byte(fmt.Sprintf("for i in range(%d): open(f'/app/f{i}', 'w').close()", run.MaxFileChanges+50))})
	changes := len(o.Result.Files.Created) + len(o.Result.Files.Modified) + len(o.Result.Files.Deleted)
	if o.Result.Outcome != run.OutcomeOK || changes != run.MaxFileChanges || !o.Result.FilesTruncated {
		t.Fatalf("%d new files: outcome %s, %d changes listed, truncated %v", run.MaxFileChanges+50, o.Result.Outcome, changes, o.Result.FilesTruncated)
	}
}
