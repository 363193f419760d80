package live

import (
	"errors"
	"time"

	"github.com/wasmplay/wasmplay/sessions"
)

// ApprovalRequest is an agent's run waiting for a person: the whole code,
// and what it replaces.
type ApprovalRequest struct {
	// ID names the request in the answer.
	ID string `json:"id"`
	// SessionID and SessionName say where the run would happen.
	SessionID   string `json:"session_id"`
	SessionName string `json:"session_name,omitempty"`
	// Runtime is the canonical runtime name.
	Runtime string `json:"runtime"`
	// Code is the whole code the agent sent.
	Code string `json:"code"`
	// PreviousCode is the code of the session's last run, to diff against
	// ("" when there is none).
	PreviousCode string `json:"previous_code,omitempty"`
	// Origin says which agent asks.
	Origin sessions.Origin `json:"origin"`
	// Deadline is when the request times out with a refusal.
	Deadline time.Time `json:"deadline"`
}

// Decision is a person's answer to an ApprovalRequest.
type Decision struct {
	// Approved is true when the run may go ahead.
	Approved bool `json:"approved"`
	// Code is what to run: the agent's code, or the person's edit of it.
	Code string `json:"code,omitempty"`
	// Edited is true when Code differs from what the agent sent.
	Edited bool `json:"edited,omitempty"`
	// Note is the person's word to the agent (why it was refused, what
	// was changed).
	Note string `json:"note,omitempty"`
}

// ErrNobodyWatching refuses an approval when no app watches the session.
var ErrNobodyWatching = errors.New("approval is required, and no wasmplay app is watching this session to approve it")

// ErrApprovalTimeout refuses an approval nobody answered in time.
var ErrApprovalTimeout = errors.New("nobody answered the approval request in time")
