package run

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

// Defaults for a Policy: the lowest layer of limits (see Resolve).
const (
	// DefaultFuelBudget is the instruction budget of a run: about a second
	// of native CPython compute, measured (docs/BENCHMARKS.md): summing the
	// squares to 3 million takes 0.2 s natively and 5.6G fuel, and runs
	// about 1.7 s in the sandbox, so 25G is some 7 s of sandboxed compute,
	// inside the 30 s wall-clock limit. MBPP's slowest task (87G) still
	// asks for more, by name.
	DefaultFuelBudget uint64 = 25_000_000_000
	// DefaultMemoryBytes caps the guest's linear memory.
	DefaultMemoryBytes uint64 = 128 << 20
	// DefaultStdoutMaxBytes is how much stdout is kept; the rest is counted
	// and dropped.
	DefaultStdoutMaxBytes int64 = 2 << 20
	// DefaultStderrMaxBytes is how much stderr is kept.
	DefaultStderrMaxBytes int64 = 1 << 20
	// DefaultTimeout is the wall-clock limit of a run.
	DefaultTimeout = 30 * time.Second
	// DefaultDiskBytes bounds the blocks a session's workspace takes.
	DefaultDiskBytes uint64 = 1 << 30
	// DefaultDiskFiles bounds the entries a session's workspace holds.
	DefaultDiskFiles uint64 = 100_000
)

// Bounds a Policy must stay within.
const (
	// MinMemoryBytes is one WebAssembly page.
	MinMemoryBytes uint64 = WasmPageSize
	// MaxMemoryBytes is the most a 32-bit WebAssembly memory can address.
	MaxMemoryBytes uint64 = 4 << 30
	// MaxOutputBytes bounds each output cap: the kept output lives in host
	// memory for the whole run.
	MaxOutputBytes int64 = 256 << 20
	// MinTimeout is the shortest wall-clock limit wasmplay can honour: the
	// guest's clock is checked every few milliseconds.
	MinTimeout = 10 * time.Millisecond
	// MaxTimeout bounds the wall-clock limit.
	MaxTimeout = 24 * time.Hour
	// MaxStdinBytes bounds fixed stdin data.
	MaxStdinBytes = 64 << 20
	// MaxFuelBudget bounds the fuel budget (hours of guest work).
	MaxFuelBudget uint64 = 1 << 50
	// MinDiskBytes is the smallest workspace quota: a few blocks.
	MinDiskBytes uint64 = 64 << 10
	// MaxDiskBytes bounds the workspace quota.
	MaxDiskBytes uint64 = 1 << 40
	// MaxDiskFiles bounds the workspace's entries.
	MaxDiskFiles uint64 = 10_000_000
)

// Mount is a host directory mounted read-only in the guest.
type Mount struct {
	// HostPath is an existing host directory.
	HostPath string
	// GuestPath is the absolute guest path, e.g. "/data".
	GuestPath string
}

// Policy fences one run. Build one with Resolve (which layers defaults,
// the config file, a session and a request) or DefaultPolicy; check it
// with Validate. Every limit must be set: a zero limit is an error, never
// a silent default.
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
	// DiskBytes bounds the disk blocks the workspace (and the other
	// directories the guest writes) may take; a write past it fails in the
	// guest with EDQUOT. Sparse files count for the blocks they hold.
	DiskBytes uint64
	// DiskFiles bounds how many files, directories and links they hold.
	DiskFiles uint64
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

// OrDefaults fills the limits p leaves zero with DefaultPolicy's. It is for
// the project's own runs (build checks, benchmarks, tests), which name
// only the limits they are about; a user's limits are validated as given,
// never filled in.
func (p Policy) OrDefaults() Policy {
	d := DefaultPolicy()
	fill := func(v *uint64, def uint64) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&p.FuelBudget, d.FuelBudget)
	fill(&p.MemoryBytes, d.MemoryBytes)
	fill(&p.DiskBytes, d.DiskBytes)
	fill(&p.DiskFiles, d.DiskFiles)
	if p.StdoutMaxBytes == 0 {
		p.StdoutMaxBytes = d.StdoutMaxBytes
	}
	if p.StderrMaxBytes == 0 {
		p.StderrMaxBytes = d.StderrMaxBytes
	}
	if p.Timeout == 0 {
		p.Timeout = d.Timeout
	}
	return p
}

// DefaultPolicy returns a Policy with every default limit.
func DefaultPolicy() Policy {
	return Policy{
		FuelBudget:     DefaultFuelBudget,
		MemoryBytes:    DefaultMemoryBytes,
		StdoutMaxBytes: DefaultStdoutMaxBytes,
		StderrMaxBytes: DefaultStderrMaxBytes,
		Timeout:        DefaultTimeout,
		DiskBytes:      DefaultDiskBytes,
		DiskFiles:      DefaultDiskFiles,
	}
}

// Field names one setting of a policy, the same in every layer. Front ends
// phrase it their own way (--fuel on the command line, policy.fuel in the
// config file, "Fuel" in the app's limits dialog).
type Field string

// The fields of a Policy.
const (
	FieldFuel      Field = "fuel"
	FieldMemory    Field = "memory"
	FieldTimeout   Field = "timeout"
	FieldStdoutMax Field = "stdout_max"
	FieldStderrMax Field = "stderr_max"
	FieldDisk      Field = "disk"
	FieldFiles     Field = "files"
	FieldStdin     Field = "stdin"
	FieldArgs      Field = "args"
	FieldEnv       Field = "env"
	FieldMounts    Field = "mounts"
)

// LimitFields are the fields that are limits, in display order.
var LimitFields = []Field{FieldFuel, FieldMemory, FieldTimeout, FieldStdoutMax, FieldStderrMax, FieldDisk, FieldFiles}

// FieldError says what is wrong with one field of a policy. Problem does
// not name the field, so a front end can put its own name in front.
type FieldError struct {
	// Field is the field that is wrong.
	Field Field
	// Problem says what is wrong with it ("must be positive").
	Problem string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s", e.Field, e.Problem)
}

// reservedGuestPaths are guest directories the runner mounts itself.
var reservedGuestPaths = []string{"/app", "/code", "/usr/local", "/state"}

// Validate checks a policy. Every problem found is reported, each as a
// *FieldError; errors.As finds the first.
func (p Policy) Validate() error {
	var errs []error
	bad := func(field Field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	for _, f := range LimitFields {
		if problem := p.limitProblem(f); problem != "" {
			bad(f, "%s", problem)
		}
	}
	if len(p.Stdin) > MaxStdinBytes {
		bad(FieldStdin, "%s is above the maximum %s", FormatBytes(uint64(len(p.Stdin))), FormatBytes(MaxStdinBytes))
	}
	for i, a := range p.Args {
		if strings.IndexByte(a, 0) >= 0 {
			bad(FieldArgs, "argument %d contains a NUL byte", i+1)
		}
	}
	keys := make([]string, 0, len(p.Env))
	for k := range p.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			bad(FieldEnv, "invalid variable name %q", k)
		}
		if strings.IndexByte(p.Env[k], 0) >= 0 {
			bad(FieldEnv, "value of %s contains a NUL byte", k)
		}
	}
	seen := map[string]bool{}
	for _, m := range p.Mounts {
		guest := path.Clean(m.GuestPath)
		switch {
		case !path.IsAbs(m.GuestPath):
			bad(FieldMounts, "guest path %q is not absolute", m.GuestPath)
		case guest == "/":
			bad(FieldMounts, "cannot mount over the guest root")
		case seen[guest]:
			bad(FieldMounts, "guest path %s is mounted twice", guest)
		default:
			for _, r := range reservedGuestPaths {
				if guest == r || strings.HasPrefix(guest, r+"/") || strings.HasPrefix(r, guest+"/") {
					bad(FieldMounts, "guest path %s overlaps %s, which the runner mounts itself", guest, r)
				}
			}
		}
		seen[guest] = true
		info, err := os.Stat(m.HostPath)
		switch {
		case !filepath.IsAbs(m.HostPath):
			bad(FieldMounts, "host path %q for %s is not absolute", m.HostPath, m.GuestPath)
		case err != nil:
			bad(FieldMounts, "host directory for %s: %v", m.GuestPath, err)
		case !info.IsDir():
			bad(FieldMounts, "host path %s for %s is not a directory", m.HostPath, m.GuestPath)
		}
	}
	return errors.Join(errs...)
}

// limitProblem says what is wrong with one limit of p, or "".
func (p Policy) limitProblem(f Field) string {
	switch f {
	case FieldFuel:
		return fuelProblem(p.FuelBudget)
	case FieldMemory:
		return memoryProblem(p.MemoryBytes)
	case FieldTimeout:
		return timeoutProblem(p.Timeout)
	case FieldStdoutMax:
		return outputCapProblem(p.StdoutMaxBytes)
	case FieldStderrMax:
		return outputCapProblem(p.StderrMaxBytes)
	case FieldDisk:
		switch {
		case p.DiskBytes < MinDiskBytes:
			return fmt.Sprintf("%s is below the smallest quota, %s", FormatBytes(p.DiskBytes), FormatBytes(MinDiskBytes))
		case p.DiskBytes > MaxDiskBytes:
			return fmt.Sprintf("%s is above the maximum %s", FormatBytes(p.DiskBytes), FormatBytes(MaxDiskBytes))
		}
	case FieldFiles:
		switch {
		case p.DiskFiles == 0:
			return "must be positive"
		case p.DiskFiles > MaxDiskFiles:
			return fmt.Sprintf("%d is above the maximum %d", p.DiskFiles, MaxDiskFiles)
		}
	}
	return ""
}

func fuelProblem(v uint64) string {
	switch {
	case v == 0:
		return "must be positive"
	case v > MaxFuelBudget:
		return fmt.Sprintf("%s is above the maximum %s", FormatFuel(v), FormatFuel(MaxFuelBudget))
	}
	return ""
}

func memoryProblem(v uint64) string {
	switch {
	case v < MinMemoryBytes:
		return fmt.Sprintf("%s is below one 64 KiB WebAssembly page", FormatBytes(v))
	case v > MaxMemoryBytes:
		return fmt.Sprintf("%s is above the 4 GiB a 32-bit WebAssembly memory can address", FormatBytes(v))
	}
	if total := hostMemoryBytes(); total > 0 && v > total {
		return fmt.Sprintf("%s is more than this host's %s of RAM", FormatBytes(v), FormatBytes(total))
	}
	return ""
}

func timeoutProblem(v time.Duration) string {
	switch {
	case v <= 0:
		return "must be positive"
	case v < MinTimeout:
		return fmt.Sprintf("%s is below the shortest limit wasmplay can honour, %s", v, MinTimeout)
	case v > MaxTimeout:
		return fmt.Sprintf("%s is above the maximum %s", v, MaxTimeout)
	case v%time.Millisecond != 0:
		return fmt.Sprintf("%s is not a whole number of milliseconds", v)
	}
	return ""
}

func outputCapProblem(v int64) string {
	switch {
	case v <= 0:
		return "must be positive"
	case v > MaxOutputBytes:
		return fmt.Sprintf("%s is above the maximum %s", FormatBytes(uint64(v)), FormatBytes(uint64(MaxOutputBytes)))
	}
	return ""
}
