package tui

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wasmplay/wasmplay/run"
)

// lineKind says what an output line is, for its style.
type lineKind uint8

const (
	lineStdout lineKind = iota
	lineStderr
	lineHeader  // "▶ run 3 · python · 14:02:05"
	lineSummary // "■ ok · exit 0 · fuel …"
	lineFailure // the summary of a failed run
	lineHint    // guidance under a failed run
	lineNote    // the pane's own notes ("older output dropped")
	lineInput   // what the user sent to the guest's stdin
)

// outputLine is one logical line of the output pane. Text is plain and
// safe to draw (sanitized, or rendered by a termStream); spans, when the
// guest coloured parts of it, say how those are drawn.
type outputLine struct {
	text  string
	spans []span
	kind  lineKind
	run   run.ID // 0 for notes
	// pastRun is the history's run number for the lines of a run reopened
	// from the history (0 for all others).
	pastRun int
}

// spanCost is what a span counts against the pane's byte cap.
const spanCost = 24

// size is what the line counts against the pane's byte cap.
func (l outputLine) size() int { return len(l.text) + 1 + spanCost*len(l.spans) }

// defaultOutputCap bounds the text the pane keeps across runs.
const defaultOutputCap = 4 << 20

// outputPane is the scrollback of runs: streamed output, run headers and
// summaries, with follow mode, search and an input line for a guest
// waiting on stdin.
type outputPane struct {
	lines     []outputLine
	bytes     int
	maxBytes  int
	dropped   bool
	pastRun   int           // the history run being shown: its number goes on each line added
	open      [2]bool       // the last line of each stream is still being written
	lastOpen  int           // index of the open line (if any)
	streams   [2]termStream // stdout and stderr on their way to lines
	followOut bool          // stick to the bottom

	// Scroll position: the top visible row is row `topRow` of line `top`
	// (lines wrap to the pane width).
	top, topRow int
	width       int
	height      int

	searching bool
	search    textinput.Model
	query     string
	matches   []int
	match     int

	inputOn bool // a run is in flight with an interactive stdin
	waiting bool // the guest is blocked reading it
	input   textinput.Model
}

func newOutputPane() *outputPane {
	si := textinput.New()
	si.Prompt = "/"
	si.Placeholder = "search output"
	in := textinput.New()
	in.Prompt = "stdin › "
	in.Placeholder = "type a line for the program, enter sends it, ctrl+d ends input"
	in.CharLimit = 64 << 10
	return &outputPane{maxBytes: defaultOutputCap, followOut: true, search: si, input: in}
}

// setSize sets the content size (inside the border).
func (o *outputPane) setSize(w, h int) {
	o.width, o.height = w, h
	o.search.SetWidth(max(w-2, 1))
	o.input.SetWidth(max(w-len(o.input.Prompt)-1, 1))
	if o.followOut {
		o.scrollToEnd()
	}
}

// append adds a finished line of the app's own (a header, a summary, a
// hint). A run's header starts its output: the pane follows it, however
// it was scrolled or searched before, so the new run is in view.
func (o *outputPane) append(kind lineKind, run run.ID, text string) {
	o.closeOpen()
	for _, l := range strings.Split(text, "\n") {
		o.push(outputLine{text: sanitize(l, 4), kind: kind, run: run})
	}
	if kind == lineHeader {
		o.followOut = true
	}
	o.afterAppend()
}

// write adds streamed output, rendered as a terminal would show it (see
// termStream): chunks may split lines, characters and escape sequences
// anywhere; a carriage return goes back to the start of the line so later
// text overwrites it (progress bars); SGR colours are kept, every other
// sequence is dropped.
func (o *outputPane) write(id run.ID, stream run.Stream, data []byte) {
	kind, other := lineStdout, lineStderr
	if stream == run.Stderr {
		kind, other = lineStderr, lineStdout
	}
	// Output of the other stream ends the open line, so the streams stay
	// apart and in order.
	if o.open[other] {
		o.closeOpen()
	}
	t := &o.streams[kind]
	if t.run != id {
		o.open[kind] = false
		t.reset(id)
	}
	t.feed(data, func(text string, spans []span) {
		o.putStreamLine(kind, id, text, spans)
		o.open[kind] = false
	})
	if o.open[kind] || len(t.cells) > 0 {
		text, spans := t.line()
		o.putStreamLine(kind, id, text, spans)
	}
	o.afterAppend()
}

// putStreamLine sets the open line of a stream, or adds it (open) if
// there is none.
func (o *outputPane) putStreamLine(kind lineKind, id run.ID, text string, spans []span) {
	if !o.open[kind] {
		o.push(outputLine{text: text, spans: spans, kind: kind, run: id})
		o.open[kind] = true
		o.lastOpen = len(o.lines) - 1
		return
	}
	l := &o.lines[o.lastOpen]
	o.bytes -= l.size()
	l.text, l.spans = text, spans
	o.bytes += l.size()
}

// closeOpen ends the lines being written: what comes next starts a new
// line. The streams keep their colours and any sequence they are in.
func (o *outputPane) closeOpen() {
	for k := range o.open {
		if o.open[k] {
			o.streams[k].endLine()
		}
	}
	o.open = [2]bool{}
}

func (o *outputPane) push(l outputLine) {
	l.pastRun = o.pastRun
	o.lines = append(o.lines, l)
	o.bytes += l.size()
}

// afterAppend enforces the cap (dropping the oldest lines) and follows.
func (o *outputPane) afterAppend() {
	if o.bytes > o.maxBytes {
		drop := 0
		for drop < len(o.lines)-1 && o.bytes > o.maxBytes*3/4 {
			o.bytes -= o.lines[drop].size()
			drop++
		}
		note := outputLine{text: "[older output dropped: the pane keeps the last " +
			run.FormatBytes(uint64(o.maxBytes*3/4)) + "; runs keep theirs in the session history]", kind: lineNote}
		o.lines = append([]outputLine{note}, o.lines[drop:]...)
		o.bytes += note.size()
		o.dropped = true
		o.lastOpen -= drop - 1
		if o.lastOpen < 0 {
			o.closeOpen()
		}
		o.top -= drop - 1
		if o.top < 0 {
			o.top, o.topRow = 0, 0
		}
		o.matches = nil
	}
	if o.followOut {
		o.scrollToEnd()
	}
}

// clear empties the pane.
func (o *outputPane) clear() {
	o.lines, o.bytes, o.top, o.topRow = nil, 0, 0, 0
	o.closeOpen() // a run still writing keeps its colours and any sequence it is in
	o.matches = nil
	o.followOut = true
}

// rows wraps a line to the pane width.
func (o *outputPane) rows(i int) []string {
	return wrapRows(o.lines[i].text, max(o.width, 1))
}

// wrapRows cuts plain text (no newlines, no escape sequences) into rows
// of at most w cells, between grapheme clusters; joined, the rows are the
// text again. A cluster wider than w gets a row of its own.
func wrapRows(text string, w int) []string {
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		if len(text) <= w {
			return []string{text}
		}
		rows := make([]string, 0, (len(text)+w-1)/w)
		for len(text) > w {
			rows = append(rows, text[:w])
			text = text[w:]
		}
		return append(rows, text)
	}
	var rows []string
	start, width := 0, 0
	for i := 0; i < len(text); {
		cluster, cw := ansi.FirstGraphemeCluster(text[i:], ansi.GraphemeWidth)
		if width+cw > w && i > start {
			rows = append(rows, text[start:i])
			start, width = i, 0
		}
		width += cw
		i += len(cluster)
	}
	return append(rows, text[start:])
}

// bodyHeight is the number of rows for output (minus the input or search
// line).
func (o *outputPane) bodyHeight() int {
	h := o.height
	if o.inputOn || o.searching {
		h--
	}
	return max(h, 1)
}

// scrollToEnd positions the view so the last line is at the bottom.
func (o *outputPane) scrollToEnd() {
	need := o.bodyHeight()
	i := len(o.lines) - 1
	for i >= 0 {
		n := len(o.rows(i))
		if n >= need {
			o.top, o.topRow = i, n-need
			return
		}
		need -= n
		i--
	}
	o.top, o.topRow = 0, 0
}

// scroll moves the view by delta rows (negative: up).
func (o *outputPane) scroll(delta int) {
	if len(o.lines) == 0 {
		return
	}
	for ; delta < 0; delta++ {
		if o.topRow > 0 {
			o.topRow--
		} else if o.top > 0 {
			o.top--
			o.topRow = len(o.rows(o.top)) - 1
		} else {
			break
		}
	}
	for ; delta > 0; delta-- {
		if o.atEnd() {
			break
		}
		if o.topRow < len(o.rows(o.top))-1 {
			o.topRow++
		} else if o.top < len(o.lines)-1 {
			o.top++
			o.topRow = 0
		}
	}
	o.followOut = o.atEnd()
}

// atEnd reports whether the last line is visible at the bottom: the rows
// from the view's top to the end fit in the pane.
func (o *outputPane) atEnd() bool {
	need := o.bodyHeight()
	rows := len(o.rows(o.top)) - o.topRow
	for i := o.top + 1; i < len(o.lines) && rows <= need; i++ {
		rows += len(o.rows(i))
	}
	return rows <= need
}

// gotoLine scrolls so line i is at the top.
func (o *outputPane) gotoLine(i int) {
	if i < 0 || i >= len(o.lines) {
		return
	}
	o.top, o.topRow = i, 0
	o.followOut = o.atEnd()
}

// runText returns the stdout and stderr lines of one run, as shown.
func (o *outputPane) runText(run run.ID) string {
	var b strings.Builder
	for _, l := range o.lines {
		if l.run == run && (l.kind == lineStdout || l.kind == lineStderr) {
			b.WriteString(l.text)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// lastRun returns the most recent run with lines in the pane.
func (o *outputPane) lastRun() run.ID {
	for i := len(o.lines) - 1; i >= 0; i-- {
		if o.lines[i].run != 0 {
			return o.lines[i].run
		}
	}
	return 0
}

// runSearch finds every line containing the query (case-insensitive) and
// jumps to the first match at or after the view.
func (o *outputPane) runSearch(q string) {
	o.query = q
	o.matches = nil
	if q == "" {
		return
	}
	lq := strings.ToLower(q)
	for i, l := range o.lines {
		if strings.Contains(strings.ToLower(l.text), lq) {
			o.matches = append(o.matches, i)
		}
	}
	o.match = 0
	for k, i := range o.matches {
		if i >= o.top {
			o.match = k
			break
		}
	}
	if len(o.matches) > 0 {
		o.gotoLine(o.matches[o.match])
	}
}

func (o *outputPane) nextMatch(dir int) {
	if len(o.matches) == 0 {
		return
	}
	o.match = (o.match + dir + len(o.matches)) % len(o.matches)
	o.gotoLine(o.matches[o.match])
}

// handleKey processes a key while the pane is focused. It reports whether
// the key was used, with any command.
func (o *outputPane) handleKey(msg tea.KeyPressMsg, keys KeyMap) (bool, tea.Cmd, *outputRequest) {
	if o.searching {
		switch msg.String() {
		case "enter":
			o.searching = false
			o.search.Blur()
			o.runSearch(o.search.Value())
			return true, nil, nil
		case "esc":
			o.searching = false
			o.search.Blur()
			return true, nil, nil
		}
		var cmd tea.Cmd
		o.search, cmd = o.search.Update(msg)
		return true, cmd, nil
	}
	if o.inputOn {
		switch {
		case msg.String() == "enter":
			line := o.input.Value()
			o.input.SetValue("")
			return true, nil, &outputRequest{send: line + "\n"}
		case key.Matches(msg, keys.SendEOF):
			return true, nil, &outputRequest{eof: true}
		case msg.Text != "" || isEditingKey(msg.String()):
			var cmd tea.Cmd
			o.input, cmd = o.input.Update(msg)
			return true, cmd, nil
		}
	}
	switch {
	case key.Matches(msg, keys.OutSearch):
		o.searching = true
		o.search.SetValue(o.query)
		return true, o.search.Focus(), nil
	case key.Matches(msg, keys.OutNext):
		o.nextMatch(1)
	case key.Matches(msg, keys.OutPrev):
		o.nextMatch(-1)
	case key.Matches(msg, keys.OutClear):
		o.clear()
	case key.Matches(msg, keys.OutFollow):
		o.followOut = !o.followOut
		if o.followOut {
			o.scrollToEnd()
		}
	case key.Matches(msg, keys.OutTop):
		o.top, o.topRow, o.followOut = 0, 0, false
	case key.Matches(msg, keys.OutEnd):
		o.followOut = true
		o.scrollToEnd()
	case key.Matches(msg, keys.Up):
		o.scroll(-1)
	case key.Matches(msg, keys.Down):
		o.scroll(1)
	case key.Matches(msg, keys.PageUp):
		o.scroll(-o.bodyHeight())
	case key.Matches(msg, keys.PageDown):
		o.scroll(o.bodyHeight())
	case key.Matches(msg, keys.OutCopy):
		return true, nil, &outputRequest{copyRun: o.lastRun()}
	case key.Matches(msg, keys.Open):
		if line, past, ok := o.frameInView(); ok {
			return true, nil, &outputRequest{gotoLine: line, pastRun: past}
		}
		return true, nil, &outputRequest{gotoLine: -1}
	default:
		return false, nil, nil
	}
	return true, nil, nil
}

// userFrame finds a traceback's place in the user's code in an output
// line: Python's `File "/code/main.py", line N` or a JavaScript stack's
// `/code/main.js:N`.
var userFrame = regexp.MustCompile(`(?:File "/code/[^"]+", line (\d+))|(?:/code/[^\s:()]+\.(?:js|mjs|cjs):(\d+))`)

// frameInView is the line of the user's code that the traceback line in
// view names: the current search match when it is one, else the lowest
// such line on screen (the innermost frame of a Python traceback). past
// is the history run the line is output of (0: a run of this sitting).
func (o *outputPane) frameInView() (line, past int, ok bool) {
	lineOf := func(i int) (int, bool) {
		m := userFrame.FindStringSubmatch(o.lines[i].text)
		if m == nil {
			return 0, false
		}
		n, err := strconv.Atoi(m[1] + m[2])
		return n, err == nil && n > 0
	}
	if len(o.matches) > 0 && o.match < len(o.matches) && o.matches[o.match] < len(o.lines) {
		if n, ok := lineOf(o.matches[o.match]); ok {
			return n, o.lines[o.matches[o.match]].pastRun, true
		}
	}
	end := min(o.top+o.bodyHeight(), len(o.lines))
	for i := end - 1; i >= o.top && i >= 0; i-- {
		if n, ok := lineOf(i); ok {
			return n, o.lines[i].pastRun, true
		}
	}
	return 0, 0, false
}

// isEditingKey reports keys a text input uses that carry no text.
func isEditingKey(k string) bool {
	switch k {
	case "backspace", "delete", "left", "right", "home", "end", "ctrl+a", "ctrl+e", "ctrl+u", "ctrl+k", "ctrl+w",
		"alt+backspace", "alt+left", "alt+right", "space":
		return true
	}
	return false
}

// outputRequest is something the pane asks the root to do.
type outputRequest struct {
	send    string // write to the guest's stdin
	eof     bool   // close the guest's stdin
	copyRun run.ID // copy a run's output
	// gotoLine is a line of the user's code a traceback names, to show in
	// the editor (-1: the view holds no such line), in the tab of
	// history run pastRun when that is not 0.
	gotoLine int
	pastRun  int
}

// setInput shows or hides the stdin line.
func (o *outputPane) setInput(on bool) tea.Cmd {
	if on == o.inputOn {
		return nil
	}
	o.inputOn = on
	o.waiting = false
	if !on {
		o.input.Blur()
		o.input.SetValue("")
		if o.followOut {
			o.scrollToEnd()
		}
		return nil
	}
	if o.followOut {
		o.scrollToEnd()
	}
	return o.input.Focus()
}

// view renders the pane's content (inside its border).
func (o *outputPane) render(st Styles, focused bool) string {
	h := o.bodyHeight()
	rows := make([]string, 0, o.height)
	matchSet := map[int]bool{}
	for _, m := range o.matches {
		matchSet[m] = true
	}
	for i, skip := o.top, o.topRow; i < len(o.lines) && len(rows) < h; i++ {
		l := o.lines[i]
		style := o.styleOf(st, l.kind)
		off := 0
		for k, r := range o.rows(i) {
			if len(rows) == h {
				break
			}
			if k >= skip {
				q := ""
				if matchSet[i] {
					q = o.query
				}
				rows = append(rows, renderRow(r, off, l.spans, q, style, st))
			}
			off += len(r)
		}
		skip = 0
	}
	if len(o.lines) == 0 {
		rows = append(rows, st.Subtle.Render("Output appears here. Press F5 or ctrl+r to run the editor's code."))
	}
	for len(rows) < h {
		rows = append(rows, "")
	}
	switch {
	case o.searching:
		rows = append(rows, o.search.View())
	case o.inputOn:
		line := o.input.View()
		if o.waiting {
			line += st.Warn.Render("  ◀ waiting for input")
		}
		rows = append(rows, line)
	}
	return strings.Join(rows, "\n")
}

func (o *outputPane) styleOf(st Styles, k lineKind) lipgloss.Style {
	switch k {
	case lineStderr:
		return st.Stderr
	case lineHeader:
		return st.RunHeader
	case lineSummary:
		return st.OK
	case lineFailure:
		return st.Error
	case lineHint:
		return st.Info
	case lineNote:
		return st.Subtle
	case lineInput:
		return st.Prompt
	}
	return st.Stdout
}

// note says where the pane is, for its border.
func (o *outputPane) note() string {
	var parts []string
	if len(o.matches) > 0 {
		parts = append(parts, "match "+itoa(o.match+1)+"/"+itoa(len(o.matches)))
	} else if o.query != "" {
		parts = append(parts, "no match")
	}
	if !o.followOut && len(o.lines) > 0 {
		parts = append(parts, "scrolled · G follows")
	}
	return strings.Join(parts, " · ")
}

// highlightMatches renders a row with every case-insensitive match of q
// in the highlight style.
func highlightMatches(row, q string, base, hl lipgloss.Style) string {
	lower, lq := strings.ToLower(row), strings.ToLower(q)
	if len(lower) != len(row) { // case folding changed byte lengths: keep it simple
		return base.Render(row)
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, lq)
		if i < 0 {
			b.WriteString(base.Render(row))
			return b.String()
		}
		b.WriteString(base.Render(row[:i]))
		b.WriteString(hl.Render(row[i : i+len(q)]))
		row, lower = row[i+len(q):], lower[i+len(q):]
	}
}
