package editor

import "charm.land/bubbles/v2/key"

// KeyMap is the editor's key bindings. It implements the bubbles help.KeyMap
// interface so the root's help view can list them.
//
// Whatever the bindings say, the editor never acts on the keys the root
// reserves (see Reserved).
type KeyMap struct {
	// Cursor motion.
	Left, Right, Up, Down  key.Binding
	WordLeft, WordRight    key.Binding
	LineStart, LineEnd     key.Binding // LineStart is "smart home"
	PageUp, PageDown       key.Binding
	BufferStart, BufferEnd key.Binding
	// The same motions, extending the selection.
	SelectLeft, SelectRight, SelectUp, SelectDown key.Binding
	SelectWordLeft, SelectWordRight               key.Binding
	SelectLineStart, SelectLineEnd                key.Binding
	SelectPageUp, SelectPageDown                  key.Binding
	SelectBufferStart, SelectBufferEnd            key.Binding
	SelectAll                                     key.Binding
	// Clipboard (OSC 52). Without a selection, Copy and Cut take the whole
	// line. Paste asks the terminal for its clipboard; the terminal's own
	// paste (bracketed paste) works too.
	Copy, Cut, Paste key.Binding
	Undo, Redo       key.Binding
	// Editing.
	Backspace, Delete                     key.Binding
	DeleteWordBackward, DeleteWordForward key.Binding
	DeleteLine                            key.Binding // the cursor's line(s)
	Newline                               key.Binding // with auto-indent
	Indent, Dedent                        key.Binding // tab / shift+tab
	// Marks (from a failed run): jump to the next or previous one.
	NextMark, PrevMark key.Binding
}

// DefaultKeyMap returns the default bindings. They avoid the keys the root
// reserves, and use keys common terminals deliver: ctrl+shift+letter
// variants only arrive with the kitty keyboard protocol, so each has an
// alt+ or plain ctrl+ alternative.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Left:        b("←", "left", "left"),
		Right:       b("→", "right", "right"),
		Up:          b("↑", "up", "up"),
		Down:        b("↓", "down", "down"),
		WordLeft:    b("ctrl+←", "word left", "ctrl+left", "alt+left", "alt+b"),
		WordRight:   b("ctrl+→", "word right", "ctrl+right", "alt+right", "alt+f"),
		LineStart:   b("home", "line start", "home", "ctrl+a"),
		LineEnd:     b("end", "line end", "end", "ctrl+e"),
		PageUp:      b("pgup", "page up", "pgup"),
		PageDown:    b("pgdn", "page down", "pgdown"),
		BufferStart: b("ctrl+home", "start of file", "ctrl+home"),
		BufferEnd:   b("ctrl+end", "end of file", "ctrl+end"),

		SelectLeft:        b("shift+←", "select left", "shift+left"),
		SelectRight:       b("shift+→", "select right", "shift+right"),
		SelectUp:          b("shift+↑", "select up", "shift+up"),
		SelectDown:        b("shift+↓", "select down", "shift+down"),
		SelectWordLeft:    b("ctrl+shift+←", "select word left", "ctrl+shift+left", "alt+shift+left"),
		SelectWordRight:   b("ctrl+shift+→", "select word right", "ctrl+shift+right", "alt+shift+right"),
		SelectLineStart:   b("shift+home", "select to line start", "shift+home"),
		SelectLineEnd:     b("shift+end", "select to line end", "shift+end"),
		SelectPageUp:      b("shift+pgup", "select page up", "shift+pgup"),
		SelectPageDown:    b("shift+pgdn", "select page down", "shift+pgdown"),
		SelectBufferStart: b("ctrl+shift+home", "select to start", "ctrl+shift+home"),
		SelectBufferEnd:   b("ctrl+shift+end", "select to end", "ctrl+shift+end"),
		SelectAll:         b("alt+a", "select all", "alt+a", "ctrl+shift+a"),

		Copy:  b("alt+c", "copy", "alt+c", "ctrl+shift+c", "ctrl+insert"),
		Cut:   b("alt+x", "cut", "alt+x", "ctrl+x", "ctrl+shift+x", "shift+delete"),
		Paste: b("ctrl+v", "paste", "ctrl+v", "alt+v", "shift+insert"),
		Undo:  b("ctrl+z", "undo", "ctrl+z"),
		Redo:  b("ctrl+y", "redo", "ctrl+y", "ctrl+shift+z"),

		Backspace:          b("backspace", "delete left", "backspace", "ctrl+h", "shift+backspace"),
		Delete:             b("delete", "delete right", "delete"),
		DeleteWordBackward: b("ctrl+w", "delete word left", "ctrl+w", "alt+backspace", "ctrl+backspace"),
		DeleteWordForward:  b("alt+d", "delete word right", "alt+d", "ctrl+delete", "alt+delete"),
		DeleteLine:         b("ctrl+k", "delete line", "ctrl+k"),
		Newline:            b("enter", "new line", "enter", "shift+enter"),
		Indent:             b("tab", "indent", "tab"),
		Dedent:             b("shift+tab", "dedent", "shift+tab"),

		NextMark: b("f8", "next error", "f8"),
		PrevMark: b("shift+f8", "previous error", "shift+f8"),
	}
}

// ShortHelp returns the bindings worth showing in a one-line help.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Undo, k.Redo, k.Copy, k.Cut, k.Paste, k.SelectAll, k.NextMark}
}

// FullHelp returns all bindings, grouped into columns.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Left, k.Right, k.Up, k.Down, k.WordLeft, k.WordRight, k.LineStart, k.LineEnd, k.PageUp, k.PageDown, k.BufferStart, k.BufferEnd},
		{k.SelectLeft, k.SelectRight, k.SelectUp, k.SelectDown, k.SelectWordLeft, k.SelectWordRight, k.SelectLineStart, k.SelectLineEnd, k.SelectPageUp, k.SelectPageDown, k.SelectBufferStart, k.SelectBufferEnd, k.SelectAll},
		{k.Copy, k.Cut, k.Paste, k.Undo, k.Redo, k.Backspace, k.Delete, k.DeleteWordBackward, k.DeleteWordForward, k.DeleteLine, k.Newline, k.Indent, k.Dedent, k.NextMark, k.PrevMark},
	}
}

// all returns every binding, for the zero-value check.
func (k KeyMap) all() []key.Binding {
	var out []key.Binding
	for _, col := range k.FullHelp() {
		out = append(out, col...)
	}
	return out
}

// isZero reports whether no binding has any key (a zero KeyMap).
func (k KeyMap) isZero() bool {
	for _, b := range k.all() {
		if len(b.Keys()) > 0 {
			return false
		}
	}
	return true
}

// Reserved reports whether the root model owns keystroke s (as returned by
// tea.KeyPressMsg.String()). The editor ignores these keys even if a
// binding or the user's key map names them: ctrl+c, ctrl+q, ctrl+r, f5,
// ctrl+s, ctrl+o, ctrl+n, ctrl+t, ctrl+l, alt+1 to alt+5 and f1. (Tab is the
// root's for focus cycling only while the editor is not focused; a blurred
// editor ignores every key.)
func Reserved(s string) bool {
	switch s {
	case "ctrl+c", "ctrl+q", "ctrl+r", "f5", "ctrl+s", "ctrl+o", "ctrl+n",
		"ctrl+t", "ctrl+l", "alt+1", "alt+2", "alt+3", "alt+4", "alt+5", "f1":
		return true
	}
	return false
}

// NamedBinding is one editor action as the config file names it.
type NamedBinding struct {
	// Name is the action's name, such as "word_left".
	Name string
	// Binding is the binding itself, to read or to remap.
	Binding *key.Binding
}

// Named returns every binding with its action name, in the order the help
// screen lists them, so a config file can remap them by name.
func (k *KeyMap) Named() []NamedBinding {
	return []NamedBinding{
		{"left", &k.Left}, {"right", &k.Right}, {"up", &k.Up}, {"down", &k.Down},
		{"word_left", &k.WordLeft}, {"word_right", &k.WordRight},
		{"line_start", &k.LineStart}, {"line_end", &k.LineEnd},
		{"page_up", &k.PageUp}, {"page_down", &k.PageDown},
		{"buffer_start", &k.BufferStart}, {"buffer_end", &k.BufferEnd},
		{"select_left", &k.SelectLeft}, {"select_right", &k.SelectRight},
		{"select_up", &k.SelectUp}, {"select_down", &k.SelectDown},
		{"select_word_left", &k.SelectWordLeft}, {"select_word_right", &k.SelectWordRight},
		{"select_line_start", &k.SelectLineStart}, {"select_line_end", &k.SelectLineEnd},
		{"select_page_up", &k.SelectPageUp}, {"select_page_down", &k.SelectPageDown},
		{"select_buffer_start", &k.SelectBufferStart}, {"select_buffer_end", &k.SelectBufferEnd},
		{"select_all", &k.SelectAll},
		{"copy", &k.Copy}, {"cut", &k.Cut}, {"paste", &k.Paste}, {"undo", &k.Undo}, {"redo", &k.Redo},
		{"backspace", &k.Backspace}, {"delete", &k.Delete},
		{"delete_word_backward", &k.DeleteWordBackward}, {"delete_word_forward", &k.DeleteWordForward},
		{"delete_line", &k.DeleteLine}, {"newline", &k.Newline},
		{"indent", &k.Indent}, {"dedent", &k.Dedent},
		{"next_mark", &k.NextMark}, {"prev_mark", &k.PrevMark},
	}
}
