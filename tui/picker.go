package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
)

// pickerListMsg delivers the session list to the picker.
type pickerListMsg struct {
	list []sessions.Summary
	// held maps the sessions another wasmplay app has open to its PID.
	held map[string]int
	err  error
}

// pickerDialog lists sessions (most recently used first), filtered by
// what is typed; it opens, creates, renames and deletes them.
type pickerDialog struct {
	all     []sessions.Summary
	shown   []int
	cursor  int
	offset  int
	filter  textinput.Model
	current string
	err     string
	loaded  bool
	height  int
	// agents names who runs code in each session now (other processes).
	agents map[string]string
	// held maps the sessions another app has open to its PID.
	held map[string]int
}

func newPickerDialog() *pickerDialog {
	f := textinput.New()
	f.Prompt = "filter › "
	f.Placeholder = "type to filter by name, ID, runtime or outcome"
	f.SetWidth(50)
	f.Focus()
	return &pickerDialog{filter: f}
}

// openPicker shows the picker and loads the list in the background.
func (m *Model) openPicker() tea.Cmd {
	d := newPickerDialog()
	if m.deps.Live != nil {
		d.agents = map[string]string{}
		for id, runs := range m.deps.Live.Active() {
			d.agents[id] = originLabel(runs[0].Origin)
		}
	}
	m.dialog = d
	store := m.deps.Playground.Store()
	return m.do(func() tea.Msg {
		list, err := store.List()
		held := map[string]int{}
		for _, s := range list {
			if pid, ok := store.HeldElsewhere(s.ID); ok {
				held[s.ID] = pid
			}
		}
		return pickerListMsg{list: list, held: held, err: err}
	})
}

func (d *pickerDialog) setList(list []sessions.Summary, err error, current string) {
	d.loaded = true
	d.current = current
	if err != nil {
		d.err = err.Error()
		return
	}
	d.all = list
	d.applyFilter()
}

func (d *pickerDialog) applyFilter() {
	q := strings.ToLower(strings.TrimSpace(d.filter.Value()))
	d.shown = d.shown[:0]
	for i, s := range d.all {
		hay := strings.ToLower(s.ID + " " + s.Name + " " + s.Runtime + " " + string(s.LastOutcome))
		if q == "" || strings.Contains(hay, q) {
			d.shown = append(d.shown, i)
		}
	}
	d.cursor = clamp(d.cursor, 0, max(len(d.shown)-1, 0))
}

func (d *pickerDialog) selected() (sessions.Summary, bool) {
	if d.cursor < 0 || d.cursor >= len(d.shown) {
		return sessions.Summary{}, false
	}
	return d.all[d.shown[d.cursor]], true
}

func (d *pickerDialog) title() string {
	return "Sessions — enter opens · ctrl+n new · f2 rename · f8 delete · esc closes"
}

func (d *pickerDialog) update(msg tea.Msg) dialogResult {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			return closeWith(nil)
		case "up", "ctrl+p":
			d.cursor = max(d.cursor-1, 0)
			return stay(nil)
		case "down", "ctrl+n":
			if k.String() == "ctrl+n" {
				return closeWith(func(m *Model) tea.Cmd { return m.newSession() })
			}
			d.cursor = min(d.cursor+1, max(len(d.shown)-1, 0))
			return stay(nil)
		case "pgup":
			d.cursor = max(d.cursor-10, 0)
			return stay(nil)
		case "pgdown":
			d.cursor = min(d.cursor+10, max(len(d.shown)-1, 0))
			return stay(nil)
		case "enter":
			s, ok := d.selected()
			if !ok {
				return stay(nil)
			}
			if s.Error != "" {
				d.err = "this session cannot be read (" + s.Error + "); f8 deletes it"
				return stay(nil)
			}
			return closeWith(func(m *Model) tea.Cmd { return m.openSession(s.ID) })
		case "f2":
			s, ok := d.selected()
			if !ok {
				return stay(nil)
			}
			return closeWith(func(m *Model) tea.Cmd { return m.renameSession(s) })
		case "f8":
			s, ok := d.selected()
			if !ok {
				return stay(nil)
			}
			if s.ID == d.current {
				d.err = "this is the open session: switch to another one first"
				return stay(nil)
			}
			return closeWith(func(m *Model) tea.Cmd { return m.confirmDeleteSession(s, d) })
		}
	}
	var cmd tea.Cmd
	before := d.filter.Value()
	d.filter, cmd = d.filter.Update(msg)
	if d.filter.Value() != before {
		d.applyFilter()
	}
	return stay(cmd)
}

// openSession makes a session current, opening it first if needed.
func (m *Model) openSession(id string) tea.Cmd {
	if sv := m.views[id]; sv != nil {
		return m.switchTo(sv)
	}
	return m.do(openSessionCmd(m.deps.Playground, id, true))
}

// renameSession asks for a session's new name.
func (m *Model) renameSession(s sessions.Summary) tea.Cmd {
	store := m.deps.Playground.Store()
	m.dialog = newPromptDialog("Rename session "+s.ID, s.Name, "a name: letters, digits, - and _ (empty removes it)",
		func(name string) (action, error) {
			if err := sessions.CheckName(name); err != nil {
				return nil, err
			}
			return func(m *Model) tea.Cmd {
				var open *sessions.Session
				if sv := m.views[s.ID]; sv != nil {
					open = sv.sess
				}
				return tea.Sequence(m.do(func() tea.Msg {
					if err := store.Rename(s.ID, name); err != nil {
						return flashMsg{text: err.Error(), err: true}
					}
					if open != nil {
						_ = open.Reload()
					}
					return flashMsg{text: "renamed " + s.ID}
				}), m.openPicker())
			}, nil
		})
	return nil
}

// confirmDeleteSession asks before deleting a session; "no" goes back to
// the picker it was asked from.
func (m *Model) confirmDeleteSession(s sessions.Summary, picker *pickerDialog) tea.Cmd {
	m.dialog = &confirmDialog{
		question: fmt.Sprintf("Delete session %s%s with its workspace and %d runs? This cannot be undone.",
			sanitize(s.ID, 4), sanitize(nameSuffix(s.Name), 4), s.Runs),
		yes:  func(m *Model) tea.Cmd { return m.deleteSession(s.ID) },
		back: picker,
	}
	return nil
}

func nameSuffix(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}

// deleteSession closes (if open in the background) and deletes a session.
func (m *Model) deleteSession(id string) tea.Cmd {
	sv := m.views[id]
	delete(m.views, id)
	if sv != nil && sv.withdrawStart != nil {
		sv.withdrawStart() // a run waiting to start there
	}
	store := m.deps.Playground.Store()
	return m.do(func() tea.Msg {
		if sv != nil {
			sv.close()
		}
		if err := store.Delete(id); err != nil {
			return flashMsg{text: err.Error(), err: true}
		}
		return flashMsg{text: "deleted session " + id}
	})
}

func (d *pickerDialog) view(st Styles, w, h int) string {
	d.filter.SetWidth(max(min(w-12, 70), 10))
	rows := []string{d.filter.View(), ""}
	if !d.loaded {
		return strings.Join(append(rows, st.Subtle.Render("reading sessions …")), "\n")
	}
	listH := max(h-4, 3)
	if d.cursor < d.offset {
		d.offset = d.cursor
	}
	if d.cursor >= d.offset+listH {
		d.offset = d.cursor - listH + 1
	}
	header := fmt.Sprintf("  %-22s %-11s %-9s %5s %9s  %s", "SESSION", "RUNTIME", "LAST USED", "RUNS", "SIZE", "LAST OUTCOME")
	rows = append(rows, st.Subtle.Render(fitLine(header, w)))
	now := time.Now()
	for i := d.offset; i < len(d.shown) && i < d.offset+listH; i++ {
		s := d.all[d.shown[i]]
		name := s.Name
		if name == "" {
			name = s.ID
		}
		if len(name) > 22 {
			name = name[:21] + "…"
		}
		mark := " "
		if s.ID == d.current {
			mark = "•"
		}
		line := fmt.Sprintf("%s %-22s %-11s %-9s %5d %9s  %s", mark, name, dashIfEmpty(s.Runtime), agoShort(now, s.LastUsedAt),
			s.Runs, run.FormatBytes(uint64(max(s.SizeBytes, 0))), dashIfEmpty(string(s.LastOutcome)))
		if who := d.agents[s.ID]; who != "" {
			line += "  ▶ " + who + " running now"
		}
		if pid, ok := d.held[s.ID]; ok && s.ID != d.current {
			line += "  ⊘ open in another app" + pidNote(pid)
		}
		if s.Error != "" {
			line = fmt.Sprintf("%s %-22s unreadable: %s", mark, name, s.Error)
		}
		line = fitLine(sanitize(line, 4), w)
		if i == d.cursor {
			line = st.Selected.Render(line)
		}
		rows = append(rows, line)
	}
	if len(d.shown) == 0 {
		rows = append(rows, st.Subtle.Render("no session matches; ctrl+n makes a new one"))
	}
	if d.err != "" {
		rows = append(rows, "", st.Error.Render(d.err))
	}
	return strings.Join(rows, "\n")
}

// openFailedText says why a session did not open; one another app holds
// is explained with what to do.
func openFailedText(err error) string {
	var inUse *sessions.InUseError
	if !errors.As(err, &inUse) {
		return "could not open the session: " + err.Error()
	}
	name := inUse.Name
	if name == "" {
		name = inUse.ID
	}
	return fmt.Sprintf("session %s is open in another wasmplay app%s: close it there to open it here, or pick another",
		sanitize(name, 4), pidNote(inUse.PID))
}

// pidNote is " (PID n)", or "" when the PID is not known.
func pidNote(pid int) string {
	if pid <= 0 {
		return ""
	}
	return fmt.Sprintf(" (PID %d)", pid)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// agoShort renders how long ago t was, compactly.
func agoShort(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}
