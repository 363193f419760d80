package tui

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
)

// Messages the root model receives. Each I/O result carries the session
// it belongs to; results for a session that is no longer open are dropped.

// sessionOpenedMsg delivers a loaded session.
type sessionOpenedMsg struct {
	opened *openedSession
	focus  bool // make it the current session
}

// sessionOpenFailedMsg reports a session that could not be opened.
type sessionOpenFailedMsg struct {
	err        error
	showPicker bool
}

// filesListedMsg delivers a fresh workspace listing.
type filesListedMsg struct {
	id      string
	entries []sessions.FileEntry
	err     error
}

// workspaceChangedMsg says a session's workspace changed on disk.
type workspaceChangedMsg struct {
	id string
	w  *workspaceWatcher
}

// filesRefreshDueMsg fires after the debounce of workspace changes.
type filesRefreshDueMsg struct {
	id  string
	seq int
}

// autosaveTickMsg drives buffer autosave.
type autosaveTickMsg struct{}

// savedMsg reports an autosave or a save.
type savedMsg struct {
	id       string
	tab      *editorTab
	revision uint64
	toFile   bool // saved to the workspace file (ctrl+s), not only autosaved
	err      error
}

// flashMsg shows a transient message in the footer.
type flashMsg struct {
	text string
	err  bool
}

// flashExpiredMsg clears a flash message if it is still the current one.
type flashExpiredMsg struct{ seq int }

// preparedMsg says a runtime finished loading (or failed to).
type preparedMsg struct {
	runtime string
	err     error
	took    time.Duration
}

// runRecordMsg delivers a full history record for display.
type runRecordMsg struct {
	id  string
	rec sessions.RunRecord
	err error
}

// fileReadMsg delivers a workspace file for the editor or a preview.
type fileReadMsg struct {
	id      string
	path    string
	data    []byte
	size    int64
	err     error
	preview bool
}

// screenRequest asks for the screen as text, answered from the program
// loop (tests and scripted checks read the screen this way).
type screenRequest struct{ reply chan<- string }

// sessionClosedMsg says a session view was closed (locks released).
type sessionClosedMsg struct{ id string }

// listenWorkspace waits for the next change in a session's workspace.
func listenWorkspace(id string, w *workspaceWatcher) tea.Cmd {
	if w == nil {
		return nil
	}
	return func() tea.Msg {
		select {
		case <-w.Changed():
			return workspaceChangedMsg{id: id, w: w}
		case <-w.done:
			return nil
		}
	}
}

// lastFirst moves session id to the front of list, the rest in order.
func lastFirst(list []sessions.Summary, id string) []sessions.Summary {
	for i, s := range list {
		if s.ID == id {
			out := append([]sessions.Summary{s}, list[:i]...)
			return append(out, list[i+1:]...)
		}
	}
	return list
}

// openSessionCmd resolves a session reference ("" = the one the app last
// showed, else the most recently used, or a new one when there is none)
// and loads it.
func openSessionCmd(pg *playground.Playground, ref string, focus bool) tea.Cmd {
	store := pg.Store()
	return func() tea.Msg {
		var sess *sessions.Session
		var err error
		if ref != "" {
			sess, err = store.Resolve(ref)
			if errors.Is(err, sessions.ErrNotFound) {
				sess, err = store.Create(sessions.CreateOptions{ID: ref})
			}
		} else {
			// The session the person last had in front of them, then the
			// others, most recently used first.
			var list []sessions.Summary
			list, err = store.List()
			if last, lerr := store.LastOpened(); lerr == nil && last != "" {
				list = lastFirst(list, last)
			}
			for _, s := range list {
				if s.Error == "" {
					sess, err = store.Resolve(s.ID)
					if err == nil {
						if o, lerr := loadSession(pg, sess); lerr == nil {
							return sessionOpenedMsg{opened: o, focus: focus}
						} else if !errors.Is(lerr, sessions.ErrInUse) {
							return sessionOpenFailedMsg{err: lerr}
						}
						// In use by another wasmplay: try the next one.
						sess, err = nil, nil
						continue
					}
				}
			}
			if sess == nil && err == nil {
				sess, err = store.Create(sessions.CreateOptions{})
			}
		}
		if err != nil {
			return sessionOpenFailedMsg{err: err, showPicker: ref != ""}
		}
		o, err := loadSession(pg, sess)
		if err != nil {
			return sessionOpenFailedMsg{err: err, showPicker: true}
		}
		return sessionOpenedMsg{opened: o, focus: focus}
	}
}

// newSessionCmd creates a session and loads it.
func newSessionCmd(pg *playground.Playground, name, runtime string) tea.Cmd {
	return func() tea.Msg {
		sess, err := pg.Store().Create(sessions.CreateOptions{Name: name, Runtime: runtime})
		if err != nil {
			return sessionOpenFailedMsg{err: err}
		}
		o, err := loadSession(pg, sess)
		if err != nil {
			return sessionOpenFailedMsg{err: err}
		}
		return sessionOpenedMsg{opened: o, focus: true}
	}
}

// listFilesCmd lists a session's workspace.
func listFilesCmd(sess *sessions.Session) tea.Cmd {
	return func() tea.Msg {
		entries, err := sess.Files()
		return filesListedMsg{id: sess.ID(), entries: entries, err: err}
	}
}

// autosaveCmd stores a tab's text in the session's buffers.
func autosaveCmd(sess *sessions.Session, tab *editorTab, name, text string, revision uint64) tea.Cmd {
	return func() tea.Msg {
		return savedMsg{id: sess.ID(), tab: tab, revision: revision, err: sess.SaveBuffer(name, text)}
	}
}

// saveFileCmd writes a file tab to the workspace and drops its buffer.
func saveFileCmd(sess *sessions.Session, tab *editorTab, path, text string, revision uint64) tea.Cmd {
	return func() tea.Msg {
		err := sess.WriteFile(path, []byte(text))
		if err == nil {
			err = sess.DeleteBuffer(fileBufferPrefix + path)
		}
		return savedMsg{id: sess.ID(), tab: tab, revision: revision, toFile: true, err: err}
	}
}

// saveRuntimeCmd remembers the runtime last used in a session.
func saveRuntimeCmd(sess *sessions.Session, runtime string) tea.Cmd {
	return func() tea.Msg {
		if err := sess.SetRuntime(runtime); err != nil {
			return flashMsg{text: err.Error(), err: true}
		}
		return nil
	}
}

// clearVarsCmd forgets the variables kept for each of runtimes.
func clearVarsCmd(sess *sessions.Session, runtimes []string) tea.Cmd {
	return func() tea.Msg {
		for _, rt := range runtimes {
			if err := sess.ClearVars(rt); err != nil {
				return flashMsg{text: "the kept variables were not forgotten: " + err.Error(), err: true}
			}
		}
		return flashMsg{text: "kept variables forgotten"}
	}
}

// limitsSavedMsg reports a session's limits saved (F4, alt+u), with what
// a run gets now.
type limitsSavedMsg struct {
	id      string
	limits  run.Policy
	err     error // the limits as saved cannot be used
	saveErr error
}

// saveLimitsCmd stores a session's own limits and resolves them again.
func saveLimitsCmd(pg *playground.Playground, sess *sessions.Session, o run.Overrides) tea.Cmd {
	return func() tea.Msg {
		if err := sess.SetLimits(o); err != nil {
			return limitsSavedMsg{id: sess.ID(), saveErr: err}
		}
		p, err := pg.Limits(sess)
		return limitsSavedMsg{id: sess.ID(), limits: p, err: err}
	}
}

// readFileCmd reads (the head of) a workspace file.
func readFileCmd(sess *sessions.Session, path string, preview bool) tea.Cmd {
	return func() tea.Msg {
		limit := maxOpenBytes
		if preview {
			limit = maxPreviewBytes
		}
		data, size, err := sess.ReadFileHead(path, limit)
		return fileReadMsg{id: sess.ID(), path: path, data: data, size: size, err: err, preview: preview}
	}
}

// Limits on what is read from the workspace into the UI.
const (
	maxPreviewBytes = 256 << 10
	maxOpenBytes    = 8 << 20
)

// runRecordCmd reads one full run record.
func runRecordCmd(sess *sessions.Session, n int) tea.Cmd {
	return func() tea.Msg {
		rec, err := sess.Run(n)
		return runRecordMsg{id: sess.ID(), rec: rec, err: err}
	}
}

// fileOpCmd runs a workspace file operation and reports it.
func fileOpCmd(sess *sessions.Session, done string, op func() error) tea.Cmd {
	return func() tea.Msg {
		if err := op(); err != nil {
			return flashMsg{text: err.Error(), err: true}
		}
		return flashMsg{text: done}
	}
}

// closeSessionCmd releases a session view's lock and watcher.
func closeSessionCmd(sv *sessionView) tea.Cmd {
	return func() tea.Msg {
		sv.close()
		return sessionClosedMsg{id: sv.sess.ID()}
	}
}

// writeReportCmd saves a report into the session directory (the visible
// fallback when the terminal has no clipboard) and reports the path.
func writeReportCmd(sess *sessions.Session, name string, data []byte, what string) tea.Cmd {
	return func() tea.Msg {
		dir := filepath.Join(sess.Dir(), "reports")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return flashMsg{text: "report not saved: " + err.Error(), err: true}
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return flashMsg{text: "report not saved: " + err.Error(), err: true}
		}
		return flashMsg{text: what + " copied to the clipboard (OSC 52) and saved to " + p}
	}
}

// tickAutosave schedules the next autosave check.
func tickAutosave() tea.Cmd {
	return tea.Tick(autosaveEvery, func(time.Time) tea.Msg { return autosaveTickMsg{} })
}

// autosaveEvery bounds how much typing a crash can lose.
const autosaveEvery = 700 * time.Millisecond
