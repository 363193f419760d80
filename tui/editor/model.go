package editor

import (
	"time"
)

// Syntax is what the editor knows of a language. The editor has no list of
// languages: the app fills this from each language's record
// (runtimes.Runtime).
type Syntax struct {
	// Name is the language's name, for messages ("python").
	Name string
	// Lexer is the chroma lexer that highlights it ("python", "wast");
	// "" means plain text.
	Lexer string
	// LineComment starts a comment that runs to the end of the line.
	LineComment string
	// Quotes are the characters that open and close strings ("\"'").
	Quotes string
	// BlockOpener, when a line ends with it, opens an indented block
	// (Python's ":"); an unclosed bracket always does.
	BlockOpener string
	// OpenParens makes a line with more "(" than ")" open a block (WAT).
	OpenParens bool
	// DedentAfter are the words after which a line ends a block, so the
	// next line is indented one level less (Python's return, pass, ...).
	DedentAfter []string
}

// Options configure a new Model. The zero value is usable.
type Options struct {
	// TabWidth is the indent unit in spaces and the tab stop distance
	// (default 4).
	TabWidth int
	// Syntax picks highlighting, comments and auto-indent; the zero value
	// is plain text.
	Syntax Syntax
	// Styles is the look; the zero value (Syntax == nil) means
	// DefaultStyles().
	Styles Styles
	// Keys is the key map; the zero value means DefaultKeyMap().
	Keys KeyMap
	// ReadOnly makes a viewer: motion, selection, copy and find work, and
	// every edit a person tries is refused with a ReadOnlyMsg.
	ReadOnly bool
}

// ReadOnlyMsg reports that a person tried to edit a read-only editor, so
// the root can say what to do instead.
type ReadOnlyMsg struct{}

// Model is one editor buffer: its text, cursor, selection, undo history,
// scroll position and marks. The root keeps one Model per tab.
//
// A Model is used from the Bubble Tea loop only; it is not safe for
// concurrent use.
type Model struct {
	buf buffer
	lo  layout

	cursor    pos
	anchor    pos  // the other end of the selection
	selecting bool // whether anchor..cursor is a selection
	goalX     int  // display column up/down aim for; -1 when unset

	width, height int
	top, left     int // first line shown; first display column shown

	focused  bool
	readOnly bool // edits by keys, paste and mouse are refused
	syntax   Syntax
	styles   Styles
	paint    *painter
	keys     KeyMap
	hl       highlighter

	hist    history
	edited  bool // an edit happened during the current command
	savedID uint64
	rev     uint64

	marks        []Mark
	pastePending bool // a clipboard read was asked for by Paste
	pasteSeq     int  // numbers the clipboard reads, so a late wait ends only its own
	dragging     bool // the left mouse button is down in the text

	now func() time.Time // the clock, for undo grouping (tests replace it)
}

// New returns an empty, blurred editor of size 0×0; call SetSize.
func New(opts Options) *Model {
	tw := opts.TabWidth
	if tw <= 0 {
		tw = 4
	}
	m := &Model{
		lo:       newLayout(tw),
		goalX:    -1,
		keys:     opts.Keys,
		now:      time.Now,
		readOnly: opts.ReadOnly,
	}
	if m.keys.isZero() {
		m.keys = DefaultKeyMap()
	}
	st := opts.Styles
	if st.Syntax == nil {
		st = DefaultStyles()
	}
	m.SetStyles(st)
	m.SetSyntax(opts.Syntax)
	m.SetValue("")
	return m
}

// SetValue replaces the text, resets the undo history, clears the marks and
// the selection, and puts the cursor at the start. The buffer counts as
// saved (Dirty is false) and Revision increases. Line endings become "\n";
// invalid UTF-8 bytes become U+FFFD.
func (m *Model) SetValue(s string) {
	m.buf.setText(s)
	m.cursor, m.anchor, m.selecting = pos{}, pos{}, false
	m.goalX = -1
	m.top, m.left = 0, 0
	m.marks = nil
	m.pastePending = false
	m.dragging = false
	m.hl.invalidateAll()
	m.savedID = m.hist.reset()
	m.rev++
}

// Value returns the text, lines joined by "\n".
func (m *Model) Value() string {
	return m.buf.text()
}

// Lines returns the number of lines (at least 1).
func (m *Model) Lines() int {
	return m.buf.lineCount()
}

// SetSize sets the size of the view in cells.
func (m *Model) SetSize(width, height int) {
	m.width, m.height = max(0, width), max(0, height)
	m.scrollToCursor()
}

// Width returns the view width set by SetSize.
func (m *Model) Width() int { return m.width }

// Height returns the view height set by SetSize.
func (m *Model) Height() int { return m.height }

// Focus makes the editor take keys and show its cursor.
func (m *Model) Focus() { m.focused = true }

// Blur makes the editor ignore keys, paste and clipboard messages and hide
// its cursor (mouse messages still work).
func (m *Model) Blur() {
	m.focused = false
	m.dragging = false
	m.pastePending = false
}

// ReadOnly reports whether the editor refuses a person's edits (the
// program's own SetValue and ReplaceAll still change it).
func (m *Model) ReadOnly() bool { return m.readOnly }

// Focused reports whether the editor has the focus.
func (m *Model) Focused() bool { return m.focused }

// SetSyntax picks the highlighter, comment and auto-indent rules. A lexer
// chroma does not know shows the text plain and is reported by
// HighlightErr.
func (m *Model) SetSyntax(sx Syntax) {
	m.syntax = sx
	m.hl.setLexer(sx.Lexer) // an error is kept for HighlightErr
}

// Syntax returns the rules in use.
func (m *Model) Syntax() Syntax { return m.syntax }

// HighlightErr returns the last highlighting problem (an unknown language
// or a lexer failure), or nil. Text is shown unhighlighted where it failed.
func (m *Model) HighlightErr() error { return m.hl.err }

// SetStyles changes the look (e.g. on a theme change); everything is
// redrawn with the new styles on the next View.
func (m *Model) SetStyles(s Styles) {
	m.styles = s
	m.paint = newPainter(s)
}

// Styles returns the styles in use.
func (m *Model) Styles() Styles { return m.styles }

// SetKeyMap replaces the key bindings.
func (m *Model) SetKeyMap(k KeyMap) { m.keys = k }

// KeyMap returns the key bindings, for the root's help view.
func (m *Model) KeyMap() KeyMap { return m.keys }

// Cursor returns the cursor's line and column, both 1-based; the column
// counts runes.
func (m *Model) Cursor() (line, col int) {
	return m.cursor.line + 1, m.cursor.col + 1
}

// SetCursor moves the cursor to 1-based line and column (clamped into the
// text), clears the selection and scrolls the cursor into view.
func (m *Model) SetCursor(line, col int) {
	m.moveTo(m.buf.clamp(pos{line - 1, col - 1}), false)
}

// GotoLine moves the cursor to the first non-blank of 1-based line (clamped
// into the text), clears the selection and scrolls so the line is in the
// middle of the view.
func (m *Model) GotoLine(line int) {
	p := m.buf.clamp(pos{line - 1, 0})
	p.col = m.buf.firstNonBlank(p.line)
	m.moveTo(p, false)
	m.top = p.line - m.height/2
	m.clampTop()
}

// Selection returns the selected text ("" without a selection).
func (m *Model) Selection() string {
	from, to, ok := m.selection()
	if !ok {
		return ""
	}
	return string(m.buf.slice(from, to))
}

// Dirty reports whether the text differs from the last SetValue or
// MarkSaved (undoing back to that point makes it clean again).
func (m *Model) Dirty() bool {
	return m.hist.state != m.savedID
}

// MarkSaved records the current text as saved.
func (m *Model) MarkSaved() {
	m.savedID = m.hist.state
	m.hist.seal() // later typing must make a new state
}

// Revision increases on every change of the text (edits, undo, redo,
// SetValue). The root can autosave when it changes.
func (m *Model) Revision() uint64 { return m.rev }

// selection returns the ordered selection, and false when there is none
// (or it is empty).
func (m *Model) selection() (from, to pos, ok bool) {
	if !m.selecting || m.anchor == m.cursor {
		return pos{}, pos{}, false
	}
	from, to = order(m.anchor, m.cursor)
	return from, to, true
}

// state returns the cursor and selection, for undo.
func (m *Model) state() cursorState {
	return cursorState{cursor: m.cursor, anchor: m.anchor, selecting: m.selecting}
}

// restore puts back a cursor state saved by state.
func (m *Model) restore(s cursorState) {
	m.cursor = m.buf.clamp(s.cursor)
	m.anchor = m.buf.clamp(s.anchor)
	m.selecting = s.selecting
	m.goalX = -1
	m.scrollToCursor()
}
