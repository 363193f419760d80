package sandbox

import (
	"os"
	"path/filepath"

	"github.com/wasmplay/wasmplay/hostfs"
)

// scratchDir makes a private directory for one run's read-only files (its
// script). It prefers memory (hostfs.ShmTempDir): a quarter of a warm
// JavaScript run went to creating the script on an ext4 /tmp.
func scratchDir(what string) (string, error) { return hostfs.ShmTempDir(what) }

// tempDir makes a private directory the guest may write (on disk, under
// the quota: never in memory).
func tempDir(what string) (string, error) { return hostfs.TempDir(what) }

// writeScratchFile writes data into a scratch directory made by scratchDir.
// A full /dev/shm (small in some containers) moves the whole directory to
// the system's temporary directory: it returns the directory in use.
func writeScratchFile(dir, what, name string, data []byte, perm os.FileMode) (string, error) {
	err := os.WriteFile(filepath.Join(dir, name), data, perm)
	if err == nil || filepath.Dir(dir) != hostfs.ShmDir {
		return dir, err
	}
	os.RemoveAll(dir)
	dir, err = hostfs.TempDir(what)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, perm); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}
