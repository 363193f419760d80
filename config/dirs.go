package config

import (
	"os"
	"path/filepath"

	"github.com/adrg/xdg"

	"github.com/wasmplay/wasmplay/runtimes"
)

// The environment variables wasmplay reads, all of them here.
const (
	// EnvBinDir names the directory holding the guest runtimes.
	EnvBinDir = "WASMPLAY_BIN_DIR"
	// EnvCacheDir names the cache of compiled modules and snapshots.
	EnvCacheDir = "WASMPLAY_CACHE_DIR"
	// EnvSessionsDir names the sessions root.
	EnvSessionsDir = "WASMPLAY_SESSIONS_DIR"
	// EnvConfig names the configuration file.
	EnvConfig = "WASMPLAY_CONFIG"
)

// Dirs are the directories (and the config file) wasmplay uses.
type Dirs struct {
	// Bin holds the guest runtimes (`make runtimes` builds it).
	Bin string
	// Cache holds compiled modules, memory images and preludes.
	Cache string
	// Sessions is the sessions root.
	Sessions string
	// ConfigFile is the configuration file.
	ConfigFile string
}

// ResolveDirs fills each empty field of given (from flags) from its
// environment variable, else its default: the XDG directories, and for
// Bin the bin/ beside the executable when it holds a runtime manifest,
// else ./bin.
func ResolveDirs(given Dirs) Dirs {
	d := given
	if d.Bin == "" {
		d.Bin = os.Getenv(EnvBinDir)
	}
	if d.Bin == "" {
		d.Bin = "bin"
		if exe, err := os.Executable(); err == nil {
			if real, err := filepath.EvalSymlinks(exe); err == nil {
				dir := filepath.Join(filepath.Dir(real), "bin")
				if _, err := os.Stat(filepath.Join(dir, runtimes.ManifestFile)); err == nil {
					d.Bin = dir
				}
			}
		}
	}
	if d.Cache == "" {
		d.Cache = os.Getenv(EnvCacheDir)
	}
	if d.Cache == "" {
		d.Cache = filepath.Join(xdg.CacheHome, "wasmplay")
	}
	if d.Sessions == "" {
		d.Sessions = os.Getenv(EnvSessionsDir)
	}
	if d.Sessions == "" {
		d.Sessions = filepath.Join(xdg.DataHome, "wasmplay", "sessions")
	}
	if d.ConfigFile == "" {
		d.ConfigFile = os.Getenv(EnvConfig)
	}
	if d.ConfigFile == "" {
		d.ConfigFile = filepath.Join(xdg.ConfigHome, "wasmplay", "config.toml")
	}
	return d
}
