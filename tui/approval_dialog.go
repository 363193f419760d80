package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/live"
	"github.com/wasmplay/wasmplay/runtimes"
)

// approvalDialog shows an agent's run waiting for the person: the whole
// code, highlighted, and what changed since the session's last run. The
// person approves it, refuses it with a note, or takes it into the editor
// to change it first (the agent then gets the result of the edited code).
type approvalDialog struct {
	req    live.ApprovalRequest
	keys   KeyMap
	code   []string // highlighted lines
	diff   []string
	scroll int
	note   textinput.Model
	noting bool // typing the refusal's note
}

func newApprovalDialog(st Styles, req live.ApprovalRequest, keys KeyMap) *approvalDialog {
	name := "main"
	if lang, ok := runtimes.Language(req.Runtime); ok && len(lang.Extensions) > 0 {
		name += lang.Extensions[0]
	}
	d := &approvalDialog{req: req, keys: keys, code: highlightLines(st, name, req.Code)}
	if diff := approvalDiff(req); diff != "" {
		for _, l := range strings.Split(diff, "\n") {
			d.diff = append(d.diff, sanitize(l, 4))
		}
	}
	d.note = textinput.New()
	d.note.Prompt = "note › "
	d.note.Placeholder = "why (the agent reads it)"
	d.note.SetWidth(50)
	return d
}

func (d *approvalDialog) title() string {
	return fmt.Sprintf("Approve %s's run in session %s?", originLabel(d.req.Origin), d.req.SessionID)
}

func (d *approvalDialog) update(msg tea.Msg) dialogResult {
	k, isKey := msg.(tea.KeyPressMsg)
	if d.noting {
		if isKey {
			switch k.String() {
			case "esc":
				d.noting = false
				d.note.Blur()
				return stay(nil)
			case "enter":
				note := strings.TrimSpace(d.note.Value())
				id := d.req.ID
				return closeWith(func(m *Model) tea.Cmd {
					return tea.Batch(m.decideCmd(id, live.Decision{Note: note}), m.nextApproval())
				})
			}
		}
		var cmd tea.Cmd
		d.note, cmd = d.note.Update(msg)
		return stay(cmd)
	}
	if !isKey {
		return stay(nil)
	}
	if delta, ok := scrollDelta(k.String()); ok {
		d.scroll = max(d.scroll+delta, 0)
		return stay(nil)
	}
	id, code := d.req.ID, d.req.Code
	switch k.String() {
	case "a", "y":
		return closeWith(func(m *Model) tea.Cmd {
			return tea.Batch(m.decideCmd(id, live.Decision{Approved: true, Code: code}), m.nextApproval())
		})
	case "r", "n":
		d.noting = true
		return stay(d.note.Focus())
	case "e":
		req := d.req
		return closeWith(func(m *Model) tea.Cmd { return m.editApproval(req) })
	case "esc":
		// Left open: the request waits (until its deadline) for an answer.
		r := d.req
		return closeWith(func(m *Model) tea.Cmd {
			m.approvals = append([]live.ApprovalRequest{r}, m.approvals...)
			return m.setFlash("the approval request is still open: "+m.keys.Approvals.Help().Key+" shows it again", false)
		})
	}
	return stay(nil)
}

func (d *approvalDialog) view(st Styles, w, h int) string {
	var lines []string
	left := time.Until(d.req.Deadline).Round(time.Second)
	lines = append(lines, st.Subtle.Render(fmt.Sprintf("%s · %d lines · answer within %s, or it is refused", d.req.Runtime,
		len(d.code), max(left, 0))))
	lines = append(lines, "")
	body := make([]string, 0, len(d.code)+len(d.diff)+2)
	for i, l := range d.code {
		body = append(body, st.Subtle.Render(fmt.Sprintf("%4d ", i+1))+l)
	}
	if len(d.diff) > 0 {
		body = append(body, "", st.Bold.Render("Changed since the session's last run:"))
		for _, l := range d.diff {
			switch {
			case strings.HasPrefix(l, "+"):
				body = append(body, st.OK.Render(l))
			case strings.HasPrefix(l, "-"):
				body = append(body, st.Error.Render(l))
			default:
				body = append(body, st.Subtle.Render(l))
			}
		}
	}
	room := max(h-6, 3)
	d.scroll = min(d.scroll, max(len(body)-room, 0))
	end := min(d.scroll+room, len(body))
	lines = append(lines, body[d.scroll:end]...)
	if end < len(body) || d.scroll > 0 {
		lines = append(lines, st.Subtle.Render(fmt.Sprintf("… lines %d-%d of %d (↑/↓ pgup/pgdn scroll)", d.scroll+1, end, len(body))))
	}
	lines = append(lines, "")
	if d.noting {
		d.note.SetWidth(max(min(w-10, 60), 10))
		lines = append(lines, d.note.View(), st.Subtle.Render("enter refuses with this note · esc back"))
	} else {
		lines = append(lines, st.Bold.Render("a")+" approve   "+st.Bold.Render("e")+" edit, then run yours   "+
			st.Bold.Render("r")+" refuse with a note   "+st.Subtle.Render("esc later"))
	}
	return strings.Join(lines, "\n")
}
