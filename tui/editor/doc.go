// Package editor is wasmplay's code editor pane: one text buffer with
// syntax highlighting (Python, JavaScript, WebAssembly text), line numbers,
// marks for errors from a failed run, selection, clipboard, undo and
// auto-indent. The root model keeps one *Model per tab, forwards messages to
// the focused one and draws the border around View.
//
// # Using it
//
//	ed := editor.New(editor.Options{Syntax: syntax, Styles: styles})
//	ed.SetValue(source)
//	ed.SetSize(w, h)
//	ed.Focus()
//	...
//	cmd := ed.Update(msg) // keys, paste, mouse (coordinates relative to the editor)
//	view := ed.View()     // exactly h rows of exactly w cells
//
// After a failed run, SetMarks flags the lines named by the traceback and
// GotoLine jumps to one; CurrentMark gives the message for the cursor's
// line. Revision changes on every edit (for a debounced autosave); Dirty
// and MarkSaved track saving.
//
// # Keys
//
// DefaultKeyMap lists them; the editor consumes, while focused:
//
//	motion       ←→↑↓, ctrl/alt+←→ and alt+b/f (word), home/ctrl+a (smart
//	             home), end/ctrl+e, pgup/pgdown, ctrl+home/ctrl+end
//	selection    shift+ any motion above (ctrl+shift+←→ / alt+shift+←→ for
//	             words), alt+a or ctrl+shift+a (select all)
//	clipboard    alt+c, ctrl+shift+c, ctrl+insert (copy); alt+x, ctrl+x,
//	             ctrl+shift+x, shift+delete (cut); ctrl+v, alt+v, shift+insert
//	             (paste from the terminal's clipboard); copy and cut without a
//	             selection take the whole line
//	history      ctrl+z (undo); ctrl+y, ctrl+shift+z (redo)
//	editing      backspace, ctrl+h, shift+backspace; delete; ctrl+w,
//	             alt+backspace, ctrl+backspace (word left); alt+d,
//	             ctrl+delete, alt+delete (word right); ctrl+k (delete the
//	             line, or the lines of the selection); enter, shift+enter
//	             (new line with auto-indent); tab (indent the selected lines,
//	             or insert spaces to the next tab stop); shift+tab (dedent)
//	marks        f8 / shift+f8: next / previous mark
//	text         any key with text and no ctrl or alt is typed
//
// It never acts on the keys the root reserves, whatever the key map says
// (see Reserved): ctrl+c, ctrl+q, ctrl+r, f5, ctrl+s, ctrl+o, ctrl+n,
// ctrl+t, ctrl+l, alt+1 to alt+5, f1. A blurred editor ignores all keys, so
// tab cycles focus in the root then. Bracketed paste (tea.PasteMsg) is
// inserted as is, without auto-indent. Mouse: a left click places the
// cursor (shift+click extends the selection), dragging selects, the wheel
// scrolls (shift+wheel or horizontal wheel: sideways).
//
// # Design
//
// The buffer is a slice of lines of runes, so an edit costs the length of
// one line, and the view and the highlighter only touch the lines on
// screen. Long lines scroll horizontally rather than wrap, which keeps one
// screen row per line: line numbers, marks and columns stay exact. Widths
// come from github.com/charmbracelet/x/ansi (grapheme clusters, wide runes);
// tabs are expanded, control characters are shown as control pictures
// (␛, ␀), and anything invisible or of disputed width (zero-width and bidi
// controls, some emoji sequences) as U+FFFD, so the text can never move
// the terminal cursor or break the layout; the text itself is unchanged.
// Invalid UTF-8 becomes U+FFFD when text is loaded or pasted.
//
// Highlighting is cached in chunks of lines and redone only for the chunks
// on screen that an edit touched; see highlight.go for the rules and their
// limits. Undo groups typing into word-sized steps; see undo.go.
package editor
