package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
)

// sessionFor opens the session a call names, or the default one, which it
// creates when missing (if the agent may create sessions).
func (s *Server) sessionFor(ref, runtime string, origin sessions.Origin) (*sessions.Session, error) {
	if ref == "" {
		sess, err := s.store.Resolve(DefaultSession)
		if errors.Is(err, sessions.ErrNotFound) {
			return s.createSession(DefaultSession, runtime, origin)
		}
		return sess, err
	}
	sess, err := s.store.Resolve(ref)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return sess, nil
}

// createSession makes a session for the agent, within max_sessions.
func (s *Server) createSession(name, runtime string, origin sessions.Origin) (*sessions.Session, error) {
	if !s.opts.Policy.AllowCreate {
		return nil, errors.New("this server does not let agents create sessions (mcp.allow_create_sessions = false): use one list_sessions shows")
	}
	s.createMu.Lock()
	defer s.createMu.Unlock()
	all, err := s.store.List()
	if err != nil {
		return nil, err
	}
	mine := 0
	for _, sum := range all {
		if sum.CreatedBy != nil && sum.CreatedBy.Kind == sessions.OriginAgent {
			mine++
		}
	}
	if mine >= s.opts.Policy.MaxSessions {
		return nil, fmt.Errorf("agents already have %d sessions, the most this server allows (mcp.max_sessions): delete one first", mine)
	}
	opts := sessions.CreateOptions{Runtime: runtime, CreatedBy: &origin}
	if name == DefaultSession {
		opts.ID = name
	} else {
		opts.Name = name
	}
	sess, err := s.store.Create(opts)
	if errors.Is(err, sessions.ErrExists) && name == DefaultSession {
		return s.store.Resolve(name) // another call made it first
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return sess, nil
}

// SessionInfo is one session as the tools show it.
type SessionInfo struct {
	ID              string      `json:"id"`
	Name            string      `json:"name,omitempty"`
	Runtime         string      `json:"runtime,omitempty"`
	CreatedAt       time.Time   `json:"created_at"`
	LastUsedAt      time.Time   `json:"last_used_at"`
	Runs            int         `json:"runs"`
	DiskBytes       int64       `json:"disk_bytes" jsonschema:"disk the session takes (allocated blocks)"`
	LastOutcome     run.Outcome `json:"last_outcome,omitempty"`
	CreatedByAgent  bool        `json:"created_by_agent"`
	RequireApproval bool        `json:"require_approval" jsonschema:"agent runs in it wait for a person's approval"`
}

func sessionInfo(sum sessions.Summary, requireApproval bool) SessionInfo {
	return SessionInfo{ID: sum.ID, Name: sum.Name, Runtime: sum.Runtime, CreatedAt: sum.CreatedAt, LastUsedAt: sum.LastUsedAt,
		Runs: sum.Runs, DiskBytes: sum.SizeBytes, LastOutcome: sum.LastOutcome,
		CreatedByAgent: sum.CreatedBy != nil && sum.CreatedBy.Kind == sessions.OriginAgent, RequireApproval: requireApproval}
}

// CreateSessionInput is create_session's arguments.
type CreateSessionInput struct {
	Name     string `json:"name,omitempty" jsonschema:"an optional name: letters, digits, - and _, unique ignoring case"`
	Language string `json:"language,omitempty" jsonschema:"the session's runtime: python, javascript or wat"`
}

func (s *Server) createSessionTool(ctx context.Context, req *mcp.CallToolRequest, in CreateSessionInput) (*mcp.CallToolResult, SessionInfo, error) {
	runtime := ""
	if in.Language != "" {
		rt, err := s.pg.Registry().Lookup(in.Language)
		if err != nil {
			return nil, SessionInfo{}, fmt.Errorf("language: %w", err)
		}
		runtime = rt.Name
	}
	if in.Name == DefaultSession {
		return nil, SessionInfo{}, fmt.Errorf("name: %q is the default session's; choose another", DefaultSession)
	}
	sess, err := s.createSession(in.Name, runtime, originOf(req))
	if err != nil {
		return nil, SessionInfo{}, err
	}
	info := sessionInfo(sess.Summary(), s.approvalRequired(sess))
	return textResult(fmt.Sprintf("created session %s; pass it as session to run_code and the file tools", sess)), info, nil
}

// ListSessionsOutput is list_sessions' answer.
type ListSessionsOutput struct {
	Sessions []SessionInfo `json:"sessions" jsonschema:"most recently used first"`
}

func (s *Server) listSessions(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, ListSessionsOutput, error) {
	all, err := s.store.List()
	if err != nil {
		return nil, ListSessionsOutput{}, err
	}
	out := ListSessionsOutput{Sessions: []SessionInfo{}}
	var text string
	for _, sum := range all {
		if sum.Error != "" {
			continue
		}
		approval := s.opts.Policy.RequireApproval
		if sess, err := s.store.Resolve(sum.ID); err == nil {
			approval = s.approvalRequired(sess)
		}
		out.Sessions = append(out.Sessions, sessionInfo(sum, approval))
		text += fmt.Sprintf("%s %s runs=%d last=%s\n", sum.ID, sum.Name, sum.Runs, sum.LastOutcome)
	}
	if text == "" {
		text = "no sessions yet: run_code makes the default one, create_session a named one\n"
	}
	return textResult(text), out, nil
}

// SessionInput names a session.
type SessionInput struct {
	Session string `json:"session" jsonschema:"the session's ID or name"`
}

// DoneOutput acknowledges a change.
type DoneOutput struct {
	Done    bool   `json:"done"`
	Session string `json:"session"`
}

func (s *Server) deleteSession(ctx context.Context, req *mcp.CallToolRequest, in SessionInput) (*mcp.CallToolResult, DoneOutput, error) {
	if !s.opts.Policy.AllowDelete {
		return nil, DoneOutput{}, errors.New("this server does not let agents delete sessions (mcp.allow_delete_sessions = false)")
	}
	sess, err := s.store.Resolve(in.Session)
	if err != nil {
		return nil, DoneOutput{}, fmt.Errorf("session: %w", err)
	}
	if err := s.store.Delete(sess.ID()); err != nil {
		var inUse *sessions.InUseError
		if errors.As(err, &inUse) {
			return nil, DoneOutput{}, fmt.Errorf("session %s is open in a wasmplay app; it cannot be deleted while a person uses it", sess)
		}
		if errors.Is(err, sessions.ErrRunning) {
			return nil, DoneOutput{}, fmt.Errorf("session %s has a run in progress: wait for it to end (or cancel it), then delete the session", sess)
		}
		return nil, DoneOutput{}, err
	}
	return textResult("deleted session " + sess.String()), DoneOutput{Done: true, Session: sess.ID()}, nil
}

func (s *Server) resetWorkspace(ctx context.Context, req *mcp.CallToolRequest, in SessionInput) (*mcp.CallToolResult, DoneOutput, error) {
	sess, err := s.store.Resolve(in.Session)
	if err != nil {
		return nil, DoneOutput{}, fmt.Errorf("session: %w", err)
	}
	if err := sess.ResetWorkspace(); err != nil {
		if errors.Is(err, sessions.ErrRunning) {
			return nil, DoneOutput{}, fmt.Errorf("session %s has a run in progress: wait for it to end (or cancel it), then reset the workspace", sess)
		}
		return nil, DoneOutput{}, err
	}
	return textResult("emptied the workspace (/app) of session " + sess.String()), DoneOutput{Done: true, Session: sess.ID()}, nil
}

// ExpireIdle removes the agents' idle sessions now and then every period,
// until ctx ends.
func (s *Server) ExpireIdle(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		s.expireIdle()
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// expireIdle removes the agents' sessions unused past the idle expiry,
// leaving those an app has open.
func (s *Server) expireIdle() {
	if s.opts.Policy.IdleExpiry <= 0 {
		return
	}
	all, err := s.store.List()
	if err != nil {
		return
	}
	cutoff := s.opts.Now().Add(-s.opts.Policy.IdleExpiry)
	sort.Slice(all, func(i, j int) bool { return all[i].LastUsedAt.Before(all[j].LastUsedAt) })
	for _, sum := range all {
		if sum.CreatedBy == nil || sum.CreatedBy.Kind != sessions.OriginAgent || !sum.LastUsedAt.Before(cutoff) {
			continue
		}
		if err := s.store.Delete(sum.ID); err == nil {
			fmt.Fprintf(s.opts.Diagnostics, "wasmplay mcp: removed session %s, unused since %s (mcp.idle_expiry)\n",
				sum.ID, sum.LastUsedAt.Format(time.DateTime))
		}
	}
}

// textResult is a tool result whose readable text is text.
func textResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}
