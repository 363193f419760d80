package tui

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// maxWatchedDirs bounds the inotify watches one workspace may take.
const maxWatchedDirs = 512

// workspaceWatcher reports that something changed in a workspace while a
// guest writes to it (or the user edits it from outside). Changes are
// coalesced: Changed delivers at most one pending signal.
type workspaceWatcher struct {
	w       *fsnotify.Watcher
	changed chan struct{}
	done    chan struct{}
	once    sync.Once
}

// newWorkspaceWatcher watches dir and its subdirectories.
func newWorkspaceWatcher(dir string) (*workspaceWatcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	ww := &workspaceWatcher{w: fw, changed: make(chan struct{}, 1), done: make(chan struct{})}
	ww.addTree(dir)
	go ww.loop()
	return ww, nil
}

// addTree watches a directory and the directories below it (symlinks are
// not followed).
func (ww *workspaceWatcher) addTree(dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if len(ww.w.WatchList()) >= maxWatchedDirs {
			return filepath.SkipAll
		}
		_ = ww.w.Add(p)
		return nil
	})
}

func (ww *workspaceWatcher) loop() {
	for {
		select {
		case ev, ok := <-ww.w.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if info, err := os.Lstat(ev.Name); err == nil && info.IsDir() {
					ww.addTree(ev.Name)
				}
			}
			select {
			case ww.changed <- struct{}{}:
			default: // a signal is already pending
			}
		case _, ok := <-ww.w.Errors:
			if !ok {
				return
			}
		case <-ww.done:
			return
		}
	}
}

// Changed delivers a signal after each burst of changes.
func (ww *workspaceWatcher) Changed() <-chan struct{} { return ww.changed }

// close stops watching.
func (ww *workspaceWatcher) close() {
	ww.once.Do(func() {
		close(ww.done)
		ww.w.Close()
	})
}
