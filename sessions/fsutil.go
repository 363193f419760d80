package sessions

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"
	"github.com/wasmplay/wasmplay/hostfs"
)

// Permissions: sessions hold code and output the user may not want others
// to read, so everything is private to the user.
const (
	dirPerm  = 0o700
	filePerm = 0o600
)

// tmpSuffix ends the name of every temporary file written by
// writeFileAtomic. Readers never look at such files; cleanupTemps removes
// the ones left by a crash.
const tmpSuffix = ".tmp"

// writeFileAtomic replaces path with data so that a reader (or a crash at
// any moment) sees either the old content or the new, never a mix:
// write a temporary file in the same directory, fsync it, rename it over
// path, fsync the directory so the rename itself is durable.
func (st *Store) writeFileAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+base+".*"+tmpSuffix)
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil { // CreateTemp made it 0600
		return err
	}
	if !st.noSync {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	st.hook("atomic:before-rename")
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return st.syncDir(dir)
}

// syncDir fsyncs a directory so that entries created, renamed or removed in
// it survive a crash.
func (st *Store) syncDir(dir string) error {
	if st.noSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// cleanupTemps removes temporary files left in dir by a writer that died
// between creating the temp file and renaming it. Call it only while
// holding the lock that every writer of dir holds, so that no temp file
// found can belong to a live writer.
func cleanupTemps(dir string) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, de := range des {
		if strings.HasPrefix(de.Name(), ".") && strings.HasSuffix(de.Name(), tmpSuffix) && de.Type().IsRegular() {
			os.Remove(filepath.Join(dir, de.Name()))
		}
	}
}

// lockFile takes an exclusive flock on path, blocking until it is free, and
// returns the function that releases it. Every call opens its own file
// descriptor, so two goroutines (or two Stores) in one process exclude each
// other exactly as two processes do. The file is not created if its
// directory is missing (the session was deleted): that error is returned.
func lockFile(path string) (unlock func(), err error) {
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDONLY), flock.SetPermissions(filePerm))
	if err := fl.Lock(); err != nil {
		return nil, err
	}
	return func() { fl.Close() }, nil
}

// tryLockFile is lockFile without waiting: it returns ok=false if another
// descriptor holds the lock.
func tryLockFile(path string) (fl *flock.Flock, ok bool, err error) {
	fl = flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDONLY), flock.SetPermissions(filePerm))
	ok, err = fl.TryLock()
	if err != nil || !ok {
		fl.Close()
		return nil, ok, err
	}
	return fl, true, nil
}

// dirSize returns the disk space (allocated blocks, so a sparse file
// counts for what it holds, and a file with several links once) of
// everything under dir, counted whole (hostfs.Measure): by descriptor and
// strictly, so a link planted in a workspace cannot make it count files
// elsewhere, and no number of entries makes it a lower bound.
func dirSize(dir string) (int64, error) {
	u, err := hostfs.Measure(dir)
	return int64(u.Bytes), err
}

// isRealDir reports whether path is a directory and not a symlink to one.
func isRealDir(path string) (bool, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return false, err
	}
	return fi.IsDir(), nil
}

// readFileLimited reads a regular file of at most limit bytes; a larger
// file is an error, not a partial read.
func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}
