// Package batch runs many programs, one per line of a JSONL file, through
// the playground (the same runner, worker isolation and limits as every
// other front end), and writes one result line per program. A batch is
// resumable: results are appended as programs finish, and a batch started
// again with the same output skips what is already answered.
//
// The formats are in docs/BATCH.md.
package batch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/runtimes/codeblocks"
)

// MaxLineBytes bounds one input line; a longer line is that item's error,
// read past without being held.
const MaxLineBytes = 4 << 20

// MaxCodeBytes bounds an item's code, tests included.
const MaxCodeBytes = 1 << 20

// MaxIDBytes bounds an item's id.
const MaxIDBytes = 256

// Item is one program to run: a line of the input.
type Item struct {
	// ID names the item in the results: a string or an integer, kept as
	// its JSON text.
	ID json.RawMessage
	// Key is the ID as a comparable string (the JSON text).
	Key string
	// Line is the input line, from 1.
	Line int
	// Runtime is the canonical runtime name.
	Runtime string
	// Code is the program, tests appended.
	Code []byte
	// HasTests says the item had tests: passing them is its verdict.
	HasTests bool
	// Stdin is its fixed standard input.
	Stdin []byte
	// Args reach the guest after its script.
	Args []string
	// Limits are the item's own limits (within the batch's ceilings).
	Limits run.Overrides
	// raw is the input line, for a worker elsewhere to parse again.
	raw json.RawMessage
}

// itemJSON is an input line as written.
type itemJSON struct {
	ID       json.RawMessage   `json:"id"`
	Language string            `json:"language"`
	Code     *string           `json:"code"`
	Markdown *string           `json:"markdown"`
	Block    int               `json:"block"`
	Stdin    string            `json:"stdin"`
	Args     []string          `json:"args"`
	Tests    string            `json:"tests"`
	Limits   map[string]string `json:"limits"`
}

// limitFields are the limits an item may set, by their names in the input.
var limitFields = map[string]run.Field{
	"fuel": run.FieldFuel, "memory": run.FieldMemory, "timeout": run.FieldTimeout,
	"stdout_max": run.FieldStdoutMax, "stderr_max": run.FieldStderrMax,
}

// LineError is why one input line cannot run. The item keeps its id when
// the line had a usable one.
type LineError struct {
	// Line is the input line, from 1.
	Line int
	// ID is the item's id as JSON text, nil when the line has none.
	ID json.RawMessage
	// Err says what is wrong.
	Err error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// ParseItem reads one input line. reg names the runtimes an item may ask
// for. The error, when not nil, is a *LineError.
func ParseItem(line int, data []byte, reg *runtimes.Registry) (Item, error) {
	fail := func(id json.RawMessage, format string, args ...any) (Item, error) {
		return Item{}, &LineError{Line: line, ID: id, Err: fmt.Errorf(format, args...)}
	}
	if !utf8.Valid(data) {
		return fail(nil, "not UTF-8 text")
	}
	var raw itemJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fail(salvageID(data), "not a JSON item: %v", err)
	}
	if dec.More() {
		return fail(raw.ID, "more than one JSON value on the line")
	}
	id, key, err := checkID(raw.ID)
	if err != nil {
		return fail(nil, "%v", err)
	}
	it := Item{ID: id, Key: key, Line: line, Stdin: []byte(raw.Stdin), Args: raw.Args, HasTests: raw.Tests != "",
		raw: append(json.RawMessage(nil), data...)}
	code, lang := "", raw.Language
	switch {
	case raw.Code != nil && raw.Markdown != nil:
		return fail(id, "give code or markdown, not both")
	case raw.Code != nil:
		code = *raw.Code
	case raw.Markdown != nil:
		b, err := codeblocks.Select(codeblocks.Extract(*raw.Markdown), raw.Block)
		if err != nil {
			return fail(id, "markdown: %v", err)
		}
		if err := codeblocks.Runnable(b); err != nil {
			return fail(id, "markdown: %v", err)
		}
		code = b.Code
		if lang == "" {
			lang = b.Runtime
		}
	default:
		return fail(id, "no code: give code (or markdown)")
	}
	if raw.Block != 0 && raw.Markdown == nil {
		return fail(id, "block chooses a code block of markdown; this item has none")
	}
	if lang == "" {
		return fail(id, "no language: give language (python, javascript, wat)")
	}
	rt, err := reg.Lookup(lang)
	if err != nil {
		return fail(id, "language %q: %v", lang, err)
	}
	it.Runtime = rt.Name
	if raw.Tests != "" {
		code = strings.TrimRight(code, "\n") + "\n\n" + raw.Tests
		if !strings.HasSuffix(code, "\n") {
			code += "\n"
		}
	}
	if len(code) > MaxCodeBytes {
		return fail(id, "code and tests take %s, above the %s an item may have", run.FormatBytes(uint64(len(code))),
			run.FormatBytes(MaxCodeBytes))
	}
	it.Code = []byte(code)
	names := make([]string, 0, len(raw.Limits))
	for name := range raw.Limits {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, ok := limitFields[name]
		if !ok {
			return fail(id, "limits: %q is not a limit an item sets (fuel, memory, timeout, stdout_max, stderr_max)", name)
		}
		if err := it.Limits.Set(f, raw.Limits[name]); err != nil {
			return fail(id, "limits.%s: %v", name, err)
		}
	}
	return it, nil
}

// checkID accepts a non-empty string or an integer, and returns it as
// compact JSON text (its key).
func checkID(raw json.RawMessage) (json.RawMessage, string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "", errors.New("no id: every item needs one (a string or an integer)")
	}
	if len(raw) > MaxIDBytes {
		return nil, "", fmt.Errorf("the id takes %d bytes, above %d", len(raw), MaxIDBytes)
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || s == "" {
			return nil, "", errors.New("the id is an empty string")
		}
		b, _ := json.Marshal(s)
		return b, string(b), nil
	default:
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("the id %s is neither a string nor an integer", raw)
		}
		b := []byte(strconv.FormatInt(n, 10))
		return b, string(b), nil
	}
}

// salvageID finds the id of a line that is not a valid item, so its error
// result can name it.
func salvageID(data []byte) json.RawMessage {
	var probe struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return nil
	}
	id, _, err := checkID(probe.ID)
	if err != nil {
		return nil
	}
	return id
}

// ItemAt reads input line n of in and parses it.
func ItemAt(in io.Reader, n int, reg *runtimes.Registry) (Item, error) {
	br := bufio.NewReaderSize(in, 1<<16)
	for line := 1; ; line++ {
		data, tooLong, err := readLine(br)
		if line == n {
			if tooLong {
				return Item{}, fmt.Errorf("the line is longer than %s", run.FormatBytes(MaxLineBytes))
			}
			return ParseItem(n, data, reg)
		}
		if err != nil {
			return Item{}, fmt.Errorf("the input has only %d lines", line)
		}
	}
}
