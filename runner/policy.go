package runner

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Defaults for a Policy. Each zero field of a Policy takes its default in
// Policy.WithDefaults.
const (
	// DefaultFuelBudget is the instruction budget of a run: about a second
	// of CPython work on the machines we measured.
	DefaultFuelBudget uint64 = 5_000_000_000
	// DefaultMemoryBytes caps the guest's linear memory.
	DefaultMemoryBytes uint64 = 128 << 20
	// DefaultStdoutMaxBytes is how much stdout is kept; the rest is counted
	// and dropped.
	DefaultStdoutMaxBytes int64 = 2 << 20
	// DefaultStderrMaxBytes is how much stderr is kept.
	DefaultStderrMaxBytes int64 = 1 << 20
	// DefaultTimeout is the wall-clock limit of a run.
	DefaultTimeout = 30 * time.Second
)

// Upper bounds a Policy may ask for.
const (
	// MaxMemoryBytes is the most a 32-bit WebAssembly memory can address.
	MaxMemoryBytes uint64 = 4 << 30
	// MaxOutputBytes bounds each output cap: the kept output lives in host
	// memory for the whole run.
	MaxOutputBytes int64 = 256 << 20
	// MaxTimeout bounds the wall-clock limit.
	MaxTimeout = 24 * time.Hour
	// MaxStdinBytes bounds fixed stdin data.
	MaxStdinBytes = 64 << 20
	// MaxFuelBudget bounds the fuel budget (hours of guest work).
	MaxFuelBudget uint64 = 1 << 50
)

// Mount is a host directory mounted read-only in the guest.
type Mount struct {
	// HostPath is an existing host directory.
	HostPath string
	// GuestPath is the absolute guest path, e.g. "/data".
	GuestPath string
}

// Policy fences one run. Its zero value means "all defaults": call
// WithDefaults to fill it in and Validate to check it.
type Policy struct {
	// FuelBudget is the number of fuel units (roughly, wasm instructions)
	// the guest may burn before it is stopped with OutcomeOutOfFuel.
	FuelBudget uint64
	// MemoryBytes caps the guest's linear memory; growth past it fails
	// inside the guest (MemoryError in Python, InternalError in JS).
	MemoryBytes uint64
	// StdoutMaxBytes is how much of stdout is kept.
	StdoutMaxBytes int64
	// StderrMaxBytes is how much of stderr is kept.
	StderrMaxBytes int64
	// Timeout is the wall-clock limit, measured from the start of the run.
	Timeout time.Duration
	// Args are extra arguments after the script (sys.argv[1:], scriptArgs).
	Args []string
	// Env is the guest environment. Nothing from the host leaks in unless
	// it is named here.
	Env map[string]string
	// Mounts are extra read-only directories, e.g. data at /data.
	Mounts []Mount
	// Stdin is what the guest reads on standard input when the run is not
	// interactive; the guest sees end-of-file after it.
	Stdin []byte
}

// DefaultPolicy returns a Policy with every default set.
func DefaultPolicy() Policy {
	return Policy{}.WithDefaults()
}

// WithDefaults returns a copy of p with each zero limit set to its default.
func (p Policy) WithDefaults() Policy {
	if p.FuelBudget == 0 {
		p.FuelBudget = DefaultFuelBudget
	}
	if p.MemoryBytes == 0 {
		p.MemoryBytes = DefaultMemoryBytes
	}
	if p.StdoutMaxBytes == 0 {
		p.StdoutMaxBytes = DefaultStdoutMaxBytes
	}
	if p.StderrMaxBytes == 0 {
		p.StderrMaxBytes = DefaultStderrMaxBytes
	}
	if p.Timeout == 0 {
		p.Timeout = DefaultTimeout
	}
	return p
}

// PolicyError names the Policy field that is wrong and why.
type PolicyError struct {
	// Field is the Go name of the field, e.g. "MemoryBytes".
	Field string
	// Problem says what is wrong with it.
	Problem string
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("policy: %s: %s", e.Field, e.Problem)
}

// reservedGuestPaths are guest directories the runner mounts itself.
var reservedGuestPaths = []string{"/app", "/code", "/usr/local"}

// Validate checks a policy after WithDefaults. Every problem found is
// reported, each as a *PolicyError naming its field; errors.As finds the
// first.
func (p Policy) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &PolicyError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	switch {
	case p.FuelBudget == 0:
		bad("FuelBudget", "must be positive")
	case p.FuelBudget > MaxFuelBudget:
		bad("FuelBudget", "%d is above the maximum %d", p.FuelBudget, MaxFuelBudget)
	}
	switch {
	case p.MemoryBytes < 64<<10:
		bad("MemoryBytes", "%s is below one 64 KiB WebAssembly page", FormatBytes(p.MemoryBytes))
	case p.MemoryBytes > MaxMemoryBytes:
		bad("MemoryBytes", "%s is above the 4 GiB a 32-bit WebAssembly memory can address", FormatBytes(p.MemoryBytes))
	default:
		if total := hostMemoryBytes(); total > 0 && p.MemoryBytes > total {
			bad("MemoryBytes", "%s is more than this host's %s of RAM", FormatBytes(p.MemoryBytes), FormatBytes(total))
		}
	}
	checkCap := func(field string, v int64) {
		switch {
		case v <= 0:
			bad(field, "must be positive")
		case v > MaxOutputBytes:
			bad(field, "%s is above the maximum %s", FormatBytes(uint64(v)), FormatBytes(uint64(MaxOutputBytes)))
		}
	}
	checkCap("StdoutMaxBytes", p.StdoutMaxBytes)
	checkCap("StderrMaxBytes", p.StderrMaxBytes)
	switch {
	case p.Timeout <= 0:
		bad("Timeout", "must be positive")
	case p.Timeout > MaxTimeout:
		bad("Timeout", "%s is above the maximum %s", p.Timeout, MaxTimeout)
	}
	if len(p.Stdin) > MaxStdinBytes {
		bad("Stdin", "%s is above the maximum %s", FormatBytes(uint64(len(p.Stdin))), FormatBytes(MaxStdinBytes))
	}
	for i, a := range p.Args {
		if strings.IndexByte(a, 0) >= 0 {
			bad("Args", "argument %d contains a NUL byte", i)
		}
	}
	keys := make([]string, 0, len(p.Env))
	for k := range p.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			bad("Env", "invalid variable name %q", k)
		}
		if strings.IndexByte(p.Env[k], 0) >= 0 {
			bad("Env", "value of %s contains a NUL byte", k)
		}
	}
	seen := map[string]bool{}
	for _, m := range p.Mounts {
		guest := path.Clean(m.GuestPath)
		switch {
		case !path.IsAbs(m.GuestPath):
			bad("Mounts", "guest path %q is not absolute", m.GuestPath)
		case guest == "/":
			bad("Mounts", "cannot mount over the guest root")
		case seen[guest]:
			bad("Mounts", "guest path %s is mounted twice", guest)
		default:
			for _, r := range reservedGuestPaths {
				if guest == r || strings.HasPrefix(guest, r+"/") || strings.HasPrefix(r, guest+"/") {
					bad("Mounts", "guest path %s overlaps %s, which the runner mounts itself", guest, r)
				}
			}
		}
		seen[guest] = true
		info, err := os.Stat(m.HostPath)
		switch {
		case err != nil:
			bad("Mounts", "host directory for %s: %v", m.GuestPath, err)
		case !info.IsDir():
			bad("Mounts", "host path %s for %s is not a directory", m.HostPath, m.GuestPath)
		case !filepath.IsAbs(m.HostPath):
			bad("Mounts", "host path %q for %s is not absolute", m.HostPath, m.GuestPath)
		}
	}
	return errors.Join(errs...)
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
