package tui

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/wasmplay/wasmplay/demos"
	"github.com/wasmplay/wasmplay/live"
	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/tui/editor"
)

// fileBufferPrefix names the session buffer that keeps unsaved edits of a
// workspace file ("file/" + its path); scratch buffers are named by their
// runtime.
const fileBufferPrefix = "file/"

// editorTab is one tab of the editor pane: the scratch buffer of the
// session (one text per runtime, switched with ctrl+l) or a workspace file.
type editorTab struct {
	path      string            // workspace path of a file tab; "" for scratch
	runtime   string            // runtime the tab runs with
	ed        *editor.Model     // the text being edited
	scratch   map[string]string // scratch only: texts of the runtimes not shown
	autosaved uint64            // editor revision last autosaved
	// approval, for a tab opened to edit an agent's run before it runs,
	// is the request: running the tab answers it. Never autosaved.
	approval *live.ApprovalRequest
	// crlf is set for a file whose lines end in "\r\n": the editor works
	// in "\n", and saving writes "\r\n" back.
	crlf bool
	// frames are the lines of a traceback's frames in the user's code,
	// innermost first, and frame the one the jump key last went to (-1:
	// none yet).
	frames []int
	frame  int
	// pastRun, for a read-only tab of a run from the history, is its
	// number (0 for every other tab). Never autosaved.
	pastRun int
}

// bufferName is the session buffer the tab autosaves into.
func (t *editorTab) bufferName() string {
	if t.path != "" {
		return fileBufferPrefix + t.path
	}
	return t.runtime
}

// text is the tab's text as its file holds it: with the file's own "\r\n"
// line endings when it had them (so a draft restored from the session's
// buffers keeps them too).
func (t *editorTab) text() string {
	if t.crlf {
		return strings.ReplaceAll(t.ed.Value(), "\n", "\r\n")
	}
	return t.ed.Value()
}

// title is the tab's label.
func (t *editorTab) title() string {
	if t.path != "" {
		name := t.path
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		if t.ed.Dirty() {
			name += "*"
		}
		return name
	}
	if t.approval != nil {
		return "agent's code · " + t.runtime
	}
	if t.pastRun != 0 {
		return fmt.Sprintf("run %d · read-only", t.pastRun)
	}
	return "scratch · " + t.runtime
}

// sessionView is everything the TUI keeps for one open session: its tabs,
// output, metrics, files and runs, and the run in flight.
type sessionView struct {
	sess    *sessions.Session
	release func() // drops the owner lock
	// limits are what a run in the session gets when it asks for none, as
	// the playground resolved them when the session was opened or its
	// limits last changed (shown, never used to run); limitsErr says why
	// they cannot be used.
	limits    run.Policy
	limitsErr error

	tabs        []*editorTab
	active      int
	editorWidth int // of the editor pane's content, for its tab bar

	out     *outputPane
	metrics *metricsPane
	files   *filesPane
	runs    *runsPane
	watcher *workspaceWatcher

	demo     *demos.Demo // the gallery demo to run next (its limits apply)
	starting bool        // a run is being started
	// withdrawStart cancels a start still waiting (for another run of the
	// session to end); nil when none is.
	withdrawStart func()
	run           *playground.Run // in flight, nil when none
	runCode       []byte
	runRuntime    string
	runTab        *editorTab
	inputFocus    bool // focus moved to the stdin line for this run
	focusBefore   Pane

	// last is the run the reports and copies are of: the last finished
	// one, or the one reopened from the history since.
	last *playground.Outcome

	// remotes are other processes' runs in flight in the session; the
	// panes follow the first that started while they were free.
	remotes []*remoteRun
}

func (sv *sessionView) activeTab() *editorTab {
	if sv.active < 0 || sv.active >= len(sv.tabs) {
		return nil
	}
	return sv.tabs[sv.active]
}

// scratchTab returns the scratch tab (always the first).
func (sv *sessionView) scratchTab() *editorTab {
	for _, t := range sv.tabs {
		if t.path == "" && t.approval == nil && t.pastRun == 0 {
			return t
		}
	}
	return nil
}

// scratchIndex is the scratch tab's place among the tabs (-1: none).
func (sv *sessionView) scratchIndex() int {
	for i, t := range sv.tabs {
		if t.path == "" && t.approval == nil && t.pastRun == 0 {
			return i
		}
	}
	return -1
}

// pastRunTab returns the open read-only tab of run n (nil: none).
func (sv *sessionView) pastRunTab(n int) *editorTab {
	for _, t := range sv.tabs {
		if t.pastRun == n {
			return t
		}
	}
	return nil
}

// tabFor returns the open tab of a workspace file.
func (sv *sessionView) tabFor(path string) (int, *editorTab) {
	for i, t := range sv.tabs {
		if t.path == path && path != "" {
			return i, t
		}
	}
	return -1, nil
}

// displayName is the session's name, or its ID.
func (sv *sessionView) displayName() string {
	if n := sv.sess.Name(); n != "" {
		return n
	}
	id := sv.sess.ID()
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// starterCode is what an empty scratch buffer starts with.
func starterCode(runtime string) string {
	if rt, ok := runtimes.Language(runtime); ok {
		return rt.Starter
	}
	return ""
}

// openedSession is what loading a session from disk produced.
type openedSession struct {
	sess    *sessions.Session
	release func()
	buffers map[string]string
	// saved holds, for each draft of a file (a "file/" buffer), the file's
	// text on disk, so undo can go back to it; absent when unreadable.
	saved     map[string]string
	runs      []sessions.RunSummary
	runsErr   error
	files     []sessions.FileEntry
	filesErr  error
	watcher   *workspaceWatcher
	limits    run.Policy
	limitsErr error
	warnings  []string
}

// loadSession reads what the TUI shows of a session: it takes the owner
// lock, reads the buffers, the run summaries and the workspace listing,
// and starts watching the workspace. It runs in a tea.Cmd.
func loadSession(pg *playground.Playground, sess *sessions.Session) (*openedSession, error) {
	release, err := sess.AcquireOwner()
	if err != nil {
		return nil, err
	}
	o := &openedSession{sess: sess, release: release, buffers: map[string]string{}, saved: map[string]string{}}
	o.limits, o.limitsErr = pg.Limits(sess)
	if o.limitsErr != nil {
		o.warnings = append(o.warnings, "runs cannot start until the limits are fixed (F4): "+limitsMessage(o.limitsErr))
	}
	names, err := sess.Buffers()
	if err != nil {
		o.warnings = append(o.warnings, err.Error())
	}
	for _, name := range names {
		code, ok, err := sess.LoadBuffer(name)
		if err != nil {
			o.warnings = append(o.warnings, err.Error())
			continue
		}
		if ok {
			o.buffers[name] = code
		}
		if path, isFile := strings.CutPrefix(name, fileBufferPrefix); isFile && ok {
			if data, err := sess.ReadFile(path); err == nil && !isBinary(data) {
				o.saved[path] = string(data)
			}
		}
	}
	o.runs, o.runsErr = sess.Runs()
	o.files, o.filesErr = sess.Files()
	if w, err := newWorkspaceWatcher(sess.WorkspaceDir()); err == nil {
		o.watcher = w
	} else {
		o.warnings = append(o.warnings, "live file updates are off: "+err.Error())
	}
	return o, nil
}

// newSessionView builds the view of a loaded session.
func newSessionView(o *openedSession, st Styles, keys editorKeys) *sessionView {
	sv := &sessionView{
		sess: o.sess, release: o.release, limits: o.limits, limitsErr: o.limitsErr, watcher: o.watcher,
		out: newOutputPane(), metrics: &metricsPane{every: 1}, files: newFilesPane(), runs: &runsPane{},
	}
	sv.metrics.limits = run.LimitsOf(o.limits)
	rt := o.sess.Runtime()
	if rt == "" {
		rt = runtimes.Default
	}
	scratch := &editorTab{runtime: rt, scratch: map[string]string{}}
	for _, lang := range runtimes.Languages() {
		name := lang.Name
		code, ok := o.buffers[name]
		if !ok {
			code = starterCode(name)
		}
		scratch.scratch[name] = code
	}
	scratch.ed = newEditor(st, keys, rt, scratch.scratch[rt])
	delete(scratch.scratch, rt)
	sv.tabs = append(sv.tabs, scratch)

	// Files with unsaved edits come back as tabs.
	var files []string
	for name := range o.buffers {
		if strings.HasPrefix(name, fileBufferPrefix) {
			files = append(files, strings.TrimPrefix(name, fileBufferPrefix))
		}
	}
	sort.Strings(files)
	for _, path := range files {
		// The tab holds the file as saved, then the draft as one edit: it
		// shows as unsaved, and undo goes back to the file.
		draft := o.buffers[fileBufferPrefix+path]
		t := &editorTab{path: path, runtime: runtimeForPath(path, rt), crlf: strings.Contains(draft, "\r\n")}
		t.ed = newEditor(st, keys, t.runtime, o.saved[path])
		t.ed.ReplaceAll(draft)
		t.autosaved = t.ed.Revision() // the buffer already holds it
		sv.tabs = append(sv.tabs, t)
	}
	sv.runs.setRuns(o.runs, o.runsErr)
	sv.files.setEntries(o.files, o.filesErr)
	for _, w := range o.warnings {
		sv.out.append(lineNote, 0, "note: "+w)
	}
	if n := len(o.runs); n > 0 {
		last := o.runs[n-1]
		sv.out.append(lineNote, 0, fmt.Sprintf("session %s · %d runs · last: run %d, %s", sv.displayName(), n, last.Number, last.Outcome))
	}
	return sv
}

// editorKeys is the editor's key map as the app configured it.
type editorKeys = editor.KeyMap

// newEditor makes an editor for a runtime with some text.
func newEditor(st Styles, keys editorKeys, runtime, text string) *editor.Model {
	ed := editor.New(editor.Options{TabWidth: 4, Syntax: syntaxOf(runtime), Styles: st.editorStyles(), Keys: keys})
	ed.SetValue(text)
	return ed
}

// syntaxOf is what the editor needs of a language, from its record; an
// unknown name (a data file's) is plain text.
func syntaxOf(runtime string) editor.Syntax {
	rt, ok := runtimes.Language(runtime)
	if !ok {
		return editor.Syntax{}
	}
	e := rt.Editing
	return editor.Syntax{Name: rt.Name, Lexer: rt.Lexer, LineComment: e.Comment, Quotes: e.Quotes,
		BlockOpener: e.BlockOpener, OpenParens: e.OpenParens, DedentAfter: e.DedentAfter}
}

// runtimeForPath picks the runtime of a workspace file by its extension.
func runtimeForPath(path, fallback string) string {
	if rt, ok := runtimes.LanguageForPath(path); ok {
		return rt.Name
	}
	return fallback
}

// close releases what the view holds. It runs in a tea.Cmd.
func (sv *sessionView) close() {
	if sv.watcher != nil {
		sv.watcher.close()
	}
	if sv.release != nil {
		sv.release()
	}
}

// errSessionBusy reports a run in flight where a session operation needs
// none.
var errSessionBusy = errors.New("a run is in flight in this session")
