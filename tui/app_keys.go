package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/runtimes/codeblocks"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/themes"
)

// handleKey routes a key: to an open dialog first, then the app-wide
// bindings, then the focused pane.
func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.keys.Quit) {
		if _, asking := m.dialog.(*confirmDialog); !asking {
			m.dialog = nil
			return m.quit()
		}
	}
	if m.dialog != nil {
		d := m.dialog
		done, cmd := d.update(m, msg)
		if done && m.dialog == d {
			m.dialog = nil
		}
		return cmd
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
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
		used, cmd, req := sv.out.handleKey(msg, m.keys)
		if req != nil {
			if req.copyRun != 0 || (req.send == "" && !req.eof) {
				return m.copyRunOutput(req)
			}
			return tea.Batch(cmd, m.sendInput(req))
		}
		if used {
			return cmd
		}
	case PaneFiles:
		if _, req := sv.files.handleKey(msg, m.keys); req != nil {
			return m.filesRequest(req)
		}
	case PaneRuns:
		if _, n := sv.runs.handleKey(msg, m.keys); n > 0 {
			return runRecordCmd(sv.sess, n)
		}
	case PaneMetrics:
	}
	// Keys no pane used: tab and "?" still move focus / open help.
	switch {
	case msg.String() == "tab":
		m.cycleFocus(1)
	case msg.String() == "shift+tab":
		m.cycleFocus(-1)
	case msg.String() == "?":
		m.openHelp()
	}
	return nil
}

// globalKey handles the app-wide bindings. In the editor, keys that type
// text or that the editor owns (tab, ?) stay with the editor.
func (m *Model) globalKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := m.keys
	s := msg.String()
	inEditor := m.focus == PaneEditor
	typing := m.focus == PaneOutput && m.current != nil && (m.current.out.inputOn || m.current.out.searching)
	if (inEditor || typing) && (s == "tab" || s == "shift+tab" || s == "?") {
		return nil, false
	}
	if typing && msg.Text != "" {
		return nil, false
	}
	if !inEditor && !typing && (s == "tab" || s == "shift+tab" || s == "?") {
		// These move focus or open help outside the editor; handled below
		// after the pane had its chance (a list may use them).
		if m.focus != PaneOutput && m.focus != PaneFiles && m.focus != PaneRuns {
			return nil, false
		}
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit(), true
	case key.Matches(msg, k.Run):
		return m.startRun(), true
	case key.Matches(msg, k.Cancel):
		return m.cancelRun(), true
	case key.Matches(msg, k.Help) && s != "?":
		m.openHelp()
		return nil, true
	case key.Matches(msg, k.NextPane) && s != "tab":
		m.cycleFocus(1)
		return nil, true
	case key.Matches(msg, k.PrevPane) && s != "shift+tab":
		m.cycleFocus(-1)
		return nil, true
	case key.Matches(msg, k.FocusEditor):
		m.setFocus(PaneEditor)
		return nil, true
	case key.Matches(msg, k.FocusOutput):
		m.setFocus(PaneOutput)
		return nil, true
	case key.Matches(msg, k.FocusMetric):
		m.setFocus(PaneMetrics)
		return nil, true
	case key.Matches(msg, k.FocusFiles):
		m.setFocus(PaneFiles)
		return nil, true
	case key.Matches(msg, k.FocusRuns):
		m.setFocus(PaneRuns)
		return nil, true
	case key.Matches(msg, k.Zoom):
		m.zoomed = !m.zoomed
		m.relayout()
		return nil, true
	case key.Matches(msg, k.Save):
		return m.save(), true
	case key.Matches(msg, k.Sessions):
		return m.openPicker(), true
	case key.Matches(msg, k.NewSession):
		return m.newSession(), true
	case key.Matches(msg, k.Theme):
		return m.nextTheme(), true
	case key.Matches(msg, k.Runtime):
		return m.switchRuntime(), true
	case key.Matches(msg, k.Policy):
		m.openPolicy()
		return nil, true
	case key.Matches(msg, k.ApplyBudget):
		return m.applySuggestedBudget(), true
	case key.Matches(msg, k.CopyReport):
		return m.copyReport(false), true
	case key.Matches(msg, k.CopyJSON):
		return m.copyReport(true), true
	case key.Matches(msg, k.Demos):
		return m.openDemos(), true
	case key.Matches(msg, k.KeepState):
		return m.toggleKeepVars(), true
	case key.Matches(msg, k.NextTab):
		m.moveTab(1)
		return nil, true
	case key.Matches(msg, k.PrevTab):
		m.moveTab(-1)
		return nil, true
	case key.Matches(msg, k.CloseTab):
		return m.closeTab(), true
	case key.Matches(msg, k.JumpError):
		return m.jumpToError(), true
	}
	return nil, false
}

func (m *Model) cycleFocus(dir int) {
	p := (int(m.focus) + dir + int(paneCount)) % int(paneCount)
	m.setFocus(Pane(p))
}

func (m *Model) openHelp() {
	var extra []string
	for _, group := range m.edKeys.FullHelp() {
		for _, b := range group {
			h := b.Help()
			if h.Key != "" {
				extra = append(extra, fmt.Sprintf("%-18s %s", h.Key, h.Desc))
			}
		}
	}
	m.dialog = &helpDialog{keys: m.keys, extra: extra, packages: m.deps.Packages}
}

// quit asks first when a run is in flight or a file has unsaved edits,
// saves every buffer, releases the sessions and exits.
func (m *Model) quit() tea.Cmd {
	var reasons []string
	if n := len(m.runs); n > 0 {
		reasons = append(reasons, fmt.Sprintf("%d run(s) in flight will be canceled", n))
	}
	dirty := 0
	for _, sv := range m.views {
		for _, t := range sv.tabs {
			if t.path != "" && t.ed.Dirty() {
				dirty++
			}
		}
	}
	if dirty > 0 {
		reasons = append(reasons, fmt.Sprintf("%d file(s) have unsaved edits (kept as drafts in the session, not written to /app)", dirty))
	}
	if len(reasons) == 0 || m.quitting {
		return m.quitNow()
	}
	m.dialog = &confirmDialog{
		question: "Quit wasmplay?\n\n• " + strings.Join(reasons, "\n• "),
		yes:      func(m *Model) tea.Cmd { return m.quitNow() },
	}
	return nil
}

func (m *Model) quitNow() tea.Cmd {
	m.quitting = true
	for r := range m.runs {
		r.Cancel()
	}
	var saves []tea.Cmd
	for _, sv := range m.views {
		for _, t := range sv.tabs {
			if cmd := m.autosaveTab(sv, t); cmd != nil {
				saves = append(saves, cmd)
			}
		}
	}
	var closes []tea.Cmd
	for _, sv := range m.views {
		closes = append(closes, closeSessionCmd(sv))
	}
	return tea.Sequence(tea.Batch(saves...), tea.Batch(closes...), tea.Quit)
}

// autosaveTab saves a tab's text into the session if it changed.
func (m *Model) autosaveTab(sv *sessionView, t *editorTab) tea.Cmd {
	rev := t.ed.Revision()
	if rev == t.autosaved {
		return nil
	}
	if t.path != "" && !t.ed.Dirty() {
		return nil // the file on disk holds it
	}
	return autosaveCmd(sv.sess, t, t.bufferName(), t.ed.Value(), rev)
}

func (m *Model) autosaveAll() tea.Cmd {
	var cmds []tea.Cmd
	for _, sv := range m.views {
		for _, t := range sv.tabs {
			if cmd := m.autosaveTab(sv, t); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	return tea.Batch(cmds...)
}

func (m *Model) saved(msg savedMsg) tea.Cmd {
	if msg.err != nil {
		return m.setFlash("not saved: "+msg.err.Error(), true)
	}
	msg.tab.autosaved = max(msg.tab.autosaved, msg.revision)
	if msg.toFile {
		if msg.tab.ed.Revision() == msg.revision {
			msg.tab.ed.MarkSaved()
		}
		return m.setFlash("saved /app/"+msg.tab.path, false)
	}
	return nil
}

// save writes a file tab to the workspace; a scratch buffer is saved to
// the session (it is autosaved anyway).
func (m *Model) save() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	t := sv.activeTab()
	if t == nil {
		return nil
	}
	if t.path != "" {
		return saveFileCmd(sv.sess, t, t.path, t.ed.Value(), t.ed.Revision())
	}
	rev := t.ed.Revision()
	return tea.Batch(autosaveCmd(sv.sess, t, t.bufferName(), t.ed.Value(), rev),
		m.setFlash("scratch "+t.runtime+" saved in session "+sv.displayName()+" (it is also autosaved as you type)", false))
}

func (m *Model) nextTheme() tea.Cmd {
	if m.st.Theme.Mono {
		return m.setFlash("NO_COLOR is set: themes are off", false)
	}
	t := themes.Next(m.st.Theme.Name)
	m.st = NewStyles(t)
	for _, sv := range m.views {
		for _, tab := range sv.tabs {
			tab.ed.SetStyles(m.st.editorStyles())
		}
	}
	return m.setFlash("theme: "+t.Title, false)
}

// switchRuntime cycles the runtime of the active tab. The scratch tab
// keeps one text per runtime.
func (m *Model) switchRuntime() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	t := sv.activeTab()
	if t == nil {
		return nil
	}
	names := []string{runtimes.Python, runtimes.JavaScript, runtimes.WAT}
	next := names[0]
	for i, n := range names {
		if n == t.runtime {
			next = names[(i+1)%len(names)]
		}
	}
	return m.setTabRuntime(sv, t, next)
}

// setTabRuntime changes a tab's runtime (swapping the scratch text).
func (m *Model) setTabRuntime(sv *sessionView, t *editorTab, rt string) tea.Cmd {
	var cmds []tea.Cmd
	if t.path == "" {
		cmds = append(cmds, m.autosaveTab(sv, t))
		t.scratch[t.runtime] = t.ed.Value()
		text := t.scratch[rt]
		delete(t.scratch, rt)
		t.runtime = rt
		t.ed = newEditor(m.st, m.edKeys, rt, text)
		m.relayout()
		m.setFocus(m.focus)
		cmds = append(cmds, saveRuntimeCmd(sv.sess, rt))
	} else {
		t.runtime = rt
		t.ed.SetSyntax(syntaxOf(rt))
	}
	cmds = append(cmds, m.setFlash("runtime: "+rt, false))
	return tea.Batch(cmds...)
}

func (m *Model) moveTab(dir int) {
	sv := m.current
	if sv == nil || len(sv.tabs) < 2 {
		return
	}
	sv.active = (sv.active + dir + len(sv.tabs)) % len(sv.tabs)
	m.setFocus(PaneEditor)
}

// closeTab closes a file tab; its unsaved edits stay as a draft in the
// session until saved or discarded.
func (m *Model) closeTab() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	t := sv.activeTab()
	if t == nil || t.path == "" {
		return m.setFlash("the scratch tab stays open", false)
	}
	remove := func(m *Model, discard bool) tea.Cmd {
		for i, x := range sv.tabs {
			if x == t {
				sv.tabs = append(sv.tabs[:i], sv.tabs[i+1:]...)
				break
			}
		}
		sv.active = min(sv.active, len(sv.tabs)-1)
		m.setFocus(PaneEditor)
		if discard {
			name := t.bufferName()
			return fileOpCmd(sv.sess, "closed "+t.path+" without saving", func() error { return sv.sess.DeleteBuffer(name) })
		}
		return nil
	}
	if t.ed.Dirty() {
		m.dialog = &confirmDialog{
			question: "/app/" + t.path + " has unsaved edits. Close it and discard them?",
			yes:      func(m *Model) tea.Cmd { return remove(m, true) },
		}
		return nil
	}
	return remove(m, false)
}

func (m *Model) jumpToError() tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	for i, t := range sv.tabs {
		if marks := t.ed.Marks(); len(marks) > 0 {
			sv.active = i
			t.ed.GotoLine(marks[0].Line)
			m.setFocus(PaneEditor)
			return m.setFlash(fmt.Sprintf("line %d: %s", marks[0].Line, marks[0].Message), false)
		}
	}
	return m.setFlash("no error line is marked", false)
}

// filesRequest carries out what the files pane asked for.
func (m *Model) filesRequest(req *filesRequest) tea.Cmd {
	sv := m.current
	switch {
	case req.open != "":
		if i, _ := sv.tabFor(req.open); i >= 0 {
			sv.active = i
			m.setFocus(PaneEditor)
			return nil
		}
		return readFileCmd(sv.sess, req.open, false)
	case req.preview != "":
		return readFileCmd(sv.sess, req.preview, true)
	case req.newFile:
		m.dialog = newPromptDialog("New file in /app", "", "e.g. data/input.csv", func(m *Model, name string) (tea.Cmd, error) {
			if name == "" {
				return nil, errors.New("give a name")
			}
			return tea.Sequence(fileOpCmd(sv.sess, "created /app/"+name, func() error {
				if _, _, err := sv.sess.ReadFileHead(name, 1); err == nil {
					return fmt.Errorf("/app/%s already exists", name)
				}
				return sv.sess.WriteFile(name, nil)
			}), listFilesCmd(sv.sess), readFileCmd(sv.sess, name, false)), nil
		})
	case req.rename != "":
		old := req.rename
		m.dialog = newPromptDialog("Rename /app/"+old, old, "new path", func(m *Model, name string) (tea.Cmd, error) {
			if name == "" || name == old {
				return nil, errors.New("give a new name")
			}
			if _, t := sv.tabFor(old); t != nil {
				return nil, errors.New("close its editor tab first")
			}
			return tea.Sequence(fileOpCmd(sv.sess, "renamed to /app/"+name, func() error { return sv.sess.RenameFile(old, name) }),
				listFilesCmd(sv.sess)), nil
		})
	case req.delete != "":
		p := req.delete
		m.dialog = &confirmDialog{
			question: "Delete /app/" + p + "? This cannot be undone.",
			yes: func(m *Model) tea.Cmd {
				return tea.Sequence(fileOpCmd(sv.sess, "deleted /app/"+p, func() error { return sv.sess.DeleteFile(p) }),
					listFilesCmd(sv.sess))
			},
		}
	case req.refresh:
		return listFilesCmd(sv.sess)
	}
	return nil
}

// fileRead opens a file in a tab or shows its preview.
func (m *Model) fileRead(msg fileReadMsg) tea.Cmd {
	sv := m.views[msg.id]
	if sv == nil {
		return nil
	}
	if msg.preview {
		m.dialog = &previewDialog{path: msg.path, head: msg.data, size: msg.size, err: msg.err,
			open: func(m *Model) tea.Cmd { return readFileCmd(sv.sess, msg.path, false) }}
		return nil
	}
	if msg.err != nil {
		return m.setFlash(msg.err.Error(), true)
	}
	if msg.size > int64(len(msg.data)) {
		return m.setFlash(fmt.Sprintf("/app/%s is %s; the editor opens files up to %s (space previews it)",
			msg.path, formatSize(msg.size), formatSize(maxOpenBytes)), true)
	}
	if isBinary(msg.data) {
		return m.setFlash("/app/"+msg.path+" looks binary: space shows a preview", true)
	}
	if lower := strings.ToLower(msg.path); strings.HasSuffix(lower, ".md") || strings.HasSuffix(lower, ".markdown") {
		if _, open := sv.tabFor(msg.path); open == nil && !m.openingMarkdownAsText {
			if blocks := codeblocks.Extract(string(msg.data)); len(blocks) > 0 {
				m.dialog = &markdownChooser{blockChooser: blockChooser{blocks: blocks, text: string(msg.data), from: "/app/" + msg.path},
					path: msg.path, data: msg.data}
				return nil
			}
		}
	}
	m.openingMarkdownAsText = false
	if i, _ := sv.tabFor(msg.path); i >= 0 {
		sv.active = i
		m.setFocus(PaneEditor)
		return nil
	}
	rt := runtimeForPath(msg.path, sv.scratchTab().runtime)
	t := &editorTab{path: msg.path, runtime: rt}
	t.ed = newEditor(m.st, m.edKeys, rt, string(msg.data))
	t.ed.MarkSaved()
	t.autosaved = t.ed.Revision()
	sv.tabs = append(sv.tabs, t)
	sv.active = len(sv.tabs) - 1
	m.relayout()
	m.setFocus(PaneEditor)
	return m.setFlash("opened /app/"+msg.path+" · ctrl+s saves it, "+m.keys.CloseTab.Help().Key+" closes it", false)
}

// newSession asks for a name and opens a new session.
func (m *Model) newSession() tea.Cmd {
	rt := runtimes.Python
	if m.current != nil {
		if t := m.current.scratchTab(); t != nil {
			rt = t.runtime
		}
	}
	m.dialog = newPromptDialog("New session", "", "a name (optional): letters, digits, - and _", func(m *Model, name string) (tea.Cmd, error) {
		if name != "" {
			if _, err := sessions.CanonicalID(name); err != nil {
				return nil, err
			}
		}
		return newSessionCmd(m.deps.Playground, name, rt), nil
	})
	return nil
}

// handleMouse focuses the pane under a click and forwards it; the wheel
// scrolls the pane under the pointer.
func (m *Model) handleMouse(msg tea.MouseMsg) tea.Cmd {
	if m.dialog != nil || m.current == nil || m.layout.TooSmall {
		return nil
	}
	mouse := msg.Mouse()
	p, ok := m.layout.PaneAt(mouse.X, mouse.Y)
	if !ok {
		return nil
	}
	r := m.layout.Panes[p]
	sv := m.current
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		delta := 3
		if mouse.Button == tea.MouseWheelUp {
			delta = -3
		}
		switch p {
		case PaneOutput:
			sv.out.scroll(delta)
		case PaneFiles:
			sv.files.move(delta)
		case PaneRuns:
			sv.runs.move(delta)
		case PaneEditor:
			if t := sv.activeTab(); t != nil {
				return t.ed.Update(translateMouse(msg, r.X+1, r.Y+2))
			}
		}
		return nil
	case tea.MouseClickMsg:
		if m.focus != p {
			m.setFocus(p)
		}
		double := time.Since(m.lastClick.at) < 400*time.Millisecond && m.lastClick.x == mouse.X && m.lastClick.y == mouse.Y
		m.lastClick = clickInfo{at: time.Now(), x: mouse.X, y: mouse.Y}
		row := mouse.Y - r.Y - 1
		switch p {
		case PaneEditor:
			if row == 0 {
				return m.clickTab(mouse.X - r.X - 1)
			}
			if t := sv.activeTab(); t != nil {
				return t.ed.Update(translateMouse(msg, r.X+1, r.Y+2))
			}
		case PaneFiles:
			if e, ok := sv.files.clickRow(row); ok {
				if e.Kind == sessions.KindDir {
					sv.files.collapsed[e.Path] = !sv.files.collapsed[e.Path]
					sv.files.rebuild()
				} else if double {
					return readFileCmd(sv.sess, e.Path, false)
				} else {
					return readFileCmd(sv.sess, e.Path, true)
				}
			}
		case PaneRuns:
			if row >= 1 {
				sv.runs.cursor = sv.runs.offset + row - 1
				if s, ok := sv.runs.at(sv.runs.cursor); ok && double {
					return runRecordCmd(sv.sess, s.Number)
				}
			}
		}
	default:
		// Drags and releases belong to the editor's selection.
		if p == PaneEditor && m.focus == PaneEditor {
			if t := sv.activeTab(); t != nil {
				return t.ed.Update(translateMouse(msg, r.X+1, r.Y+2))
			}
		}
	}
	return nil
}

// clickTab activates the tab under column x of the tab bar.
func (m *Model) clickTab(x int) tea.Cmd {
	sv := m.current
	col := 0
	for i, t := range sv.tabs {
		w := len([]rune(t.title())) + 2
		if x >= col && x < col+w {
			sv.active = i
			m.setFocus(PaneEditor)
			return nil
		}
		col += w + 1
	}
	return nil
}

// translateMouse makes a mouse message relative to the cell (x0, y0).
func translateMouse(msg tea.MouseMsg, x0, y0 int) tea.Msg {
	switch m := msg.(type) {
	case tea.MouseClickMsg:
		m.X -= x0
		m.Y -= y0
		return m
	case tea.MouseReleaseMsg:
		m.X -= x0
		m.Y -= y0
		return m
	case tea.MouseMotionMsg:
		m.X -= x0
		m.Y -= y0
		return m
	case tea.MouseWheelMsg:
		m.X -= x0
		m.Y -= y0
		return m
	}
	return msg
}

// formatSize renders a byte count.
func formatSize(n int64) string {
	if n < 0 {
		n = 0
	}
	return run.FormatBytes(uint64(n))
}
