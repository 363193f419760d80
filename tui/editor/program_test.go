package editor

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// host is the smallest root model: it sizes one editor to the window, quits
// on ctrl+q (a key the editor must leave alone) and forwards everything
// else.
type host struct {
	ed *Model
}

func (h host) Init() tea.Cmd { return nil }

func (h host) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		h.ed.SetSize(msg.Width, msg.Height)
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+q" {
			return h, tea.Quit
		}
	}
	return h, h.ed.Update(msg)
}

func (h host) View() tea.View { return tea.NewView(h.ed.View()) }

// TestInProgram runs the editor inside a real Bubble Tea program: keys and
// a bracketed paste arrive as the program delivers them, the clipboard
// command goes through the program, and the screen shows the text.
func TestInProgram(t *testing.T) {
	ed := New(Options{Syntax: pythonSyntax})
	ed.Focus()
	tm := teatest.NewTestModel(t, host{ed: ed},
		teatest.WithInitialTermSize(40, 8),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.TrueColor)))

	for _, k := range []string{"d", "e", "f", "space", "f", "(", ")", ":", "enter", "p", "a", "s", "s"} {
		tm.Send(press(t, k))
	}
	tm.Send(tea.PasteMsg{Content: "\r\n# pasted\r\n"})
	tm.Send(press(t, "alt+a"))
	tm.Send(press(t, "alt+c")) // OSC 52 copy, handled by the program
	tm.Send(press(t, "ctrl+end"))

	// The screen shows the pasted line, and the program wrote the whole
	// text to the clipboard with OSC 52.
	want := "def f():\n    pass\n# pasted\n"
	osc52 := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(want))
	teatest.WaitFor(t, tm.Output(), func(out []byte) bool {
		return bytes.Contains(out, []byte("pasted")) && bytes.Contains(out, []byte(osc52))
	}, teatest.WithDuration(5*time.Second))

	tm.Send(press(t, "ctrl+q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	if got := ed.Value(); got != want {
		t.Fatalf("text %q, want %q", got, want)
	}
	if ed.Width() != 40 || ed.Height() != 8 {
		t.Fatalf("size %dx%d", ed.Width(), ed.Height())
	}
}
