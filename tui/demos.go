package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/demos"
)

// demoDialog is the gallery: ready examples, then sandbox probes. Enter
// loads one into the editor and runs it with its limits.
type demoDialog struct {
	list   []demos.Demo
	cursor int
}

// openDemos shows the gallery.
func (m *Model) openDemos() tea.Cmd {
	if m.current == nil {
		return nil
	}
	m.dialog = &demoDialog{list: demos.All()}
	return nil
}

func (d *demoDialog) title() string { return "Demo gallery — enter runs one, esc closes" }

func (d *demoDialog) update(msg tea.Msg) dialogResult {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return stay(nil)
	}
	switch k.String() {
	case "esc", "q":
		return closeWith(nil)
	case "up", "k":
		d.cursor = max(d.cursor-1, 0)
	case "down", "j":
		d.cursor = min(d.cursor+1, len(d.list)-1)
	case "enter":
		demo := d.list[d.cursor]
		return closeWith(func(m *Model) tea.Cmd { return m.runDemo(demo) })
	}
	return stay(nil)
}

func (d *demoDialog) view(st Styles, w, h int) string {
	var rows []string
	probes := false
	for i, demo := range d.list {
		if demo.Probe && !probes {
			probes = true
			rows = append(rows, "", st.Accent.Render("Sandbox probes: the walls holding"))
		} else if i == 0 {
			rows = append(rows, st.Accent.Render("Examples"))
		}
		line := fitLine(fmt.Sprintf("  %-36s %s", demo.Title, demo.Runtime), w)
		if i == d.cursor {
			line = st.Selected.Render(line)
		}
		rows = append(rows, line)
	}
	sel := d.list[d.cursor]
	rows = append(rows, "", st.Muted.Render("expected: ")+sel.Expect)
	if lines := len(rows); lines > h {
		rows = rows[lines-h:]
	}
	return strings.Join(rows, "\n")
}

// DemoSession is the session the gallery runs in: demos never write into
// the person's own workspace or history.
const DemoSession = "demos"

// runDemo switches to the demo session (opening it, made if missing),
// loads the demo into the scratch buffer of its runtime there and runs it
// with the demo's limits (the session's own limits are not changed).
func (m *Model) runDemo(d demos.Demo) tea.Cmd {
	sv := m.current
	if sv == nil || sv.sess.ID() != DemoSession {
		m.pendingDemo = &d
		return tea.Batch(m.openSession(DemoSession), m.setFlash("demos run in their own session, "+DemoSession+": your sessions are left as they are", false))
	}
	if sv.run != nil {
		return m.setFlash("a run is in flight in this session: wait for it or cancel it first", true)
	}
	sv.active = max(sv.scratchIndex(), 0)
	t := sv.activeTab()
	var cmds []tea.Cmd
	if t.runtime != d.Runtime {
		cmds = append(cmds, m.setTabRuntime(sv, t, d.Runtime))
		t = sv.activeTab()
	}
	m.setFocus(PaneEditor)
	t.ed.ReplaceAll(d.Code)
	sv.demo = &d
	sv.out.append(lineNote, 0, "demo: "+d.Title+" — expected: "+d.Expect)
	cmds = append(cmds, m.startRun())
	return tea.Batch(cmds...)
}
