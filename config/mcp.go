package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/wasmplay/wasmplay/run"
)

// MCPConfig is the [mcp] table: what an agent calling `wasmplay mcp` may
// do. Sizes and durations are written as people write them ("50G",
// "1GiB", "5m").
type MCPConfig struct {
	// MaxFuel, MaxMemory, MaxTimeout, MaxOutput (each stream), MaxDisk
	// and MaxFiles are the most a run_code call may ask for.
	MaxFuel    string `toml:"max_fuel"`
	MaxMemory  string `toml:"max_memory"`
	MaxTimeout string `toml:"max_timeout"`
	MaxOutput  string `toml:"max_output"`
	MaxDisk    string `toml:"max_disk"`
	MaxFiles   string `toml:"max_files"`
	// MaxSessions bounds the sessions the agent has created and not
	// deleted.
	MaxSessions *int `toml:"max_sessions"`
	// IdleExpiry removes sessions the agent created once unused this long
	// ("7d"; "0" never).
	IdleExpiry string `toml:"idle_expiry"`
	// AllowCreateSessions and AllowDeleteSessions say whether the agent
	// may create and delete sessions.
	AllowCreateSessions *bool `toml:"allow_create_sessions"`
	AllowDeleteSessions *bool `toml:"allow_delete_sessions"`
	// RequireApproval makes every agent run wait for a person's approval
	// in the app (a session can also ask for it on its own).
	RequireApproval *bool `toml:"require_approval"`
	// ApprovalTimeout is how long a run waits for an answer.
	ApprovalTimeout string `toml:"approval_timeout"`
}

// MCPPolicy is the [mcp] table decided: defaults filled, values parsed.
type MCPPolicy struct {
	// Ceilings are the most a call may ask for, as a layer of limits.
	Ceilings run.Overrides
	// MaxSessions bounds the sessions the agent has created.
	MaxSessions int
	// IdleExpiry removes the agent's idle sessions; 0 never.
	IdleExpiry time.Duration
	// AllowCreate and AllowDelete gate the session tools.
	AllowCreate, AllowDelete bool
	// RequireApproval makes every agent run wait for a person.
	RequireApproval bool
	// ApprovalTimeout bounds the wait for an answer.
	ApprovalTimeout time.Duration
}

// The defaults of the [mcp] table.
const (
	DefaultMCPMaxFuel         = "50G"
	DefaultMCPMaxMemory       = "1GiB"
	DefaultMCPMaxTimeout      = "5m"
	DefaultMCPMaxOutput       = "16MiB"
	DefaultMCPMaxDisk         = "4GiB"
	DefaultMCPMaxFiles        = "500000"
	DefaultMCPMaxSessions     = 100
	DefaultMCPIdleExpiry      = "7d"
	DefaultMCPApprovalTimeout = "5m"
)

// Policy parses the table, filling what it leaves out with the defaults.
// A value that does not parse is an error naming its key (mcp.max_fuel).
func (c MCPConfig) Policy() (MCPPolicy, error) {
	p := MCPPolicy{MaxSessions: DefaultMCPMaxSessions, AllowCreate: true, AllowDelete: true}
	pick := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	for _, f := range []struct {
		key, text string
		field     run.Field
	}{
		{"max_fuel", pick(c.MaxFuel, DefaultMCPMaxFuel), run.FieldFuel},
		{"max_memory", pick(c.MaxMemory, DefaultMCPMaxMemory), run.FieldMemory},
		{"max_timeout", pick(c.MaxTimeout, DefaultMCPMaxTimeout), run.FieldTimeout},
		{"max_output", pick(c.MaxOutput, DefaultMCPMaxOutput), run.FieldStdoutMax},
		{"max_output", pick(c.MaxOutput, DefaultMCPMaxOutput), run.FieldStderrMax},
		{"max_disk", pick(c.MaxDisk, DefaultMCPMaxDisk), run.FieldDisk},
		{"max_files", pick(c.MaxFiles, DefaultMCPMaxFiles), run.FieldFiles},
	} {
		var one run.Overrides
		if err := one.Set(f.field, f.text); err != nil {
			return p, fmt.Errorf("mcp.%s: %w", f.key, err)
		}
		// A ceiling must itself be a usable limit: checked as one.
		if _, err := run.Resolve([]run.Layer{{Source: run.SourceConfig, Limits: one}}, run.Overrides{}); err != nil {
			var le *run.LimitError
			if errors.As(err, &le) {
				return p, fmt.Errorf("mcp.%s: %s", f.key, le.Problem)
			}
			return p, fmt.Errorf("mcp.%s: %w", f.key, err)
		}
		if err := p.Ceilings.Set(f.field, f.text); err != nil {
			return p, fmt.Errorf("mcp.%s: %w", f.key, err)
		}
	}
	if c.MaxSessions != nil {
		if *c.MaxSessions < 1 {
			return p, fmt.Errorf("mcp.max_sessions: %d: give at least 1", *c.MaxSessions)
		}
		p.MaxSessions = *c.MaxSessions
	}
	if err := parseAge("idle_expiry", pick(c.IdleExpiry, DefaultMCPIdleExpiry), true, &p.IdleExpiry); err != nil {
		return p, err
	}
	if err := parseAge("approval_timeout", pick(c.ApprovalTimeout, DefaultMCPApprovalTimeout), false, &p.ApprovalTimeout); err != nil {
		return p, err
	}
	for _, b := range []struct {
		v   *bool
		dst *bool
	}{{c.AllowCreateSessions, &p.AllowCreate}, {c.AllowDeleteSessions, &p.AllowDelete}, {c.RequireApproval, &p.RequireApproval}} {
		if b.v != nil {
			*b.dst = *b.v
		}
	}
	return p, nil
}

// parseAge reads a duration key ("30s", "5m", "7d"); "0" means none where
// zeroOK.
func parseAge(key, text string, zeroOK bool, dst *time.Duration) error {
	if text == "0" && zeroOK {
		*dst = 0
		return nil
	}
	d, err := run.ParseAge(text)
	if err != nil {
		return fmt.Errorf("mcp.%s: %w", key, err)
	}
	*dst = d
	return nil
}
