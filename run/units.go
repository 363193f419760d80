package run

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseBytes reads a size such as "64MiB", "64M", "1.5GiB", "512k" or
// "1048576". Binary (KiB, MiB, GiB) and decimal (kB, MB, GB) units are
// told apart; a bare K/M/G is binary, as people mean it for memory. A
// fraction of a unit is rounded to the nearest byte.
func ParseBytes(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("size %q: empty", s)
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.' || t[i] == '_') {
		i++
	}
	num, unit := strings.ReplaceAll(t[:i], "_", ""), strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("size %q: no number", s)
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
		"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
		"p": 1 << 50, "pib": 1 << 50, "pb": 1e15,
		"e": 1 << 60, "eib": 1 << 60, "eb": 1e18,
	}
	m, ok := mult[unit]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (use B, KiB, MiB, GiB or kB, MB, GB)", s, t[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %v", s, err)
	}
	total := v * m
	if math.IsNaN(total) || total < 0 || total >= math.MaxUint64 {
		return 0, fmt.Errorf("size %q: out of range", s)
	}
	if m == 1 && total != math.Trunc(total) {
		return 0, fmt.Errorf("size %q: not a whole number of bytes", s)
	}
	// "2.1 KiB" is 2150.4 bytes: a size with a fraction of a unit is rounded
	// to the nearest byte, as FormatBytes rounds to a tenth of a unit.
	return uint64(math.Round(total)), nil
}

// ParseFuel reads a fuel amount: "5000000000", "5_000_000_000", "5e9",
// "5G", "500M", "2.5k". Suffixes are decimal (k = 1e3, M = 1e6, G = 1e9,
// T = 1e12): fuel counts instructions, not bytes.
func ParseFuel(s string) (uint64, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	if t == "" {
		return 0, fmt.Errorf("fuel %q: empty", s)
	}
	mult := 1.0
	switch t[len(t)-1] {
	case 'k', 'K':
		mult, t = 1e3, t[:len(t)-1]
	case 'm', 'M':
		mult, t = 1e6, t[:len(t)-1]
	case 'g', 'G', 'b', 'B':
		mult, t = 1e9, t[:len(t)-1]
	case 't', 'T':
		mult, t = 1e12, t[:len(t)-1]
	}
	if n, err := strconv.ParseUint(t, 10, 64); err == nil && mult == 1 {
		return n, nil
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("fuel %q: not a number", s)
	}
	total := v * mult
	if math.IsNaN(total) || math.IsInf(total, 0) || total < 0 || total >= math.MaxUint64 {
		return 0, fmt.Errorf("fuel %q: out of range", s)
	}
	if total != math.Trunc(total) {
		return 0, fmt.Errorf("fuel %q: not a whole number", s)
	}
	return uint64(total), nil
}

// ParseTimeout reads a duration: a Go duration ("10s", "1m30s", "250ms")
// or a bare number of seconds ("30", "2.5").
func ParseTimeout(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("timeout %q: empty", s)
	}
	if v, err := strconv.ParseFloat(t, 64); err == nil {
		d := v * float64(time.Second)
		if math.IsNaN(d) || math.IsInf(d, 0) || math.Abs(d) > float64(math.MaxInt64) {
			return 0, fmt.Errorf("timeout %q: out of range", s)
		}
		return time.Duration(d), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("timeout %q: use a duration like 10s, 1m or 250ms", s)
	}
	return d, nil
}

// FormatFuel renders a fuel amount compactly ("5.0G", "125.3M", "980").
func FormatFuel(n uint64) string {
	switch {
	case n >= 1e12:
		return fmt.Sprintf("%.1fT", float64(n)/1e12)
	case n >= 1e9:
		return fmt.Sprintf("%.2fG", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return strconv.FormatUint(n, 10)
}

// FormatDuration renders a measured duration ("870 µs", "87.6 ms",
// "1.25 s", "2m5s").
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// FormatBytes renders a byte count with a binary unit ("128 MiB").
func FormatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + string("KMGTPE"[exp]) + "iB"
}

// ParseAge parses an age such as "7d", "12h", "30m", "45s", "2w", "1d12h"
// or any Go duration ("1h30m"): optional leading whole weeks (w) and days
// (d), then an optional Go duration. The result must be positive.
func ParseAge(s string) (time.Duration, error) {
	rest := strings.TrimSpace(s)
	if rest == "" {
		return 0, fmt.Errorf("age %q: empty", s)
	}
	var total time.Duration
	for _, u := range []struct {
		suffix byte
		unit   time.Duration
	}{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}} {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i >= len(rest) || rest[i] != u.suffix {
			continue
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n > 100*365 {
			return 0, fmt.Errorf("age %q: number out of range", s)
		}
		total += time.Duration(n) * u.unit
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("age %q: want e.g. 7d, 12h, 30m or a Go duration", s)
		}
		total += d
	}
	if total <= 0 {
		return 0, fmt.Errorf("age %q: must be positive", s)
	}
	return total, nil
}
