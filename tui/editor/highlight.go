package editor

import (
	"fmt"
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// Syntax highlighting.
//
// Only what is on screen is highlighted, and the result is cached, so the
// cost of a keystroke does not depend on the size of the buffer.
//
// The buffer is cut into chunks of chunkLines lines, highlighted and cached
// one by one when first shown. chroma cannot hand over its state from one
// chunk to the next, so the editor tracks one fact per chunk instead:
// whether it ends inside a multi-line string or comment ("open"). A chunk
// is lexed
//   - from its own first line when the chunk before it is cached and not
//     open (the lexer is then back in its normal state), else
//   - from lookbackLines lines earlier, so that a string or comment opened a
//     little above is recognised; only the chunk's own lines are kept.
//
// Invalidation, after an edit at line n of chunk c:
//   - if the edit added or removed lines, chunk c and every chunk after it
//     are dropped (their lines moved);
//   - otherwise only chunk c is dropped, and it is "pending": when it is
//     lexed again, the chunks after it are kept if none of them depends on
//     c's text, that is if the next chunk need not look back now and no
//     cached chunk within look-back distance did look back (so they were
//     lexed on their own: typing inside a line rarely changes anything
//     below); otherwise they are dropped.
// Chunks are recomputed when next shown. So typing a character lexes one
// chunk; enter lexes the chunks on screen from the cursor down; a jump lexes
// the chunks on screen plus one look-back.
//
// Work is bounded in runes as well as lines, because chroma is slow on
// text that is not code (tens of microseconds per character of line
// noise): a chunk lexes at most maxChunkRunes runes of its own lines (a
// line that does not fit in what is left is shown unhighlighted and given
// to the lexer as an empty line; the chunk is then "truncated", its end
// state unknown, and the next chunk starts afresh) and looks back at most
// maxLookbackRunes runes.
//
// Limits: a string or comment opened more than lookbackLines lines (or
// maxLookbackRunes runes) above a chunk that has to look back is not seen.

const (
	chunkLines       = 16
	lookbackLines    = 64
	maxChunkRunes    = 2048
	maxLookbackRunes = 4096
	maxChunks        = 512 // cached chunks kept before the cache is emptied
)

// tokenSpan colours runes [previous span's end, end) of a line.
type tokenSpan struct {
	end int
	typ chroma.TokenType
}

// chunk is the highlighting of chunkLines lines.
type chunk struct {
	lines      [][]tokenSpan // spans per line
	open       bool          // ends inside a multi-line string or comment
	truncated  bool          // a line was skipped (over budget): end state unknown
	lookedBack bool          // lexed with lines before it (it depends on them)
}

// nextLooksBack reports whether the chunk after ch must look back: ch ends
// inside a string or comment. After a truncated chunk looking back cannot
// recover the state, so the next chunk starts afresh.
func (ch *chunk) nextLooksBack() bool {
	return ch.open && !ch.truncated
}

// highlighter lexes chunks of the buffer and caches them.
type highlighter struct {
	lexer      chroma.Lexer   // nil: no highlighting
	chunks     map[int]*chunk // by chunk index
	pending    int            // chunk to re-check after an edit, or -1
	err        error          // the last lexing error, if any
	lexed      int            // lines given to the lexer so far (for tests)
	lexedRunes int            // runes given to the lexer so far (for tests)
}

// setLexer picks the chroma lexer by name ("" means none). An unknown one
// leaves the text unhighlighted and is kept as h.err.
func (h *highlighter) setLexer(name string) {
	h.invalidateAll()
	h.lexer, h.err = lexerFor(name)
}

// invalidateAll empties the cache.
func (h *highlighter) invalidateAll() {
	h.chunks = nil
	h.pending = -1
}

// dropFrom drops chunk c and every chunk after it.
func (h *highlighter) dropFrom(c int) {
	for k := range h.chunks {
		if k >= c {
			delete(h.chunks, k)
		}
	}
	if h.pending >= c {
		h.pending = -1
	}
}

// invalidate updates the cache after an edit that started at line n.
// sameLines says the edit stayed within line n (no line added or removed).
func (h *highlighter) invalidate(n int, sameLines bool) {
	c := n / chunkLines
	switch {
	case !sameLines:
		h.dropFrom(c)
	case h.pending == c:
		// Already dropped and waiting to be checked.
	case h.pending >= 0:
		// Two chunks waiting to be checked: keep it simple and drop
		// everything from the first one on.
		h.dropFrom(min(h.pending, c))
		h.pending = -1
	default:
		delete(h.chunks, c)
		h.pending = c
	}
}

// spans returns the token spans of line i, computing its chunk if needed.
// It returns nil when there is no highlighting for the line.
func (h *highlighter) spans(b *buffer, i int) []tokenSpan {
	if h.lexer == nil {
		return nil
	}
	c := i / chunkLines
	if h.pending >= 0 && c > h.pending {
		h.get(b, h.pending) // settles whether chunk c is still valid
	}
	ch := h.get(b, c)
	if k := i - c*chunkLines; k < len(ch.lines) {
		return ch.lines[k]
	}
	return nil
}

// get returns chunk c, lexing it if it is not cached. Lexing the pending
// chunk settles whether the chunks after it survive.
func (h *highlighter) get(b *buffer, c int) *chunk {
	if ch, ok := h.chunks[c]; ok {
		return ch
	}
	if h.chunks == nil || len(h.chunks) >= maxChunks {
		h.chunks = make(map[int]*chunk)
		if h.pending != c {
			h.pending = -1
		}
	}
	ch := h.lexChunk(b, c)
	h.chunks[c] = ch
	if c == h.pending {
		h.pending = -1
		if ch.nextLooksBack() || h.lookedBackAfter(c) {
			h.dropFrom(c + 1)
		}
	}
	return ch
}

// lookedBackAfter reports whether a cached chunk whose look-back could
// reach chunk c looked back (and so depends on c's text).
func (h *highlighter) lookedBackAfter(c int) bool {
	for k := c + 1; k <= c+(lookbackLines+chunkLines-1)/chunkLines; k++ {
		if ch, ok := h.chunks[k]; ok && ch.lookedBack {
			return true
		}
	}
	return false
}

// lexChunk highlights chunk c (see the comment at the top of the file).
func (h *highlighter) lexChunk(b *buffer, c int) *chunk {
	first := c * chunkLines
	last := min(first+chunkLines, b.lineCount()) // exclusive
	out := &chunk{lines: make([][]tokenSpan, max(0, last-first))}

	// Which of the chunk's lines fit in the budget.
	lex := make([]bool, len(out.lines))
	budget := maxChunkRunes
	for i := first; i < last; i++ {
		if n := len(b.line(i)); n <= budget {
			lex[i-first] = true
			budget -= n
		} else {
			out.truncated = true
		}
	}
	// How far to look back.
	from := first
	if prev, ok := h.chunks[c-1]; c > 0 && (!ok || prev.nextLooksBack()) {
		budget := maxLookbackRunes
		for from > 0 && first-from < lookbackLines && len(b.line(from-1)) <= budget {
			from--
			budget -= len(b.line(from))
		}
	}

	out.lookedBack = from < first

	var sb strings.Builder
	for i := from; i < last; i++ {
		if i < first || lex[i-first] {
			sb.WriteString(string(b.line(i)))
			h.lexedRunes += len(b.line(i))
		}
		sb.WriteByte('\n')
	}
	h.lexed += last - from

	it, err := h.lexer.Tokenise(nil, sb.String())
	if err != nil {
		h.err = fmt.Errorf("editor: highlighting lines %d-%d: %w", from+1, last, err)
		out.truncated = true
		return out // unhighlighted; the error is kept for HighlightErr
	}

	line, col := from, 0
	add := func(typ chroma.TokenType, n int) {
		if line < first || line >= last || n == 0 {
			return
		}
		spans := out.lines[line-first]
		if k := len(spans); k > 0 && spans[k-1].typ == typ {
			spans[k-1].end = col + n
		} else {
			spans = append(spans, tokenSpan{end: col + n, typ: typ})
		}
		out.lines[line-first] = spans
	}
	var lastType chroma.TokenType
	for tok := it(); tok != chroma.EOF; tok = it() {
		lastType = tok.Type
		n := 0
		for _, r := range tok.Value {
			if r == '\n' {
				add(tok.Type, n)
				line++
				col, n = 0, 0
				continue
			}
			n++
		}
		add(tok.Type, n)
		col += n
	}
	// The last token holds the newline that ends the chunk.
	out.open = isOpenToken(lastType)
	return out
}

// isOpenToken reports whether a line break of token type t means a
// multi-line construct goes on: a string or a block comment.
func isOpenToken(t chroma.TokenType) bool {
	return t.InCategory(chroma.LiteralString) || t == chroma.CommentMultiline
}

// typeAt returns the token type of rune col, given the line's spans and an
// index into them that only moves forward (the view asks in order).
func typeAt(spans []tokenSpan, k *int, col int) chroma.TokenType {
	for *k < len(spans) && spans[*k].end <= col {
		*k++
	}
	if *k < len(spans) {
		return spans[*k].typ
	}
	return chroma.Text
}
