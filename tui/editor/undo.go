package editor

import (
	"time"
	"unicode"
)

// Undo history.
//
// Every change to the text is an edit: "at position at, the runes removed
// were replaced by the runes inserted". Edits are grouped into steps; one
// undo reverts one step. A step remembers the cursor and selection before
// and after it, so undo also brings back what was selected.
//
// Grouping: consecutive typing of characters becomes one step, and so do
// consecutive backspaces or deletes, as long as
//   - each edit continues where the previous one ended,
//   - less than groupGap passed since the previous edit,
//   - nothing else happened in between (a cursor motion, a click, undo,
//     MarkSaved... seal the open step), and
//   - for typing: a blank typed after a non-blank starts a new step, so
//     undo removes the text word by word.
// Everything else (enter, paste, cut, tab, delete line...) is a step of its
// own.

// groupGap is the pause after which typing starts a new undo step.
const groupGap = time.Second

// The history is bounded: beyond maxUndoSteps steps, or maxUndoRunes runes
// of text kept for undo (about 128 MB), the oldest steps are dropped. The
// latest step is always kept, however large.
const (
	maxUndoSteps = 1000
	maxUndoRunes = 32 << 20
)

// editKind says what made an edit, for grouping.
type editKind int

const (
	kindOther     editKind = iota // never grouped
	kindType                      // one typed character
	kindBackspace                 // one character deleted backwards
	kindDelete                    // one character deleted forwards
)

// edit is one replacement of text.
type edit struct {
	at       pos
	removed  []rune
	inserted []rune
}

// cursorState is the cursor and selection, saved around undo steps.
type cursorState struct {
	cursor, anchor pos
	selecting      bool
}

// step is what one undo reverts.
type step struct {
	id, prevID    uint64 // the text state after and before this step
	kind          editKind
	edits         []edit
	before, after cursorState
	last          time.Time
	size          int // runes held by edits
}

// history is the undo and redo stacks.
type history struct {
	undo, redo []*step
	sealed     bool   // the top step must not grow
	compound   int    // > 0 inside begin/end: edits join one step
	started    bool   // the compound command has made its step
	state      uint64 // id of the current text state
	nextID     uint64
	size       int // runes held by the undo stack
	maxRunes   int // maxUndoRunes unless a test lowers it
}

// reset forgets all steps and starts a new text state, which it returns.
func (h *history) reset() uint64 {
	h.undo, h.redo = nil, nil
	h.size = 0
	h.sealed = true
	h.nextID++
	h.state = h.nextID
	return h.state
}

// seal ends the open step: the next edit starts a new one.
func (h *history) seal() {
	h.sealed = true
}

// begin starts a command made of several edits (indenting many lines):
// its edits become one step, until end.
func (h *history) begin() {
	h.compound++
	h.started = false
	h.sealed = true
}

// end finishes what begin started.
func (h *history) end() {
	h.compound--
	h.sealed = true
}

// record adds e, made by an edit of the given kind, to the history, either
// to the open step or as a new one.
func (h *history) record(kind editKind, e edit, before, after cursorState, now time.Time) {
	h.redo = nil
	top := h.top()
	n := len(e.removed) + len(e.inserted)
	if top != nil && (h.compound > 0 && h.started || h.canMerge(top, kind, e, now)) {
		top.edits = append(top.edits, e)
		top.after = after
		top.last = now
		top.size += n
		h.size += n
		h.trim()
		return
	}
	h.nextID++
	s := &step{
		id:     h.nextID,
		prevID: h.state,
		kind:   kind,
		edits:  []edit{e},
		before: before,
		after:  after,
		last:   now,
		size:   n,
	}
	h.undo = append(h.undo, s)
	h.size += n
	h.trim()
	h.state = s.id
	h.sealed = kind == kindOther
	h.started = h.compound > 0
}

// trim drops the oldest steps while the history is over its bounds.
func (h *history) trim() {
	drop := 0
	limit := h.maxRunes
	if limit == 0 {
		limit = maxUndoRunes
	}
	for len(h.undo)-drop > 1 && (len(h.undo)-drop > maxUndoSteps || h.size > limit) {
		h.size -= h.undo[drop].size
		drop++
	}
	if drop > 0 {
		h.undo = append([]*step(nil), h.undo[drop:]...)
	}
}

// top returns the most recent undo step, or nil.
func (h *history) top() *step {
	if len(h.undo) == 0 {
		return nil
	}
	return h.undo[len(h.undo)-1]
}

// canMerge decides whether e continues step s (see the rules above).
func (h *history) canMerge(s *step, kind editKind, e edit, now time.Time) bool {
	if h.sealed || kind == kindOther || s.kind != kind || now.Sub(s.last) > groupGap {
		return false
	}
	prev := s.edits[len(s.edits)-1]
	switch kind {
	case kindType:
		if endOf(prev.at, prev.inserted) != e.at {
			return false
		}
		newBlank := len(e.inserted) > 0 && unicode.IsSpace(e.inserted[0])
		prevBlank := len(prev.inserted) > 0 && unicode.IsSpace(prev.inserted[len(prev.inserted)-1])
		return !newBlank || prevBlank
	case kindBackspace:
		return endOf(e.at, e.removed) == prev.at
	case kindDelete:
		return e.at == prev.at
	}
	return false
}

// popUndo takes the top undo step, moves it to the redo stack and returns
// it (nil when there is nothing to undo).
func (h *history) popUndo() *step {
	s := h.top()
	if s == nil {
		return nil
	}
	h.undo = h.undo[:len(h.undo)-1]
	h.size -= s.size
	h.redo = append(h.redo, s)
	h.state = s.prevID
	h.sealed = true
	return s
}

// popRedo takes the top redo step, moves it back to the undo stack and
// returns it (nil when there is nothing to redo).
func (h *history) popRedo() *step {
	if len(h.redo) == 0 {
		return nil
	}
	s := h.redo[len(h.redo)-1]
	h.redo = h.redo[:len(h.redo)-1]
	h.undo = append(h.undo, s)
	h.size += s.size
	h.state = s.id
	h.sealed = true
	return s
}
