package guidance

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/wasmplay/wasmplay/runtimes"
)

// This file reads the error reports the guest runtimes print on stderr:
// CPython tracebacks, QuickJS exceptions with their stack, and the WAT
// compiler's messages. Examples of each, captured from the real
// runtimes, are in testdata/captured.

// Location is the place in the user's code an error report points at.
type Location struct {
	// Line is the line in the user's code, from 1.
	Line int
	// Column is the column, from 1; 0 when the report does not give one
	// (Python tracebacks name lines only).
	Column int
	// Message is the exception line, e.g. "ZeroDivisionError: division by
	// zero".
	Message string
}

// frame is one entry of a traceback or stack trace.
type frame struct {
	file   string // "/code/main.py", "/usr/local/lib/python313.zip/json/decoder.py", "<input>"
	line   int    // from 1; 0 when not given ("at parse (native)")
	column int    // from 1; 0 when not given
}

// failure is what an error report says: the exception and where it went.
type failure struct {
	// exception is the exception line ("ModuleNotFoundError: No module
	// named 'numpy'"), without a "Possibly unhandled promise rejection: "
	// prefix; "" when none was found.
	exception string
	// excType is the exception's class without its module
	// ("JSONDecodeError" for "json.decoder.JSONDecodeError: ...").
	excType string
	// excText is what follows "Type: ".
	excText string
	// frames are the traceback entries. Python lists them outermost
	// first, QuickJS innermost first.
	frames []frame
	// repeated is true when a Python traceback says "[Previous line
	// repeated N more times]": a deep recursion.
	repeated bool
	// compile is true for errors raised before the code ran: a Python
	// SyntaxError report (no "Traceback" header) or a QuickJS parse error
	// (a stack entry that names no function).
	compile bool
}

// userFile reports whether a frame is in the user's code (under /code,
// where the runner mounts the script) rather than in a library.
func userFile(name string) bool {
	return strings.HasPrefix(name, runtimes.ScriptDir+"/")
}

var (
	// pyFrame matches `  File "/code/main.py", line 3, in f` and, for a
	// SyntaxError, `  File "/code/main.py", line 1`.
	pyFrame = regexp.MustCompile(`^  File "(.*)", line (\d+)(?:, in .*)?$`)
	// pyException matches an exception line: a dotted class name, then
	// optionally ": message".
	pyException = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.]*)(?:: (.*))?$`)
	// jsException matches a QuickJS exception line: "TypeError: message",
	// "Error", "Possibly unhandled promise rejection: Error: x".
	jsException = regexp.MustCompile(`^(?:Possibly unhandled promise rejection: )?([A-Za-z_$][A-Za-z0-9_$]*(?:Error|Exception)|Error)(?:: (.*))?$`)
	// jsFrame matches "    at f (/code/main.js:2:11)", "    at
	// /code/main.js:1:9", "    at <input>:1:2" and "    at parse (native)".
	jsFrame = regexp.MustCompile(`^\s+at (?:(.*?) \()?([^()]*?)(?::(\d+))?(?::(\d+))?\)?$`)
	// watPosition matches the WAT compiler's "     --> <anon>:1:44".
	watPosition = regexp.MustCompile(`^\s*--> (.*):(\d+):(\d+)$`)
)

// lines splits text into lines without their endings.
func lines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	return strings.Split(strings.TrimRight(text, "\n"), "\n")
}

// parsePython reads CPython's stderr. A traceback is a "Traceback (most
// recent call last):" header, frames, and the exception line; a
// SyntaxError report has no header. When there are several (chained
// exceptions, "Exception ignored in" reports), the last one that ended
// the program matters: the last that is not an "Exception ignored"
// report.
func parsePython(stderr string) failure {
	var last, current failure
	inReport := false // reading frames of a report
	ignored := false  // the current report is an "Exception ignored" one
	pendingIgnored := false
	found := false
	end := func() {
		if inReport && !ignored && (current.exception != "" || len(current.frames) > 0) {
			last, found = current, true
		}
		inReport, current = false, failure{}
	}
	for _, line := range lines(stderr) {
		switch {
		case strings.HasPrefix(line, "Exception ignored"):
			end()
			pendingIgnored = true
		case line == "Traceback (most recent call last):":
			end()
			inReport, ignored, pendingIgnored = true, pendingIgnored, false
		case pyFrame.MatchString(line):
			m := pyFrame.FindStringSubmatch(line)
			if !inReport {
				// A SyntaxError report starts with its frame.
				inReport, ignored, pendingIgnored = true, pendingIgnored, false
				current.compile = !strings.Contains(line, ", in ")
			}
			n, _ := strconv.Atoi(m[2])
			current.frames = append(current.frames, frame{file: m[1], line: n})
		case strings.HasPrefix(line, "  [Previous line repeated"):
			current.repeated = true
		case strings.HasPrefix(line, " "):
			// A source line or a caret line under a frame.
		case inReport && current.exception == "" && pyException.MatchString(line):
			m := pyException.FindStringSubmatch(line)
			current.exception, current.excType, current.excText = line, baseName(m[1]), m[2]
			end()
		case inReport && current.exception == "" && strings.HasPrefix(line, "object type name: "):
			// CPython lost sys.stderr while printing (it ran out of
			// memory) and dumped the exception object instead.
			current.excType = strings.TrimPrefix(line, "object type name: ")
			current.exception = current.excType
		}
	}
	end()
	if !found {
		return failure{}
	}
	return last
}

// baseName drops a dotted class name's module: "json.decoder.JSONDecodeError"
// becomes "JSONDecodeError".
func baseName(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// parseJavaScript reads QuickJS's stderr: the last exception line and the
// stack entries ("    at ...") under it, innermost first.
func parseJavaScript(stderr string) failure {
	var f failure
	ls := lines(stderr)
	start := -1
	for i, line := range ls {
		if jsException.MatchString(line) {
			start = i
		}
	}
	if start < 0 {
		return f
	}
	m := jsException.FindStringSubmatch(ls[start])
	f.exception = strings.TrimPrefix(ls[start], "Possibly unhandled promise rejection: ")
	f.excType, f.excText = m[1], m[2]
	for _, line := range ls[start+1:] {
		fm := jsFrame.FindStringSubmatch(line)
		if fm == nil {
			break
		}
		fr := frame{file: fm[2]}
		fr.line, _ = strconv.Atoi(fm[3])
		fr.column, _ = strconv.Atoi(fm[4])
		if len(f.frames) == 0 && fm[1] == "" && userFile(fr.file) {
			f.compile = true // "at /code/main.js:1:9": no function, a parse error
		}
		f.frames = append(f.frames, fr)
	}
	return f
}

// parseWAT reads the WAT compiler's error ("wat: expected `)`" and a
// "--> <anon>:1:44" position).
func parseWAT(text string) failure {
	var f failure
	for _, line := range lines(text) {
		if f.exception == "" && strings.HasPrefix(line, "wat: ") {
			f.exception = line
			f.excType = "SyntaxError"
			f.excText = strings.TrimPrefix(line, "wat: ")
			f.compile = true
		}
		if m := watPosition.FindStringSubmatch(line); m != nil && f.exception != "" && len(f.frames) == 0 {
			fr := frame{file: m[1]}
			fr.line, _ = strconv.Atoi(m[2])
			fr.column, _ = strconv.Atoi(m[3])
			f.frames = append(f.frames, fr)
		}
	}
	return f
}

// traceback is how one language reports an error: how to read the report
// and which of its frames is the line of the user's code to point at.
type traceback struct {
	parse  func(stderr string) failure
	locate func(f failure) (frame, bool)
}

// tracebacks are registered by language; adding a language adds an entry.
var tracebacks = map[string]traceback{
	// The last frame of the final traceback that is in the user's script
	// (`File "/code/main.py", line N`), skipping the standard library. A
	// SyntaxError report names its line the same way; there is no column.
	runtimes.Python: {parse: parsePython, locate: func(f failure) (frame, bool) {
		for i := len(f.frames) - 1; i >= 0; i-- {
			if userFile(f.frames[i].file) {
				return f.frames[i], true
			}
		}
		return frame{}, false
	}},
	// QuickJS: the innermost stack entry in the user's script,
	// "/code/main.js:N" or "/code/main.js:N:C".
	runtimes.JavaScript: {parse: parseJavaScript, locate: func(f failure) (frame, bool) {
		for _, fr := range f.frames {
			if userFile(fr.file) && fr.line > 0 {
				return fr, true
			}
		}
		return frame{}, false
	}},
	// The WebAssembly text compiler: "--> <anon>:N:C".
	runtimes.WAT: {parse: parseWAT, locate: func(f failure) (frame, bool) {
		if len(f.frames) > 0 {
			return f.frames[0], true
		}
		return frame{}, false
	}},
}

// parse reads an error report in the given runtime's format.
func parse(stderr, runtime string) failure {
	if tb, ok := tracebacks[runtime]; ok {
		return tb.parse(stderr)
	}
	return failure{}
}

// ErrorLocation finds the line of the user's code that an error report
// on stderr points at, so the editor can mark it (see tracebacks for each
// language's rule). runtime is a canonical runtime name. ok is false when
// the report names no line of the user's code; Message is still set when
// an exception was found.
func ErrorLocation(stderr string, runtime string) (Location, bool) {
	tb, known := tracebacks[runtime]
	if !known {
		return Location{}, false
	}
	f := tb.parse(strings.ToValidUTF8(stderr, "\uFFFD"))
	fr, ok := tb.locate(f)
	if !ok {
		return Location{Message: f.exception}, false
	}
	return Location{Line: fr.line, Column: fr.column, Message: f.exception}, true
}

// maxUserFrames bounds the frames UserFrames returns (a deep recursion
// repeats the same few lines).
const maxUserFrames = 50

// UserFrames lists every frame of an error report that is in the user's
// code, innermost first (the line ErrorLocation names, when there is one,
// comes first), each line once: the call chain a person walks to find the
// frame that is wrong, usually a caller. The first carries the exception
// as its Message. runtime is a canonical runtime name.
func UserFrames(stderr string, runtime string) []Location {
	tb, known := tracebacks[runtime]
	if !known {
		return nil
	}
	f := tb.parse(strings.ToValidUTF8(stderr, "\uFFFD"))
	frames := slices.Clone(f.frames)
	if runtime == runtimes.Python {
		slices.Reverse(frames) // Python lists the outermost first
	}
	var out []Location
	seen := map[int]bool{}
	if first, ok := tb.locate(f); ok {
		out = append(out, Location{Line: first.line, Column: first.column, Message: f.exception})
		seen[first.line] = true
	}
	for _, fr := range frames {
		if len(out) >= maxUserFrames {
			break
		}
		if !userFile(fr.file) || fr.line <= 0 || seen[fr.line] {
			continue
		}
		seen[fr.line] = true
		out = append(out, Location{Line: fr.line, Column: fr.column})
	}
	return out
}
