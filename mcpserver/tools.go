package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pmezard/go-difflib/difflib"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
)

// ToolNames are the tools, in the order they are registered (tools/list
// gives them sorted by name).
var ToolNames = []string{"run_code", "create_session", "list_sessions", "delete_session", "reset_workspace",
	"list_files", "read_file", "write_file", "get_run", "list_runtimes", "list_packages"}

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

// addTools registers the tools in ToolNames' order.
func (s *Server) addTools() {
	closed := no() // nothing reaches outside the sandbox and the sessions
	addTool(s.mcp, &mcp.Tool{Name: "run_code", Title: "Run code in the sandbox",
		Description: "Run Python, JavaScript or WebAssembly text in a WebAssembly sandbox, in a session whose workspace (/app) keeps files between runs. " +
			"Answers with the outcome, exit code, output, fuel, memory, disk and time used, the files changed (as workspace:// resources) and advice on a failure. " +
			"A person may watch the run live and may have to approve it first. Progress notifications carry fuel used against the budget and the latest output line.",
		Annotations: &mcp.ToolAnnotations{Title: "Run code", DestructiveHint: no(), OpenWorldHint: closed}}, s.runCode)
	addTool(s.mcp, &mcp.Tool{Name: "create_session", Title: "Create a session",
		Description: "Create a session: a workspace (/app) and a history of runs kept between calls. Its ID is the handle the other tools take.",
		Annotations: &mcp.ToolAnnotations{Title: "Create a session", DestructiveHint: no(), OpenWorldHint: closed}}, s.createSessionTool)
	addTool(s.mcp, &mcp.Tool{Name: "list_sessions", Title: "List sessions",
		Description: "List the sessions, most recently used first, with their runs, disk use and last outcome.",
		Annotations: &mcp.ToolAnnotations{Title: "List sessions", ReadOnlyHint: true, OpenWorldHint: closed}}, s.listSessions)
	addTool(s.mcp, &mcp.Tool{Name: "delete_session", Title: "Delete a session",
		Description: "Delete a session with its workspace and history. Refused for a session a person has open in the app.",
		Annotations: &mcp.ToolAnnotations{Title: "Delete a session", DestructiveHint: yes(), IdempotentHint: true, OpenWorldHint: closed}}, s.deleteSession)
	addTool(s.mcp, &mcp.Tool{Name: "reset_workspace", Title: "Empty a session's workspace",
		Description: "Remove every file in a session's workspace (/app); its history stays.",
		Annotations: &mcp.ToolAnnotations{Title: "Empty a workspace", DestructiveHint: yes(), IdempotentHint: true, OpenWorldHint: closed}}, s.resetWorkspace)
	addTool(s.mcp, &mcp.Tool{Name: "list_files", Title: "List a session's files",
		Description: "List the files and directories of a session's workspace (/app).",
		Annotations: &mcp.ToolAnnotations{Title: "List files", ReadOnlyHint: true, OpenWorldHint: closed}}, s.listFiles)
	addTool(s.mcp, &mcp.Tool{Name: "read_file", Title: "Read a workspace file",
		Description: fmt.Sprintf("Read a file of a session's workspace: text as it is, anything else in base64; at most %s.", formatSize(MaxReadBytes)),
		Annotations: &mcp.ToolAnnotations{Title: "Read a file", ReadOnlyHint: true, OpenWorldHint: closed}}, s.readFile)
	addTool(s.mcp, &mcp.Tool{Name: "write_file", Title: "Write a workspace file",
		Description: fmt.Sprintf("Create or replace a file in a session's workspace, for the code to read: text, or bytes in base64; at most %s.", formatSize(MaxWriteBytes)),
		Annotations: &mcp.ToolAnnotations{Title: "Write a file", DestructiveHint: yes(), IdempotentHint: true, OpenWorldHint: closed}}, s.writeFile)
	addTool(s.mcp, &mcp.Tool{Name: "get_run", Title: "Read a run from a session's history",
		Description: "Read a run back from a session's history: its code, limits, outcome, figures and output, and who ran it.",
		Annotations: &mcp.ToolAnnotations{Title: "Get a run", ReadOnlyHint: true, OpenWorldHint: closed}}, s.getRun)
	addTool(s.mcp, &mcp.Tool{Name: "list_runtimes", Title: "List the languages",
		Description: "The languages code can be run in, their versions and defaults, and the most a run_code call may ask for on this server.",
		Annotations: &mcp.ToolAnnotations{Title: "List runtimes", ReadOnlyHint: true, OpenWorldHint: closed}}, s.listRuntimes)
	addTool(s.mcp, &mcp.Tool{Name: "list_packages", Title: "List the Python packages",
		Description: "The third-party Python packages code can import (the standard library is always there). Nothing can be installed from the network.",
		Annotations: &mcp.ToolAnnotations{Title: "List packages", ReadOnlyHint: true, OpenWorldHint: closed}}, s.listPackages)
}

// addTool registers a typed tool with an input schema every client can
// map: an optional argument is one that may be left out, never a type list
// such as ["null", "array"], which function-calling dialects with a single
// type per property (OpenAPI's subset, Gemini's declarations) reject.
func addTool[In, Out any](server *mcp.Server, tool *mcp.Tool, handler mcp.ToolHandlerFor[In, Out]) {
	schema, err := jsonschema.For[In](nil)
	if err != nil {
		panic(fmt.Sprintf("mcpserver: the input schema of %s: %v", tool.Name, err)) // a programming error, caught by every test
	}
	dropNullTypes(schema)
	tool.InputSchema = schema
	mcp.AddTool(server, tool, handler)
}

// dropNullTypes turns each ["null", T] type of schema and its properties
// into T.
func dropNullTypes(schema *jsonschema.Schema) {
	if schema == nil {
		return
	}
	if len(schema.Types) == 2 && slices.Contains(schema.Types, "null") {
		schema.Type = schema.Types[0]
		if schema.Type == "null" {
			schema.Type = schema.Types[1]
		}
		schema.Types = nil
	}
	for _, prop := range schema.Properties {
		dropNullTypes(prop)
	}
	dropNullTypes(schema.Items)
	dropNullTypes(schema.AdditionalProperties)
}

func formatSize(n int) string { return run.FormatBytes(uint64(n)) }

// GetRunInput is get_run's arguments.
type GetRunInput struct {
	Session string `json:"session" jsonschema:"the session's ID or name"`
	Run     int    `json:"run,omitempty" jsonschema:"the run's number; default: the latest"`
}

// RunRecordOutput is one history entry.
type RunRecordOutput struct {
	Session  string         `json:"session"`
	Number   int            `json:"number"`
	Origin   string         `json:"origin" jsonschema:"who ran it: person, agent (client name and version), batch"`
	Started  time.Time      `json:"started_at"`
	Finished time.Time      `json:"finished_at"`
	Runtime  string         `json:"runtime"`
	Code     string         `json:"code"`
	Stdin    string         `json:"stdin,omitempty"`
	Result   run.ResultJSON `json:"result" jsonschema:"as wasmplay run --json gives it"`
}

func (s *Server) getRun(ctx context.Context, req *mcp.CallToolRequest, in GetRunInput) (*mcp.CallToolResult, RunRecordOutput, error) {
	sess, err := s.store.Resolve(in.Session)
	if err != nil {
		return nil, RunRecordOutput{}, fmt.Errorf("session: %w", err)
	}
	n := in.Run
	if n == 0 {
		runs, err := sess.Runs()
		if err != nil {
			return nil, RunRecordOutput{}, err
		}
		if len(runs) == 0 {
			return nil, RunRecordOutput{}, fmt.Errorf("session %s has no runs yet", sess)
		}
		n = runs[len(runs)-1].Number
	}
	rec, err := sess.Run(n)
	if errors.Is(err, sessions.ErrNotFound) {
		return nil, RunRecordOutput{}, fmt.Errorf("run: session %s has no run %d", sess, n)
	}
	if err != nil {
		return nil, RunRecordOutput{}, err
	}
	out := RunRecordOutput{Session: sess.ID(), Number: rec.Number, Origin: rec.Origin.String(), Started: rec.StartedAt,
		Finished: rec.FinishedAt, Runtime: rec.Runtime, Code: rec.Code, Stdin: rec.Stdin, Result: run.NewResultJSON(rec.Result())}
	text := fmt.Sprintf("session %s run %d by %s: %s, exit %d\n--- code\n%s\n", sess, rec.Number, rec.Origin, rec.Outcome, rec.ExitCode, rec.Code)
	return textResult(text), out, nil
}

// RuntimeInfo is one language.
type RuntimeInfo struct {
	Name       string   `json:"name" jsonschema:"what run_code's language takes"`
	Aliases    []string `json:"aliases"`
	Title      string   `json:"title" jsonschema:"language and version"`
	Extensions []string `json:"extensions"`
	Available  bool     `json:"available" jsonschema:"built on this machine"`
	Problem    string   `json:"problem,omitempty" jsonschema:"why it is not available"`
}

// ListRuntimesOutput is list_runtimes' answer.
type ListRuntimesOutput struct {
	Runtimes []RuntimeInfo `json:"runtimes"`
	Defaults run.Limits    `json:"defaults" jsonschema:"the limits a run gets when it asks for none"`
	Ceilings run.Limits    `json:"ceilings" jsonschema:"the most a run_code call may ask for"`
	// Sessions is what the agent may do with sessions.
	MaxSessions     int  `json:"max_sessions" jsonschema:"the most sessions agents may have"`
	CanCreate       bool `json:"can_create_sessions"`
	CanDelete       bool `json:"can_delete_sessions"`
	RequireApproval bool `json:"require_approval" jsonschema:"every run waits for a person's approval"`
	MaxReadBytes    int  `json:"max_read_bytes"`
	MaxWriteBytes   int  `json:"max_write_bytes"`
	MaxCodeBytes    int  `json:"max_code_bytes"`
}

func (s *Server) listRuntimes(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, ListRuntimesOutput, error) {
	reg := s.pg.Registry()
	defaults, err := s.pg.Limits(nil)
	if err != nil {
		return nil, ListRuntimesOutput{}, err
	}
	ceilings, err := run.Resolve([]run.Layer{{Source: run.SourceRequest, Limits: s.pg.Ceilings()}}, run.Overrides{})
	if err != nil {
		return nil, ListRuntimesOutput{}, err
	}
	out := ListRuntimesOutput{Runtimes: []RuntimeInfo{}, Defaults: run.LimitsOf(defaults), Ceilings: run.LimitsOf(ceilings),
		MaxSessions: s.opts.Policy.MaxSessions, CanCreate: s.opts.Policy.AllowCreate, CanDelete: s.opts.Policy.AllowDelete,
		RequireApproval: s.opts.Policy.RequireApproval, MaxReadBytes: MaxReadBytes, MaxWriteBytes: MaxWriteBytes, MaxCodeBytes: MaxCodeBytes}
	var text strings.Builder
	for _, rt := range reg.All() {
		info := RuntimeInfo{Name: rt.Name, Aliases: rt.Aliases, Title: rt.Title, Extensions: rt.Extensions, Available: true}
		if info.Aliases == nil {
			info.Aliases = []string{}
		}
		if err := reg.Built(rt); err != nil {
			info.Available, info.Problem = false, err.Error()
		}
		out.Runtimes = append(out.Runtimes, info)
		fmt.Fprintf(&text, "%s: %s", rt.Name, rt.Title)
		if !info.Available {
			text.WriteString(" (" + info.Problem + ")")
		}
		text.WriteString("\n")
	}
	fmt.Fprintf(&text, "defaults: fuel %s, memory %s, timeout %s; ceilings: fuel %s, memory %s, timeout %s\n",
		run.FormatFuel(defaults.FuelBudget), run.FormatBytes(defaults.MemoryBytes), defaults.Timeout,
		run.FormatFuel(ceilings.FuelBudget), run.FormatBytes(ceilings.MemoryBytes), ceilings.Timeout)
	return textResult(text.String()), out, nil
}

// PackageInfo is one installed package.
type PackageInfo struct {
	Name    string   `json:"name" jsonschema:"the Debian package"`
	Version string   `json:"version"`
	Modules []string `json:"modules" jsonschema:"what to import"`
}

// ListPackagesOutput is list_packages' answer.
type ListPackagesOutput struct {
	Packages []PackageInfo `json:"packages"`
}

func (s *Server) listPackages(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, ListPackagesOutput, error) {
	out := ListPackagesOutput{Packages: []PackageInfo{}}
	m, err := runtimes.ReadPackages(s.pg.Registry().BinDir())
	if errors.Is(err, os.ErrNotExist) {
		return textResult("no third-party packages are installed: only the standard library"), out, nil
	}
	if err != nil {
		return nil, out, err
	}
	var text strings.Builder
	for _, p := range m.Packages {
		mods := append([]string{}, p.Modules...)
		out.Packages = append(out.Packages, PackageInfo{Name: p.Name, Version: p.Version, Modules: mods})
		fmt.Fprintf(&text, "%s %s: import %s\n", p.Name, p.Version, strings.Join(mods, ", "))
	}
	return textResult(text.String()), out, nil
}

// unifiedDiff shows how the code run differs from the code sent.
func unifiedDiff(sent, ran string) string {
	d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: difflib.SplitLines(sent), B: difflib.SplitLines(ran),
		FromFile: "sent", ToFile: "run", Context: 3})
	if err != nil {
		return ""
	}
	return d
}
