//go:build unix

package sessions

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Tests in this file start the test binary itself as a helper process
// (TestMain dispatches on WASMPLAY_SESSIONS_HELPER) to check behaviour
// across real processes: flock ownership, concurrent appends, and crashes
// by SIGKILL at chosen points.

const helperEnv = "WASMPLAY_SESSIONS_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		if err := runHelper(mode, os.Getenv("HELPER_ROOT"), os.Getenv("HELPER_REF")); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runHelper is the helper process's main.
func runHelper(mode, root, ref string) error {
	st, err := Open(root, Options{})
	if err != nil {
		return err
	}
	s, err := st.Resolve(ref)
	if err != nil {
		return err
	}
	kill := func(point string) func(string) {
		return func(p string) {
			if p == point {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // wait for the signal
			}
		}
	}
	switch mode {
	case "append":
		n, _ := strconv.Atoi(os.Getenv("HELPER_COUNT"))
		for i := 0; i < n; i++ {
			rec := sampleRun(i)
			rec.Stdout = fmt.Sprintf("pid %d run %d %s", os.Getpid(), i, strings.Repeat("x", 5000))
			if _, err := s.AppendRun(rec); err != nil {
				return err
			}
		}
	case "owner":
		release, err := s.AcquireOwner()
		if err != nil {
			return err
		}
		fmt.Println("owned")
		bufio.NewReader(os.Stdin).ReadString('\n') // until told to go
		release()
	case "crash-meta":
		st.testHook = kill("atomic:before-rename")
		return s.SetRuntime("javascript")
	case "crash-append":
		st.testHook = kill("append:torn")
		_, err := s.AppendRun(sampleRun(99))
		return err
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	return nil
}

// helper returns a command running the test binary in helper mode.
func helper(t *testing.T, mode, root, ref string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "HELPER_ROOT="+root, "HELPER_REF="+ref)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// TestSession_AppendRun_Concurrent: goroutines sharing one Session, a
// second Store, and two other processes all append to one session. Every
// record must arrive, whole, with numbers 1..N and no gaps.
func TestSession_AppendRun_Concurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	st, w := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "busy"})
	st2, _ := openTestStore(t, st.Root(), Options{})
	s2, _ := st2.Resolve("busy")

	const perWorker = 25
	var procs []*exec.Cmd
	for i := 0; i < 2; i++ {
		cmd := helper(t, "append", st.Root(), "busy", fmt.Sprintf("HELPER_COUNT=%d", perWorker))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
		t.Cleanup(func() {
			if stderr.Len() > 0 {
				t.Logf("helper stderr: %s", stderr.String())
			}
		})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*perWorker)
	for g, sess := range []*Session{s, s, s2, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				rec := sampleRun(i)
				rec.Stdout = fmt.Sprintf("goroutine %d run %d", g, i)
				if _, err := sess.AppendRun(rec); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	for _, cmd := range procs {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper: %v", err)
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	const total = 6 * perWorker
	// Check the raw file, not just the API: one valid record per line.
	raw, _ := os.ReadFile(filepath.Join(s.Dir(), historyFile))
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != total {
		t.Fatalf("history has %d lines, want %d", len(lines), total)
	}
	seen := map[string]bool{}
	for i, l := range lines {
		var rec RunRecord
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %d is not a record: %v", i+1, err)
		}
		if rec.Number != i+1 {
			t.Fatalf("line %d has number %d", i+1, rec.Number)
		}
		if seen[rec.Stdout] {
			t.Fatalf("record %q written twice", rec.Stdout)
		}
		seen[rec.Stdout] = true
	}
	runs, err := s.Runs()
	if err != nil || len(runs) != total || runs[total-1].Number != total {
		t.Fatalf("Runs = %d runs, %v", len(runs), err)
	}
	s.Reload()
	if m := s.Meta(); m.Stats.Runs != total || m.Stats.LastRun != total {
		t.Errorf("stats = %+v", m.Stats)
	}
	if msgs := w.all(); len(msgs) > 0 {
		t.Errorf("warnings: %q", msgs)
	}
}

// TestSession_AcquireOwner_OtherProcess: an owner in another process is
// named by its PID; once it exits (even by SIGKILL) the lock is free.
func TestSession_AcquireOwner_OtherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "app", Name: "myapp"})

	for _, ending := range []string{"release", "kill"} {
		t.Run(ending, func(t *testing.T) {
			cmd := helper(t, "owner", st.Root(), "app")
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(stdout).ReadString('\n')
			if line != "owned\n" {
				cmd.Process.Kill()
				t.Fatalf("helper said %q", line)
			}

			_, err := s.AcquireOwner()
			var inUse *InUseError
			if !errors.As(err, &inUse) || inUse.PID != cmd.Process.Pid {
				t.Fatalf("AcquireOwner = %v, want InUseError with PID %d", err, cmd.Process.Pid)
			}
			if want := fmt.Sprintf("session myapp (app) is in use by PID %d", cmd.Process.Pid); !strings.Contains(err.Error(), want) {
				t.Errorf("message %q lacks %q", err, want)
			}
			wantErrIs(t, st.Delete("app"), ErrInUse)
			// Headless runs still work while the app owns the session.
			mustAppend(t, s, sampleRun(1))

			if ending == "kill" {
				cmd.Process.Kill()
			} else {
				stdin.Write([]byte("go\n"))
			}
			cmd.Wait()
			release, err := s.AcquireOwner()
			if err != nil {
				t.Fatalf("after the owner %sed: %v", ending, err)
			}
			release()
		})
	}
}

// TestSession_SetRuntime_Crash kills a process between writing the temp file
// of session.json and renaming it: the old file survives intact, the temp
// file is ignored by readers and removed when the session is next opened.
func TestSession_SetRuntime_Crash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	st, _ := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "victim", Runtime: "python"})
	metaPath := filepath.Join(s.Dir(), metaFile)
	before, _ := os.ReadFile(metaPath)

	err := helper(t, "crash-meta", st.Root(), "victim").Run()
	if !killed(err) {
		t.Fatalf("helper was not killed: %v", err)
	}
	after, _ := os.ReadFile(metaPath)
	if !bytes.Equal(before, after) {
		t.Fatalf("session.json changed:\n%s", after)
	}
	temps, _ := filepath.Glob(filepath.Join(s.Dir(), "*"+tmpSuffix))
	if len(temps) != 1 {
		t.Fatalf("expected the crashed writer's temp file, found %v", temps)
	}
	// Readers ignore it.
	again, err := st.Resolve("victim")
	if err != nil || again.Runtime() != "python" {
		t.Fatalf("Resolve after crash: %v, %v", again, err)
	}
	if list, err := st.List(); err != nil || len(list) != 1 {
		t.Fatalf("List after crash: %v, %v", list, err)
	}
	// Opening the session cleans it up; writes work again.
	release, err := again.AcquireOwner()
	if err != nil {
		t.Fatal(err)
	}
	release()
	if temps, _ := filepath.Glob(filepath.Join(s.Dir(), "*"+tmpSuffix)); len(temps) != 0 {
		t.Errorf("temp file not cleaned: %v", temps)
	}
	if err := again.SetRuntime("javascript"); err != nil {
		t.Fatal(err)
	}
}

// TestSession_AppendRun_Crash kills a process halfway through writing a history
// record: earlier runs are intact, the torn record is skipped with a
// warning, and the next run gets the torn record's number.
func TestSession_AppendRun_Crash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	st, w := testStore(t, Options{})
	s := mustCreate(t, st, CreateOptions{ID: "torn"})
	mustAppend(t, s, sampleRun(1))
	mustAppend(t, s, sampleRun(2))

	err := helper(t, "crash-append", st.Root(), "torn").Run()
	if !killed(err) {
		t.Fatalf("helper was not killed: %v", err)
	}
	raw, _ := os.ReadFile(filepath.Join(s.Dir(), historyFile))
	if raw[len(raw)-1] == '\n' {
		t.Fatal("history does not end in a torn record; the crash was not simulated")
	}

	fresh, _ := st.Resolve("torn")
	runs, err := fresh.Runs()
	if err != nil || len(runs) != 2 {
		t.Fatalf("Runs after crash = %v, %v", runs, err)
	}
	if !w.contains("torn") {
		t.Errorf("no warning: %q", w.all())
	}
	if r := mustAppend(t, fresh, sampleRun(3)); r.Number != 3 {
		t.Errorf("next run number %d, want 3", r.Number)
	}
	raw, _ = os.ReadFile(filepath.Join(s.Dir(), historyFile))
	if n := bytes.Count(raw, []byte("\n")); n != 3 || raw[len(raw)-1] != '\n' {
		t.Errorf("history after repair has %d lines", n)
	}
}

func killed(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// TestStore_Create_Concurrent: two Stores creating the same name at once;
// exactly one wins.
func TestStore_Create_Concurrent(t *testing.T) {
	st, _ := testStore(t, Options{})
	st2, _ := openTestStore(t, st.Root(), Options{})
	var wg sync.WaitGroup
	results := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			store := st
			if i%2 == 1 {
				store = st2
			}
			_, results[i] = store.Create(CreateOptions{Name: "race"})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, ErrExists):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d creates of the same name succeeded", wins)
	}
}
