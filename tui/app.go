// Package tui is wasmplay's playground: a Bubble Tea v2 app with an editor,
// the output of runs, live metrics, the session's workspace files and its
// run history. It runs code only through the playground layer (start,
// cancel, input, events) and touches disk only in tea.Cmds.
package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wasmplay/wasmplay/demos"
	"github.com/wasmplay/wasmplay/live"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/themes"
	"github.com/wasmplay/wasmplay/tui/editor"
)

// Deps are what the app runs on; the command line builds them.
type Deps struct {
	// Playground runs the code; its store holds the sessions.
	Playground *playground.Playground
	// Theme is the starting theme.
	Theme themes.Theme
	// SaveTheme, if set, remembers the theme chosen with ctrl+t for the
	// next start (it runs in a command).
	SaveTheme func(name string) error
	// Keys are the bindings (defaults, remapped by the config).
	Keys KeyMap
	// Session is the session to open ("" = the most recently used).
	Session string
	// Prepare loads (compiling the first time) a runtime, so the first run
	// starts warm. It is called in the background at start-up.
	Prepare func(runtime string) error
	// ShowDemos opens the demo gallery once the session is open.
	ShowDemos bool
	// Notice is said once the app is up (what else the process serves).
	Notice string
	// Live follows the other processes running code in the sessions (an
	// agent's `wasmplay mcp`); nil when not watching.
	Live *live.Watcher
}

// Model is the app's one tea.Model.
type Model struct {
	deps Deps
	st   Styles
	keys KeyMap

	width, height int
	layout        Layout
	focus         Pane
	zoomed        bool

	views   map[string]*sessionView // open sessions by ID
	current *sessionView
	runs    map[*playground.Run]*sessionView // runs in flight → their session

	dialog dialog

	flash    string
	flashErr bool
	flashSeq int

	prep      map[string]string // runtime → "" ready, else a status or error
	prepErr   map[string]bool
	loading   bool // the first session is being opened
	prepStart time.Time
	quitting  bool

	tasks                 *tasks // commands in flight, joined by Wait
	autosavePending       bool
	openingMarkdownAsText bool
	filesSeq              map[string]int
	lastClick             clickInfo

	approvals  []live.ApprovalRequest // agents' runs waiting for the person, oldest first
	nextRemote uint64                 // names other processes' runs in the output pane
	findQuery  string                 // what ctrl+f last looked for
	register   string                 // the editor's last copy or cut, pasted where the terminal will not share its clipboard
	messages   []loggedMessage        // the footer's messages, oldest first (the message log)
	// pendingDemo is the gallery's demo to run once the demo session is
	// open and current.
	pendingDemo *demos.Demo
}

type clickInfo struct {
	at   time.Time
	x, y int
}

// New builds the app.
func New(deps Deps) *Model {
	m := &Model{
		deps:     deps,
		st:       NewStyles(deps.Theme),
		keys:     deps.Keys,
		focus:    PaneEditor,
		views:    map[string]*sessionView{},
		runs:     map[*playground.Run]*sessionView{},
		prep:     map[string]string{},
		prepErr:  map[string]bool{},
		loading:  true,
		filesSeq: map[string]int{},
		tasks:    &tasks{},
	}
	return m
}

// Init starts listening to the runner, opens the first session and warms
// the runtimes.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.do(openSessionCmd(m.deps.Playground, m.deps.Session, true))}
	if m.deps.Live != nil {
		m.deps.Live.WatchAll()
		cmds = append(cmds, listenLive(m.deps.Live))
	}
	if m.deps.Notice != "" {
		cmds = append(cmds, m.setFlash(m.deps.Notice, false))
	}
	if m.deps.Prepare != nil {
		for _, rt := range runtimes.Interpreters() {
			m.prep[rt] = "loading"
			cmds = append(cmds, m.prepareCmd(rt))
		}
		m.prepStart = time.Now()
		cmds = append(cmds, prepTick())
	}
	return tea.Batch(cmds...)
}

func (m *Model) prepareCmd(rt string) tea.Cmd {
	prepare := m.deps.Prepare
	// Not tracked: loading a runtime may take minutes the first time, and
	// closing the worker pool ends it.
	return func() tea.Msg {
		start := time.Now()
		err := prepare(rt)
		return preparedMsg{runtime: rt, err: err, took: time.Since(start)}
	}
}

// Update routes a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case screenRequest:
		msg.reply <- ansi.Strip(m.render())
		return m, nil
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.relayout()
		return m, nil
	case runStartedMsg:
		return m, m.runStarted(msg)
	case runEventMsg:
		return m, m.handleRunEvent(msg)
	case liveMsg:
		return m, m.handleLive(msg)
	case editor.CopiedMsg:
		return m, m.copiedText(msg)
	case editor.ReadOnlyMsg:
		if sv := m.current; sv != nil {
			if t := sv.activeTab(); t != nil && t.pastRun != 0 {
				return m, m.setFlash(m.pastRunHint(t), false)
			}
		}
		return m, nil
	case editor.PasteUnansweredMsg:
		return m, m.pasteFromRegister()
	case runsDiffLoadedMsg:
		return m, m.runsDiffLoaded(msg)
	case startRunMsg:
		if m.current != nil && m.current.sess.ID() == msg.id {
			return m, m.startRun()
		}
		return m, nil
	case editRunLoadedMsg:
		return m, m.editRunLoaded(msg)
	case askApprovalSetMsg:
		return m, m.askApprovalSet(msg)
	case runsReloadedMsg:
		if sv := m.views[msg.id]; sv != nil {
			sv.runs.setRuns(msg.runs, msg.err)
		}
		return m, nil
	case inputSentMsg:
		return m, m.inputSent(msg)
	case varsListedMsg:
		return m, m.varsListed(msg)
	case limitsSavedMsg:
		return m, m.limitsSaved(msg)
	case sessionOpenedMsg:
		return m, m.sessionOpened(msg)
	case sessionOpenFailedMsg:
		m.loading = false
		m.pendingDemo = nil // its session did not open: it is not run later by surprise
		cmd := m.setFlash(openFailedText(msg.err), true)
		if msg.showPicker || m.current == nil {
			return m, tea.Batch(cmd, m.openPicker())
		}
		return m, cmd
	case sessionClosedMsg:
		return m, nil
	case filesListedMsg:
		if sv := m.views[msg.id]; sv != nil {
			sv.files.setEntries(msg.entries, msg.err)
		}
		return m, nil
	case workspaceChangedMsg:
		sv := m.views[msg.id]
		if sv == nil || sv.watcher != msg.w {
			return m, nil
		}
		m.filesSeq[msg.id]++
		seq := m.filesSeq[msg.id]
		return m, tea.Batch(listenWorkspace(msg.id, msg.w), tea.Tick(120*time.Millisecond, func(time.Time) tea.Msg {
			return filesRefreshDueMsg{id: msg.id, seq: seq}
		}))
	case filesRefreshDueMsg:
		if sv := m.views[msg.id]; sv != nil && m.filesSeq[msg.id] == msg.seq {
			return m, m.do(listFilesCmd(sv.sess))
		}
		return m, nil
	case autosaveTickMsg:
		m.autosavePending = false
		return m, m.autosaveAll()
	case savedMsg:
		return m, m.saved(msg)
	case flashMsg:
		return m, m.setFlash(msg.text, msg.err)
	case flashExpiredMsg:
		if msg.seq == m.flashSeq {
			m.flash = ""
		}
		return m, nil
	case preparedMsg:
		return m, m.prepared(msg)
	case prepTickMsg:
		return m, m.prepProgress()
	case runRecordMsg:
		return m, m.showRecord(msg)
	case fileReadMsg:
		return m, m.fileRead(msg)
	case pickerListMsg:
		if p, ok := m.dialog.(*pickerDialog); ok {
			p.held = msg.held
			p.setList(msg.list, msg.err, m.currentID())
		}
		return m, nil
	case tea.PasteMsg:
		return m, m.handlePaste(msg)
	case pasteScannedMsg:
		return m, m.offerBlocks(msg.text, msg.blocks, "the pasted text")
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case tea.MouseMsg:
		return m, m.handleMouse(msg)
	}
	// Anything else (cursor blinks, clipboard reads) goes where the
	// focus is.
	if m.dialog != nil {
		return m, m.applyDialog(msg)
	}
	return m, m.forwardToFocus(msg)
}

// forwardToFocus hands a message to the focused pane's component.
func (m *Model) forwardToFocus(msg tea.Msg) tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	switch m.focus {
	case PaneEditor:
		if t := sv.activeTab(); t != nil {
			return m.afterEdit(t.ed.Update(msg))
		}
	case PaneOutput:
		var cmd tea.Cmd
		if sv.out.searching {
			sv.out.search, cmd = sv.out.search.Update(msg)
		} else if sv.out.inputOn {
			sv.out.input, cmd = sv.out.input.Update(msg)
		}
		return cmd
	}
	return nil
}

// afterEdit schedules an autosave when the text changed.
func (m *Model) afterEdit(cmd tea.Cmd) tea.Cmd {
	if m.autosavePending || m.current == nil {
		return cmd
	}
	t := m.current.activeTab()
	if t == nil || t.ed.Revision() == t.autosaved {
		return cmd
	}
	m.autosavePending = true
	return tea.Batch(cmd, tickAutosave())
}

func (m *Model) currentID() string {
	if m.current == nil {
		return ""
	}
	return m.current.sess.ID()
}

// setFlash shows a message in the footer for a few seconds.
func (m *Model) setFlash(text string, isErr bool) tea.Cmd {
	m.flash, m.flashErr = text, isErr
	m.messages = append(m.messages, loggedMessage{at: time.Now(), text: text, err: isErr})
	if len(m.messages) > maxMessages {
		m.messages = m.messages[len(m.messages)-maxMessages:]
	}
	m.flashSeq++
	seq := m.flashSeq
	d := 4 * time.Second
	if isErr {
		d = 8 * time.Second
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return flashExpiredMsg{seq: seq} })
}

// relayout recomputes the layout and sizes every pane.
func (m *Model) relayout() {
	m.layout = ComputeLayout(m.width, m.height, m.focus, m.zoomed)
	sv := m.current
	if sv == nil || m.layout.TooSmall {
		return
	}
	for p := Pane(0); p < paneCount; p++ {
		r := m.layout.Panes[p]
		sv.pane(p).setSize(max(r.W-2, 0), max(r.H-2, 0))
	}
}

// setFocus moves the focus to a pane.
func (m *Model) setFocus(p Pane) {
	m.focus = p
	if sv := m.current; sv != nil {
		for i, t := range sv.tabs {
			if p == PaneEditor && i == sv.active {
				t.ed.Focus()
			} else {
				t.ed.Blur()
			}
		}
	}
	if m.zoomed || m.layout.Cramped {
		m.relayout()
	}
}

// sessionOpened installs a loaded session.
func (m *Model) sessionOpened(msg sessionOpenedMsg) tea.Cmd {
	m.loading = false
	o := msg.opened
	if old := m.views[o.sess.ID()]; old != nil {
		// Already open: keep the live view, release the second lock.
		release := o.release
		if o.watcher != nil {
			o.watcher.close()
		}
		var focus tea.Cmd
		if msg.focus {
			focus = m.switchTo(old)
		}
		return tea.Batch(focus, m.do(func() tea.Msg { release(); return nil }))
	}
	sv := newSessionView(o, m.st, m.keys.Editor)
	m.views[o.sess.ID()] = sv
	cmds := []tea.Cmd{listenWorkspace(o.sess.ID(), o.watcher)}
	if msg.focus || m.current == nil {
		cmds = append(cmds, m.switchTo(sv), m.setFlash("session "+sv.displayName()+" · "+o.sess.WorkspaceDir(), false))
	}
	if m.deps.ShowDemos {
		m.deps.ShowDemos = false
		cmds = append(cmds, m.openDemos())
	}
	if m.deps.Live != nil {
		// Another process's runs already in flight in the session.
		for _, r := range m.deps.Live.Active()[o.sess.ID()] {
			cmds = append(cmds, m.remoteBegin(r))
		}
	}
	return tea.Batch(cmds...)
}

// switchTo makes a session the current one.
// The returned command records it as the session to reopen at the next
// start.
func (m *Model) switchTo(sv *sessionView) tea.Cmd {
	m.current = sv
	m.relayout()
	m.setFocus(PaneEditor)
	var demo tea.Cmd
	if d := m.pendingDemo; d != nil && sv.sess.ID() == DemoSession {
		m.pendingDemo = nil
		demo = m.runDemo(*d)
	}
	store, id := m.deps.Playground.Store(), sv.sess.ID()
	if id == DemoSession {
		return demo // the gallery's session is not one to come back to
	}
	return tea.Batch(demo, m.do(func() tea.Msg {
		if err := store.MarkOpened(id); err != nil {
			return flashMsg{text: "the app will not reopen this session next time: " + err.Error(), err: true}
		}
		return nil
	}))
}

// View renders the screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.BackgroundColor = m.st.background()
	v.WindowTitle = m.windowTitle()
	return v
}

func (m *Model) windowTitle() string {
	if m.current == nil {
		return "wasmplay"
	}
	return "wasmplay · " + m.current.displayName()
}

// render draws the whole screen as a string.
func (m *Model) render() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	if m.layout.TooSmall {
		msg := fmt.Sprintf("The terminal is %dx%d; wasmplay needs at least %dx%d.\nEnlarge the window, or press ctrl+q to quit.",
			m.width, m.height, FloorWidth, FloorHeight)
		return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, m.st.Warn.Render(msg))
	}
	layers := []*lipgloss.Layer{
		lipgloss.NewLayer(m.renderHeader()),
		lipgloss.NewLayer(m.renderFooter()).Y(m.height - 1),
	}
	if sv := m.current; sv != nil {
		for p := Pane(0); p < paneCount; p++ {
			if r := m.layout.Panes[p]; !r.Empty() {
				layers = append(layers, lipgloss.NewLayer(m.renderPane(p, r)).X(r.X).Y(r.Y))
			}
		}
	} else {
		msg := "opening the session …"
		if !m.loading {
			msg = "no session open — ctrl+o opens one, ctrl+n makes one"
		}
		body := lipgloss.Place(m.width, m.height-2, lipgloss.Center, lipgloss.Center, m.st.Muted.Render(msg))
		layers = append(layers, lipgloss.NewLayer(body).Y(1))
	}
	if m.dialog != nil {
		box, x, y := renderDialog(m.st, m.dialog, m.width, m.height)
		layers = append(layers, lipgloss.NewLayer(box).X(x).Y(y).Z(1))
	}
	return lipgloss.NewCompositor(layers...).Render()
}

// renderPane draws one pane with its frame.
func (m *Model) renderPane(p Pane, r Rect) string {
	focused := m.focus == p
	pn := m.current.pane(p)
	content := pn.view(paneContext{st: m.st, keys: m.keys, focused: focused})
	return frame(m.st, fmt.Sprintf("%d %s", int(p)+1, pn.title()), pn.note(), content, r.W, r.H, focused)
}

// renderHeader draws the top row: app, session, runtime, state.
func (m *Model) renderHeader() string {
	left := m.st.HeaderName.Render(" wasmplay ")
	var parts []string
	if sv := m.current; sv != nil {
		parts = append(parts, "session "+sv.displayName())
		if t := sv.activeTab(); t != nil {
			rt := t.runtime
			switch {
			case m.prepErr[rt]:
				rt += " (not available: " + m.keys.Help.Help().Key + " · wasmplay runtimes)"
			case m.prep[rt] != "":
				rt += " (" + m.prep[rt] + ")"
			}
			parts = append(parts, rt)
		}
		if sv.limitsErr != nil {
			parts = append(parts, "limits invalid: F4 fixes them")
		} else {
			parts = append(parts, fmt.Sprintf("fuel %s · mem %s · %s", run.FormatFuel(sv.limits.FuelBudget),
				run.FormatBytes(sv.limits.MemoryBytes), sv.limits.Timeout))
		}
		if sv.sess.Meta().KeepVars {
			parts = append(parts, "vars kept")
		}
		if busy := len(m.runs); busy > 0 {
			parts = append(parts, fmt.Sprintf("%d running", busy))
		}
		if m.layout.Cramped {
			parts = append([]string{fmt.Sprintf("one pane at a time below %dx%d: alt+1-5 switch", MinWidth, MinHeight)}, parts...)
		}
	}
	right := m.st.Header.Render(m.st.Theme.Name + " ")
	mid := m.st.Header.Render(" " + strings.Join(parts, " · "))
	gap := m.width - ansi.StringWidth(left) - ansi.StringWidth(mid) - ansi.StringWidth(right)
	if gap < 0 {
		return fitLine(left+mid, m.width)
	}
	return left + mid + m.st.Header.Render(strings.Repeat(" ", gap)) + right
}

// renderFooter draws the bottom row: a flash message, or the keys that
// matter in the focused pane.
func (m *Model) renderFooter() string {
	if m.flash != "" {
		st := m.st.Info
		if m.flashErr {
			st = m.st.Error
		}
		text := " " + sanitize(m.flash, 4)
		if ansi.StringWidth(text) > m.width {
			// Too long for the row: the log has it whole.
			more := " … " + m.keys.Messages.Help().Key + " shows it all"
			text = ansi.Truncate(text, max(m.width-ansi.StringWidth(more), 0), "") + more
		}
		return fitLine(st.Render(text), m.width)
	}
	k := m.keys
	hints := [][2]string{{k.Run.Help().Key, "run"}}
	if m.current != nil && m.current.run != nil {
		hints = append(hints, [2]string{k.Cancel.Help().Key, "cancel"})
	}
	switch m.focus {
	case PaneEditor:
		hints = append(hints, [2]string{k.Save.Help().Key, "save"}, [2]string{k.Runtime.Help().Key, "runtime"},
			[2]string{"f6", "next pane"})
	case PaneOutput:
		if m.current != nil && m.current.out.inputOn {
			hints = append(hints, [2]string{"enter", "send line"}, [2]string{k.SendEOF.Help().Key, "EOF"})
		}
		hints = append(hints, [2]string{"/", "search"}, [2]string{"y", "copy"}, [2]string{"G", "follow"})
	case PaneFiles:
		hints = append(hints, [2]string{"enter", "open"}, [2]string{"space", "preview"}, [2]string{"n", "new"},
			[2]string{"r", "rename"}, [2]string{"d", "delete"})
	case PaneRuns:
		hints = append(hints, [2]string{"enter", "show run"}, [2]string{k.EditRun.Help().Key, "edit"},
			[2]string{k.RerunRun.Help().Key, "run again"}, [2]string{k.DiffRuns.Help().Key, "compare"})
	case PaneMetrics:
		hints = append(hints, [2]string{k.Policy.Help().Key, "limits"}, [2]string{k.ApplyBudget.Help().Key, "apply suggestion"})
	}
	hints = append(hints, [2]string{k.Sessions.Help().Key, "sessions"})
	// Help and quit are always shown: the hints before them are dropped,
	// last first, until the row fits.
	tail := [][2]string{{k.Help.Help().Key, "help"}, {k.Quit.Help().Key, "quit"}}
	width := func(hs [][2]string) int {
		n := 1
		for i, h := range hs {
			if i > 0 {
				n += 3
			}
			n += ansi.StringWidth(h[0]) + 1 + ansi.StringWidth(h[1])
		}
		return n
	}
	for len(hints) > 0 && width(append(slices.Clone(hints), tail...)) > m.width {
		hints = hints[:len(hints)-1]
	}
	hints = append(hints, tail...)
	var b strings.Builder
	b.WriteString(" ")
	for i, h := range hints {
		if i > 0 {
			b.WriteString(m.st.FooterDesc.Render(" · "))
		}
		b.WriteString(m.st.FooterKey.Render(h[0]) + " " + m.st.FooterDesc.Render(h[1]))
	}
	return fitLine(b.String(), m.width)
}

// maxMessages bounds the message log.
const maxMessages = 200

// loggedMessage is one message the footer showed.
type loggedMessage struct {
	at   time.Time
	text string
	err  bool
}

// openMessages shows the message log, newest last, each message whole.
func (m *Model) openMessages() tea.Cmd {
	m.dialog = &messagesDialog{messages: slices.Clone(m.messages)}
	return nil
}
