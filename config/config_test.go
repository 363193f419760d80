package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
