package tui

import (
	"context"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/themes"
)

var (
	testLocalOnce sync.Once
	testLocal     *sandbox.Local
	testLocalErr  error
)

// sharedLocal is one in-process executor for the package's tests.
func sharedLocal(t testing.TB) *sandbox.Local {
	t.Helper()
	testLocalOnce.Do(func() {
		var reg *runtimes.Registry
		if reg, testLocalErr = runtimes.NewRegistry(filepath.Join("..", "bin"), nil); testLocalErr == nil {
			testLocal, testLocalErr = sandbox.NewLocal(reg, testenv.CacheDir())
		}
	})
	if testLocalErr != nil {
		t.Fatal(testLocalErr)
	}
	return testLocal
}

// needRuntime skips (or, with WASMPLAY_REQUIRE_RUNTIMES, fails) a test
// whose runtime is not built.
func needRuntime(t testing.TB, name string) {
	t.Helper()
	l := sharedLocal(t)
	rt, err := l.Registry().Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Need(t, l.Registry().ArtifactPath(rt), "the "+name+" runtime", "make runtimes")
}

// harness drives the real root model (real runner, real sessions) and
// reads the screen through a virtual terminal.
type harness struct {
	t     testing.TB
	tm    *teatest.TestModel
	model *Model
	store *sessions.Store
	rn    *runner.Runner
	poll  time.Duration // how often waitFor looks at the screen
	// quitted is set once the app was quit.
	quitted bool
}

func newHarness(t testing.TB, w, h int, session string) *harness {
	t.Helper()
	return newHarnessAt(t, w, h, session, sessionsDir(t))
}

// newHarnessAt is newHarness on the sessions root root (several apps, one
// after the other, can share it).
func newHarnessAt(t testing.TB, w, h int, session, root string) *harness {
	t.Helper()
	return newHarnessKeys(t, w, h, session, root, DefaultKeyMap())
}

// newHarnessKeys is newHarnessAt with the key map keys (one a config
// file remapped, say).
func newHarnessKeys(t testing.TB, w, h int, session, root string, keys KeyMap) *harness {
	t.Helper()
	store, err := sessions.Open(root, sessions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	local := sharedLocal(t)
	pg, rn := testPlayground(t, store, 2)
	theme, _ := themes.Lookup("dark")
	m := New(Deps{
		Playground: pg, Theme: theme, Keys: keys, Session: session,
		Prepare: func(rt string) error { _, err := local.Prepare(rt, nil); return err },
	})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	hh := &harness{t: t, tm: tm, model: m, store: store, rn: rn, poll: 20 * time.Millisecond}
	go io.Copy(io.Discard, tm.Output())
	t.Cleanup(hh.quit)
	return hh
}

// quit quits the way a user does (buffers saved, locks released) and
// waits for the app's last commands; once.
func (h *harness) quit() {
	if h.quitted {
		return
	}
	h.quitted = true
	h.tm.Send(parseKey("ctrl+q"))
	h.tm.Send(parseKey("y"))
	h.tm.WaitFinished(h.t, teatest.WithFinalTimeout(10*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.model.Wait(ctx); err != nil {
		h.t.Error(err)
	}
}

// screen returns the screen as the running model draws it, without
// styles. The request is answered inside the program loop.
func (h *harness) screen() string {
	reply := make(chan string, 1)
	h.tm.Send(screenRequest{reply: reply})
	select {
	case s := <-reply:
		return s
	case <-time.After(5 * time.Second):
		h.t.Fatal("the program did not answer a screen request")
		return ""
	}
}

// waitFor waits until the screen shows every text.
func (h *harness) waitFor(texts ...string) string {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var s string
	for time.Now().Before(deadline) {
		s = h.screen()
		ok := true
		for _, text := range texts {
			if !strings.Contains(s, text) {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
		time.Sleep(h.poll)
	}
	h.t.Fatalf("the screen never showed %q; it shows:\n%s", texts, s)
	return ""
}

// key sends one key press, written as Bubble Tea prints it ("ctrl+r").
func (h *harness) key(k string) {
	h.tm.Send(parseKey(k))
}

// paste sends a bracketed paste.
func (h *harness) paste(s string) { h.tm.Send(tea.PasteMsg{Content: s}) }

// setCode replaces the editor's text.
func (h *harness) setCode(code string) {
	h.key("alt+a")
	h.paste(code)
}

// parseKey builds a KeyPressMsg from "ctrl+r", "alt+2", "f5", "enter", "x".
func parseKey(s string) tea.KeyPressMsg {
	var k tea.Key
	parts := strings.Split(s, "+")
	name := parts[len(parts)-1]
	for _, mod := range parts[:len(parts)-1] {
		switch mod {
		case "ctrl":
			k.Mod |= tea.ModCtrl
		case "alt":
			k.Mod |= tea.ModAlt
		case "shift":
			k.Mod |= tea.ModShift
		}
	}
	special := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "backspace": tea.KeyBackspace,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"home": tea.KeyHome, "end": tea.KeyEnd, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
		"f1": tea.KeyF1, "f2": tea.KeyF2, "f3": tea.KeyF3, "f4": tea.KeyF4, "f5": tea.KeyF5, "f6": tea.KeyF6, "space": tea.KeySpace,
	}
	for i := 1; i <= 12; i++ {
		special["f"+strconv.Itoa(i)] = tea.KeyF1 + rune(i-1)
	}
	if r, ok := special[name]; ok {
		k.Code = r
	} else {
		if len([]rune(name)) != 1 {
			panic("parseKey: no such key in the test harness: " + s) // add it to special
		}
		k.Code = []rune(name)[0]
		if k.Mod == 0 {
			k.Text = name
		}
	}
	return tea.KeyPressMsg(k)
}

// benchModel builds a model with one open session, driven directly (not
// through a tea.Program): for measurements of Update and render.
func benchModel(t testing.TB, w, h int) (*Model, *sessionView) {
	t.Helper()
	store, err := sessions.Open(sessionsDir(t), sessions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pg, _ := testPlayground(t, store, 1)
	m := New(Deps{Playground: pg, Theme: themes.All()[0], Keys: DefaultKeyMap()})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	sess, err := store.Create(sessions.CreateOptions{Name: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := loadSession(pg, sess)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(sessionOpenedMsg{opened: o, focus: true})
	t.Cleanup(func() { m.current.close() })
	return m, m.current
}

// testPlayground is a playground on the shared in-process executor with
// the given slots; the runner is closed when the test ends.
func testPlayground(t testing.TB, store *sessions.Store, slots int) (*playground.Playground, *runner.Runner) {
	t.Helper()
	rn, err := runner.New(runner.Config{Executor: sharedLocal(t), Slots: slots})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rn.Close(ctx)
	})
	pg, err := playground.New(playground.Options{Runner: rn, Registry: sharedLocal(t).Registry(), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return pg, rn
}

// sessionsDir is a temporary sessions root removed after the test (after
// the app's own commands have finished: see the harness's cleanup).
func sessionsDir(t testing.TB) string {
	return t.TempDir()
}
