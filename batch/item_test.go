package batch

import (
	"bufio"
	"io"
	"strings"
	"testing"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/runtimes"
)

func testRegistry(t testing.TB) *runtimes.Registry {
	t.Helper()
	reg, err := runtimes.NewRegistry(testenv.BinDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// Every bad line is an error that says what is wrong, keeping the id when
// there is one; good lines parse into items.
func TestParseItem(t *testing.T) {
	reg := testRegistry(t)
	tests := []struct {
		line    string
		wantErr string // "" for a good item
		wantID  string
	}{
		{`{"id": 1, "language": "python", "code": "print(1)"}`, "", "1"},
		{`{"id": "t-1", "language": "py", "code": "def f(): return 2", "tests": "assert f() == 2"}`, "", `"t-1"`},
		{`{"id": 2, "markdown": "Here:\n` + "```python\\nprint(2)\\n```" + `\n"}`, "", "2"},
		{`{"id": 3, "language": "javascript", "code": "console.log(1)", "limits": {"fuel": "1G", "timeout": "2s"}}`, "", "3"},
		{`not json`, "not a JSON item", ""},
		{`{"language": "python", "code": "x"}`, "no id", ""},
		{`{"id": "", "language": "python", "code": "x"}`, "empty string", ""},
		{`{"id": 1.5, "language": "python", "code": "x"}`, "neither a string nor an integer", ""},
		{`{"id": 4, "language": "cobol", "code": "x"}`, `language "cobol"`, "4"},
		{`{"id": 5, "code": "x"}`, "no language", "5"},
		{`{"id": 6, "language": "python"}`, "no code", "6"},
		{`{"id": 7, "language": "python", "code": "x", "markdown": "y"}`, "not both", "7"},
		{`{"id": 8, "language": "python", "code": "x", "colour": "red"}`, "unknown field", "8"},
		{`{"id": 9, "language": "python", "code": "x", "limits": {"disk": "1G"}}`, `"disk" is not a limit`, "9"},
		{`{"id": 10, "language": "python", "code": "x", "limits": {"fuel": "lots"}}`, "limits.fuel", "10"},
		{`{"id": 11, "markdown": "no code here"}`, "markdown", "11"},
		{`{"id": 12, "language": "python", "code": "x"} {"id": 13}`, "more than one JSON value", "12"},
		{`{"id": 14, "language": "python", "code": "` + strings.Repeat("x", MaxCodeBytes+1) + `"}`, "above the", "14"},
		{"{\"id\": 15, \"language\": \"python\", \"code\": \"\xff\"}", "not UTF-8", ""},
	}
	for _, tt := range tests {
		it, err := ParseItem(7, []byte(tt.line), reg)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%.60s: %v", tt.line, err)
			} else if string(it.ID) != tt.wantID || it.Line != 7 || len(it.Code) == 0 {
				t.Errorf("%.60s: item %+v", tt.line, it)
			}
			continue
		}
		le, ok := err.(*LineError)
		if !ok || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%.60s: error %v, want one with %q", tt.line, err, tt.wantErr)
			continue
		}
		if string(le.ID) != tt.wantID {
			t.Errorf("%.60s: error keeps id %s, want %s", tt.line, le.ID, tt.wantID)
		}
	}
}

// Tests run after the code: they are appended to it.
func TestParseItem_TestsFollowTheCode(t *testing.T) {
	it, err := ParseItem(1, []byte(`{"id": 1, "language": "python", "code": "def f():\n    return 2\n\n\n", "tests": "assert f() == 2"}`), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(it.Code); got != "def f():\n    return 2\n\nassert f() == 2\n" || !it.HasTests {
		t.Fatalf("code %q", got)
	}
}

func FuzzParseItem(f *testing.F) {
	f.Add([]byte(`{"id": 1, "language": "python", "code": "print(1)", "tests": "assert 1"}`))
	f.Add([]byte(`{"id": "x", "markdown": "` + "```js\\n1\\n```" + `", "block": 1}`))
	f.Add([]byte(`{"id": [1]}`))
	reg := testRegistry(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		it, err := ParseItem(1, data, reg)
		if err == nil && (len(it.ID) == 0 || it.Runtime == "" || len(it.Code) > MaxCodeBytes) {
			t.Fatalf("a bad item passed: %+v", it)
		}
		if err != nil {
			if _, ok := err.(*LineError); !ok {
				t.Fatalf("error %T is not a *LineError", err)
			}
		}
	})
}

// A line longer than MaxLineBytes is read past, keeping only its start
// (for the error to name its id), and the next line is read whole.
func TestReadLine_LongLineIsReadPast(t *testing.T) {
	long := `{"id": "big", "code": "` + strings.Repeat("x", MaxLineBytes+10) + `"}`
	br := bufio.NewReaderSize(strings.NewReader(long+"\n"+`{"id": 2}`+"\n"+"last without newline"), 1<<16)
	data, tooLong, err := readLine(br)
	if err != nil || !tooLong || len(data) > 4096 || !strings.HasPrefix(string(data), `{"id": "big"`) {
		t.Fatalf("long line: %d bytes kept, tooLong %v, %v", len(data), tooLong, err)
	}
	data, tooLong, err = readLine(br)
	if err != nil || tooLong || string(data) != `{"id": 2}` {
		t.Fatalf("the line after: %q %v %v", data, tooLong, err)
	}
	data, _, err = readLine(br)
	if string(data) != "last without newline" || err != io.EOF {
		t.Fatalf("the last line: %q %v", data, err)
	}
	if n, err := CountLines(strings.NewReader(long+"\n\n"+`{"id": 2}`+"\n"), Shard{}); err != nil || n != 2 {
		t.Fatalf("CountLines: %d %v", n, err)
	}
}
