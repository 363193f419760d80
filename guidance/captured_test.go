package guidance

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/run"
)

// captured is one real run recorded by testdata/capture.sh: the code,
// the flags and the `wasmplay run --json` output.
type captured struct {
	Name    string         `json:"name"`
	Runtime string         `json:"runtime"`
	Flags   []string       `json:"flags"`
	Code    string         `json:"code"`
	Result  run.ResultJSON `json:"result"`
}

// loadCaptured reads testdata/captured/NAME.json.
func loadCaptured(t *testing.T, name string) captured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "captured", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var c captured
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

// result rebuilds the run.Result the capture was printed from.
func (c captured) result(t *testing.T) run.Result {
	t.Helper()
	j := c.Result
	res := run.Result{
		Runtime:         j.Runtime,
		Success:         j.Success,
		Outcome:         j.Outcome,
		ExitCode:        j.ExitCode,
		Message:         j.Message,
		Stdout:          []byte(j.Stdout),
		Stderr:          []byte(j.Stderr),
		StdoutTruncated: j.StdoutTruncated,
		StderrTruncated: j.StderrTruncated,
		StdoutBytes:     j.StdoutBytes,
		StderrBytes:     j.StderrBytes,
		FuelConsumed:    j.FuelConsumed,
		FuelExact:       j.FuelExact,
		MemoryPages:     j.MemoryPages,
		PeakMemoryPages: j.PeakMemoryPages,
		MemoryBytes:     j.MemoryBytes,
		PeakMemoryBytes: j.PeakMemoryBytes,
		Duration:        time.Duration(j.DurationMS * float64(time.Millisecond)),
		Files:           j.Files,
		Limits:          j.Limits,
	}
	for _, b64 := range []struct {
		src string
		dst *[]byte
	}{{j.StdoutBase64, &res.Stdout}, {j.StderrBase64, &res.Stderr}} {
		if b64.src == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(b64.src)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		*b64.dst = raw
	}
	return res
}

// ids returns the IDs of advice, in order.
func ids(advice []Advice) []string {
	var out []string
	for _, a := range advice {
		out = append(out, a.ID)
	}
	return out
}

func TestMatch_Captured(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		// Python
		{"py_ok", nil},
		{"py_numpy", []string{"missing_module"}},
		{"py_from_import", []string{"missing_module"}},
		{"py_requests", []string{"network", "missing_module"}},
		{"py_ssl", []string{"unavailable_module"}},
		{"py_ctypes", []string{"unavailable_module"}},
		{"py_open_etc_passwd", []string{"path_outside_app"}},
		{"py_open_dotdot", []string{"path_outside_app"}},
		{"py_open_tmp_write", []string{"path_outside_app"}},
		{"py_open_code_write", []string{"path_outside_app"}},
		{"py_open_app_dotdot", []string{"path_outside_app"}},
		{"py_listdir_root", []string{"path_outside_app"}},
		{"py_open_missing", []string{"file_not_found"}},
		{"py_socket", []string{"network"}},
		{"py_socket_connect", []string{"network"}},
		{"py_urllib", []string{"network"}},
		{"py_subprocess", []string{"subprocess"}},
		{"py_os_system", []string{"subprocess"}},
		{"py_os_popen", []string{"subprocess"}},
		{"py_os_fork", []string{"subprocess"}},
		{"py_multiprocessing", []string{"subprocess"}},
		{"py_threading", []string{"threads"}},
		{"py_asyncio", []string{"asyncio"}},
		{"py_recursion", []string{"recursion"}},
		{"py_recursion_limit_raised", []string{"recursion", "memory_limit"}},
		{"py_syntax", []string{"syntax_error"}},
		{"py_syntax_eq", []string{"syntax_error"}},
		{"py_indentation", []string{"indentation_error"}},
		{"py_tab_error", []string{"indentation_error"}},
		{"py_fuel", []string{"out_of_fuel"}},
		{"py_memory_bytearray", []string{"memory_limit"}},
		{"py_memory_list", []string{"memory_limit"}},
		{"py_timeout", []string{"timeout"}},
		{"py_input_eof", []string{"no_input"}},
		{"py_stdlib_frame", nil},
		{"py_nested_frames", nil},
		{"py_name_error", nil},
		{"py_sys_exit", nil},
		// JavaScript (QuickJS)
		{"js_ok", nil},
		{"js_require", []string{"js_require"}},
		{"js_import_fs", []string{"js_require"}},
		{"js_process_env", []string{"js_process"}},
		{"js_process_argv", []string{"js_process"}},
		{"js_settimeout", []string{"js_timers"}},
		{"js_fetch", []string{"network"}},
		{"js_async_fetch", []string{"network"}},
		{"js_xhr", []string{"network"}},
		{"js_std_open", []string{"js_file_null"}},
		{"js_getline_null", []string{"js_file_null"}},
		{"js_std_loadfile_dotdot", []string{"js_file_null"}},
		{"js_exec", []string{"subprocess"}},
		{"js_syntax", []string{"syntax_error"}},
		{"js_syntax_brace", []string{"syntax_error"}},
		{"js_recursion", []string{"recursion"}},
		{"js_memory", []string{"memory_limit"}},
		{"js_memory_strings", []string{"memory_limit"}},
		{"js_fuel", []string{"out_of_fuel"}},
		{"js_timeout", []string{"timeout"}},
		{"js_json_parse", nil},
		{"js_undefined", nil},
		{"js_nested_frames", nil},
		{"js_throw", nil},
		// WebAssembly text
		{"wat_syntax", []string{"syntax_error"}},
		{"wat_unreachable", []string{"trap"}},
		{"wat_stack_overflow", []string{"recursion"}},
		{"wat_fuel", []string{"out_of_fuel"}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			c := loadCaptured(t, tt.name)
			res := c.result(t)
			got := MatchWithOptions(res, c.Runtime, MatchOptions{Code: []byte(c.Code)})
			if !slices.Equal(ids(got), tt.want) {
				t.Fatalf("Match IDs = %v, want %v\nstderr:\n%s", ids(got), tt.want, res.Stderr)
			}
			for _, a := range got {
				checkAdvice(t, a, c.Runtime)
			}
		})
	}
	// Every capture must be in the table.
	files, _ := filepath.Glob(filepath.Join("testdata", "captured", "*.json"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if !seen[name] {
			t.Errorf("capture %s has no row in TestMatch_Captured", name)
		}
	}
}

// checkAdvice checks the shape every matched advice must have.
func checkAdvice(t *testing.T, a Advice, runtime string) {
	t.Helper()
	if a.Title == "" || a.Cause == "" || len(a.Steps) == 0 {
		t.Errorf("%s: empty Title, Cause or Steps: %+v", a.ID, a)
	}
	if strings.Contains(a.Cause, "\n") || strings.Contains(a.Title, "\n") {
		t.Errorf("%s: Title and Cause must be one line: %q / %q", a.ID, a.Title, a.Cause)
	}
	if a.Before == "" || a.After == "" || a.Before == a.After {
		t.Errorf("%s: needs a Before and a different After snippet for %s", a.ID, runtime)
	}
	if a.Lang != runtime {
		t.Errorf("%s: Lang = %q, want %q", a.ID, a.Lang, runtime)
	}
	for _, s := range []string{a.Before, a.After} {
		if !strings.HasSuffix(s, "\n") {
			t.Errorf("%s: snippet %q must end with a newline", a.ID, s)
		}
	}
}

func TestErrorLocation_Captured(t *testing.T) {
	tests := []struct {
		name    string
		line    int
		column  int
		message string // the Location's Message
		ok      bool
	}{
		{"py_numpy", 1, 0, "ModuleNotFoundError: No module named 'numpy'", true},
		{"py_ctypes", 1, 0, "ModuleNotFoundError: No module named '_ctypes'", true},
		{"py_nested_frames", 2, 0, "ZeroDivisionError: division by zero", true},
		{"py_stdlib_frame", 3, 0, "json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)", true},
		{"py_recursion", 2, 0, "RecursionError: maximum recursion depth exceeded", true},
		{"py_recursion_limit_raised", 3, 0, "SystemError: error return without exception set", true},
		{"py_syntax", 1, 0, "SyntaxError: '(' was never closed", true},
		{"py_indentation", 2, 0, "IndentationError: expected an indented block after function definition on line 1", true},
		{"py_tab_error", 3, 0, "TabError: inconsistent use of tabs and spaces in indentation", true},
		{"py_memory_list", 3, 0, "MemoryError", true},
		{"py_asyncio", 1, 0, "OSError: [Errno 58] Not supported", true},
		{"py_multiprocessing", 3, 0, "AttributeError: module 'os' has no attribute 'WNOHANG'", true},
		{"py_fuel", 0, 0, "", false},
		{"py_sys_exit", 0, 0, "", false},
		{"py_ok", 0, 0, "", false},
		{"js_require", 1, 1, "ReferenceError: 'require' is not defined", true},
		{"js_nested_frames", 2, 11, "TypeError: cannot read property 'x' of null", true},
		{"js_json_parse", 1, 11, "SyntaxError: expecting property name", true},
		{"js_syntax", 1, 9, "SyntaxError: unexpected token in expression: ';'", true},
		{"js_syntax_brace", 3, 1, "SyntaxError: unexpected token in expression: ''", true},
		{"js_async_fetch", 2, 19, "ReferenceError: 'fetch' is not defined", true},
		{"js_recursion", 1, 14, "InternalError: stack overflow", true},
		{"js_memory", 1, 20, "InternalError: out of memory", true},
		{"js_throw", 1, 16, "Error: boom", true},
		{"js_import_fs", 0, 0, "ReferenceError: could not load module filename 'fs'", false},
		{"js_fuel", 0, 0, "", false},
		{"wat_syntax", 1, 44, "wat: expected `)`", true},
		{"wat_unreachable", 0, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadCaptured(t, tt.name)
			loc, ok := ErrorLocation(c.Result.Stderr, c.Runtime)
			want := Location{Line: tt.line, Column: tt.column, Message: tt.message}
			if ok != tt.ok || loc != want {
				t.Errorf("ErrorLocation = %+v, %v; want %+v, %v\nstderr:\n%s", loc, ok, want, tt.ok, c.Result.Stderr)
			}
		})
	}
}

// The call chain of a real traceback, innermost first: the line that
// raised, then each caller in the user's code.
func TestUserFrames_Captured(t *testing.T) {
	tests := []struct {
		name  string
		lines []int
	}{
		{"py_nested_frames", []int{2, 5, 7}},
		{"js_nested_frames", []int{2, 5, 7}},
		{"py_name_error", nil}, // checked below: one frame at most
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadCaptured(t, tt.name)
			frames := UserFrames(c.Result.Stderr, c.Runtime)
			if tt.lines == nil {
				if len(frames) > 1 {
					t.Fatalf("frames %+v", frames)
				}
				return
			}
			var got []int
			for _, f := range frames {
				got = append(got, f.Line)
			}
			if !slices.Equal(got, tt.lines) {
				t.Fatalf("frames at lines %v, want %v", got, tt.lines)
			}
			if frames[0].Message == "" || frames[1].Message != "" {
				t.Errorf("the exception belongs to the innermost frame only: %+v", frames)
			}
		})
	}
}
