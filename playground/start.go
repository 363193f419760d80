package playground

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/demos"
	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
)

// Request is one run a front end asks for.
type Request struct {
	// Session is where the run happens: its workspace, its limits, its
	// kept variables and its history. Nil runs outside any session.
	Session *sessions.Session
	// Workspace, without a session, is the host directory at /app; empty
	// means a temporary one, removed after the run.
	Workspace string
	// Runtime is a runtime name or alias.
	Runtime string
	// Code is the program.
	Code []byte
	// Limits is the request's own layer of limits (flags, tool arguments).
	Limits run.Overrides
	// KeepVars says whether variables are carried from the session's last
	// kept run and kept for the next; nil follows the session's switch.
	KeepVars *bool
	// Stdin is fixed standard input (not with Interactive).
	Stdin []byte
	// Interactive makes stdin a pipe fed through Run.SendInput.
	Interactive bool
	// Args reach the guest after its script (sys.argv[1:]).
	Args []string
	// Env is the guest's environment.
	Env map[string]string
	// Mounts are extra read-only host directories.
	Mounts []run.Mount
	// Origin says who asks; the zero value is a person.
	Origin sessions.Origin
	// Demo, if set, is the gallery demo this run is: its limits are a
	// layer over the session's and its verdict comes with the Outcome.
	Demo *demos.Demo
	// OnEvent, if not nil, receives the run's events as they happen, on
	// the run's own goroutine (it must not block for long); Finished comes
	// last, once the Outcome is known. Run.Events is the other way to
	// follow a run.
	OnEvent func(run.Event)
}

// reservedEnv are variables the runner sets itself for every runtime.
var reservedEnv = []string{"PWD"}

// Start checks a request, decides its limits and kept variables, and
// starts it. Errors are *RequestError, *run.LimitError and *run.FieldError
// values (joined when there are several); nothing runs then. Canceling ctx
// cancels the run.
func (p *Playground) Start(ctx context.Context, req Request) (*Run, error) {
	rt, err := p.opts.Registry.Lookup(req.Runtime)
	if err == nil {
		err = p.opts.Registry.Built(rt)
	}
	if err != nil {
		return nil, &RequestError{Field: FieldRuntime, Err: err}
	}
	if len(req.Code) > run.MaxCodeBytes {
		return nil, requestError(FieldCode, "the code is %s, above the maximum %s",
			run.FormatBytes(uint64(len(req.Code))), run.FormatBytes(run.MaxCodeBytes))
	}
	if runtimes.IsWasmBinary(req.Code) && rt.Name != runtimes.WAT {
		return nil, requestError(FieldCode, "the code is a binary WebAssembly module, not %s source: run it with the wat runtime", rt.Title)
	}
	if req.Interactive && len(req.Stdin) > 0 {
		return nil, requestError(run.FieldStdin, "an interactive run takes its input as it runs, not fixed stdin")
	}
	sess := req.Session
	var endSessionRun func()
	if sess != nil {
		// The run's turn in the session first (runs take turns; the
		// session is neither deleted nor reset until it is recorded), so
		// what the run before it changed counts.
		if endSessionRun, err = sess.BeginRun(ctx); err != nil {
			return nil, &RequestError{Field: FieldSession, Err: err}
		}
		defer func() {
			if endSessionRun != nil {
				endSessionRun() // refused before the Run took it over
			}
		}()
		// What another process changed (limits, the keep switch) counts.
		if err := sess.Reload(); err != nil {
			return nil, &RequestError{Field: FieldSession, Err: err}
		}
	}
	layers := p.Layers(sess)
	if req.Demo != nil {
		layers = append(layers, run.Layer{Source: run.SourceDemo, Limits: req.Demo.Limits})
	}
	layers = append(layers, run.Layer{Source: run.SourceRequest, Limits: req.Limits})
	policy, err := run.Resolve(layers, p.opts.Ceilings)
	if err != nil {
		return nil, err
	}
	policy.Args, policy.Env, policy.Mounts, policy.Stdin = req.Args, req.Env, req.Mounts, req.Stdin
	if req.Demo != nil && req.Demo.Stdin != "" && !req.Interactive {
		policy.Stdin = []byte(req.Demo.Stdin)
	}
	if err := errors.Join(checkEnv(rt, policy.Env), policy.Validate(), checkMounts(policy.Mounts)); err != nil {
		return nil, err
	}
	keep, err := keepVars(rt, sess, req.KeepVars)
	if err != nil {
		return nil, err
	}

	r := &Run{p: p, req: req, rt: rt, policy: policy, keep: keep, done: make(chan struct{}), feed: newFeed()}
	r.endSessionRun, endSessionRun = endSessionRun, nil // the Run lets it go (cleanUp)
	workspace := req.Workspace
	switch {
	case sess != nil:
		workspace = sess.WorkspaceDir()
	case workspace == "":
		dir, err := hostfs.TempDir("workspace")
		if err != nil {
			return nil, fmt.Errorf("playground: temporary workspace: %w", err)
		}
		workspace, r.tempWorkspace = dir, dir
	}
	if keep {
		if r.varsBefore, err = sess.LoadVars(rt.Name); err != nil {
			r.cleanUp()
			return nil, fmt.Errorf("playground: %w", err)
		}
	}
	if !req.Interactive {
		r.stdin = policy.Stdin
	}
	// The run can be canceled from the moment it is announced, even
	// before the runner has it.
	runCtx, cancel := context.WithCancel(ctx)
	r.release = cancel
	if p.opts.Bus != nil && sess != nil {
		r.watch = p.opts.Bus.Begin(RunInfo{SessionID: sess.ID(), Runtime: rt.Name, Code: req.Code,
			Origin: origin(req.Origin), Limits: run.LimitsOf(policy), Cancel: cancel})
	}
	job := run.Job{Runtime: rt.Name, Code: req.Code, Policy: policy, Workspace: workspace,
		Interactive: req.Interactive, KeepVars: keep, Vars: r.varsBefore}
	h, err := p.opts.Runner.Start(runCtx, job, r.relay)
	if err != nil {
		cancel()
		if r.watch != nil {
			now := time.Now()
			r.watch.End(run.Result{Runtime: rt.Name, Outcome: run.OutcomeHostError, ExitCode: -1,
				Message: err.Error(), StartedAt: now, FinishedAt: now, Files: run.EmptyFileChanges()}, 0)
		}
		r.cleanUp()
		return nil, fmt.Errorf("playground: %w", err)
	}
	r.h = h
	return r, nil
}

// checkMounts refuses host directories a guest must not read through:
// kernel file systems, devices, and trees with other mounts beneath.
func checkMounts(mounts []run.Mount) error {
	var errs []error
	for _, m := range mounts {
		if why := hostfs.MountProblem(m.HostPath); why != "" {
			errs = append(errs, &run.FieldError{Field: run.FieldMounts, Problem: fmt.Sprintf("%s: %s", m.GuestPath, why)})
		}
	}
	return errors.Join(errs...)
}

// origin fills in who asked when the front end did not say.
func origin(o sessions.Origin) sessions.Origin {
	if o.Kind == "" {
		o.Kind = sessions.OriginPerson
	}
	return o
}

// checkEnv refuses variables the runner must control: setting them would
// be silently undone.
func checkEnv(rt *runtimes.Runtime, env map[string]string) error {
	var errs []error
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		_, byRuntime := rt.Env[k]
		for _, r := range reservedEnv {
			byRuntime = byRuntime || k == r
		}
		if byRuntime {
			errs = append(errs, &run.FieldError{Field: run.FieldEnv,
				Problem: fmt.Sprintf("%s is set by wasmplay for every %s run and cannot be changed", k, rt.Name)})
		}
	}
	return errors.Join(errs...)
}

// keepVars decides whether a run keeps variables: what the request asks,
// else the session's switch.
func keepVars(rt *runtimes.Runtime, sess *sessions.Session, asked *bool) (bool, error) {
	if sess == nil {
		if asked != nil && *asked {
			return false, requestError(FieldKeepVars, "variables are kept in a session: give one")
		}
		return false, nil
	}
	keep := sess.Meta().KeepVars
	if asked != nil {
		keep = *asked
	}
	if keep && !rt.KeepsVars() {
		if asked != nil {
			return false, requestError(FieldKeepVars, "%s runs cannot keep variables (%s can)", rt.Name,
				strings.Join(runtimes.VarsRuntimes(), " and "))
		}
		return false, nil
	}
	return keep, nil
}
