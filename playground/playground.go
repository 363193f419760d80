// Package playground owns running code in a session, start to finish, for
// every front end (the command line, the app, the MCP server, batches).
// A front end builds a Request; Start decides everything once: the limits
// (defaults, config file, session, demo, request, within a server's
// ceilings), the workspace, whether variables are kept and which, and
// then hands the job to the runner. The Run it returns streams the run's
// events, takes its input and cancel, and ends in an Outcome that carries
// the result, its number in the session's history, advice, the fuel
// analysis, what happened to the kept variables and a demo's verdict.
//
// Front ends translate, they do not decide: a flag, a key press or a tool
// argument becomes a field of a Request, and each front end phrases the
// typed errors of Start in its own words.
package playground

import (
	"errors"
	"fmt"
	"sync"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
)

// Options are what a Playground runs on.
type Options struct {
	// Runner runs the jobs. Required.
	Runner *runner.Runner
	// Registry knows the runtimes. Required.
	Registry *runtimes.Registry
	// Store holds the sessions; nil for a playground that runs only
	// outside sessions.
	Store *sessions.Store
	// Config is the config file's layer of limits ([policy]).
	Config run.Overrides
	// Ceilings are the most a request may ask for (a server's); a request
	// above one is refused, a lower layer above one is lowered to it.
	Ceilings run.Overrides
	// Packages, if not nil, lists the third-party Python modules runs can
	// import, named in missing-module advice. It is called at most once,
	// when first needed.
	Packages func() []string
	// Bus, if not nil, hears every run of a session as it happens (live
	// watchers in other processes).
	Bus Bus
}

// Bus hears the runs of sessions as they happen. Publish must never block
// a run: a slow listener loses events, not the run.
type Bus interface {
	// Begin announces a run; the returned Watch follows it to its end.
	Begin(info RunInfo) Watch
}

// Watch follows one run a Bus announced.
type Watch interface {
	// Event receives each of the run's events but Finished.
	Event(ev run.Event)
	// End is called once, last, with how the run ended and its number in
	// the session's history (0 when it was not recorded).
	End(res run.Result, number int)
}

// RunInfo describes a run to those watching its session.
type RunInfo struct {
	// SessionID is the session's ID.
	SessionID string
	// Runtime is the canonical runtime name.
	Runtime string
	// Code is the code that runs.
	Code []byte
	// Origin says who asked for it.
	Origin sessions.Origin
	// Limits are the limits it runs under.
	Limits run.Limits
	// Cancel stops the run (a person taking over from a watching app).
	Cancel func()
}

// Playground starts runs.
type Playground struct {
	opts Options

	stdlibOnce sync.Once
	stdlib     map[string]bool // Python's standard-library modules

	packages func() []string // Options.Packages, called once
}

// pythonStdlib lists the standard library's modules, read once.
func (p *Playground) pythonStdlib(rt *runtimes.Runtime) map[string]bool {
	p.stdlibOnce.Do(func() { p.stdlib = p.opts.Registry.StdlibModules(rt) })
	return p.stdlib
}

// New makes a Playground.
func New(opts Options) (*Playground, error) {
	if opts.Runner == nil || opts.Registry == nil {
		return nil, errors.New("playground: a runner and a runtime registry are required")
	}
	p := &Playground{opts: opts, packages: func() []string { return nil }}
	if opts.Packages != nil {
		p.packages = sync.OnceValue(opts.Packages)
	}
	return p, nil
}

// Registry returns the runtimes the playground knows.
func (p *Playground) Registry() *runtimes.Registry { return p.opts.Registry }

// Store returns the sessions store (nil when there is none).
func (p *Playground) Store() *sessions.Store { return p.opts.Store }

// Ceilings returns the ceilings requests are held to.
func (p *Playground) Ceilings() run.Overrides { return p.opts.Ceilings.Clone() }

// Packages returns the third-party Python modules runs can import.
func (p *Playground) Packages() []string { return p.packages() }

// ErrNoStore is returned for session work on a playground without a store.
var ErrNoStore = errors.New("playground: no sessions store")

// OpenSession resolves a session by ID, name or unique prefix; with create
// it makes one of that ID when there is none (for runtime, if given).
func (p *Playground) OpenSession(ref string, create bool, runtime string) (*sessions.Session, error) {
	if p.opts.Store == nil {
		return nil, ErrNoStore
	}
	sess, err := p.opts.Store.Resolve(ref)
	if errors.Is(err, sessions.ErrNotFound) && create {
		sess, err = p.opts.Store.Create(sessions.CreateOptions{ID: ref, Runtime: runtime})
		if errors.Is(err, sessions.ErrExists) {
			sess, err = p.opts.Store.Resolve(ref) // another process created it first
		}
	}
	return sess, err
}

// Layers returns the layers of limits a run in sess starts from, lowest
// first: the config file's, then the session's own (sess may be nil).
func (p *Playground) Layers(sess *sessions.Session) []run.Layer {
	layers := []run.Layer{{Source: run.SourceConfig, Limits: p.opts.Config}}
	if sess != nil {
		layers = append(layers, run.Layer{Source: run.SourceSession, Limits: sess.Meta().Limits})
	}
	return layers
}

// Limits resolves the limits a run in sess gets when its request asks for
// none: what the app shows in the metrics pane and F4.
func (p *Playground) Limits(sess *sessions.Session) (run.Policy, error) {
	return run.Resolve(p.Layers(sess), p.opts.Ceilings)
}

// Request fields that are not part of a policy, as RequestError names them.
const (
	FieldRuntime  run.Field = "runtime"
	FieldCode     run.Field = "code"
	FieldKeepVars run.Field = "keep_vars"
	FieldSession  run.Field = "session"
)

// RequestError is a request that cannot run, naming the field that is
// wrong; front ends phrase Field their own way (-r, "language").
type RequestError struct {
	// Field is the request field.
	Field run.Field
	// Err says what is wrong.
	Err error
}

func (e *RequestError) Error() string { return fmt.Sprintf("%s: %v", e.Field, e.Err) }

func (e *RequestError) Unwrap() error { return e.Err }

func requestError(f run.Field, format string, args ...any) error {
	return &RequestError{Field: f, Err: fmt.Errorf(format, args...)}
}
