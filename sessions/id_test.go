package sessions

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

func TestCanonicalID(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string // substring of the error; "" means valid
	}{
		{in: "a", want: "a"},
		{in: "my-session_2", want: "my-session_2"},
		{in: "Z9", want: "Z9"},
		{in: strings.Repeat("x", 64), want: strings.Repeat("x", 64)},
		{in: "0b7c6f2e-6a7e-4d0b-9d5e-2f6c1b2a3c4d", want: "0b7c6f2e-6a7e-4d0b-9d5e-2f6c1b2a3c4d"},
		{in: "0B7C6F2E-6A7E-4D0B-9D5E-2F6C1B2A3C4D", want: "0b7c6f2e-6a7e-4d0b-9d5e-2f6c1b2a3c4d"},
		// Looks like a UUID but is not one: kept as typed.
		{in: "ZZZZZZZZ-6A7E-4D0B-9D5E-2F6C1B2A3C4D", want: "ZZZZZZZZ-6A7E-4D0B-9D5E-2F6C1B2A3C4D"},
		{in: "", wantErr: "empty"},
		{in: strings.Repeat("x", 65), wantErr: "longer than 64"},
		{in: "a/b", wantErr: "path separator"},
		{in: `a\b`, wantErr: "path separator"},
		{in: "/etc", wantErr: "path separator"},
		{in: "..", wantErr: `".."`},
		{in: "a..b", wantErr: `".."`},
		{in: "../x", wantErr: `".."`},
		{in: ".", wantErr: "must start with a letter or digit"},
		{in: ".hidden", wantErr: "must start with a letter or digit"},
		{in: "-rf", wantErr: "must start with a letter or digit"},
		{in: "_x", wantErr: "must start with a letter or digit"},
		{in: "a\x00b", wantErr: "NUL"},
		{in: "a b", wantErr: "not allowed"},
		{in: "a.b", wantErr: "not allowed"},
		{in: "café", wantErr: "not allowed"},
		{in: "a\nb", wantErr: "not allowed"},
		{in: "{0b7c6f2e-6a7e-4d0b-9d5e-2f6c1b2a3c4d}", wantErr: "must start"},
		{in: "urn:uuid:0b7c6f2e-6a7e-4d0b-9d5e-2f6c1b2a3c4d", wantErr: "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := CanonicalID(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("CanonicalID(%q) = %q, want error containing %q", tt.in, got, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalidID) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("CanonicalID(%q) error = %v, want ErrInvalidID containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CanonicalID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestCanonicalID_Fixtures runs the hostile names in testdata/bad-ids.txt
// (one per line, Go-quoted so that control bytes survive).
func TestCanonicalID_Fixtures(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "bad-ids.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, err := unquoteFixture(line)
		if err != nil {
			t.Fatalf("bad fixture line %q: %v", line, err)
		}
		n++
		if got, err := CanonicalID(id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("CanonicalID(%q) = %q, %v; want ErrInvalidID", id, got, err)
		}
	}
	if n < 10 {
		t.Fatalf("only %d fixtures read", n)
	}
}

func unquoteFixture(s string) (string, error) {
	return strconv.Unquote(s)
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"", "proj", "my-proj_1"} {
		if _, err := checkName(ok); err != nil {
			t.Errorf("checkName(%q) = %v, want ok", ok, err)
		}
	}
	for _, bad := range []string{"a/b", "..", "0b7c6f2e-6a7e-4d0b-9d5e-2f6c1b2a3c4d", "has space"} {
		if _, err := checkName(bad); !errors.Is(err, ErrInvalidID) {
			t.Errorf("checkName(%q) = %v, want ErrInvalidID", bad, err)
		}
	}
}

// FuzzCanonicalID checks the canonicalizer's safety properties on any
// input: an accepted ID matches the pattern, is a single path element that
// stays directly under the root, and is a fixed point.
//
//	go test -fuzz=FuzzCanonicalID -fuzztime=30s ./sessions/
func FuzzCanonicalID(f *testing.F) {
	for _, s := range []string{
		"a", "..", ".", "a/b", `a\b`, "/abs", "a\x00", "0B7C6F2E-6A7E-4D0B-9D5E-2F6C1B2A3C4D",
		"x..y", "-", "ok_id-1", strings.Repeat("a", 64), strings.Repeat("a", 65), "\xff", "C:", "~",
	} {
		f.Add(s)
	}
	root := filepath.Join(string(filepath.Separator), "sessions-root")
	f.Fuzz(func(t *testing.T, in string) {
		id, err := CanonicalID(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidID) {
				t.Fatalf("CanonicalID(%q) error %v does not match ErrInvalidID", in, err)
			}
			return
		}
		if !idPattern.MatchString(id) {
			t.Fatalf("CanonicalID(%q) = %q: does not match %v", in, id, idPattern)
		}
		if !utf8.ValidString(id) || strings.ContainsAny(id, "/\\\x00") || strings.Contains(id, "..") {
			t.Fatalf("CanonicalID(%q) = %q: unsafe characters", in, id)
		}
		p := filepath.Join(root, id)
		if filepath.Dir(p) != root || filepath.Base(p) != id || filepath.IsAbs(id) || filepath.Clean(id) != id {
			t.Fatalf("CanonicalID(%q) = %q: not a single element under the root (%s)", in, id, p)
		}
		if again, err := CanonicalID(id); err != nil || again != id {
			t.Fatalf("CanonicalID not idempotent: %q -> %q -> %q, %v", in, id, again, err)
		}
		if !strings.EqualFold(id, in) {
			t.Fatalf("CanonicalID(%q) = %q: changed more than case", in, id)
		}
	})
}
