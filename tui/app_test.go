package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/run"
)

// The flows below drive the real root model, a real runner and real
// sessions, and check what the screen shows.

func TestApp_RunWritesOutputMetricsAndFiles(t *testing.T) {
	needRuntime(t, "python")
	h := newHarness(t, 120, 40, "")
	h.waitFor("scratch · python", "No runs yet")
	h.setCode("print('hi from the test')\nopen('/app/out.txt', 'w').write('x' * 10)\n")
	h.key("ctrl+r")
	s := h.waitFor("hi from the test", "run 1 · ok · exit 0", "out.txt")
	if !strings.Contains(s, "fuel") || !strings.Contains(s, "pages") {
		t.Fatalf("metrics missing:\n%s", s)
	}
	// The runs pane and the history know the run.
	h.waitFor("1 run")
	runs, err := h.model.current.sess.Runs()
	if err != nil || len(runs) != 1 || runs[0].Outcome != run.OutcomeOK {
		t.Fatalf("history: %+v, %v", runs, err)
	}
}

func TestApp_CancelLoopAndKeepWorking(t *testing.T) {
	needRuntime(t, "python")
	h := newHarness(t, 120, 40, "")
	h.waitFor("scratch · python")
	h.setCode("while True:\n    pass\n")
	h.key("ctrl+r")
	h.waitFor("● running")
	h.key("ctrl+c")
	h.waitFor("canceled")
	// The app is still usable: the next run works.
	h.setCode("print(6 * 7)\n")
	h.key("f5")
	h.waitFor("run 2 · ok", "42")
}

func TestApp_InteractiveInput(t *testing.T) {
	needRuntime(t, "python")
	h := newHarness(t, 120, 40, "")
	h.waitFor("scratch · python")
	h.setCode("name = input('name? ')\nprint('hello,', name)\n")
	h.key("ctrl+r")
	h.waitFor("waiting for input")
	for _, r := range "Ada" {
		h.key(string(r))
	}
	h.key("enter")
	h.waitFor("hello, Ada", "run 1 · ok")
}

func TestApp_OpenFileFromBrowser(t *testing.T) {
	h := newHarness(t, 120, 40, "files-test")
	h.waitFor("scratch · python")
	if err := h.model.current.sess.WriteFile("notes.md", []byte("# notes\nline two\n")); err != nil {
		t.Fatal(err)
	}
	h.waitFor("notes.md") // the watcher picked it up
	h.key("alt+4")
	h.key("enter")
	h.waitFor("line two", " notes.md ")
	// Edit and save back to /app.
	h.key("ctrl+end")
	for _, r := range "three" {
		h.key(string(r))
	}
	h.key("ctrl+s")
	h.waitFor("saved /app/notes.md")
	data, err := h.model.current.sess.ReadFile("notes.md")
	if err != nil || !strings.HasSuffix(string(data), "three") {
		t.Fatalf("file after save: %q, %v", data, err)
	}
}

func TestApp_RunWATAndSwitchRuntime(t *testing.T) {
	h := newHarness(t, 120, 40, "")
	h.waitFor("scratch · python")
	h.key("ctrl+l")
	h.waitFor("scratch · javascript")
	h.key("ctrl+l")
	h.waitFor("scratch · wat")
	h.key("ctrl+r")
	h.waitFor("hello from the sandbox", "run 1 · ok")
}

func TestApp_NewAndSwitchSession(t *testing.T) {
	h := newHarness(t, 120, 40, "first")
	h.waitFor("session first")
	h.key("ctrl+n")
	h.waitFor("New session")
	for _, r := range "second" {
		h.key(string(r))
	}
	h.key("enter")
	h.waitFor("session second")
	h.key("ctrl+o")
	h.waitFor("Sessions", "first", "second")
	for _, r := range "fir" {
		h.key(string(r))
	}
	h.key("enter")
	h.waitFor("session first")
}

func TestApp_TooSmall(t *testing.T) {
	h := newHarness(t, 70, 20, "")
	// Below 80x24 one pane at a time, switched as usual.
	h.waitFor("one pane at a time", "Editor")
	h.key("alt+2")
	s := h.waitFor("Output")
	if strings.Contains(s, "Editor") {
		t.Fatalf("two panes at 70x20:\n%s", s)
	}
	tiny := newHarness(t, 25, 6, "")
	tiny.waitFor("needs at least 30x8")
}

func TestApp_HelpListsBindings(t *testing.T) {
	h := newHarness(t, 120, 40, "")
	h.waitFor("scratch · python")
	h.key("f1")
	h.waitFor("Keys", "Everywhere", "cancel run", "Output", "Files", "Runs")
	// Page down until the editor's keys show (the list grows with them).
	for i := 0; i < 8 && !(strings.Contains(h.screen(), "Editor (when focused)") && strings.Contains(h.screen(), "undo")); i++ {
		h.key("pgdown")
		time.Sleep(50 * time.Millisecond)
	}
	h.waitFor("Editor (when focused)", "undo")
	h.key("esc")
	h.waitFor("scratch · python")
}

func TestApp_KeepVariablesThenForget(t *testing.T) {
	needRuntime(t, "python")
	h := newHarness(t, 120, 40, "")
	h.waitFor("scratch · python")
	h.key("alt+k")
	h.waitFor("variables are kept between successful runs", "vars kept")
	h.setCode("total = 40\n")
	h.key("ctrl+r")
	h.waitFor("run 1 · ok", "kept for the next run: total")
	h.setCode("total += 2\nprint('total is', total)\n")
	h.key("ctrl+r")
	h.waitFor("run 2 · ok", "total is 42", "vars 1 kept total")

	// Turning it off offers to forget what was kept; yes forgets it.
	h.key("alt+k")
	h.waitFor("Forget the ones kept so far (total)?")
	h.key("y")
	h.waitFor("kept variables forgotten")
	state, err := h.model.current.sess.LoadVars("python")
	if err != nil || state != nil {
		t.Fatalf("state after forgetting: %q, %v", state, err)
	}
	h.setCode("print('total' in globals())\n")
	h.key("ctrl+r")
	h.waitFor("run 3 · ok", "False")
}
