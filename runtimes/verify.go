package runtimes

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
)

// State is what Verify found for one runtime in the bin directory.
type State int

const (
	// Ready means every artifact is present, matches the manifest, and was
	// built by the recipe this binary embeds.
	Ready State = iota
	// Missing means not built: no manifest, no entry for the runtime, or a
	// missing artifact.
	Missing
	// Modified means an artifact differs from the manifest (sha256 or size).
	Modified
	// Outdated means the artifacts match the manifest but were built by
	// another recipe than this binary's.
	Outdated
)

// String returns the state's name as status output prints it.
func (s State) String() string {
	switch s {
	case Ready:
		return "ready"
	case Missing:
		return "missing"
	case Modified:
		return "modified"
	case Outdated:
		return "outdated"
	default:
		return fmt.Sprintf("State(%d)", int(s))
	}
}

// Status is the verdict of Verify on one runtime.
type Status struct {
	// Runtime is the runtime name.
	Runtime string
	// State is the verdict.
	State State
	// Entry is the runtime's manifest entry, nil when there is none.
	Entry *ManifestEntry
	// Problem says what is wrong; empty when Ready.
	Problem string
	// Fix is the one command that repairs it; empty when Ready.
	Fix string
}

// Verify checks, for every built-in runtime that needs a binary, that its
// artifacts in binDir are present, match the manifest's sha256 and size,
// and were built by the recipe this binary embeds. It hashes every
// artifact, so it reads them all (tens of MB, a fraction of a second).
func Verify(binDir string) []Status {
	manifest, manifestErr := ReadManifest(binDir)
	var statuses []Status
	for _, rt := range builtins() {
		if rt.Kind != Interpreter {
			continue
		}
		st := Status{Runtime: rt.Name, State: Ready}
		if manifestErr == nil {
			st.Entry = manifest.Runtimes[rt.Name]
		}
		st.State, st.Problem = verifyRuntime(binDir, rt, st.Entry, manifestErr)
		if st.State != Ready {
			st.Fix = rt.BuildCommand
		}
		statuses = append(statuses, st)
	}
	return statuses
}

// verifyRuntime returns the state of one runtime and what is wrong.
func verifyRuntime(binDir string, rt *Runtime, entry *ManifestEntry, manifestErr error) (State, string) {
	switch {
	case errors.Is(manifestErr, os.ErrNotExist):
		return Missing, fmt.Sprintf("no manifest %s: not built", filepath.Join(binDir, ManifestFile))
	case manifestErr != nil:
		return Missing, manifestErr.Error()
	case entry == nil:
		return Missing, fmt.Sprintf("the manifest has no entry for %s", rt.Name)
	}
	listed := false
	for _, a := range entry.Artifacts {
		listed = listed || a.Path == rt.Artifact
		if _, err := os.Stat(filepath.Join(binDir, filepath.FromSlash(a.Path))); err != nil {
			return Missing, fmt.Sprintf("artifact %s is missing", a.Path)
		}
	}
	if !listed {
		return Missing, fmt.Sprintf("the manifest entry lists no %s", rt.Artifact)
	}
	want, err := RecipeHash(rt.Name)
	if err != nil {
		return Missing, err.Error()
	}
	if entry.RecipeHash != want {
		return Outdated, fmt.Sprintf("built by recipe %s, this wasmplay's recipe is %s", short(entry.RecipeHash), short(want))
	}
	for _, a := range entry.Artifacts {
		if err := VerifyArtifact(binDir, a); err != nil {
			return Modified, err.Error()
		}
	}
	return Ready, ""
}

func short(hash string) string {
	const n = len("sha256:") + 12
	if len(hash) > n {
		return hash[:n]
	}
	return hash
}

// MismatchError reports an artifact whose content differs from its record.
type MismatchError struct {
	// Path is the artifact's path relative to the root it was checked in.
	Path string
	// Want and Got are the recorded and actual digests and sizes.
	Want, Got Artifact
}

// Error names the artifact and how it differs.
func (e *MismatchError) Error() string {
	if e.Want.Size != e.Got.Size {
		return fmt.Sprintf("artifact %s has changed: %d bytes, the manifest says %d", e.Path, e.Got.Size, e.Want.Size)
	}
	return fmt.Sprintf("artifact %s has changed: sha256 %.12s, the manifest says %.12s", e.Path, e.Got.SHA256, e.Want.SHA256)
}

// VerifyArtifact checks the artifact a under root against its record: an
// error matching os.ErrNotExist when it is missing, a *MismatchError when
// its content differs.
func VerifyArtifact(root string, a Artifact) error {
	got, err := HashArtifact(root, a.Path)
	if err != nil {
		return err
	}
	if got.Kind != a.Kind || got.SHA256 != a.SHA256 || got.Size != a.Size || got.Files != a.Files {
		return &MismatchError{Path: a.Path, Want: a, Got: got}
	}
	return nil
}

// HashArtifact describes the file or directory at root/rel as an Artifact:
// a file gets its sha256, a directory its TreeSHA256.
func HashArtifact(root, rel string) (Artifact, error) {
	p := filepath.Join(root, filepath.FromSlash(rel))
	info, err := os.Stat(p)
	if err != nil {
		return Artifact{}, fmt.Errorf("artifact %s: %w", rel, err)
	}
	a := Artifact{Path: rel, Kind: ArtifactFile}
	if info.IsDir() {
		a.Kind = ArtifactTree
		a.SHA256, a.Size, a.Files, err = TreeSHA256(p)
	} else {
		a.SHA256, a.Size, err = FileSHA256(p)
	}
	if err != nil {
		return Artifact{}, fmt.Errorf("artifact %s: %w", rel, err)
	}
	return a, nil
}

// MaxModuleFileBytes bounds a runtime binary or library file read from
// disk (python.wasm is about 30 MB).
const MaxModuleFileBytes = 1 << 30

// FileSHA256 returns the hex sha256 and the size of a regular file of at
// most MaxModuleFileBytes (a named pipe or /dev/zero named in the config
// is an error at once).
func FileSHA256(path string) (string, int64, error) {
	f, err := hostfs.OpenRegular(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, MaxModuleFileBytes+1))
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	if n > MaxModuleFileBytes {
		return "", 0, fmt.Errorf("hash %s: larger than %s: %w", path, run.FormatBytes(MaxModuleFileBytes), hostfs.ErrTooLarge)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// TreeSHA256 returns a digest of the directory tree at dir, the total size
// of its files and their number. The digest is the sha256 of one line
// "<sha256 of the file> <relative path>\n" per regular file, sorted by path
// (forward slashes), like the output of `sha256sum` on the sorted list.
// Empty directories do not count; anything but files and directories is an
// error.
func TreeSHA256(dir string) (string, int64, int, error) {
	type file struct{ rel, abs string }
	var files []file
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is neither a file nor a directory", p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, file{rel: filepath.ToSlash(rel), abs: p})
		return nil
	})
	if err != nil {
		return "", 0, 0, fmt.Errorf("hash tree %s: %w", dir, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	h := sha256.New()
	var total int64
	for _, f := range files {
		sum, size, err := FileSHA256(f.abs)
		if err != nil {
			return "", 0, 0, fmt.Errorf("hash tree %s: %w", dir, err)
		}
		total += size
		fmt.Fprintf(h, "%s %s\n", sum, f.rel)
	}
	return hex.EncodeToString(h.Sum(nil)), total, len(files), nil
}
