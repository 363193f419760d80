package run

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1048576", 1 << 20, true},
		{"64MiB", 64 << 20, true},
		{"64M", 64 << 20, true},
		{"64 mib", 64 << 20, true},
		{"64MB", 64_000_000, true},
		{"1.5GiB", 3 << 29, true},
		{"512k", 512 << 10, true},
		{"2_000", 2000, true},
		{"0", 0, true},
		{"", 0, false},
		{"MiB", 0, false},
		{"12 parsecs", 0, false},
		{"-5M", 0, false},
		{"1.3", 0, false},
		{"1e400", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseBytes(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseFuel(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"5000000000", 5_000_000_000, true},
		{"5_000_000_000", 5_000_000_000, true},
		{"5e9", 5_000_000_000, true},
		{"5G", 5_000_000_000, true},
		{"500M", 500_000_000, true},
		{"2.5k", 2500, true},
		{"18446744073709551615", 18446744073709551615, true},
		{"", 0, false},
		{"lots", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"1e30", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseFuel(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseFuel(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseTimeout(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"10s", 10 * time.Second, true},
		{"1m30s", 90 * time.Second, true},
		{"250ms", 250 * time.Millisecond, true},
		{"30", 30 * time.Second, true},
		{"2.5", 2500 * time.Millisecond, true},
		{"", 0, false},
		{"soon", 0, false},
		{"1e300", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseTimeout(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseTimeout(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"64MiB", "1.5G", "12", "", "1e9", "9999999999999999999999TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseBytes(s)
		if err != nil {
			return
		}
		// What a size renders as parses back to it, within the rounding of
		// one decimal of its unit.
		text := FormatBytes(v)
		back, err := ParseBytes(strings.ReplaceAll(text, " ", ""))
		if err != nil {
			t.Fatalf("%q parsed as %d, rendered %q, which does not parse: %v", s, v, text, err)
		}
		if !withinRounding(back, v, 0.05) {
			t.Fatalf("%q parsed as %d, rendered %q, parsed back as %d", s, v, text, back)
		}
	})
}

// withinRounding reports whether got is want within a relative error
// (exact below 1024, where nothing is rounded).
func withinRounding(got, want uint64, rel float64) bool {
	diff := float64(got) - float64(want)
	if diff < 0 {
		diff = -diff
	}
	return diff <= rel*float64(want)
}

func FuzzParseFuel(f *testing.F) {
	for _, s := range []string{"5e9", "5G", "5_000", "", "1.5k", "-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseFuel(s)
		if err != nil {
			return
		}
		text := FormatFuel(v)
		back, err := ParseFuel(text)
		if err != nil {
			t.Fatalf("%q parsed as %d, rendered %q, which does not parse: %v", s, v, text, err)
		}
		if !withinRounding(back, v, 0.05) {
			t.Fatalf("%q parsed as %d, rendered %q, parsed back as %d", s, v, text, back)
		}
	})
}

func TestPolicy_Validate(t *testing.T) {
	with := func(change func(p *Policy)) Policy {
		p := DefaultPolicy()
		change(&p)
		return p
	}
	tests := []struct {
		name   string
		policy Policy
		field  Field
	}{
		{"defaults are valid", DefaultPolicy(), ""},
		{"zero fuel", with(func(p *Policy) { p.FuelBudget = 0 }), FieldFuel},
		{"tiny memory", with(func(p *Policy) { p.MemoryBytes = 1000 }), FieldMemory},
		{"memory beyond wasm32", with(func(p *Policy) { p.MemoryBytes = 8 << 30 }), FieldMemory},
		{"negative timeout", with(func(p *Policy) { p.Timeout = -1 }), FieldTimeout},
		{"timeout too short to honour", with(func(p *Policy) { p.Timeout = time.Millisecond }), FieldTimeout},
		{"timeout not whole milliseconds", with(func(p *Policy) { p.Timeout = 15500 * time.Microsecond }), FieldTimeout},
		{"huge timeout", with(func(p *Policy) { p.Timeout = 48 * time.Hour }), FieldTimeout},
		{"negative stdout cap", with(func(p *Policy) { p.StdoutMaxBytes = -1 }), FieldStdoutMax},
		{"huge stderr cap", with(func(p *Policy) { p.StderrMaxBytes = 1 << 40 }), FieldStderrMax},
		{"bad env name", with(func(p *Policy) { p.Env = map[string]string{"A=B": "x"} }), FieldEnv},
		{"nul in arg", with(func(p *Policy) { p.Args = []string{"a\x00b"} }), FieldArgs},
		{"relative guest mount", with(func(p *Policy) { p.Mounts = []Mount{{HostPath: "/tmp", GuestPath: "data"}} }), FieldMounts},
		{"missing host mount", with(func(p *Policy) { p.Mounts = []Mount{{HostPath: "/no/such/dir", GuestPath: "/data"}} }), FieldMounts},
		{"mount over /usr/local", with(func(p *Policy) { p.Mounts = []Mount{{HostPath: "/tmp", GuestPath: "/usr"}} }), FieldMounts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("error = %v; want a FieldError for %s", err, tc.field)
			}
		})
	}
}

func TestParseAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "2w", want: 14 * 24 * time.Hour},
		{in: "1w1d", want: 8 * 24 * time.Hour},
		{in: "12h", want: 12 * time.Hour},
		{in: "30m", want: 30 * time.Minute},
		{in: "45s", want: 45 * time.Second},
		{in: "1h30m", want: 90 * time.Minute},
		{in: " 3d ", want: 72 * time.Hour},
		{in: "", bad: true},
		{in: "0d", bad: true},
		{in: "-1h", bad: true},
		{in: "7", bad: true},
		{in: "d", bad: true},
		{in: "7x", bad: true},
		{in: "1d1d", bad: true},
		{in: "99999999d", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseAge(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseAge(%q) = %v, want error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// Over takes each limit from the upper layer when it sets one, and never
// shares a pointer with either layer.
func TestOverrides_Over(t *testing.T) {
	fuel, lower, mem := uint64(7), uint64(9), uint64(1<<20)
	timeout := time.Second
	upper := Overrides{FuelBudget: &fuel, Timeout: &timeout}
	below := Overrides{FuelBudget: &lower, MemoryBytes: &mem}
	got := upper.Over(below)
	if *got.FuelBudget != 7 || *got.MemoryBytes != 1<<20 || *got.Timeout != time.Second || got.DiskBytes != nil {
		t.Fatalf("Over: %+v", got)
	}
	*got.FuelBudget, *got.MemoryBytes = 1, 2
	if fuel != 7 || mem != 1<<20 {
		t.Fatal("Over shares pointers with its layers")
	}
}
