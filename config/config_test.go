package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
)

func TestLoad(t *testing.T) {
	cases := []struct {
		name, text string
		wantErr    string // "" for no error
		wantFuel   uint64
	}{
		{name: "empty", text: ""},
		{name: "fuel", text: "[policy]\nfuel = \"1T\"\n", wantFuel: 1_000_000_000_000},
		{name: "unknown key", text: "[policy]\nfuell = \"1T\"\n", wantErr: "unknown setting policy.fuell (line 2)"},
		{name: "unknown table", text: "[limits]\nfuel = \"1T\"\n", wantErr: "unknown setting limits (line 1)"},
		{name: "bad fuel", text: "[policy]\nfuel = \"lots\"\n", wantErr: "policy.fuel"},
		{name: "zero fuel is an error, not the default", text: "[policy]\nfuel = \"0\"\n", wantErr: "policy.fuel: must be positive"},
		{name: "timeout too short", text: "[policy]\ntimeout = \"1ms\"\n", wantErr: "policy.timeout: 1ms is below"},
		{name: "not TOML", text: "[policy\n", wantErr: ":1:"},
		{name: "mcp ceiling", text: "[mcp]\nmax_fuel = \"100G\"\nmax_sessions = 3\nidle_expiry = \"0\"\n"},
		{name: "mcp zero ceiling", text: "[mcp]\nmax_fuel = \"0\"\n", wantErr: "mcp.max_fuel: must be positive"},
		{name: "mcp bad duration", text: "[mcp]\napproval_timeout = \"soon\"\n", wantErr: "mcp.approval_timeout"},
		{name: "mcp no sessions", text: "[mcp]\nmax_sessions = 0\n", wantErr: "mcp.max_sessions"},
		{name: "mcp unknown key", text: "[mcp]\nmax_fule = \"1G\"\n", wantErr: "unknown setting mcp.max_fule"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path, false)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("error = %v, want one naming %s and %q", err, path, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			layer, err := cfg.Policy.Layer()
			if err != nil {
				t.Fatal(err)
			}
			p, err := run.Resolve([]run.Layer{{Source: run.SourceConfig, Limits: layer}}, run.Overrides{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantFuel != 0 && p.FuelBudget != tc.wantFuel {
				t.Errorf("fuel = %d, want %d", p.FuelBudget, tc.wantFuel)
			}
		})
	}
}

func TestMCPPolicy_Defaults(t *testing.T) {
	p, err := MCPConfig{}.Policy()
	if err != nil {
		t.Fatal(err)
	}
	if *p.Ceilings.FuelBudget != 50_000_000_000 || *p.Ceilings.Timeout != 5*time.Minute || p.MaxSessions != DefaultMCPMaxSessions ||
		p.IdleExpiry != 7*24*time.Hour || !p.AllowCreate || !p.AllowDelete || p.RequireApproval || p.ApprovalTimeout != 5*time.Minute {
		t.Errorf("defaults: %+v", p)
	}
	off, yes := false, true
	p, err = MCPConfig{AllowDeleteSessions: &off, RequireApproval: &yes, IdleExpiry: "0"}.Policy()
	if err != nil || p.AllowDelete || !p.RequireApproval || p.IdleExpiry != 0 {
		t.Errorf("set: %+v, %v", p, err)
	}
}

func TestLoadConfig_CreatesCommentedDefault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config.toml")
	if _, err := Load(path, true); err != nil {
		t.Fatal(err)
	}
	// The file written is itself a valid config.
	if _, err := Load(path, false); err != nil {
		t.Fatalf("the default config does not load: %v", err)
	}
}

// The tests' shared cache is the one config resolves.
func TestResolveDirs_TestsShareTheCache(t *testing.T) {
	if got, want := testenv.CacheDir(), ResolveDirs(Dirs{}).Cache; got != want {
		t.Fatalf("testenv.CacheDir() = %s, ResolveDirs = %s", got, want)
	}
}
