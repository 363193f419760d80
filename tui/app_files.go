package tui

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes/codeblocks"
)

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
		return m.do(readFileCmd(sv.sess, req.open, false))
	case req.preview != "":
		return m.do(readFileCmd(sv.sess, req.preview, true))
	case req.newFile:
		m.dialog = newPromptDialog("New file in /app", "", "e.g. data/input.csv", func(name string) (action, error) {
			if name == "" {
				return nil, errors.New("give a name")
			}
			return func(*Model) tea.Cmd {
				return tea.Sequence(m.do(fileOpCmd(sv.sess, "created /app/"+name, func() error {
					if _, _, err := sv.sess.ReadFileHead(name, 1); err == nil {
						return fmt.Errorf("/app/%s already exists", name)
					}
					return sv.sess.WriteFile(name, nil)
				})), m.do(listFilesCmd(sv.sess)), m.do(readFileCmd(sv.sess, name, false)))
			}, nil
		})
	case req.rename != "":
		old := req.rename
		m.dialog = newPromptDialog("Rename /app/"+old, old, "new path", func(name string) (action, error) {
			if name == "" || name == old {
				return nil, errors.New("give a new name")
			}
			if _, t := sv.tabFor(old); t != nil {
				return nil, errors.New("close its editor tab first")
			}
			return func(*Model) tea.Cmd {
				sv.files.follow = name // the cursor goes with the file
				return tea.Sequence(m.do(fileOpCmd(sv.sess, "renamed to /app/"+name, func() error { return sv.sess.RenameFile(old, name) })),
					m.do(listFilesCmd(sv.sess)))
			}, nil
		})
	case req.delete != "":
		p := req.delete
		m.dialog = &confirmDialog{
			question: "Delete /app/" + p + "? This cannot be undone.",
			yes: func(m *Model) tea.Cmd {
				return tea.Sequence(m.do(fileOpCmd(sv.sess, "deleted /app/"+p, func() error { return sv.sess.DeleteFile(p) })),
					m.do(listFilesCmd(sv.sess)))
			},
		}
	case req.refresh:
		return m.do(listFilesCmd(sv.sess))
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
			open: func(m *Model) tea.Cmd { return m.do(readFileCmd(sv.sess, msg.path, false)) }}
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
	t := &editorTab{path: msg.path, runtime: rt, crlf: bytes.Contains(msg.data, []byte("\r\n"))}
	t.ed = newEditor(m.st, m.keys.Editor, rt, string(msg.data))
	t.ed.MarkSaved()
	t.autosaved = t.ed.Revision()
	sv.tabs = append(sv.tabs, t)
	sv.active = len(sv.tabs) - 1
	m.relayout()
	m.setFocus(PaneEditor)
	return m.setFlash("opened /app/"+msg.path+" · ctrl+s saves it, "+m.keys.CloseTab.Help().Key+" closes it", false)
}

// formatSize renders a byte count.
func formatSize(n int64) string {
	if n < 0 {
		n = 0
	}
	return run.FormatBytes(uint64(n))
}
