package tui

import (
	"errors"
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/fsnotify/fsnotify"
	"github.com/wasmplay/wasmplay/hostfs"
)

// maxWatchedDirs bounds the inotify watches one workspace may take.
const maxWatchedDirs = 512

// workspaceWatcher reports that something changed in a workspace while a
// guest writes to it (or the user edits it from outside). Changes are
// coalesced: Changed delivers at most one pending signal.
type workspaceWatcher struct {
	w       *fsnotify.Watcher
	root    *hostfs.Root // closed only after loop has returned
	stopped chan struct{}
	changed chan struct{}
	done    chan struct{}
	once    sync.Once
}

// newWorkspaceWatcher watches dir and its subdirectories.
func newWorkspaceWatcher(dir string) (*workspaceWatcher, error) {
	root, err := hostfs.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		root.Close()
		return nil, err
	}
	ww := &workspaceWatcher{w: fw, root: root, stopped: make(chan struct{}), changed: make(chan struct{}, 1), done: make(chan struct{})}
	_ = ww.w.Add(dir)
	ww.addTree(".")
	go ww.loop()
	return ww, nil
}

// addTree watches the directories below rel (a workspace-relative path).
// The guest writes the workspace, so they are found by a strict walk (no
// link followed, bounded in entries and depth) and each is added only
// while it is a real directory reached through no link.
func (ww *workspaceWatcher) addTree(rel string) {
	if rel != "." {
		if info, err := ww.root.Lstat(rel); err != nil || !info.IsDir() {
			return
		}
		ww.add(rel)
	}
	_ = ww.root.WalkDir(rel, func(p string, info fs.FileInfo) error {
		if !info.IsDir() {
			return nil
		}
		if len(ww.w.WatchList()) >= maxWatchedDirs {
			return errWatchesFull
		}
		ww.add(p)
		return nil
	})
}

// add watches one workspace directory.
func (ww *workspaceWatcher) add(rel string) {
	if len(ww.w.WatchList()) < maxWatchedDirs {
		_ = ww.w.Add(ww.root.Join(rel))
	}
}

// errWatchesFull ends a walk once maxWatchedDirs are watched.
var errWatchesFull = errors.New("watch limit reached")

func (ww *workspaceWatcher) loop() {
	defer close(ww.stopped)
	for {
		select {
		case ev, ok := <-ww.w.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if rel, err := filepath.Rel(ww.root.Path(), ev.Name); err == nil && filepath.IsLocal(rel) {
					ww.addTree(filepath.ToSlash(rel))
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
		<-ww.stopped
		ww.root.Close()
	})
}
