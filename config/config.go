// Package config is wasmplay's configuration: the config file
// ($XDG_CONFIG_HOME/wasmplay/config.toml) and every directory wasmplay uses
// (runtimes, caches, sessions), resolved in one place from flags, the
// environment and the XDG defaults. Libraries take the directories it
// resolves; none of them reads the environment.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/wasmplay/wasmplay/run"
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
	// MCP is what an agent calling `wasmplay mcp` may do.
	MCP MCPConfig `toml:"mcp"`
}

// PolicyConfig is a Policy as people write it ("128MiB", "30s", "5G").
type PolicyConfig struct {
	Fuel      string `toml:"fuel"`
	Memory    string `toml:"memory"`
	Timeout   string `toml:"timeout"`
	StdoutMax string `toml:"stdout_max"`
	StderrMax string `toml:"stderr_max"`
	Disk      string `toml:"disk"`
	Files     string `toml:"files"`
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
# fuel = "25G"         # instructions, roughly; 25G is about a second of native CPython, 7 s sandboxed
# memory = "128MiB"    # guest linear memory cap (Python needs at least 20MiB)
# timeout = "30s"      # wall-clock limit
# stdout_max = "2MiB"  # output kept; the rest is counted and dropped
# stderr_max = "1MiB"
# disk = "1GiB"        # blocks the session's workspace may take (sparse files count what they hold)
# files = 100000       # files, directories and links the workspace may hold

# Bring your own runtime binaries (any WASI preview1 command). wasmplay checks
# each one before use and says what is wrong if it cannot run it.
# [runtimes.python]
# wasm = "/path/to/python.wasm"
# home = "/path/to/python-home"   # a directory holding lib/python3.13 (or lib/python313.zip)
# [runtimes.javascript]
# wasm = "/path/to/qjs.wasm"

# What an agent calling ` + "`wasmplay mcp`" + ` may do. A call asking for more than a
# ceiling is refused with the ceiling named; list_runtimes shows them.
[mcp]
# max_fuel = "50G"
# max_memory = "1GiB"
# max_timeout = "5m"
# max_output = "16MiB"           # each of stdout and stderr
# max_disk = "4GiB"              # a session's workspace quota
# max_files = 500000
# max_sessions = 100             # sessions the agent created and has not deleted
# idle_expiry = "7d"             # the agent's sessions unused this long are removed ("0": never)
# allow_create_sessions = true
# allow_delete_sessions = true
# require_approval = false       # every agent run waits for a person in the app
# approval_timeout = "5m"

# Remap keys: action = [keys]. ` + "`wasmplay keys`" + ` lists the actions.
# [keys]
# run = ["f5", "ctrl+r"]
`

// Load reads the configuration file. A missing file is created with
// every setting commented out when create is true; an unreadable or
// invalid file is an error naming the file and the problem.
func Load(path string, create bool) (Config, error) {
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
	if _, err := cfg.MCP.Policy(); err != nil {
		return cfg, fmt.Errorf("config: %s: %w", path, err)
	}
	layer, err := cfg.Policy.Layer()
	if err != nil {
		return cfg, fmt.Errorf("config: %s: %w", path, err)
	}
	if _, err := run.Resolve([]run.Layer{{Source: run.SourceConfig, Limits: layer}}, run.Overrides{}); err != nil {
		return cfg, fmt.Errorf("config: %s: %s", path, run.Phrase(err, func(_ run.Source, f run.Field) string { return PolicyKey(f) }))
	}
	return cfg, nil
}

// policyKeys are the [policy] keys, each with the limit it sets.
var policyKeys = []struct {
	key   string
	field run.Field
	value func(pc PolicyConfig) string
}{
	{"fuel", run.FieldFuel, func(pc PolicyConfig) string { return pc.Fuel }},
	{"memory", run.FieldMemory, func(pc PolicyConfig) string { return pc.Memory }},
	{"timeout", run.FieldTimeout, func(pc PolicyConfig) string { return pc.Timeout }},
	{"stdout_max", run.FieldStdoutMax, func(pc PolicyConfig) string { return pc.StdoutMax }},
	{"stderr_max", run.FieldStderrMax, func(pc PolicyConfig) string { return pc.StderrMax }},
	{"disk", run.FieldDisk, func(pc PolicyConfig) string { return pc.Disk }},
	{"files", run.FieldFiles, func(pc PolicyConfig) string { return pc.Files }},
}

// PolicyKey is the config file's name of a limit ("policy.fuel").
func PolicyKey(f run.Field) string {
	for _, k := range policyKeys {
		if k.field == f {
			return "policy." + k.key
		}
	}
	return "policy." + string(f)
}

// Layer is the [policy] table as a layer of limits. A value that does not
// parse is an error naming its key.
func (pc PolicyConfig) Layer() (run.Overrides, error) {
	var o run.Overrides
	for _, k := range policyKeys {
		text := k.value(pc)
		if text == "" {
			continue
		}
		if err := o.Set(k.field, text); err != nil {
			return o, fmt.Errorf("policy.%s: %w", k.key, err)
		}
	}
	return o, nil
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
