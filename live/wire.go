// Package live carries runs between wasmplay processes as they happen: a
// process that runs code in sessions (`wasmplay mcp`, an app serving MCP)
// publishes its runs on a Unix socket, and the app watching a session
// shows them live, answers approval requests and cancels runs.
//
// Each publishing process listens on its own socket in a private
// directory (0700, per user and per sessions store); watchers find the
// sockets there and connect to each. Messages are JSON lines. A watcher
// that is slow or gone never slows a run: each connection has a bounded
// queue, output past it is dropped (and counted), samples are dropped
// first, and a watcher that stops reading is disconnected.
package live

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
)

// Dir is where the sockets of the processes using the sessions store at
// root live: /run/user/UID/wasmplay-UID when the system keeps a runtime
// directory for the user (else /tmp/wasmplay-UID), then one directory per
// store. It depends on no environment variable: MCP clients start servers
// with a few variables of their choosing, and the app and the server must
// still meet. Socket paths must stay short (108 bytes), so the store is
// named by a digest of its real path.
func Dir(root string) string {
	uid := os.Getuid()
	base := "/tmp"
	runtimeDir := fmt.Sprintf("/run/user/%d", uid)
	if info, err := os.Stat(runtimeDir); err == nil && info.IsDir() {
		if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) == uid {
			base = runtimeDir
		}
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		abs = root
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(base, fmt.Sprintf("wasmplay-%d", uid), "live-"+hex.EncodeToString(sum[:6]))
}

// Message is one line of the protocol, both ways. Op says which fields
// are set.
type Message struct {
	// Op is the kind of message (the Op* constants).
	Op string `json:"op"`

	// Publisher to watcher.

	// Publisher names the process (hello).
	Publisher *PublisherInfo `json:"publisher,omitempty"`
	// Runs are the runs in flight (hello).
	Runs []RunInfo `json:"runs,omitempty"`
	// Run is the run a begin or end is about.
	Run *RunInfo `json:"run,omitempty"`
	// Key names the run an event is about (RunInfo.Key).
	Key string `json:"key,omitempty"`
	// Event is what happened (event).
	Event *Event `json:"event,omitempty"`
	// Result is how the run ended (end): the result without its output,
	// which came in events; the run's record is in the session history.
	Result *run.Result `json:"result,omitempty"`
	// Duration is the run's Result.Duration (which its JSON leaves out).
	Duration time.Duration `json:"duration,omitempty"`
	// Number is the run's number in the session's history (end; 0 when
	// it was not recorded).
	Number int `json:"number,omitempty"`
	// Request is an approval request (approve), and Closed says why one is
	// no longer open (approval_closed).
	Request *ApprovalRequest `json:"request,omitempty"`
	Closed  string           `json:"closed,omitempty"`

	// Watcher to publisher.

	// Sessions are what a watcher watches (watch); All watches every
	// session.
	Sessions []string `json:"sessions,omitempty"`
	All      bool     `json:"all,omitempty"`
	// ID names an approval request answered (decide) or a run to cancel
	// (cancel: a RunInfo.Key).
	ID string `json:"id,omitempty"`
	// Decision answers an approval request (decide).
	Decision *Decision `json:"decision,omitempty"`
}

// The operations.
const (
	OpHello          = "hello"
	OpBegin          = "begin"
	OpEvent          = "event"
	OpEnd            = "end"
	OpApprove        = "approve"
	OpApprovalClosed = "approval_closed"
	OpWatch          = "watch"
	OpDecide         = "decide"
	OpCancel         = "cancel"
	// OpGone is the Watcher's own message to its consumer: a publisher
	// went away (Publisher names it). Its runs may have ended before the
	// watcher saw them: the session histories have them.
	OpGone = "gone"
)

// PublisherInfo names a publishing process.
type PublisherInfo struct {
	PID int `json:"pid"`
	// Name says what it is: "wasmplay mcp", "wasmplay app".
	Name string `json:"name"`
}

// RunInfo describes a run in flight.
type RunInfo struct {
	// Key names the run across processes ("PID-N").
	Key string `json:"key"`
	// SessionID is where it runs.
	SessionID string `json:"session_id"`
	// Runtime is the canonical runtime name.
	Runtime string `json:"runtime"`
	// Code is the code that runs.
	Code string `json:"code"`
	// Origin says who asked for it.
	Origin sessions.Origin `json:"origin"`
	// Limits are its limits.
	Limits run.Limits `json:"limits"`
	// Began is when it was announced.
	Began time.Time `json:"began"`
}

// Event is a run event on the wire: exactly one field is set.
type Event struct {
	Queued  *run.Queued  `json:"queued,omitempty"`
	Started *run.Started `json:"started,omitempty"`
	Output  *run.Output  `json:"output,omitempty"`
	Metrics *run.Metrics `json:"metrics,omitempty"`
	// Dropped counts output bytes this watcher missed because it read
	// too slowly.
	Dropped int64 `json:"dropped,omitempty"`
}

// wireEvent wraps a run event (not Finished, which is an end message).
func wireEvent(ev run.Event) (*Event, bool) {
	switch ev := ev.(type) {
	case run.Queued:
		return &Event{Queued: &ev}, true
	case run.Started:
		return &Event{Started: &ev}, true
	case run.Output:
		return &Event{Output: &ev}, true
	case run.Metrics:
		return &Event{Metrics: &ev}, true
	}
	return nil, false
}

// RunEvent is the run.Event an Event carries (nil for Dropped).
func (e *Event) RunEvent() run.Event {
	switch {
	case e.Queued != nil:
		return *e.Queued
	case e.Started != nil:
		return *e.Started
	case e.Output != nil:
		return *e.Output
	case e.Metrics != nil:
		return *e.Metrics
	}
	return nil
}
