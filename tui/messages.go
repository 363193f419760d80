package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// messagesDialog is the message log: every message the footer showed,
// whole and wrapped, newest last.
type messagesDialog struct {
	messages []loggedMessage
	scroll   int // rows up from the end
}

func (d *messagesDialog) title() string { return "Messages" }

func (d *messagesDialog) update(msg tea.Msg) dialogResult {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return stay(nil)
	}
	if delta, ok := scrollDelta(k.String()); ok {
		d.scroll = max(d.scroll-delta, 0) // counted up from the end
		return stay(nil)
	}
	switch k.String() {
	case "esc", "q", "enter":
		return closeWith(nil)
	}
	return stay(nil)
}

func (d *messagesDialog) view(st Styles, w, h int) string {
	if len(d.messages) == 0 {
		return st.Subtle.Render("No messages yet.")
	}
	var rows []string
	for _, msg := range d.messages {
		style := st.Base
		if msg.err {
			style = st.Error
		}
		stamp := msg.at.Format("15:04:05") + " "
		wrapped := strings.Split(ansi.Wordwrap(sanitize(msg.text, 4), max(w-len(stamp), 10), " "), "\n")
		for i, l := range wrapped {
			lead := strings.Repeat(" ", len(stamp))
			if i == 0 {
				lead = st.Subtle.Render(stamp)
			}
			rows = append(rows, lead+style.Render(l))
		}
	}
	room := max(h-2, 3)
	d.scroll = min(d.scroll, max(len(rows)-room, 0))
	end := len(rows) - d.scroll
	start := max(end-room, 0)
	out := rows[start:end]
	out = append(out, "", st.Subtle.Render(fmt.Sprintf("%d messages · ↑/↓ scroll · esc closes", len(d.messages))))
	return strings.Join(out, "\n")
}
