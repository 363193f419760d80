package sessions

import (
	"errors"
	"fmt"
	"strings"
)

// Errors a caller may need to branch on. They are always returned wrapped
// with context; test for them with errors.Is.
var (
	// ErrNotFound: no session matches the reference, no run has the
	// requested number, or the session was deleted while in use.
	ErrNotFound = errors.New("not found")
	// ErrInvalidID: a session ID or name breaks the naming rules
	// (see CanonicalID), or a UUID was required and something else given.
	ErrInvalidID = errors.New("invalid session ID")
	// ErrAmbiguous: a prefix matches more than one session. The error is
	// an *AmbiguousError listing the candidates.
	ErrAmbiguous = errors.New("ambiguous session reference")
	// ErrInUse: another process (or another Store in this process) owns
	// the session. The error is an *InUseError carrying the PID.
	ErrInUse = errors.New("session in use")
	// ErrExists: a session ID or name, a workspace file, or an export
	// destination is already taken.
	ErrExists = errors.New("already exists")
	// ErrInvalidPath: a workspace path or buffer name is absolute,
	// contains "..", NUL, or otherwise cannot be confined to the session.
	ErrInvalidPath = errors.New("invalid path")
	// ErrUnsupportedSchema: session.json was written by a newer wasmplay.
	ErrUnsupportedSchema = errors.New("unsupported session schema")
	// ErrCorrupt: a file that must parse does not (session.json), or a
	// history line is damaged. History damage is reported through
	// Options.Warn and never returned from reads.
	ErrCorrupt = errors.New("corrupt session data")
	// ErrRunning: a run is in progress in the session (in this process or
	// another), so it cannot be deleted or have its workspace reset.
	ErrRunning = errors.New("a run is in progress")
)

// InUseError reports that a session is owned by another process (see
// Session.AcquireOwner). It matches ErrInUse with errors.Is.
type InUseError struct {
	// ID and Name identify the session.
	ID, Name string
	// PID is the owner's process ID, or 0 if it could not be read.
	PID int
}

// Error says which session is in use and by which PID.
func (e *InUseError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = fmt.Sprintf("PID %d", e.PID)
	}
	return fmt.Sprintf("sessions: session %s is in use by %s", displayName(e.ID, e.Name), who)
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// AmbiguousError reports a reference (an ID prefix) that matches several
// sessions. It matches ErrAmbiguous with errors.Is.
type AmbiguousError struct {
	// Ref is the reference as given.
	Ref string
	// Candidates are the matching session IDs, sorted.
	Candidates []string
}

// Error lists the candidates.
func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("sessions: %q is ambiguous: matches %s", e.Ref, strings.Join(e.Candidates, ", "))
}

// Is makes errors.Is(err, ErrAmbiguous) true.
func (e *AmbiguousError) Is(target error) bool { return target == ErrAmbiguous }

// displayName renders a session for messages: its name if it has one,
// with the ID in parentheses, else the ID alone.
func displayName(id, name string) string {
	if name != "" && name != id {
		return fmt.Sprintf("%s (%s)", name, id)
	}
	return id
}
