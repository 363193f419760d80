package mcpserver

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
	"github.com/wasmplay/wasmplay/textsafe"
)

// Files move between the agent and the workspace without going through
// the code: read_file and write_file, bounded in size.
const (
	// MaxReadBytes bounds a file read_file (or a workspace:// resource)
	// returns.
	MaxReadBytes = 4 << 20
	// MaxWriteBytes bounds a file write_file writes (in base64 it still
	// fits a message).
	MaxWriteBytes = 16 << 20
	// MaxCodeBytes bounds the code of a run_code call.
	MaxCodeBytes = 8 << 20
	// MaxListedFiles bounds the entries list_files returns.
	MaxListedFiles = 2000
	// MaxMessageBytes bounds one protocol message, over stdio and HTTP.
	MaxMessageBytes = 32 << 20
)

// workspaceURI names a workspace file as a resource.
func workspaceURI(session, rel string) string {
	u := url.URL{Scheme: "workspace", Host: session, Path: "/" + rel}
	return u.String()
}

// parseWorkspaceURI splits workspace://SESSION/PATH.
func parseWorkspaceURI(uri string) (session, rel string, err error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "workspace" || u.Host == "" || len(u.Path) < 2 {
		return "", "", fmt.Errorf("%q is not a workspace://SESSION/PATH URI", uri)
	}
	return u.Host, strings.TrimPrefix(u.Path, "/"), nil
}

// mimeOf guesses a file's type from its name, text/plain for the usual
// source and data files.
func mimeOf(name string) string {
	switch path.Ext(name) {
	case ".py", ".js", ".mjs", ".wat", ".txt", ".md", ".csv", ".log", ".toml", ".yaml", ".yml", "":
		return "text/plain"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// FileInfo is one workspace entry.
type FileInfo struct {
	Path    string    `json:"path" jsonschema:"relative to /app, / separated"`
	Kind    string    `json:"kind" jsonschema:"file, dir, symlink or other"`
	Size    int64     `json:"size" jsonschema:"bytes; for a directory, of the files below it"`
	ModTime time.Time `json:"mod_time"`
	URI     string    `json:"uri,omitempty" jsonschema:"the file as a workspace:// resource"`
}

// ListFilesOutput is list_files' answer.
type ListFilesOutput struct {
	Session   string     `json:"session"`
	Files     []FileInfo `json:"files" jsonschema:"in tree order: each directory before what it holds"`
	Truncated bool       `json:"truncated" jsonschema:"the workspace holds more entries than a listing shows"`
}

func (s *Server) listFiles(ctx context.Context, req *mcp.CallToolRequest, in SessionInput) (*mcp.CallToolResult, ListFilesOutput, error) {
	sess, err := s.store.Resolve(in.Session)
	if err != nil {
		return nil, ListFilesOutput{}, fmt.Errorf("session: %w", err)
	}
	entries, err := sess.Files()
	out := ListFilesOutput{Session: sess.ID(), Files: []FileInfo{}, Truncated: errors.Is(err, hostfs.ErrTreeTooLarge)}
	if err != nil && !out.Truncated {
		return nil, out, err
	}
	if len(entries) > MaxListedFiles {
		entries, out.Truncated = entries[:MaxListedFiles], true
	}
	var text strings.Builder
	for _, e := range entries {
		fi := FileInfo{Path: e.Path, Kind: string(e.Kind), Size: e.Size, ModTime: e.ModTime}
		if e.Kind == sessions.KindFile {
			fi.URI = workspaceURI(sess.ID(), e.Path)
		}
		out.Files = append(out.Files, fi)
		fmt.Fprintf(&text, "%s %s %s\n", e.Kind, textsafe.Line(e.Path), run.FormatBytes(uint64(max(e.Size, 0))))
	}
	if len(entries) == 0 {
		text.WriteString("the workspace (/app) is empty\n")
	}
	if out.Truncated {
		fmt.Fprintf(&text, "(the listing stops at %d entries: have the code list what you need)\n", len(entries))
	}
	return textResult(text.String()), out, nil
}

// ReadFileInput is read_file's arguments.
type ReadFileInput struct {
	Session string `json:"session" jsonschema:"the session's ID or name"`
	Path    string `json:"path" jsonschema:"the file, relative to /app"`
}

// ReadFileOutput is read_file's answer.
type ReadFileOutput struct {
	Path     string `json:"path"`
	Size     int64  `json:"size"`
	Encoding string `json:"encoding" jsonschema:"text (content is the file) or base64 (content is its bytes in base64: the file is not UTF-8 text)"`
	Content  string `json:"content"`
}

func (s *Server) readFile(ctx context.Context, req *mcp.CallToolRequest, in ReadFileInput) (*mcp.CallToolResult, ReadFileOutput, error) {
	sess, err := s.store.Resolve(in.Session)
	if err != nil {
		return nil, ReadFileOutput{}, fmt.Errorf("session: %w", err)
	}
	data, err := readWorkspaceFile(sess, in.Path)
	if err != nil {
		return nil, ReadFileOutput{}, err
	}
	out := ReadFileOutput{Path: in.Path, Size: int64(len(data)), Encoding: "text", Content: string(data)}
	if !utf8.Valid(data) {
		out.Encoding, out.Content = "base64", base64.StdEncoding.EncodeToString(data)
	}
	// The readable text shows control characters as escapes, as run_code's
	// output does; the structured content holds the file as it is.
	text := textsafe.Text(out.Content)
	if out.Encoding == "base64" {
		text = fmt.Sprintf("%s is binary (%s): its bytes are in the structured content, base64-encoded", in.Path, run.FormatBytes(uint64(len(data))))
	}
	return textResult(text), out, nil
}

// readWorkspaceFile reads a file within MaxReadBytes, with errors an
// agent can act on.
func readWorkspaceFile(sess *sessions.Session, rel string) ([]byte, error) {
	head, size, err := sess.ReadFileHead(rel, MaxReadBytes+1)
	switch {
	case errors.Is(err, sessions.ErrInvalidPath):
		return nil, fmt.Errorf("path: %w", err)
	case err != nil:
		return nil, err
	case size > MaxReadBytes || len(head) > MaxReadBytes:
		return nil, fmt.Errorf("%s is %s, more than the %s read_file returns: have the code print or summarise the part you need",
			rel, run.FormatBytes(uint64(size)), run.FormatBytes(MaxReadBytes))
	}
	return head, nil
}

// WriteFileInput is write_file's arguments.
type WriteFileInput struct {
	Session  string `json:"session" jsonschema:"the session's ID or name"`
	Path     string `json:"path" jsonschema:"the file, relative to /app; missing directories are made"`
	Content  string `json:"content" jsonschema:"the file's content"`
	Encoding string `json:"encoding,omitempty" jsonschema:"text (default) or base64 (content is the bytes in base64)"`
}

// WriteFileOutput is write_file's answer.
type WriteFileOutput struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	URI  string `json:"uri"`
}

func (s *Server) writeFile(ctx context.Context, req *mcp.CallToolRequest, in WriteFileInput) (*mcp.CallToolResult, WriteFileOutput, error) {
	sess, err := s.store.Resolve(in.Session)
	if err != nil {
		return nil, WriteFileOutput{}, fmt.Errorf("session: %w", err)
	}
	data := []byte(in.Content)
	switch in.Encoding {
	case "", "text":
	case "base64":
		if data, err = base64.StdEncoding.DecodeString(in.Content); err != nil {
			return nil, WriteFileOutput{}, fmt.Errorf("content: not valid base64: %w", err)
		}
	default:
		return nil, WriteFileOutput{}, fmt.Errorf("encoding: %q: give text or base64", in.Encoding)
	}
	if len(data) > MaxWriteBytes {
		return nil, WriteFileOutput{}, fmt.Errorf("content: %s is more than the %s write_file takes",
			run.FormatBytes(uint64(len(data))), run.FormatBytes(MaxWriteBytes))
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.checkQuota(sess, in.Path, int64(len(data))); err != nil {
		return nil, WriteFileOutput{}, err
	}
	if err := sess.WriteFile(in.Path, data); err != nil {
		if errors.Is(err, sessions.ErrInvalidPath) {
			return nil, WriteFileOutput{}, fmt.Errorf("path: %w", err)
		}
		return nil, WriteFileOutput{}, err
	}
	out := WriteFileOutput{Path: in.Path, Size: int64(len(data)), URI: workspaceURI(sess.ID(), in.Path)}
	return textResult(fmt.Sprintf("wrote %s (%s) in session %s", in.Path, run.FormatBytes(uint64(len(data))), sess)), out, nil
}

// checkQuota refuses a write that would take the workspace past the disk
// quota its runs are held to. The workspace is measured whole; the write
// counts its bytes and, for entries, every directory of its path too (it
// may make them all).
func (s *Server) checkQuota(sess *sessions.Session, rel string, adding int64) error {
	policy, err := s.pg.Limits(sess)
	if err != nil {
		return err
	}
	usage, err := hostfs.Measure(sess.WorkspaceDir())
	if err != nil {
		return fmt.Errorf("the workspace cannot be measured, so nothing is added to it: %w", err)
	}
	entries := uint64(strings.Count(path.Clean(rel), "/") + 1)
	if usage.Bytes+uint64(adding) > policy.DiskBytes || usage.Entries+entries > policy.DiskFiles {
		return fmt.Errorf("the workspace takes %s in %d entries; this write would pass its quota of %s in %d",
			run.FormatBytes(usage.Bytes), usage.Entries, run.FormatBytes(policy.DiskBytes), policy.DiskFiles)
	}
	return nil
}

// addResources serves workspace files as workspace://SESSION/PATH.
func (s *Server) addResources() {
	s.mcp.AddResourceTemplate(&mcp.ResourceTemplate{
		Name:        "workspace file",
		URITemplate: "workspace://{session}/{+path}",
		Description: "a file in a session's workspace (/app)",
	}, func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		id, rel, err := parseWorkspaceURI(req.Params.URI)
		if err != nil {
			return nil, err
		}
		sess, err := s.store.Resolve(id)
		if err != nil {
			return nil, mcp.ResourceNotFoundError(req.Params.URI)
		}
		data, err := readWorkspaceFile(sess, rel)
		if err != nil {
			return nil, err
		}
		c := &mcp.ResourceContents{URI: req.Params.URI, MIMEType: mimeOf(rel)}
		if utf8.Valid(data) {
			c.Text = string(data)
		} else {
			c.Blob = data
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{c}}, nil
	})
}
