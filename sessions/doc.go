// Package sessions stores wasmplay sessions on disk: each session's
// workspace (mounted at /app in the guest), its metadata, its run history
// and the editor's buffers, so that a user can come back to a session,
// compare runs and export a precise report.
//
// # Layout
//
// Under the sessions root (by default $XDG_DATA_HOME/wasmplay/sessions,
// or $WASMPLAY_SESSIONS_DIR):
//
//	<id>/
//	  session.json    Meta: id, name, runtime, times, policy overrides,
//	                  stats (runs, last outcome, size); schema-versioned
//	  history.jsonl   one RunRecord per line, append-only
//	  runs.idx        run index: per run a RunSummary and the byte offset
//	                  and length of its history line (a rebuildable cache)
//	  workspace/      the guest's /app
//	  buffers/        the editor's code per buffer name, autosaved
//	  owner.lock      held (flock) by the app that has the session open;
//	                  contains its PID
//	  write.lock      held (flock) briefly around every change
//	.lock             held while creating, renaming and deleting sessions
//	.list-cache       List's cache of decoded session.json files
//
// # Durability
//
// Metadata files are replaced atomically (temp file, fsync, rename, fsync
// of the directory). History records are appended and fsynced one by one;
// a record torn by a crash is skipped on read (reported to Options.Warn)
// and cut off by the next append. A kill -9 at any moment loses at most
// the run being recorded.
//
// # Concurrency
//
// Two locks per session. The owner lock (Session.AcquireOwner) is taken by
// the interactive app for as long as it has the session open; a second app
// gets an *InUseError naming the PID, and Delete and Prune refuse the
// session. The write lock is taken for every change and every history read,
// so a headless `wasmplay run --session X` can record runs while the app
// has X open, and run numbers stay unique and consecutive across
// processes. Locks are flock(2) locks opened afresh for each acquisition,
// so goroutines and separate Stores in one process exclude each other just
// as processes do; the kernel drops them when a process dies.
package sessions
