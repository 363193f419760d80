package run

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Overrides is one layer of limits: a nil field leaves the limit the layers
// below set. A session's saved limits are Overrides ("policy_overrides" in
// session.json), and so are a config file's [policy] table, a request's
// flags or arguments, and a server's ceilings.
type Overrides struct {
	// FuelBudget is the fuel a run may burn.
	FuelBudget *uint64
	// MemoryBytes caps the guest's linear memory.
	MemoryBytes *uint64
	// StdoutMaxBytes is how much stdout is kept.
	StdoutMaxBytes *int64
	// StderrMaxBytes is how much stderr is kept.
	StderrMaxBytes *int64
	// Timeout is the wall-clock limit.
	Timeout *time.Duration
	// DiskBytes bounds the workspace's disk blocks.
	DiskBytes *uint64
	// DiskFiles bounds the workspace's entries.
	DiskFiles *uint64
}

// overridesJSON is the JSON form of Overrides (the timeout in
// milliseconds, as session.json has always stored it).
type overridesJSON struct {
	FuelBudget     *uint64 `json:"fuel_budget,omitempty"`
	MemoryBytes    *uint64 `json:"memory_bytes,omitempty"`
	StdoutMaxBytes *int64  `json:"stdout_max_bytes,omitempty"`
	StderrMaxBytes *int64  `json:"stderr_max_bytes,omitempty"`
	TimeoutMS      *int64  `json:"timeout_ms,omitempty"`
	DiskBytes      *uint64 `json:"disk_bytes,omitempty"`
	DiskFiles      *uint64 `json:"disk_files,omitempty"`
}

// MarshalJSON writes the layer with the timeout in milliseconds.
func (o Overrides) MarshalJSON() ([]byte, error) {
	w := overridesJSON{FuelBudget: o.FuelBudget, MemoryBytes: o.MemoryBytes,
		StdoutMaxBytes: o.StdoutMaxBytes, StderrMaxBytes: o.StderrMaxBytes, DiskBytes: o.DiskBytes, DiskFiles: o.DiskFiles}
	if o.Timeout != nil {
		ms := o.Timeout.Milliseconds()
		w.TimeoutMS = &ms
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (o *Overrides) UnmarshalJSON(b []byte) error {
	var w overridesJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*o = Overrides{FuelBudget: w.FuelBudget, MemoryBytes: w.MemoryBytes,
		StdoutMaxBytes: w.StdoutMaxBytes, StderrMaxBytes: w.StderrMaxBytes, DiskBytes: w.DiskBytes, DiskFiles: w.DiskFiles}
	if w.TimeoutMS != nil {
		d := time.Duration(*w.TimeoutMS) * time.Millisecond
		o.Timeout = &d
	}
	return nil
}

// Clone returns a deep copy.
func (o Overrides) Clone() Overrides {
	return Overrides{
		FuelBudget:     clonePtr(o.FuelBudget),
		MemoryBytes:    clonePtr(o.MemoryBytes),
		StdoutMaxBytes: clonePtr(o.StdoutMaxBytes),
		StderrMaxBytes: clonePtr(o.StderrMaxBytes),
		Timeout:        clonePtr(o.Timeout),
		DiskBytes:      clonePtr(o.DiskBytes),
		DiskFiles:      clonePtr(o.DiskFiles),
	}
}

// Over is o layered over below: each limit o sets, else below's. Neither
// is changed.
func (o Overrides) Over(below Overrides) Overrides {
	return Overrides{
		FuelBudget:     clonePtr(cmp.Or(o.FuelBudget, below.FuelBudget)),
		MemoryBytes:    clonePtr(cmp.Or(o.MemoryBytes, below.MemoryBytes)),
		StdoutMaxBytes: clonePtr(cmp.Or(o.StdoutMaxBytes, below.StdoutMaxBytes)),
		StderrMaxBytes: clonePtr(cmp.Or(o.StderrMaxBytes, below.StderrMaxBytes)),
		Timeout:        clonePtr(cmp.Or(o.Timeout, below.Timeout)),
		DiskBytes:      clonePtr(cmp.Or(o.DiskBytes, below.DiskBytes)),
		DiskFiles:      clonePtr(cmp.Or(o.DiskFiles, below.DiskFiles)),
	}
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// IsZero reports whether the layer sets nothing.
func (o Overrides) IsZero() bool {
	return o.FuelBudget == nil && o.MemoryBytes == nil && o.StdoutMaxBytes == nil &&
		o.StderrMaxBytes == nil && o.Timeout == nil && o.DiskBytes == nil && o.DiskFiles == nil
}

// OverridesOf expresses every limit of a policy as a layer.
func OverridesOf(p Policy) Overrides {
	return Overrides{
		FuelBudget:     &p.FuelBudget,
		MemoryBytes:    &p.MemoryBytes,
		StdoutMaxBytes: &p.StdoutMaxBytes,
		StderrMaxBytes: &p.StderrMaxBytes,
		Timeout:        &p.Timeout,
		DiskBytes:      &p.DiskBytes,
		DiskFiles:      &p.DiskFiles,
	}
}

// Set parses text as the value of one limit ("5G" fuel, "64MiB" memory,
// "10s" timeout, "2MiB" output caps) and sets it. The error does not name
// the field: the caller knows what the user called it.
func (o *Overrides) Set(f Field, text string) error {
	switch f {
	case FieldFuel:
		v, err := ParseFuel(text)
		if err != nil {
			return err
		}
		o.FuelBudget = &v
	case FieldMemory:
		v, err := ParseBytes(text)
		if err != nil {
			return err
		}
		o.MemoryBytes = &v
	case FieldTimeout:
		v, err := ParseTimeout(text)
		if err != nil {
			return err
		}
		o.Timeout = &v
	case FieldStdoutMax, FieldStderrMax:
		v, err := ParseBytes(text)
		if err != nil {
			return err
		}
		if v > uint64(MaxOutputBytes) {
			return fmt.Errorf("%s is above the maximum %s", FormatBytes(v), FormatBytes(uint64(MaxOutputBytes)))
		}
		n := int64(v)
		if f == FieldStdoutMax {
			o.StdoutMaxBytes = &n
		} else {
			o.StderrMaxBytes = &n
		}
	case FieldDisk:
		v, err := ParseBytes(text)
		if err != nil {
			return err
		}
		o.DiskBytes = &v
	case FieldFiles:
		v, err := strconv.ParseUint(strings.ReplaceAll(strings.TrimSpace(text), "_", ""), 10, 64)
		if err != nil {
			return fmt.Errorf("files %q: give a whole number", text)
		}
		o.DiskFiles = &v
	default:
		return fmt.Errorf("%s is not a limit", f)
	}
	return nil
}

// Has reports whether the layer sets a field.
func (o Overrides) Has(f Field) bool {
	switch f {
	case FieldFuel:
		return o.FuelBudget != nil
	case FieldMemory:
		return o.MemoryBytes != nil
	case FieldTimeout:
		return o.Timeout != nil
	case FieldStdoutMax:
		return o.StdoutMaxBytes != nil
	case FieldStderrMax:
		return o.StderrMaxBytes != nil
	case FieldDisk:
		return o.DiskBytes != nil
	case FieldFiles:
		return o.DiskFiles != nil
	}
	return false
}

// apply copies one field the layer sets onto p.
func (o Overrides) apply(f Field, p *Policy) {
	switch f {
	case FieldFuel:
		p.FuelBudget = *o.FuelBudget
	case FieldMemory:
		p.MemoryBytes = *o.MemoryBytes
	case FieldTimeout:
		p.Timeout = *o.Timeout
	case FieldStdoutMax:
		p.StdoutMaxBytes = *o.StdoutMaxBytes
	case FieldStderrMax:
		p.StderrMaxBytes = *o.StderrMaxBytes
	case FieldDisk:
		p.DiskBytes = *o.DiskBytes
	case FieldFiles:
		p.DiskFiles = *o.DiskFiles
	}
}

// Equal reports whether the layer sets field f to p's value.
func (o Overrides) Equal(f Field, p Policy) bool {
	if !o.Has(f) {
		return false
	}
	q := p
	o.apply(f, &q)
	return q.Exact(f) == p.Exact(f)
}

// Exact renders one limit of p exactly, in the smallest unit (bytes,
// milliseconds, instructions), as Overrides.Set reads it back.
func (p Policy) Exact(f Field) string {
	switch f {
	case FieldFuel:
		return strconv.FormatUint(p.FuelBudget, 10)
	case FieldMemory:
		return strconv.FormatUint(p.MemoryBytes, 10)
	case FieldTimeout:
		return p.Timeout.String()
	case FieldStdoutMax:
		return strconv.FormatInt(p.StdoutMaxBytes, 10)
	case FieldStderrMax:
		return strconv.FormatInt(p.StderrMaxBytes, 10)
	case FieldDisk:
		return strconv.FormatUint(p.DiskBytes, 10)
	case FieldFiles:
		return strconv.FormatUint(p.DiskFiles, 10)
	}
	return ""
}

// Source names where a layer of limits comes from.
type Source string

// The layers, lowest first.
const (
	// SourceConfig is the config file's [policy] table.
	SourceConfig Source = "config"
	// SourceSession is the session's saved limits (F4 in the app).
	SourceSession Source = "session"
	// SourceDemo is a gallery demo's own limits.
	SourceDemo Source = "demo"
	// SourceRequest is what the run was asked for: flags, tool arguments.
	SourceRequest Source = "request"
	// SourceCeiling is a server's ceilings (the MCP server's [mcp] table).
	SourceCeiling Source = "ceiling"
)

// Layer is one source of limits.
type Layer struct {
	// Source says where the layer comes from.
	Source Source
	// Limits are what it sets.
	Limits Overrides
}

// LimitError reports a limit a layer sets that cannot be used, or a
// request above a ceiling. Front ends phrase it their own way: the field
// as the user typed it (--fuel, policy.fuel, "fuel"), then Problem.
type LimitError struct {
	// Source is the layer that set the value.
	Source Source
	// Field is the limit.
	Field Field
	// Problem says what is wrong ("must be positive", "5.00G is above the
	// ceiling 1.00G").
	Problem string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s limit %s: %s", e.Source, e.Field, e.Problem)
}

// Resolve layers limits over the defaults, lowest first, and keeps them
// within ceilings: a request (SourceRequest) asking for more than a ceiling
// is an error naming it; a lower layer above a ceiling is lowered to it.
// Every value a layer sets is checked as it is, so a zero or out-of-range
// limit is an error naming its layer and field, never replaced by a
// default. The errors are *LimitError values, joined.
func Resolve(layers []Layer, ceilings Overrides) (Policy, error) {
	p := DefaultPolicy()
	var errs []error
	for _, layer := range layers {
		for _, f := range LimitFields {
			if !layer.Limits.Has(f) {
				continue
			}
			one := p
			layer.Limits.apply(f, &one)
			if problem := one.limitProblem(f); problem != "" {
				errs = append(errs, &LimitError{Source: layer.Source, Field: f, Problem: problem})
				continue
			}
			if layer.Source == SourceRequest && ceilings.Has(f) && above(one, ceilings, f) {
				errs = append(errs, &LimitError{Source: layer.Source, Field: f,
					Problem: fmt.Sprintf("%s is above the ceiling %s", one.Format(f), ceilingPolicy(ceilings).Format(f))})
				continue
			}
			p = one
		}
	}
	for _, f := range LimitFields {
		if !ceilings.Has(f) {
			continue
		}
		c := ceilingPolicy(ceilings)
		if problem := c.limitProblem(f); problem != "" {
			errs = append(errs, &LimitError{Source: SourceCeiling, Field: f, Problem: problem})
			continue
		}
		if above(p, ceilings, f) {
			ceilings.apply(f, &p)
		}
	}
	return p, errors.Join(errs...)
}

// ceilingPolicy is the default policy with the ceilings laid over it.
func ceilingPolicy(c Overrides) Policy {
	p := DefaultPolicy()
	for _, f := range LimitFields {
		if c.Has(f) {
			c.apply(f, &p)
		}
	}
	return p
}

// above reports whether p's limit f is above the ceiling.
func above(p Policy, ceilings Overrides, f Field) bool {
	switch f {
	case FieldFuel:
		return p.FuelBudget > *ceilings.FuelBudget
	case FieldMemory:
		return p.MemoryBytes > *ceilings.MemoryBytes
	case FieldTimeout:
		return p.Timeout > *ceilings.Timeout
	case FieldStdoutMax:
		return p.StdoutMaxBytes > *ceilings.StdoutMaxBytes
	case FieldStderrMax:
		return p.StderrMaxBytes > *ceilings.StderrMaxBytes
	case FieldDisk:
		return p.DiskBytes > *ceilings.DiskBytes
	case FieldFiles:
		return p.DiskFiles > *ceilings.DiskFiles
	}
	return false
}

// Format renders one limit of p as people write it ("5.00G", "128 MiB",
// "30s").
func (p Policy) Format(f Field) string {
	switch f {
	case FieldFuel:
		return FormatFuel(p.FuelBudget)
	case FieldMemory:
		return FormatBytes(p.MemoryBytes)
	case FieldTimeout:
		return p.Timeout.String()
	case FieldStdoutMax:
		return FormatBytes(uint64(p.StdoutMaxBytes))
	case FieldStderrMax:
		return FormatBytes(uint64(p.StderrMaxBytes))
	case FieldDisk:
		return FormatBytes(p.DiskBytes)
	case FieldFiles:
		return strconv.FormatUint(p.DiskFiles, 10)
	}
	return ""
}

// Phrase renders the errors Resolve (or Policy.Validate) returned for
// people, one per line, each field named as name calls it in the front end
// at hand ("--fuel", "policy.fuel", "the session's fuel (F4)"). Other
// errors are kept as they are.
func Phrase(err error, name func(Source, Field) string) string {
	if err == nil {
		return ""
	}
	var errs []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	} else {
		errs = []error{err}
	}
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteByte('\n')
		}
		var le *LimitError
		var fe *FieldError
		switch {
		case errors.As(e, &le):
			b.WriteString(name(le.Source, le.Field) + ": " + le.Problem)
		case errors.As(e, &fe):
			b.WriteString(name(SourceRequest, fe.Field) + ": " + fe.Problem)
		default:
			b.WriteString(e.Error())
		}
	}
	return b.String()
}
