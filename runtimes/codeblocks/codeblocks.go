// Package codeblocks finds the fenced code blocks in Markdown text, such
// as an answer pasted from a language model, and tells which runtime each
// block is for.
//
// Fences follow CommonMark (https://spec.commonmark.org/0.31.2/#fenced-code-blocks):
//
//   - an opening fence is 3 or more backticks (```) or tildes (~~~),
//     indented by at most 3 spaces, followed by an optional info string
//     whose first word is the language tag (a backtick fence's info
//     string may not contain a backtick);
//   - the block ends at a closing fence of the same character, at least
//     as long as the opening one, indented by at most 3 spaces and
//     followed only by spaces or tabs; a shorter fence, or one of the
//     other character, is content, so fences nest inside longer ones;
//   - a block with no closing fence runs to the end of the text;
//   - when the opening fence is indented by N spaces, up to N spaces are
//     removed from the start of each content line;
//   - LF, CRLF and CR all end a line.
//
// Only the top level of the document is read: a fence inside a block
// quote ("> ```") or indented by 4 or more spaces (inside a nested list)
// is not seen. The package does no I/O, runs in linear time and never
// panics, whatever the bytes it is given (invalid UTF-8 is kept as is).
package codeblocks

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wasmplay/wasmplay/runtimes"
)

// Block is one fenced code block.
type Block struct {
	// Index is the block's position in the text, from 1.
	Index int
	// Tag is the language tag as written: the first word of the info
	// string ("python", "JS", "rust"); empty when the fence has none.
	Tag string
	// Info is the whole info string after the fence, trimmed
	// ("python title=main.py").
	Info string
	// Runtime is the canonical runtime the block is for ("python",
	// "javascript" or "wat"), or "" when the tag names another language or
	// an untagged block could not be guessed.
	Runtime string
	// Guessed is true when the block has no tag and Runtime was guessed
	// from the code (see Guess).
	Guessed bool
	// Code is the content, exactly as written: indentation, blank lines
	// and trailing whitespace are kept; only the fence's own indentation
	// is removed (see the package comment). Every line ends with "\n"
	// (CRLF and CR line endings become "\n") except the last line of an
	// unclosed block at the end of a text that has no final line ending.
	Code string
	// StartLine is the line of the opening fence, from 1.
	StartLine int
	// Lines is the number of lines in Code.
	Lines int
	// Closed is false when no closing fence was found and the block runs
	// to the end of the text.
	Closed bool
}

// fence is an opening fence being read.
type fence struct {
	char   byte   // '`' or '~'
	length int    // how many fence characters
	indent int    // spaces before the fence
	info   string // the info string, trimmed
}

// Extract returns the fenced code blocks of markdown in order. It returns
// nil when there are none.
func Extract(markdown string) []Block {
	var blocks []Block
	inBlock := false // reading a block's content
	var open fence   // the opening fence of that block
	var code strings.Builder
	var block Block

	finish := func(closed bool) {
		block.Code = code.String()
		block.Closed = closed
		block.Index = len(blocks) + 1
		block.Runtime, block.Guessed = runtimeOf(block.Tag, block.Code)
		blocks = append(blocks, block)
		inBlock = false
		code.Reset()
	}

	lineNo := 0
	for pos := 0; pos < len(markdown); {
		line, ending, next := nextLine(markdown, pos)
		pos = next
		lineNo++
		if !inBlock {
			if f, ok := openingFence(line); ok {
				inBlock, open = true, f
				block = Block{Tag: firstWord(f.info), Info: f.info, StartLine: lineNo}
			}
			continue
		}
		if closingFence(line, open) {
			finish(true)
			continue
		}
		content := stripIndent(line, open.indent)
		if content == "" && !ending {
			continue // an empty last line with no line ending adds nothing
		}
		code.WriteString(content)
		if ending {
			code.WriteByte('\n')
		}
		block.Lines++
	}
	if inBlock {
		finish(false)
	}
	return blocks
}

// nextLine returns the line starting at pos (without its line ending),
// whether a line ending followed it, and where the next line starts.
func nextLine(s string, pos int) (line string, ending bool, next int) {
	i := strings.IndexAny(s[pos:], "\r\n")
	if i < 0 {
		return s[pos:], false, len(s)
	}
	end := pos + i
	next = end + 1
	if s[end] == '\r' && next < len(s) && s[next] == '\n' {
		next++ // CRLF
	}
	return s[pos:end], true, next
}

// leadingSpaces counts the spaces at the start of line.
func leadingSpaces(line string) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}

// runLength counts how many times c repeats at the start of s.
func runLength(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

// openingFence reports whether line opens a fenced code block. A tab in
// the indentation always reaches column 4, so only spaces can indent a
// fence.
func openingFence(line string) (fence, bool) {
	indent := leadingSpaces(line)
	if indent > 3 || indent == len(line) {
		return fence{}, false
	}
	c := line[indent]
	if c != '`' && c != '~' {
		return fence{}, false
	}
	n := runLength(line[indent:], c)
	if n < 3 {
		return fence{}, false
	}
	info := strings.Trim(line[indent+n:], " \t")
	if c == '`' && strings.IndexByte(info, '`') >= 0 {
		return fence{}, false // inline code such as ```x``` is not a fence
	}
	return fence{char: c, length: n, indent: indent, info: info}, true
}

// closingFence reports whether line closes the block opened by f.
func closingFence(line string, f fence) bool {
	indent := leadingSpaces(line)
	if indent > 3 {
		return false
	}
	n := runLength(line[indent:], f.char)
	if n < f.length {
		return false
	}
	return strings.Trim(line[indent+n:], " \t") == ""
}

// stripIndent removes up to n leading spaces from line.
func stripIndent(line string, n int) string {
	i := 0
	for i < n && i < len(line) && line[i] == ' ' {
		i++
	}
	return line[i:]
}

// firstWord returns the info string's first word, the language tag.
func firstWord(info string) string {
	if i := strings.IndexAny(info, " \t"); i >= 0 {
		return info[:i]
	}
	return info
}

// runtimeOf decides a block's runtime from its tag, or guesses it from
// the code when there is no tag.
func runtimeOf(tag, code string) (runtime string, guessed bool) {
	if tag != "" {
		rt, _ := RuntimeForTag(tag)
		return rt, false
	}
	rt := Guess(code)
	return rt, rt != ""
}

// RuntimeForTag returns the canonical runtime for a fence's language tag,
// case-insensitively: python, py, python3, py3 → "python"; javascript,
// js, node, nodejs, mjs, cjs, ecmascript, quickjs, qjs → "javascript";
// wat, wast, wasm, wasm-text, webassembly → "wat". Pandoc-style tags
// ("{.python}") and a file name after a colon ("python:main.py") are
// understood. ok is false for any other tag.
func RuntimeForTag(tag string) (runtime string, ok bool) {
	t := strings.ToLower(strings.TrimSpace(tag))
	t = strings.TrimPrefix(t, "{")
	t = strings.TrimSuffix(t, "}")
	t = strings.TrimPrefix(t, ".")
	if i := strings.IndexAny(t, ":,"); i >= 0 {
		t = t[:i]
	}
	if rt, ok := runtimes.Language(t); ok {
		return rt.Name, true
	}
	return "", false
}

// SupportedLanguages describes the tags RuntimeForTag accepts, for
// messages: "python (py, python3), javascript (js, node) or wat (wast, wasm)".
func SupportedLanguages() string {
	var parts []string
	for _, rt := range runtimes.Languages() {
		parts = append(parts, fmt.Sprintf("%s (%s)", rt.Name, strings.Join(rt.Aliases[:min(2, len(rt.Aliases))], ", ")))
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// Guess names the runtime an untagged block most likely is for, or ""
// when it cannot tell. The rules are simple on purpose, so a guess can
// be explained:
//
//   - a line starting with "(module" means WebAssembly text ("wat");
//   - each line that looks like Python scores for Python: it starts with
//     "def ", "import ", "from ", "class ", "elif ", "print(", "#" or
//     "@", or ends with ":";
//   - each line that looks like JavaScript scores for JavaScript: it
//     starts with "function", "const ", "let ", "var ", "//" or
//     "console.", contains "=>" or "console.log", or ends with ";", "{"
//     or "}";
//   - the higher score wins; a tie (including no evidence) is "".
//
// Only the first 2000 lines are looked at.
func Guess(code string) string {
	const maxLines = 2000
	python, javascript := 0, 0
	for i, pos := 0, 0; i < maxLines && pos < len(code); i++ {
		line, _, next := nextLine(code, pos)
		pos = next
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "(module") {
			return runtimes.WAT
		}
		if looksLikePython(t) {
			python++
		}
		if looksLikeJavaScript(t) {
			javascript++
		}
	}
	switch {
	case python > javascript:
		return runtimes.Python
	case javascript > python:
		return runtimes.JavaScript
	}
	return ""
}

// looksLikePython reports whether a trimmed line looks like Python.
func looksLikePython(t string) bool {
	if strings.HasPrefix(t, "import ") && (strings.Contains(t, " from '") || strings.Contains(t, ` from "`)) {
		return false // a JavaScript import
	}
	for _, p := range []string{"def ", "import ", "from ", "class ", "elif ", "print(", "#", "@"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return strings.HasSuffix(t, ":")
}

// looksLikeJavaScript reports whether a trimmed line looks like JavaScript.
func looksLikeJavaScript(t string) bool {
	if strings.HasPrefix(t, "import ") && (strings.Contains(t, " from '") || strings.Contains(t, ` from "`)) {
		return true
	}
	for _, p := range []string{"function", "const ", "let ", "var ", "//", "console."} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	if strings.Contains(t, "=>") || strings.Contains(t, "console.log") {
		return true
	}
	return strings.HasSuffix(t, ";") || strings.HasSuffix(t, "{") || strings.HasSuffix(t, "}")
}

// UnsupportedError reports a block that cannot run: its tag names a
// language wasmplay does not run, or it has no tag and its language could
// not be guessed.
type UnsupportedError struct {
	// Index is the block's position, from 1.
	Index int
	// Tag is the block's language tag; empty when it has none.
	Tag string
}

// Error says why the block cannot run and which languages can.
func (e *UnsupportedError) Error() string {
	if e.Tag == "" {
		return fmt.Sprintf("code block %d has no language tag and does not look like Python, JavaScript or WebAssembly text; choose a runtime (%s)",
			e.Index, SupportedLanguages())
	}
	return fmt.Sprintf("code block %d is %q, which wasmplay cannot run; supported languages: %s",
		e.Index, e.Tag, SupportedLanguages())
}

// Runnable returns nil when b has a runtime, and an *UnsupportedError
// saying which languages are supported when it does not.
func Runnable(b Block) error {
	if b.Runtime != "" {
		return nil
	}
	return &UnsupportedError{Index: b.Index, Tag: b.Tag}
}

// ErrNoBlocks reports Markdown with no fenced code block in it. A caller
// that gets it may use the whole text as code, with a hint.
var ErrNoBlocks = errors.New("no fenced code block (``` or ~~~) found")

// Select picks one block for `--block N`: n counts from 1; n = 0 means
// "the only block" and fails when there are several. The block returned
// may still be unrunnable: check it with Runnable.
func Select(blocks []Block, n int) (Block, error) {
	switch {
	case len(blocks) == 0:
		return Block{}, ErrNoBlocks
	case n < 0 || n > len(blocks):
		return Block{}, fmt.Errorf("there is no code block %d: the text has %d", n, len(blocks))
	case n > 0:
		return blocks[n-1], nil
	case len(blocks) == 1:
		return blocks[0], nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the text has %d code blocks; choose one with --block N:", len(blocks))
	for _, blk := range blocks {
		fmt.Fprintf(&b, "\n  %d: %s", blk.Index, Summary(blk))
	}
	return Block{}, errors.New(b.String())
}

// Summary describes a block on one line for a chooser: its language, its
// first non-blank line and its size, e.g.
//
//	python · def main(): · 12 lines, 340 B
//	python (guessed) · import sys · 3 lines, 41 B
//	rust (not supported) · fn main() { · 5 lines, 80 B
//
// The result is valid UTF-8 with no control characters, whatever the code.
func Summary(b Block) string {
	var lang string
	switch {
	case b.Runtime != "" && b.Guessed:
		lang = b.Runtime + " (guessed)"
	case b.Runtime != "":
		lang = b.Runtime
	case b.Tag != "":
		lang = printable(b.Tag, 20) + " (not supported)"
	default:
		lang = "unknown language"
	}
	first := "(empty)"
	for pos := 0; pos < len(b.Code); {
		line, _, next := nextLine(b.Code, pos)
		pos = next
		if t := strings.TrimSpace(line); t != "" {
			first = printable(t, 60)
			break
		}
	}
	unit := "lines"
	if b.Lines == 1 {
		unit = "line"
	}
	return fmt.Sprintf("%s · %s · %d %s, %s", lang, first, b.Lines, unit, formatSize(len(b.Code)))
}

// printable makes s safe to show on one line: invalid UTF-8 and control
// characters become U+FFFD, and it is cut to limit runes with "…".
func printable(s string, limit int) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if n == limit {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// formatSize renders a byte count ("340 B", "1.2 KiB", "3.0 MiB").
func formatSize(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
