package runner

import (
	"os"
	"path/filepath"

	"github.com/adrg/xdg"
)

// DefaultCacheDir is where compiled modules are cached: $WASMPLAY_CACHE_DIR
// if set, else $XDG_CACHE_HOME/wasmplay.
func DefaultCacheDir() string {
	if dir := os.Getenv("WASMPLAY_CACHE_DIR"); dir != "" {
		return dir
	}
	return filepath.Join(xdg.CacheHome, "wasmplay")
}
