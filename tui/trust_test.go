package tui

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
)

// Flows for what the screen and the app's copies must get right (issue
// 13's trust fixes), through the real root model.

// A report copied after opening an old run is that run's: its code, its
// output and its number, not the latest run's.
func TestApp_ReportIsOfTheRunItNames(t *testing.T) {
	needRuntime(t, "python")
	h := newHarness(t, 120, 40, "reports")
	h.waitFor("scratch · python")
	h.setCode("print('first run')\n")
	h.key("ctrl+r")
	h.waitFor("run 1 · ok")
	h.setCode("print('second run')\n")
	h.key("ctrl+r")
	h.waitFor("run 2 · ok")
	// The runs pane lists the newest first: down, then enter opens run 1.
	h.key("alt+5")
	h.key("down")
	h.key("enter")
	h.waitFor("run 1 from the history", "run 1 · read-only", "print('first run')")
	h.key("alt+r")
	h.waitFor("Markdown report copied")
	data, err := os.ReadFile(filepath.Join(h.model.current.sess.Dir(), "reports", "run-1-report.md"))
	if err != nil {
		t.Fatal(err)
	}
	report := string(data)
	if !strings.Contains(report, "print('first run')") || !strings.Contains(report, "first run\n") ||
		strings.Contains(report, "second run") {
		t.Fatalf("the report of run 1 holds another run's code or output:\n%s", report)
	}
}

// An error in a dialog stays on screen past a cursor blink, until the next
// edit.
func TestApp_DialogErrorStays(t *testing.T) {
	h := newHarness(t, 120, 40, "dialog")
	h.waitFor("scratch · python")
	h.key("f4")
	h.waitFor("Limits for this session")
	h.key("ctrl+a") // the fuel field: replace what is there
	h.key("ctrl+k")
	for _, r := range "lots" {
		h.key(string(r))
	}
	h.key("enter")
	h.waitFor("fuel")
	s := h.waitFor("lots")
	time.Sleep(1200 * time.Millisecond) // longer than a cursor blink
	after := h.screen()
	if !strings.Contains(s, "Limits for this session") || countLines(after, "lots") < 2 {
		t.Fatalf("the error is gone after a blink:\n%s", after)
	}
	h.key("backspace")
	for start := time.Now(); countLines(h.screen(), "lots") >= 2 || countLines(h.screen(), "lot") > 1; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("an edit did not clear the error:\n%s", h.screen())
		}
	}
}

// countLines counts the screen lines holding text.
func countLines(screen, text string) int {
	n := 0
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, text) {
			n++
		}
	}
	return n
}

// F5 on a data file's tab says why it does not run, instead of running
// Markdown as Python and recording the failure.
func TestApp_RunOnADataTab(t *testing.T) {
	h := newHarness(t, 120, 40, "data-tab")
	h.waitFor("scratch · python")
	if err := h.model.current.sess.WriteFile("table.csv", []byte("a,b\n1,2\n")); err != nil {
		t.Fatal(err)
	}
	h.waitFor("table.csv")
	h.key("alt+4")
	h.key("enter")
	h.waitFor(" table.csv ", "1,2")
	h.key("f5")
	h.waitFor("/app/table.csv is not code wasmplay runs")
	if runs, _ := h.model.current.sess.Runs(); len(runs) != 0 {
		t.Fatalf("a data tab ran: %+v", runs)
	}
}

// The app reopens the session the person last had in front of them, even
// when another session was used more recently (by an agent, the CLI, or
// the order the app closed its sessions in).
func TestApp_ReopensTheLastSession(t *testing.T) {
	root := sessionsDir(t)
	first := newHarnessAt(t, 120, 40, "elsewhere", root)
	first.waitFor("scratch · python")
	first.quit()
	second := newHarnessAt(t, 120, 40, "mine", root)
	second.waitFor("scratch · python")
	second.quit()
	// Meanwhile an agent runs in the other session.
	store, err := sessions.Open(root, sessions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := store.Resolve("elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := other.AppendRun(sessions.NewRecord([]byte("print(1)"), nil, &sessions.Origin{Kind: sessions.OriginAgent},
		run.Result{Runtime: "python", Outcome: run.OutcomeOK, StartedAt: now, FinishedAt: now, Files: run.EmptyFileChanges()})); err != nil {
		t.Fatal(err)
	}
	third := newHarnessAt(t, 120, 40, "", root)
	third.waitFor("scratch · python")
	if id := third.model.current.sess.ID(); id != "mine" {
		t.Fatalf("the app reopened %s, not mine, the session it last showed", id)
	}
}

// Runs are first-class: compared side by side with the run before or a
// marked one, and run again with one key.
func TestApp_RunsCompareAndRerun(t *testing.T) {
	needRuntime(t, "python")
	h := newHarness(t, 140, 40, "compare")
	h.waitFor("scratch · python")
	h.setCode("print('first version')\n")
	h.key("ctrl+r")
	h.waitFor("run 1 · ok")
	h.setCode("print('second version')\n")
	h.key("ctrl+r")
	h.waitFor("run 2 · ok")
	h.key("alt+5")
	h.key("d") // the newest run against the one before
	s := h.waitFor("Run 1 against run 2", "print('first version')", "print('second version')")
	if !strings.Contains(s, "first version") || !strings.Contains(s, "│") {
		t.Fatalf("no side-by-side comparison:\n%s", s)
	}
	h.key("esc")
	h.key("down")
	h.key("r") // run 1 again, as the person's run 3
	h.waitFor("run 3 · ok")
	runs, err := h.model.current.sess.Runs()
	if err != nil || len(runs) != 3 || runs[2].CodeHead != "print('first version')" {
		t.Fatalf("history after the re-run: %+v, %v", runs, err)
	}
	// Mark run 2, move to run 3, compare the two.
	h.key("alt+5")
	h.key("down")
	h.key("space")
	h.waitFor("2*")
	h.key("up")
	h.key("d")
	h.waitFor("Run 2 against run 3")
}

// Every frame of a traceback in the user's code is marked, and the jump
// key walks them: the line that raised, then its callers.
func TestApp_TracebackFramesWalked(t *testing.T) {
	needRuntime(t, "python")
	h := newHarness(t, 120, 40, "frames")
	h.waitFor("scratch · python")
	h.setCode("def g(x):\n    return 1 / x\n\ndef f():\n    return g(0)\n\nf()\n")
	h.key("ctrl+r")
	h.waitFor("line 2 and its 2 callers are marked")
	for _, want := range []string{"line 2 (1 of 3): ZeroDivisionError", "line 5 (2 of 3): caller 1 of 2", "line 7 (3 of 3)", "line 2 (1 of 3)"} {
		h.key("alt+e")
		h.waitFor(want)
	}
}

// Find (with next and previous) and go-to-line in the editor.
func TestApp_FindAndGotoLine(t *testing.T) {
	h := newHarness(t, 120, 40, "find")
	h.waitFor("scratch · python")
	h.setCode("a = 1\nneedle = 2\nb = 3\nprint(needle)\n")
	h.key("ctrl+f")
	h.waitFor("Find in the editor")
	for _, r := range "needle" {
		h.key(string(r))
	}
	h.key("enter")
	h.waitFor(`"needle" on line 2`)
	h.key("f3")
	h.waitFor(`"needle" on line 4`)
	h.key("shift+f3")
	h.waitFor(`"needle" on line 2`)
	h.key("ctrl+g")
	h.waitFor("Go to line (1-5)")
	h.key("9")
	h.key("enter")
	h.waitFor("line: give a number from 1 to 5")
	h.key("backspace")
	h.key("3")
	h.key("enter")
	h.waitFor("scratch · python")
	if line, _ := h.model.current.activeTab().ed.Cursor(); line != 3 {
		t.Fatalf("cursor on line %d after going to line 3", line)
	}
}

// Copy and paste work inside the app where the terminal does not answer
// clipboard reads (the test terminal never does, as tmux often does not).
func TestApp_CopyPasteWithoutATerminalClipboard(t *testing.T) {
	h := newHarness(t, 120, 40, "clip")
	h.waitFor("scratch · python")
	h.setCode("first = 1\nsecond = 2\n")
	h.key("ctrl+home")
	h.key("alt+c") // no selection: the line
	h.waitFor("copied 1 line")
	h.key("ctrl+end")
	h.key("ctrl+v")
	h.waitFor("pasted your last copy in wasmplay")
	if got := h.model.current.activeTab().ed.Value(); got != "first = 1\nsecond = 2\nfirst = 1\n" {
		t.Fatalf("after copy and paste: %q", got)
	}
}

// The demo gallery runs in its own session: the person's workspace,
// scratch buffer and history are left as they were.
func TestApp_DemosRunInTheirOwnSession(t *testing.T) {
	needRuntime(t, "python")
	h := newHarness(t, 120, 40, "mine")
	h.waitFor("scratch · python")
	h.setCode("print('my own code')\n")
	mine := h.model.current
	h.key("f2")
	h.waitFor("Demo gallery")
	h.key("enter")
	h.waitFor("session "+DemoSession, "run 1 ·")
	if h.model.current.sess.ID() != DemoSession {
		t.Fatalf("the demo ran in %s", h.model.current.sess.ID())
	}
	if got := mine.scratchTab().ed.Value(); got != "print('my own code')\n" {
		t.Errorf("the person's scratch buffer became %q", got)
	}
	if runs, _ := mine.sess.Runs(); len(runs) != 0 {
		t.Errorf("the demo was recorded in the person's session: %+v", runs)
	}
}

// A session another app has open is marked in the picker, and choosing it
// says why it does not open and what to do.
func TestApp_SessionHeldByAnotherApp(t *testing.T) {
	root := sessionsDir(t)
	other, err := sessions.Open(root, sessions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	held, err := other.Create(sessions.CreateOptions{ID: "theirs"})
	if err != nil {
		t.Fatal(err)
	}
	release, err := held.AcquireOwner()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	h := newHarnessAt(t, 140, 40, "mine", root)
	h.waitFor("scratch · python")
	h.key("ctrl+o")
	h.waitFor("theirs", "open in another app")
	for _, r := range "theirs" {
		h.key(string(r))
	}
	h.key("enter")
	h.waitFor("session theirs is open in another wasmplay app")
}

func TestKeyMap_RemapWarnsAndKeepsGoing(t *testing.T) {
	k := DefaultKeyMap()
	warnings := k.Remap(map[string][]string{
		"run":         {"f9", "ctrl+shift+x"},
		"no_such":     {"f1"},
		"save":        {"ctlr+s"},
		"quit":        {"banana"},
		"copy_report": {},
	})
	if got := strings.Join(k.Run.Keys(), ","); got != "f9,ctrl+shift+x" {
		t.Errorf("run remapped to %s", got)
	}
	if got := strings.Join(k.Save.Keys(), ","); got != "ctrl+s" {
		t.Errorf("a bad key replaced save's: %s", got)
	}
	joined := strings.Join(warnings, "\n")
	for _, want := range []string{`unknown action "no_such"`, `"ctlr+s" has an unknown modifier "ctlr"`, `"banana" is not a key name`, "copy_report: no usable key"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q lack %q", joined, want)
		}
	}
}

// At 80x24 the footer keeps help and quit, and a message too long for it
// can be read whole in the message log.
func TestApp_SmallTerminalFooterAndMessageLog(t *testing.T) {
	h := newHarness(t, 80, 24, "small")
	h.waitFor("scratch · python")
	for _, focus := range []string{"alt+1", "alt+2", "alt+4", "alt+5"} {
		h.key(focus)
		lines := strings.Split(h.waitFor("help"), "\n")
		if footer := lines[len(lines)-1]; !strings.Contains(footer, "help") || !strings.Contains(footer, "quit") {
			t.Fatalf("after %s the footer lost help or quit: %q", focus, footer)
		}
	}
	h.key("alt+1")
	h.key("ctrl+f")
	h.waitFor("Find in the editor")
	long := "a-search-term-long-enough-that-the-message-about-it-cannot-fit-in-eighty-columns"
	for _, r := range long {
		h.key(string(r))
	}
	h.key("enter")
	h.waitFor("alt+m shows it all")
	h.key("alt+m")
	s := h.waitFor("Messages")
	if !strings.Contains(strings.ReplaceAll(s, "\n", ""), "is not in this tab") {
		t.Fatalf("the log does not hold the whole message:\n%s", s)
	}
}

// "n" on a confirmation asked from the picker closes only the question:
// the picker is still there.
func TestApp_NoClosesOnlyTheConfirmation(t *testing.T) {
	root := sessionsDir(t)
	store, err := sessions.Open(root, sessions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Create(sessions.CreateOptions{ID: "spare"}); err != nil {
		t.Fatal(err)
	}
	h := newHarnessAt(t, 140, 40, "mine", root)
	h.waitFor("scratch · python")
	h.key("ctrl+o")
	h.waitFor("spare")
	for _, r := range "spare" {
		h.key(string(r))
	}
	h.key("f8")
	h.waitFor("Delete session spare")
	h.key("n")
	s := h.waitFor("filter ›")
	if strings.Contains(s, "Delete session spare") {
		t.Fatalf("the question is still open:\n%s", s)
	}
	if _, err := store.Resolve("spare"); err != nil {
		t.Fatalf("the session went: %v", err)
	}
}

// The files pane: a filter, home and end, the cursor following a renamed
// file, and the files the last run deleted.
func TestApp_FilesPaneFilterRenameDeleted(t *testing.T) {
	needRuntime(t, "python")
	h := newHarness(t, 140, 40, "files")
	h.waitFor("scratch · python")
	sess := h.model.current.sess
	for _, name := range []string{"alpha.txt", "beta.csv", "sub/gamma.txt", "zeta.txt"} {
		if err := sess.WriteFile(name, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("zeta.txt")
	h.key("alt+4")
	h.key("/")
	for _, r := range "gam" {
		h.key(string(r))
	}
	s := h.waitFor("filter › gam", "gamma.txt")
	if strings.Contains(s, "alpha.txt") || strings.Contains(s, "beta.csv") {
		t.Fatalf("the filter left other files:\n%s", s)
	}
	h.key("esc")
	h.waitFor("alpha.txt", "beta.csv")
	h.key("end")
	h.until("end selects the last file", func() bool { return h.model.current.files.selectedPath() == "zeta.txt" })
	h.key("home")
	h.until("home selects the first file", func() bool { return h.model.current.files.selectedPath() == "alpha.txt" })
	h.key("r")
	h.waitFor("Rename /app/alpha.txt")
	h.key("ctrl+a")
	h.key("ctrl+k")
	for _, r := range "omega.txt" {
		h.key(string(r))
	}
	h.key("enter")
	h.waitFor("omega.txt")
	h.until("the cursor follows the renamed file", func() bool { return h.model.current.files.selectedPath() == "omega.txt" })
	h.key("alt+1")
	h.setCode("import os\nos.remove('/app/beta.csv')\n")
	h.key("ctrl+r")
	h.waitFor("run 1 · ok", "deleted by the last run:", "- beta.csv")
}

// until waits (up to 5 s) for cond, checked between the app's messages.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		h.screen() // the app has handled what was sent before
		if cond() {
			return
		}
		if time.Since(start) > 5*time.Second {
			h.t.Fatalf("never: %s", what)
		}
	}
}

// A run that waits for its turn (another process runs in the session) can
// be withdrawn with the cancel key; it never runs.
func TestApp_WaitingRunWithdrawn(t *testing.T) {
	root := sessionsDir(t)
	h := newHarnessAt(t, 120, 40, "turns", root)
	h.waitFor("scratch · python")
	other, err := sessions.Open(root, sessions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := other.Resolve("turns")
	if err != nil {
		t.Fatal(err)
	}
	end, err := sess.BeginRun(context.Background()) // as a CLI run in flight would
	if err != nil {
		t.Fatal(err)
	}
	defer end()
	h.setCode("print('must not run')\n")
	h.key("ctrl+r")
	h.key("ctrl+c")
	h.waitFor("withdrawn before it started")
	end()
	if runs, _ := sess.Runs(); len(runs) != 0 {
		t.Fatalf("the withdrawn run ran: %+v", runs)
	}
}

// Pasting an answer with fenced code says it replaced the buffer; a block
// in a language wasmplay cannot run leaves the buffer as it was, prose and
// fences never entering the code.
func TestApp_PasteFencedCode(t *testing.T) {
	h := newHarness(t, 140, 40, "paste")
	h.waitFor("scratch · python")
	h.setCode("keep = 1\n")
	h.paste("Here is the fix:\n\n```rust\nfn main() {}\n```\n")
	h.waitFor("the editor is unchanged")
	if got := h.model.current.activeTab().ed.Value(); got != "keep = 1\n" {
		t.Fatalf("an unsupported block changed the buffer: %q", got)
	}
	h.paste("Try this:\n\n```python\nprint('fixed')\n```\nIt should work.")
	h.waitFor("replaced the python scratch buffer", "ctrl+z undoes it")
	if got := h.model.current.activeTab().ed.Value(); got != "print('fixed')\n" {
		t.Fatalf("the buffer: %q", got)
	}
}

// Enter in the output pane goes to the line of the user's code that the
// traceback line in view names: a search match, else the innermost.
func TestApp_TracebackLineFromTheOutput(t *testing.T) {
	needRuntime(t, "python")
	h := newHarness(t, 120, 40, "jump")
	h.waitFor("scratch · python")
	h.setCode("def g(x):\n    return 1 / x\n\ndef f():\n    return g(0)\n\nf()\n")
	h.key("ctrl+r")
	h.waitFor("ZeroDivisionError", "line 2 and its 2 callers are marked") // the run is over
	h.key("alt+2")
	h.key("enter")
	h.until("enter in the output goes to line 2", func() bool {
		line, _ := h.model.current.activeTab().ed.Cursor()
		return line == 2
	})
	h.key("alt+2")
	h.key("/")
	for _, r := range "line 5" {
		h.key(string(r))
	}
	h.key("enter")
	h.key("enter")
	h.until("enter on the search match goes to line 5", func() bool {
		line, _ := h.model.current.activeTab().ed.Cursor()
		return line == 5
	})
}

// editCRLFFile writes table.csv with CRLF endings into the session, opens
// it from the files pane and types "3,4" at its end.
func editCRLFFile(t *testing.T, h *harness) {
	t.Helper()
	if err := h.model.current.sess.WriteFile("table.csv", []byte("a,b\r\n1,2\r\n")); err != nil {
		t.Fatal(err)
	}
	h.waitFor("table.csv")
	h.key("alt+4")
	h.key("enter")
	h.waitFor(" table.csv ", "CRLF")
	h.key("ctrl+end")
	for _, r := range "3,4" {
		h.key(string(r))
	}
}

// A file with CRLF line endings keeps them when saved, and the editor's
// border says so.
func TestApp_CRLFFileKeepsItsLineEndings(t *testing.T) {
	h := newHarness(t, 120, 40, "crlf")
	h.waitFor("scratch · python")
	sess := h.model.current.sess
	editCRLFFile(t, h)
	h.key("ctrl+s")
	h.waitFor("saved /app/table.csv")
	data, err := sess.ReadFile("table.csv")
	if err != nil || string(data) != "a,b\r\n1,2\r\n3,4" {
		t.Fatalf("saved %q, %v", data, err)
	}
}

// Every binding of the key map, the editor's included, has a name the
// config file can remap it by.
func TestKeyMap_EveryActionIsNamed(t *testing.T) {
	k := DefaultKeyMap()
	named := map[*key.Binding]bool{}
	for _, b := range k.bindings() {
		named[b] = true
	}
	v := reflect.ValueOf(&k).Elem()
	for i := 0; i < v.NumField(); i++ {
		if p, ok := v.Field(i).Addr().Interface().(*key.Binding); ok && !named[p] {
			t.Errorf("binding %s cannot be remapped: no action name", v.Type().Field(i).Name)
		}
	}
	if !named[&k.Editor.Undo] || !named[&k.KeepState] {
		t.Error("the editor's undo or keep_state has no action name")
	}
}

// An editor key remapped in the config file is the one the editor
// answers to, and the app's own keys cannot be given to the editor.
func TestApp_EditorKeysRemap(t *testing.T) {
	keys := DefaultKeyMap()
	warnings := keys.Remap(map[string][]string{"editor_undo": {"f9", "ctrl+r"}})
	if len(warnings) != 1 || !strings.Contains(warnings[0], `"ctrl+r" is one of the app's own keys`) {
		t.Fatalf("warnings %q", warnings)
	}
	h := newHarnessKeys(t, 100, 30, "edkeys", sessionsDir(t), keys)
	h.waitFor("scratch · python")
	h.setCode("print('xyzzy')")
	h.waitFor("xyzzy")
	h.key("ctrl+z") // no longer undo
	h.waitFor("xyzzy")
	h.key("f9")
	h.until("the remapped undo to take the paste back", func() bool { return !strings.Contains(h.screen(), "xyzzy") })
}

// A past run opens in a read-only tab: edits are refused with a hint, e
// puts its code in the scratch tab, r and F5 run it again as a new run.
func TestApp_PastRunTab(t *testing.T) {
	needRuntime(t, "python")
	h := newHarness(t, 120, 40, "past-run")
	h.waitFor("scratch · python")
	h.setCode("print('from run one')\n")
	h.key("ctrl+r")
	h.waitFor("run 1 · ok")
	h.setCode("print(1 / 0)\n")
	h.key("ctrl+r")
	h.waitFor("run 2 · exit_nonzero")
	h.key("alt+5")
	h.key("down")
	h.key("enter")
	h.waitFor("run 1 · read-only", "limits: fuel")
	if !h.model.current.activeTab().ed.Focused() {
		t.Fatal("the past run's tab is not focused")
	}
	h.key("x")
	h.waitFor("run 1's code is read-only")
	if got := h.model.current.activeTab().ed.Value(); got != "print('from run one')\n" {
		t.Fatalf("the read-only tab holds %q", got)
	}
	h.key("e")
	h.waitFor("is in the scratch tab")
	if got := h.model.current.scratchTab().ed.Value(); got != "print('from run one')\n" {
		t.Fatalf("the scratch tab holds %q, not run 1's code", got)
	}
	// Reopening brings the same tab back; F5 on it runs its code again.
	h.key("alt+5")
	h.key("down")
	h.key("down")
	h.key("enter")
	h.waitFor("run 1 · read-only")
	h.key("f5")
	h.waitFor("run 3 · ok")
	runs, err := h.model.current.sess.Runs()
	if err != nil || len(runs) != 3 || runs[2].CodeHead != "print('from run one')" {
		t.Fatalf("run 3 is not run 1's code run again: %+v %v", runs, err)
	}
	n := 0
	for _, tab := range h.model.current.tabs {
		if tab.pastRun == 1 {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("run 1 is open in %d tabs", n)
	}
	// Enter on the traceback of a reopened run goes to that run's code.
	h.key("alt+5")
	h.key("pgdown")
	h.key("up")
	h.key("enter")
	h.waitFor("run 2 · read-only", "ZeroDivisionError")
	h.key("alt+2")
	h.key("enter")
	h.waitFor("line 1, named by the traceback")
	if tab := h.model.current.activeTab(); tab.pastRun != 2 {
		t.Fatalf("the traceback of run 2 led to tab %q", tab.title())
	}
}

// With more tabs than the bar holds, the active tab is still shown, and a
// ‹ says tabs are hidden on its left.
func TestEditorTabBar_ShowsTheActiveTab(t *testing.T) {
	m, sv := benchModel(t, 100, 30)
	for n := 1; n <= 6; n++ {
		m.showPastRunTab(sv, sessions.RunRecord{Number: n, Runtime: "python", Code: "print(1)\n"})
	}
	sv.editorWidth = 40
	bar := strings.SplitN(ansi.Strip((*editorPane)(sv).view(paneContext{st: m.st, keys: m.keys})), "\n", 2)[0]
	if !strings.Contains(bar, "run 6 · read-only") || !strings.HasPrefix(bar, "‹") {
		t.Fatalf("tab bar %q", bar)
	}
	if n := len(sv.tabs); n != 1+maxPastRunTabs {
		t.Fatalf("%d tabs open, want the scratch tab and %d past runs", n, maxPastRunTabs)
	}
}

// An unsaved CRLF file comes back after a restart as a draft that still
// has CRLF line endings, and saving it keeps them.
func TestApp_CRLFDraftKeepsItsLineEndings(t *testing.T) {
	root := sessionsDir(t)
	h := newHarnessAt(t, 120, 40, "crlf-draft", root)
	h.waitFor("scratch · python")
	editCRLFFile(t, h)
	h.waitFor("table.csv*")
	h.quit() // the draft is autosaved, the file untouched
	again := newHarnessAt(t, 120, 40, "crlf-draft", root)
	again.waitFor("table.csv*")
	again.key("ctrl+pgdown")
	again.waitFor("CRLF")
	again.key("ctrl+s")
	again.waitFor("saved /app/table.csv")
	data, err := again.model.current.sess.ReadFile("table.csv")
	if err != nil || string(data) != "a,b\r\n1,2\r\n3,4" {
		t.Fatalf("saved %q, %v", data, err)
	}
}

// F4 says what the fuel budget means in seconds, from the rate the
// session's own runs burned fuel at, and says so when it cannot tell.
func TestPolicyDialog_FuelInSeconds(t *testing.T) {
	m, sv := benchModel(t, 120, 40)
	m.openPolicy()
	d := m.dialog.(*policyDialog)
	if got := d.fuelMeaning(); !strings.Contains(got, "after a run of 100 ms or more") {
		t.Fatalf("with no runs: %q", got)
	}
	sv.runs.runs = []sessions.RunSummary{
		{Number: 1, FuelConsumed: 4_000_000_000, FuelExact: true, DurationMS: 1000},
		{Number: 2, FuelConsumed: 1_000_000, FuelExact: true, DurationMS: 20}, // start-up: not counted
		{Number: 3, FuelConsumed: 2_000_000_000, FuelExact: false, DurationMS: 900},
		{Number: 4, FuelConsumed: 2_000_000_000, FuelExact: true, DurationMS: 500},
	}
	m.dialog = nil
	m.openPolicy()
	d = m.dialog.(*policyDialog)
	d.fields[0].input.SetValue("12G")
	// 6G in 1.5 s: 4G/s, so 12G is 3 s.
	if got := d.fuelMeaning(); !strings.Contains(got, "12.00G fuel ≈ 3.00 s of compute here (measured 4.00G/s over 2 runs)") {
		t.Fatalf("measured: %q", got)
	}
}
