package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/pmezard/go-difflib/difflib"

	"github.com/wasmplay/wasmplay/sessions"
)

// diffRunsIntent asks to compare two runs of the session, older first.
type diffRunsIntent struct{ a, b int }

// runsDiffLoadedMsg delivers the comparison of two runs, built in the
// command (matching lines is work for outputs of megabytes).
type runsDiffLoadedMsg struct {
	id     string
	dialog *runDiffDialog
	err    error
}

func runsDiffCmd(sess *sessions.Session, a, b int) tea.Cmd {
	return func() tea.Msg {
		ra, err := sess.Run(a)
		if err != nil {
			return runsDiffLoadedMsg{id: sess.ID(), err: err}
		}
		rb, err := sess.Run(b)
		if err != nil {
			return runsDiffLoadedMsg{id: sess.ID(), err: err}
		}
		return runsDiffLoadedMsg{id: sess.ID(), dialog: newRunDiffDialog(ra, rb)}
	}
}

// maxDiffLines bounds the lines of each text compared.
const maxDiffLines = 2000

// runsDiffLoaded opens the comparison.
func (m *Model) runsDiffLoaded(msg runsDiffLoadedMsg) tea.Cmd {
	if m.views[msg.id] == nil {
		return nil
	}
	if msg.err != nil {
		return m.setFlash("compare runs: "+msg.err.Error(), true)
	}
	m.dialog = msg.dialog
	return nil
}

// diffRow is one row of a side-by-side comparison: a line of each side
// ("" and absent when that side has none here) and how they differ.
type diffRow struct {
	left, right       string
	hasLeft, hasRight bool
	kind              byte // '=' same, '~' changed, '-' only left, '+' only right
}

// runDiffDialog shows two runs side by side: their code, then their
// output, each line against its counterpart.
type runDiffDialog struct {
	a, b   sessions.RunRecord
	rows   []diffRow // code rows, a separator, output rows
	scroll int
}

func newRunDiffDialog(a, b sessions.RunRecord) *runDiffDialog {
	d := &runDiffDialog{a: a, b: b}
	d.rows = append(d.rows, diffRow{left: "code", right: "code", hasLeft: true, hasRight: true, kind: 'h'})
	d.rows = append(d.rows, sideBySide(a.Code, b.Code)...)
	d.rows = append(d.rows, diffRow{left: "stdout", right: "stdout", hasLeft: true, hasRight: true, kind: 'h'})
	d.rows = append(d.rows, sideBySide(a.Stdout, b.Stdout)...)
	if a.Stderr != "" || b.Stderr != "" {
		d.rows = append(d.rows, diffRow{left: "stderr", right: "stderr", hasLeft: true, hasRight: true, kind: 'h'})
		d.rows = append(d.rows, sideBySide(a.Stderr, b.Stderr)...)
	}
	return d
}

// sideBySide pairs the lines of two texts by their longest common runs.
func sideBySide(a, b string) []diffRow {
	al, bl := splitKeep(a), splitKeep(b)
	var rows []diffRow
	for _, op := range difflib.NewMatcher(al, bl).GetOpCodes() {
		switch op.Tag {
		case 'e':
			for i := op.I1; i < op.I2; i++ {
				rows = append(rows, diffRow{left: al[i], right: bl[op.J1+i-op.I1], hasLeft: true, hasRight: true, kind: '='})
			}
		case 'd':
			for i := op.I1; i < op.I2; i++ {
				rows = append(rows, diffRow{left: al[i], hasLeft: true, kind: '-'})
			}
		case 'i':
			for j := op.J1; j < op.J2; j++ {
				rows = append(rows, diffRow{right: bl[j], hasRight: true, kind: '+'})
			}
		case 'r':
			n := max(op.I2-op.I1, op.J2-op.J1)
			for k := range n {
				r := diffRow{kind: '~'}
				if i := op.I1 + k; i < op.I2 {
					r.left, r.hasLeft = al[i], true
				}
				if j := op.J1 + k; j < op.J2 {
					r.right, r.hasRight = bl[j], true
				}
				rows = append(rows, r)
			}
		}
	}
	return rows
}

// splitKeep splits text into lines without their newlines ("" is none),
// at most maxDiffLines of them (then a line saying how many were left out).
func splitKeep(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) > maxDiffLines {
		lines = append(lines[:maxDiffLines:maxDiffLines], fmt.Sprintf("… %d more lines not compared", len(lines)-maxDiffLines))
	}
	return lines
}

func (d *runDiffDialog) title() string {
	return fmt.Sprintf("Run %d against run %d", d.a.Number, d.b.Number)
}

func (d *runDiffDialog) update(msg tea.Msg) dialogResult {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return stay(nil)
	}
	if delta, ok := scrollDelta(k.String()); ok {
		d.scroll = max(d.scroll+delta, 0)
		return stay(nil)
	}
	switch k.String() {
	case "esc", "q", "enter":
		return closeWith(nil)
	case "home":
		d.scroll = 0
	}
	return stay(nil)
}

func (d *runDiffDialog) view(st Styles, w, h int) string {
	colW := max((w-3)/2, 10)
	head := func(r sessions.RunRecord) string {
		return fmt.Sprintf("run %d · %s · %s · %s", r.Number, r.Runtime, outcomeLabel(r.Outcome), r.StartedAt.Local().Format("15:04:05"))
	}
	lines := []string{st.Bold.Render(cell(head(d.a), colW, false)) + " │ " + st.Bold.Render(cell(head(d.b), colW, false))}
	changed := 0
	for _, r := range d.rows {
		if r.kind != '=' && r.kind != 'h' {
			changed++
		}
	}
	room := max(h-4, 3)
	d.scroll = min(d.scroll, max(len(d.rows)-room, 0))
	end := min(d.scroll+room, len(d.rows))
	for _, r := range d.rows[d.scroll:end] {
		left, right := cell(sanitize(r.left, 4), colW, false), cell(sanitize(r.right, 4), colW, false)
		switch r.kind {
		case 'h':
			left, right = st.Accent.Render(left), st.Accent.Render(right)
		case '=':
			left, right = st.Subtle.Render(left), st.Subtle.Render(right)
		case '-':
			left, right = st.Error.Render(left), strings.Repeat(" ", colW)
		case '+':
			left, right = strings.Repeat(" ", colW), st.OK.Render(right)
		case '~':
			left, right = st.Error.Render(left), st.OK.Render(right)
			if !r.hasLeft {
				left = strings.Repeat(" ", colW)
			}
			if !r.hasRight {
				right = strings.Repeat(" ", colW)
			}
		}
		lines = append(lines, left+" │ "+right)
	}
	lines = append(lines, "", st.Subtle.Render(ansi.Truncate(fmt.Sprintf("%d lines differ · rows %d-%d of %d · ↑/↓ pgup/pgdn scroll · esc closes",
		changed, d.scroll+1, end, len(d.rows)), w, "…")))
	return strings.Join(lines, "\n")
}
