package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/adrg/xdg"
	"github.com/pelletier/go-toml/v2"

	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
)

// Config is the user's configuration file ($XDG_CONFIG_HOME/wasmplay/
// config.toml). Every key is optional; the file is created, all commented
// out, on first run.
type Config struct {
	// Theme is the TUI theme name.
	Theme string `toml:"theme"`
	// Policy holds the default limits of new runs.
	Policy PolicyConfig `toml:"policy"`
	// Runtimes points runtimes at binaries brought by the user.
	Runtimes map[string]RuntimeConfig `toml:"runtimes"`
	// Keys remaps TUI actions to keys ("run" = ["f5", "ctrl+r"]).
	Keys map[string][]string `toml:"keys"`
	// Slots is how many runs may be in flight at once (0: one per CPU).
	Slots int `toml:"slots"`
}

// PolicyConfig is a Policy as people write it ("128MiB", "30s", "5G").
type PolicyConfig struct {
	Fuel      string `toml:"fuel"`
	Memory    string `toml:"memory"`
	Timeout   string `toml:"timeout"`
	StdoutMax string `toml:"stdout_max"`
	StderrMax string `toml:"stderr_max"`
}

// RuntimeConfig brings a runtime binary (see runtimes.Override).
type RuntimeConfig struct {
	Wasm string `toml:"wasm"`
	Home string `toml:"home"`
}

// defaultConfigText is written on first run: every setting, commented out,
// with its default.
const defaultConfigText = `# wasmplay configuration. Every key is optional; remove the leading "#" to
# change a default. Command-line flags win over this file.

# TUI theme: dark, light, dracula or gruvbox (ctrl+t switches live).
# theme = "dark"

# How many runs may be in flight at once (0: one per CPU).
# slots = 0

# Default limits of new runs (a session can override them in the app).
[policy]
# fuel = "5G"          # instructions, roughly; 5G is about a second of CPython
# memory = "128MiB"    # guest linear memory cap (Python needs at least 20MiB)
# timeout = "30s"      # wall-clock limit
# stdout_max = "2MiB"  # output kept; the rest is counted and dropped
# stderr_max = "1MiB"

# Bring your own runtime binaries (any WASI preview1 command). wasmplay checks
# each one before use and says what is wrong if it cannot run it.
# [runtimes.python]
# wasm = "/path/to/python.wasm"
# home = "/path/to/python-home"   # a directory holding lib/python3.13 (or lib/python313.zip)
# [runtimes.javascript]
# wasm = "/path/to/qjs.wasm"

# Remap keys: action = [keys]. ` + "`wasmplay keys`" + ` lists the actions.
# [keys]
# run = ["f5", "ctrl+r"]
`

// DefaultConfigPath is $WASMPLAY_CONFIG, or config.toml in the user's
// config directory.
func DefaultConfigPath() string {
	if p := os.Getenv("WASMPLAY_CONFIG"); p != "" {
		return p
	}
	return filepath.Join(xdg.ConfigHome, "wasmplay", "config.toml")
}

// LoadConfig reads the configuration file. A missing file is created with
// every setting commented out when create is true; an unreadable or
// invalid file is an error naming the file and the problem.
func LoadConfig(path string, create bool) (Config, error) {
	var cfg Config
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if create {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return cfg, fmt.Errorf("config: create %s: %w", filepath.Dir(path), err)
			}
			if err := os.WriteFile(path, []byte(defaultConfigText), 0o644); err != nil {
				return cfg, fmt.Errorf("config: create %s: %w", path, err)
			}
		}
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("config: read %s: %w", path, err)
	}
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		// A StrictMissingError also unwraps to DecodeErrors, which do not
		// name the key: look for it first.
		var serr *toml.StrictMissingError
		if errors.As(err, &serr) && len(serr.Errors) > 0 {
			var unknown []string
			for _, e := range serr.Errors {
				row, _ := e.Position()
				unknown = append(unknown, fmt.Sprintf("%s (line %d)", strings.Join(e.Key(), "."), row))
			}
			return cfg, fmt.Errorf("config: %s: unknown setting %s (README.md, Configuration, lists the settings)",
				path, strings.Join(unknown, ", "))
		}
		var derr *toml.DecodeError
		if errors.As(err, &derr) {
			row, col := derr.Position()
			return cfg, fmt.Errorf("config: %s:%d:%d: %s", path, row, col, derr.Error())
		}
		return cfg, fmt.Errorf("config: %s: %w", path, err)
	}
	if _, err := cfg.Policy.Apply(runner.Policy{}); err != nil {
		return cfg, fmt.Errorf("config: %s: %w", path, err)
	}
	return cfg, nil
}

// Apply overlays the configured limits on p.
func (pc PolicyConfig) Apply(p runner.Policy) (runner.Policy, error) {
	var err error
	if pc.Fuel != "" {
		if p.FuelBudget, err = runner.ParseFuel(pc.Fuel); err != nil {
			return p, fmt.Errorf("policy.fuel: %w", err)
		}
	}
	if pc.Memory != "" {
		if p.MemoryBytes, err = runner.ParseBytes(pc.Memory); err != nil {
			return p, fmt.Errorf("policy.memory: %w", err)
		}
	}
	if pc.Timeout != "" {
		if p.Timeout, err = runner.ParseTimeout(pc.Timeout); err != nil {
			return p, fmt.Errorf("policy.timeout: %w", err)
		}
	}
	for _, cap := range []struct {
		name string
		in   string
		out  *int64
	}{{"policy.stdout_max", pc.StdoutMax, &p.StdoutMaxBytes}, {"policy.stderr_max", pc.StderrMax, &p.StderrMaxBytes}} {
		if cap.in == "" {
			continue
		}
		n, err := runner.ParseBytes(cap.in)
		if err != nil {
			return p, fmt.Errorf("%s: %w", cap.name, err)
		}
		*cap.out = int64(n)
	}
	return p, nil
}

// Overrides converts the [runtimes] tables for runtimes.NewRegistry.
func (c Config) Overrides() map[string]runtimes.Override {
	if len(c.Runtimes) == 0 {
		return nil
	}
	out := map[string]runtimes.Override{}
	names := make([]string, 0, len(c.Runtimes))
	for name := range c.Runtimes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		rc := c.Runtimes[name]
		out[name] = runtimes.Override{Wasm: rc.Wasm, Home: rc.Home}
	}
	return out
}
