package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wasmplay/wasmplay/guidance"
	"github.com/wasmplay/wasmplay/run"
)

func TestTrim_Cases(t *testing.T) {
	lines := strings.Repeat("0123456789abcde\n", 100) // 1600 bytes of 16-byte lines
	tests := []struct {
		name     string
		in       string
		max      int
		wantHead string
		wantTail string
	}{
		{"fits", "hello\n", 10, "hello\n", ""},
		{"exactly fits", "0123456789", 10, "0123456789", ""},
		{"empty", "", 10, "", ""},
		{"cut at line boundaries", lines, 100, strings.Repeat("0123456789abcde\n", 3), strings.Repeat("0123456789abcde\n", 3)},
		{"no newline: plain cut", strings.Repeat("x", 100), 10, "xxxxx", "xxxxx"},
		{"never splits a character", strings.Repeat("é", 50), 11, "éé", "ééé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head, tail, omitted := trim([]byte(tt.in), tt.max)
			if string(head) != tt.wantHead || string(tail) != tt.wantTail {
				t.Errorf("trim = %q, %q; want %q, %q", head, tail, tt.wantHead, tt.wantTail)
			}
			if len(head)+omitted+len(tail) != len(tt.in) {
				t.Errorf("head %d + omitted %d + tail %d != %d", len(head), omitted, len(tail), len(tt.in))
			}
			if len(head)+len(tail) > tt.max {
				t.Errorf("kept %d bytes, more than %d", len(head)+len(tail), tt.max)
			}
		})
	}
}

func TestMarkdown_DefaultTrim(t *testing.T) {
	res := withOutput(baseResult("python", run.OutcomeOK, 0), strings.Repeat("y", 10_000), "")
	md := Markdown(Input{Code: []byte("print('y' * 10000)\n"), Result: res})
	if !strings.Contains(md, "… 5904 bytes omitted …") {
		t.Errorf("a 10000-byte stdout is not trimmed to DefaultMaxOutputBytes:\n%s", md)
	}
}

func TestMarkdown_FenceOutlastsBackticks(t *testing.T) {
	res := withOutput(baseResult("python", run.OutcomeOK, 0), "a ``````` b\n", "")
	md := Markdown(Input{Code: []byte("print('```')\n"), Result: res})
	if !strings.Contains(md, "````````text\na ``````` b\n````````\n") {
		t.Errorf("stdout with 7 backticks is not fenced with 8:\n%s", md)
	}
	if !strings.Contains(md, "````python\n1 | print('```')\n````\n") {
		t.Errorf("code with 3 backticks is not fenced with 4:\n%s", md)
	}
}

func TestMarkdown_FuelComputedWhenMissing(t *testing.T) {
	res := baseResult("python", run.OutcomeOutOfFuel, -1)
	res.FuelConsumed = res.Limits.FuelBudget
	md := Markdown(Input{Code: []byte("while True: pass\n"), Result: res})
	if !strings.Contains(md, "(100.0%, exhausted)") {
		t.Errorf("the fuel band is not computed from the Result:\n%s", md)
	}
}

func TestNewInput_FillsAdviceAndFuel(t *testing.T) {
	res := withOutput(baseResult("javascript", run.OutcomeExitNonzero, 1), "",
		"TypeError: cannot read property 'length' of null\n    at <eval> (/code/main.js:1:33)\n")
	code := []byte("console.log(std.loadFile('../x').length)\n")
	in := NewInput(code, res, guidance.MatchOptions{})
	if len(in.Advice) != 1 || in.Advice[0].ID != "js_file_null" {
		t.Errorf("Advice = %+v; want js_file_null (found from the code)", in.Advice)
	}
	if in.Fuel.Band != guidance.BandEfficient || in.Runtime != "javascript" {
		t.Errorf("Fuel = %+v, Runtime = %q", in.Fuel, in.Runtime)
	}
}

func TestJSON_ExactBytes(t *testing.T) {
	stdout := "ok \xff\xfe\x00 end\n"
	code := "print('\xe9')\n" // Latin-1, not UTF-8
	res := withOutput(baseResult("python", run.OutcomeOK, 0), stdout, "")
	data, err := JSON(Input{Code: []byte(code), Result: res})
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, text, b64, want string
	}{
		{"stdout", r.Stdout.Text, r.Stdout.TextBase64, stdout},
		{"code", r.Code.Text, r.Code.TextBase64, code},
	} {
		raw, err := base64.StdEncoding.DecodeString(c.b64)
		if err != nil || string(raw) != c.want {
			t.Errorf("%s: base64 gives %q, %v; want %q", c.name, raw, err, c.want)
		}
		if !utf8.ValidString(c.text) || !strings.Contains(c.text, "\uFFFD") {
			t.Errorf("%s: text %q should be valid UTF-8 with replacement characters", c.name, c.text)
		}
	}
	if r.Stderr.TextBase64 != "" {
		t.Errorf("valid UTF-8 stderr has a base64 copy")
	}
}

func TestJSON_NeverNull(t *testing.T) {
	data, err := JSON(Input{Result: run.Result{Outcome: run.OutcomeOK}})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"advice": []`, `"created": []`, `"modified": []`, `"deleted": []`, `"error": null`} {
		if !bytes.Contains(data, []byte(key)) {
			t.Errorf("JSON lacks %s:\n%s", key, data)
		}
	}
}

// jsonKeys collects every object key in a JSON value, as dotted paths
// ("stdout.text"); array elements add no path segment.
func jsonKeys(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			path := k
			if prefix != "" {
				path = prefix + "." + k
			}
			out[path] = true
			jsonKeys(path, child, out)
		}
	case []any:
		for _, child := range x {
			jsonKeys(prefix, child, out)
		}
	}
}

// TestJSON_SchemaDocumented checks that docs/REPORT.md documents every
// field the JSON report has (the golden files, which have all of them
// between them, stand for the schema).
func TestJSON_SchemaDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "REPORT.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_.0-9\\[\\]]+)` \\|").FindAllSubmatch(doc, -1) {
		documented[strings.ReplaceAll(string(m[1]), "[]", "")] = true
	}
	keys := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		jsonKeys("", v, keys)
	}
	var missing []string
	for k := range keys {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("docs/REPORT.md does not document these JSON fields (a table row \"| `name` |\"): %v", missing)
	}
}

// FuzzReport renders reports of arbitrary output and code: nothing
// panics, Markdown is valid UTF-8, JSON is valid and its base64 copies
// give back the exact bytes the report kept.
func FuzzReport(f *testing.F) {
	f.Add([]byte("hello\n"), []byte("Traceback (most recent call last):\n  File \"/code/main.py\", line 1, in <module>\nValueError\n"), []byte("print(1)\n"), 64)
	f.Add([]byte("\xff\xfe```\x1b[0m"), []byte("\xc3"), []byte("\x00"), 3)
	f.Add([]byte(strings.Repeat("é", 100)), []byte{}, []byte{}, 7)
	f.Fuzz(func(t *testing.T, stdout, stderr, code []byte, limit int) {
		res := withOutput(baseResult("python", run.OutcomeExitNonzero, 1), string(stdout), string(stderr))
		in := NewInput(code, res, guidance.MatchOptions{})
		in.MaxOutputBytes = limit % 10_000
		md := Markdown(in)
		if !utf8.ValidString(md) {
			t.Fatalf("Markdown is not valid UTF-8")
		}
		data, err := JSON(in)
		if err != nil {
			t.Fatal(err)
		}
		var r Report
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("invalid JSON: %v", err)
		}
		head := exactBytes(t, r.Stdout.Text, r.Stdout.TextBase64)
		tail := exactBytes(t, r.Stdout.Tail, r.Stdout.TailBase64)
		if !bytes.HasPrefix(stdout, head) || !bytes.HasSuffix(stdout, tail) ||
			len(head)+r.Stdout.OmittedBytes+len(tail) != len(stdout) {
			t.Fatalf("head %q + %d omitted + tail %q do not make up stdout %q", head, r.Stdout.OmittedBytes, tail, stdout)
		}
	})
}

// exactBytes returns the exact bytes of a JSON text field: its base64
// copy when there is one, else the text itself.
func exactBytes(t *testing.T, text, b64 string) []byte {
	t.Helper()
	if b64 == "" {
		return []byte(text)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
