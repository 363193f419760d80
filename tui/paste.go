package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/runtimes/codeblocks"
)

// syncExtractLimit is the largest paste whose code blocks are found on the
// UI goroutine; bigger pastes are scanned in a tea.Cmd.
const syncExtractLimit = 1 << 20

// pasteScannedMsg delivers the code blocks of a big paste.
type pasteScannedMsg struct {
	text   string
	blocks []codeblocks.Block
}

// handlePaste gives a bracketed paste to the focused text field. In the
// editor, a paste holding fenced code blocks (an LLM answer) offers them
// instead of the whole text.
func (m *Model) handlePaste(msg tea.PasteMsg) tea.Cmd {
	if m.dialog != nil {
		return m.applyDialog(msg)
	}
	if m.focus != PaneEditor || m.current == nil || !strings.Contains(msg.Content, "```") && !strings.Contains(msg.Content, "~~~") {
		return m.forwardToFocus(msg)
	}
	if len(msg.Content) > syncExtractLimit {
		text := msg.Content
		return tea.Batch(m.setFlash("looking for code blocks in the pasted text…", false), func() tea.Msg {
			return pasteScannedMsg{text: text, blocks: codeblocks.Extract(text)}
		})
	}
	return m.offerBlocks(msg.Content, codeblocks.Extract(msg.Content), "the pasted text")
}

// offerBlocks puts one code block straight into the editor, or opens a
// chooser for several; with none the text is pasted as it is.
func (m *Model) offerBlocks(text string, blocks []codeblocks.Block, from string) tea.Cmd {
	switch len(blocks) {
	case 0:
		return tea.Batch(m.pasteAsIs(text), m.setFlash("no ``` code block in "+from+": pasted as it is", false))
	case 1:
		return m.useBlock(blocks[0], text, from)
	}
	m.dialog = &blockChooser{blocks: blocks, text: text, from: from}
	return nil
}

// pasteAsIs inserts text at the cursor as an ordinary paste.
func (m *Model) pasteAsIs(text string) tea.Cmd {
	if m.current == nil {
		return nil
	}
	m.setFocus(PaneEditor)
	return m.forwardToFocus(tea.PasteMsg{Content: text})
}

// useBlock puts a code block into the editor: into the scratch buffer of
// its runtime (replacing its text; ctrl+z restores it), or at the cursor
// of a file tab.
func (m *Model) useBlock(b codeblocks.Block, text, from string) tea.Cmd {
	sv := m.current
	if sv == nil {
		return nil
	}
	if err := codeblocks.Runnable(b); err != nil {
		// Prose and fences never go into code: the buffer stays as it was.
		return m.setFlash(fmt.Sprintf("the editor is unchanged: code block %d of %s: %v", b.Index, from, err), true)
	}
	var cmds []tea.Cmd
	t := sv.activeTab()
	where := "was inserted at the cursor of /app/" + sanitize(t.path, 4)
	if t.path == "" || m.focus != PaneEditor {
		// Code goes to the scratch buffer of its language (never to an
		// agent's code or a past run's).
		sv.active = max(sv.scratchIndex(), 0)
		t = sv.activeTab()
		if t.runtime != b.Runtime {
			cmds = append(cmds, m.setTabRuntime(sv, t, b.Runtime))
		}
		m.setFocus(PaneEditor)
		t.ed.ReplaceAll(b.Code) // one undoable step
		cmds = append(cmds, m.afterEdit(nil))
		where = "replaced the " + b.Runtime + " scratch buffer"
	} else {
		cmds = append(cmds, m.afterEdit(t.ed.Update(tea.PasteMsg{Content: b.Code})))
	}
	what := b.Runtime
	if b.Guessed {
		what += " (guessed: the block had no language tag; ctrl+l changes it)"
	}
	cmds = append(cmds, m.setFlash(fmt.Sprintf("code block %d of %s (%s) %s · ctrl+z undoes it", b.Index, from, what, where), false))
	return tea.Batch(cmds...)
}

// blockChooser lets the user pick one of several code blocks.
type blockChooser struct {
	blocks []codeblocks.Block
	text   string
	from   string
	cursor int // len(blocks) is "paste the whole text"
}

func (d *blockChooser) title() string {
	return fmt.Sprintf("%d code blocks in %s — enter takes one, esc cancels", len(d.blocks), d.from)
}

func (d *blockChooser) update(msg tea.Msg) dialogResult {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return stay(nil)
	}
	switch k.String() {
	case "esc":
		return closeWith(nil)
	case "up", "k":
		d.cursor = max(d.cursor-1, 0)
	case "down", "j":
		d.cursor = min(d.cursor+1, len(d.blocks))
	case "enter":
		if d.cursor == len(d.blocks) {
			text := d.text
			return closeWith(func(m *Model) tea.Cmd { return m.pasteAsIs(text) })
		}
		return closeWith(d.take(d.blocks[d.cursor]))
	default:
		if n := k.Code - '0'; k.Text != "" && n >= 1 && int(n) <= len(d.blocks) {
			return closeWith(d.take(d.blocks[n-1]))
		}
	}
	return stay(nil)
}

// take is the action that puts a block in the editor.
func (d *blockChooser) take(b codeblocks.Block) action {
	text, from := d.text, d.from
	return func(m *Model) tea.Cmd { return m.useBlock(b, text, from) }
}

func (d *blockChooser) view(st Styles, w, h int) string {
	var rows []string
	for i, b := range d.blocks {
		line := fmt.Sprintf("%d  %s", b.Index, codeblocks.Summary(b))
		line = fitLine(line, w)
		if i == d.cursor {
			line = st.Selected.Render(line)
		} else if b.Runtime == "" {
			line = st.Subtle.Render(line)
		}
		rows = append(rows, line)
	}
	whole := fitLine("   paste the whole text as it is", w)
	if d.cursor == len(d.blocks) {
		whole = st.Selected.Render(whole)
	}
	rows = append(rows, whole, "", st.Subtle.Render("the chosen block replaces the scratch buffer of its language (ctrl+z restores it)"))
	start := max(0, d.cursor-h+4)
	if start > 0 && start < len(rows) {
		rows = rows[start:]
	}
	return strings.Join(rows, "\n")
}

// markdownChooser is the block chooser for a Markdown file opened from the
// files pane: its last entry opens the file itself for editing.
type markdownChooser struct {
	blockChooser
	path string
	data []byte
}

func (d *markdownChooser) title() string {
	return fmt.Sprintf("/app/%s has %d code blocks — enter takes one into the editor, esc cancels", d.path, len(d.blocks))
}

func (d *markdownChooser) update(msg tea.Msg) dialogResult {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "enter" && d.cursor == len(d.blocks) {
		// Open the Markdown file itself instead.
		path, data := d.path, d.data
		return closeWith(func(m *Model) tea.Cmd {
			m.openingMarkdownAsText = true
			id := m.currentID()
			return func() tea.Msg { return fileReadMsg{id: id, path: path, data: data, size: int64(len(data))} }
		})
	}
	return d.blockChooser.update(msg)
}

func (d *markdownChooser) view(st Styles, w, h int) string {
	s := d.blockChooser.view(st, w, h)
	return strings.Replace(s, "paste the whole text as it is", "open "+d.path+" itself in the editor", 1)
}
