package tui

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/alecthomas/chroma/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/tui/editor"
)

// dialog is a modal drawn over the panes; it gets every key until it
// closes. A dialog never touches the root model: what it wants done comes
// back in its result, and the root does it.
type dialog interface {
	// update handles a message.
	update(msg tea.Msg) dialogResult
	// view renders the dialog's content for a box of at most w x h cells.
	view(st Styles, w, h int) string
	// title names the dialog.
	title() string
}

// action is something a dialog asks the app to do; the code that opens a
// dialog gives it the actions it may return.
type action func(m *Model) tea.Cmd

// dialogResult is what a dialog's update produced.
type dialogResult struct {
	close bool    // the dialog is done
	cmd   tea.Cmd // the dialog's own command (a text field's blink)
	act   action  // what the app should do, after closing it
}

// scrollDelta is how many rows a scrolling key moves a dialog's text
// (up, k, down, j, pgup, pgdown, space); ok is false for other keys.
func scrollDelta(key string) (delta int, ok bool) {
	switch key {
	case "up", "k":
		return -1, true
	case "down", "j":
		return 1, true
	case "pgup":
		return -10, true
	case "pgdown", " ", "space":
		return 10, true
	}
	return 0, false
}

// stay keeps the dialog open.
func stay(cmd tea.Cmd) dialogResult { return dialogResult{cmd: cmd} }

// closeWith closes the dialog and has the app do act (nil: nothing).
func closeWith(act action) dialogResult { return dialogResult{close: true, act: act} }

// applyDialog hands msg to the open dialog and applies its result.
func (m *Model) applyDialog(msg tea.Msg) tea.Cmd {
	d := m.dialog
	r := d.update(msg)
	if r.close && m.dialog == d {
		m.dialog = nil
	}
	var act tea.Cmd
	if r.act != nil {
		act = r.act(m)
	}
	if m.dialog == nil && len(m.approvals) > 0 {
		// An agent's request waited while another dialog was open.
		act = tea.Batch(act, m.nextApproval())
	}
	return tea.Batch(r.cmd, act)
}

// renderDialog boxes a dialog's content and centres it on the screen.
func renderDialog(st Styles, d dialog, screenW, screenH int) (string, int, int) {
	maxW, maxH := screenW*9/10, screenH*9/10
	body := d.view(st, maxW-4, maxH-4)
	lines := strings.Split(body, "\n")
	if len(lines) > maxH-4 {
		lines = lines[:maxH-4]
	}
	w := 0
	for _, l := range lines {
		w = max(w, ansi.StringWidth(l))
	}
	w = min(max(w, ansi.StringWidth(d.title())+4), maxW-4)
	for i, l := range lines {
		lines[i] = fitLine(l, w)
	}
	content := st.DialogTitle.Render(fitLine(d.title(), w)) + "\n" + strings.Join(lines, "\n")
	box := st.Dialog.Render(content)
	bw, bh := lipgloss.Width(box), lipgloss.Height(box)
	return box, (screenW - bw) / 2, (screenH - bh) / 2
}

// confirmDialog asks a yes/no question.
type confirmDialog struct {
	question string
	yes      action
	// back, if set, is the dialog the question was asked from: "no"
	// returns to it, closing only the question.
	back dialog
}

func (d *confirmDialog) title() string { return "Confirm" }

func (d *confirmDialog) update(msg tea.Msg) dialogResult {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return stay(nil)
	}
	switch k.String() {
	case "y", "Y", "enter":
		return closeWith(d.yes)
	case "n", "N", "esc", "q":
		if back := d.back; back != nil {
			return closeWith(func(m *Model) tea.Cmd { m.dialog = back; return nil })
		}
		return closeWith(nil)
	}
	return stay(nil)
}

func (d *confirmDialog) view(st Styles, w, h int) string {
	return d.question + "\n\n" + st.FooterKey.Render("y/enter") + st.FooterDesc.Render(" yes   ") +
		st.FooterKey.Render("n/esc") + st.FooterDesc.Render(" no")
}

// promptDialog asks for one line of text.
type promptDialog struct {
	heading string
	input   textinput.Model
	err     string
	submit  func(value string) (action, error) // checks the value; the action uses it
}

func newPromptDialog(heading, value, placeholder string, submit func(value string) (action, error)) *promptDialog {
	in := textinput.New()
	in.Prompt = "› "
	in.Placeholder = placeholder
	in.SetValue(value)
	in.SetWidth(48)
	in.Focus()
	return &promptDialog{heading: heading, input: in, submit: submit}
}

func (d *promptDialog) title() string { return d.heading }

func (d *promptDialog) update(msg tea.Msg) dialogResult {
	k, isKey := msg.(tea.KeyPressMsg)
	if isKey {
		switch k.String() {
		case "esc":
			return closeWith(nil)
		case "enter":
			act, err := d.submit(strings.TrimSpace(d.input.Value()))
			if err != nil {
				d.err = err.Error()
				return stay(nil)
			}
			return closeWith(act)
		}
	}
	var cmd tea.Cmd
	d.input, cmd = d.input.Update(msg)
	if isKey {
		d.err = "" // an edit answers the error; a cursor blink does not
	}
	return stay(cmd)
}

func (d *promptDialog) view(st Styles, w, h int) string {
	d.input.SetWidth(max(min(w-4, 60), 10))
	s := d.input.View()
	if d.err != "" {
		s += "\n" + st.Error.Render(d.err)
	}
	return s + "\n\n" + st.FooterKey.Render("enter") + st.FooterDesc.Render(" ok   ") +
		st.FooterKey.Render("esc") + st.FooterDesc.Render(" cancel")
}

// helpDialog lists every binding, grouped by pane.
type helpDialog struct {
	keys   KeyMap
	offset int
	extra  []string // editor bindings, from the editor's key map
	// packages are the third-party Python modules runs can import.
	packages []string
}

func (d *helpDialog) title() string { return "Keys — esc closes, ↑/↓ scroll" }

func (d *helpDialog) update(msg tea.Msg) dialogResult {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return stay(nil)
	}
	switch k.String() {
	case "esc", "q", "f1", "?", "enter":
		return closeWith(nil)
	case "up", "k":
		d.offset = max(d.offset-1, 0)
	case "down", "j":
		d.offset++
	case "pgup":
		d.offset = max(d.offset-10, 0)
	case "pgdown", "space":
		d.offset += 10
	}
	return stay(nil)
}

// groupLines renders help groups as lines.
func groupLines(st Styles, groups []HelpGroup) []string {
	var out []string
	for _, g := range groups {
		out = append(out, st.Accent.Render(g.Title))
		for _, b := range g.Bindings {
			h := b.Help()
			out = append(out, "  "+st.FooterKey.Render(fmt.Sprintf("%-16s", h.Key))+" "+h.Desc)
		}
		out = append(out, "")
	}
	return out
}

// lines lays the help out: app-wide keys on the left, the panes' keys on
// the right (one column when narrow), the editor's keys below.
func (d *helpDialog) lines(st Styles, w int) []string {
	groups := d.keys.Groups()
	left := groupLines(st, groups[:1])
	right := groupLines(st, groups[1:])
	var out []string
	if w >= 96 {
		colW := w / 2
		for i := 0; i < max(len(left), len(right)); i++ {
			l, r := "", ""
			if i < len(left) {
				l = left[i]
			}
			if i < len(right) {
				r = right[i]
			}
			out = append(out, fitLine(l, colW)+r)
		}
	} else {
		out = append(left, right...)
	}
	if len(d.extra) > 0 {
		out = append(out, st.Accent.Render("Editor (when focused)"))
		for i := 0; i < len(d.extra); i += 2 {
			row := "  " + d.extra[i]
			if i+1 < len(d.extra) && w >= 96 {
				row = fitLine(row, w/2) + "  " + d.extra[i+1]
			} else if i+1 < len(d.extra) {
				out = append(out, row)
				row = "  " + d.extra[i+1]
			}
			out = append(out, row)
		}
		out = append(out, "")
	}
	out = append(out, st.Accent.Render("Python packages"))
	pkgs := "none are built: `make packages` builds the default set"
	if len(d.packages) > 0 {
		pkgs = "import " + strings.Join(d.packages, ", ") + " (read-only, from Debian); add more with `wasmplay packages add NAME`"
	}
	for _, l := range strings.Split(lipgloss.Wrap(pkgs, max(w-2, 20), ", "), "\n") {
		out = append(out, "  "+l)
	}
	out = append(out, "")
	return append(out, st.Subtle.Render("Remap keys in the [keys] table of the config file; `wasmplay keys` lists the actions."))
}

func (d *helpDialog) view(st Styles, w, h int) string {
	lines := d.lines(st, w)
	d.offset = min(d.offset, max(len(lines)-h, 0))
	return strings.Join(lines[d.offset:min(len(lines), d.offset+h)], "\n")
}

// previewDialog shows a workspace file: highlighted text, or a hex dump
// with the size for binary files.
type previewDialog struct {
	path   string
	head   []byte
	size   int64
	err    error
	offset int
	rows   []string // rendered, cached per theme
	theme  string
	open   action // opens the file in the editor
}

func (d *previewDialog) title() string {
	if d.err != nil {
		return d.path
	}
	note := run.FormatBytes(uint64(d.size))
	if int64(len(d.head)) < d.size {
		note += ", first " + run.FormatBytes(uint64(len(d.head))) + " shown"
	}
	return fmt.Sprintf("%s (%s) — enter opens in the editor, esc closes", d.path, note)
}

func (d *previewDialog) update(msg tea.Msg) dialogResult {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return stay(nil)
	}
	switch k.String() {
	case "esc", "q", "space":
		return closeWith(nil)
	case "enter":
		if d.err == nil && !isBinary(d.head) {
			return closeWith(d.open)
		}
	case "up", "k":
		d.offset = max(d.offset-1, 0)
	case "down", "j":
		d.offset++
	case "pgup":
		d.offset = max(d.offset-20, 0)
	case "pgdown":
		d.offset += 20
	case "g", "home":
		d.offset = 0
	}
	return stay(nil)
}

func (d *previewDialog) view(st Styles, w, h int) string {
	if d.err != nil {
		return st.Error.Render(d.err.Error())
	}
	if d.rows == nil || d.theme != st.Theme.Name {
		d.theme = st.Theme.Name
		if isBinary(d.head) {
			d.rows = hexDump(d.head, 256)
			d.rows = append([]string{st.Warn.Render(fmt.Sprintf("binary file, %s — first bytes:", run.FormatBytes(uint64(d.size))))}, d.rows...)
		} else {
			d.rows = highlightLines(st, d.path, string(d.head))
		}
	}
	d.offset = min(d.offset, max(len(d.rows)-h, 0))
	end := min(len(d.rows), d.offset+h)
	out := make([]string, 0, end-d.offset)
	for _, r := range d.rows[d.offset:end] {
		out = append(out, fitLine(r, w))
	}
	return strings.Join(out, "\n")
}

// isBinary guesses whether data is binary: NUL bytes or mostly invalid
// UTF-8 in the first bytes.
func isBinary(data []byte) bool {
	probe := data
	if len(probe) > 8000 {
		probe = probe[:8000]
	}
	if strings.IndexByte(string(probe), 0) >= 0 {
		return true
	}
	bad := 0
	for len(probe) > 0 {
		r, n := utf8.DecodeRune(probe)
		if r == utf8.RuneError && n == 1 && len(probe) >= utf8.UTFMax {
			bad++
		}
		probe = probe[n:]
	}
	return bad > 16
}

// hexDump renders the first n bytes as "offset  hex  ascii" lines.
func hexDump(data []byte, n int) []string {
	if len(data) > n {
		data = data[:n]
	}
	var rows []string
	for off := 0; off < len(data); off += 16 {
		end := min(off+16, len(data))
		var hex, txt strings.Builder
		for i := off; i < off+16; i++ {
			if i < end {
				fmt.Fprintf(&hex, "%02x ", data[i])
				c := data[i]
				if c < 0x20 || c >= 0x7f {
					c = '.'
				}
				txt.WriteByte(c)
			} else {
				hex.WriteString("   ")
			}
		}
		rows = append(rows, fmt.Sprintf("%08x  %s %s", off, hex.String(), txt.String()))
	}
	return rows
}

// highlightLines renders text with chroma for the file's language (by
// name), line by line, sanitized. Mono themes get plain text.
func highlightLines(st Styles, name, text string) []string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	plain := func() []string {
		var out []string
		for _, l := range strings.Split(text, "\n") {
			out = append(out, sanitize(l, 4))
		}
		return out
	}
	if st.Theme.Mono {
		return plain()
	}
	lexer := editor.LexerForPath(name)
	if lexer == nil {
		return plain()
	}
	style := st.Theme.SyntaxStyle()
	it, err := lexer.Tokenise(nil, text)
	if err != nil {
		return plain()
	}
	var out []string
	var line strings.Builder
	for tok := it(); tok != chroma.EOF; tok = it() {
		entry := style.Get(tok.Type)
		s := lipgloss.NewStyle()
		if entry.Colour.IsSet() {
			s = s.Foreground(lipgloss.Color(entry.Colour.String()))
		}
		if entry.Bold == chroma.Yes {
			s = s.Bold(true)
		}
		if entry.Italic == chroma.Yes {
			s = s.Italic(true)
		}
		parts := strings.Split(tok.Value, "\n")
		for i, p := range parts {
			if i > 0 {
				out = append(out, line.String())
				line.Reset()
			}
			if p != "" {
				line.WriteString(s.Render(sanitize(p, 4)))
			}
		}
	}
	out = append(out, line.String())
	return out
}
