package playground

import (
	"fmt"
	"os"
	"sync"

	"github.com/wasmplay/wasmplay/guidance"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sessions"
)

// Run is one run a Playground started.
type Run struct {
	p      *Playground
	req    Request
	rt     *runtimes.Runtime
	policy run.Policy
	keep   bool
	h      *runner.Handle
	feed   *feed
	watch  Watch
	// release frees the run's context once it is over.
	release func()

	varsBefore    []byte
	tempWorkspace string
	// endSessionRun ends the run's hold on its session (see
	// sessions.Session.BeginRun); nil outside sessions.
	endSessionRun func()

	stdinMu sync.Mutex
	stdin   []byte // fixed stdin, or what was typed so far

	done    chan struct{}
	outcome Outcome
}

// Outcome is everything known about a finished run.
type Outcome struct {
	// Result is the runner's account of the run.
	Result run.Result
	// Code is the code that ran.
	Code []byte
	// Stdin is what the run read on standard input: its fixed input, or
	// what was typed while it ran.
	Stdin []byte
	// Session is where it ran (nil outside sessions).
	Session *sessions.Session
	// Number is the run's number in the session's history; 0 when it was
	// not recorded.
	Number int
	// RecordErr says why the run was not recorded in the session's history.
	RecordErr error
	// Origin says who asked for the run.
	Origin sessions.Origin
	// Advice explains a failure (nil for a success or a cancel).
	Advice []guidance.Advice
	// Fuel rates the fuel the run used against its budget.
	Fuel guidance.FuelAnalysis
	// Vars says what happened to the kept variables (nil when the run
	// kept none).
	Vars *VarsOutcome
	// Verdict is a demo's verdict (nil when the run was no demo).
	Verdict *Verdict
	// Warnings are what the run did that later runs will feel: a file it
	// wrote in /app that stands in for a standard-library module.
	Warnings []string
}

// VarsOutcome is what a run that keeps variables did with them.
type VarsOutcome struct {
	// Report names the variables restored, saved and skipped.
	Report *run.VarsReport
	// Saved is true when the session now keeps what this run left.
	Saved bool
	// SaveErr says why they could not be saved.
	SaveErr error
	// Merged names variables another run of the session changed while
	// this one ran: their new values are kept beside this run's.
	Merged []string
	// Conflicts names variables both runs changed: this run's values, the
	// later, are kept.
	Conflicts []string
}

// Verdict says whether a demo did what it states.
type Verdict struct {
	// Expect is what the demo states should happen.
	Expect string
	// Met is true when the expectation was met.
	Met bool
	// Why explains a miss.
	Why string
}

// ID identifies the run within the playground's runner.
func (r *Run) ID() run.ID { return r.h.ID() }

// Runtime is the canonical name of the run's runtime.
func (r *Run) Runtime() string { return r.rt.Name }

// Limits are the limits the run is fenced by.
func (r *Run) Limits() run.Limits { return run.LimitsOf(r.policy) }

// KeepsVars reports whether the run carries variables.
func (r *Run) KeepsVars() bool { return r.keep }

// VarsBefore are the variables the run starts with (nil when none).
func (r *Run) VarsBefore() []byte { return r.varsBefore }

// Session is where the run happens (nil outside sessions).
func (r *Run) Session() *sessions.Session { return r.req.Session }

// Cancel stops the run; its Outcome says canceled.
func (r *Run) Cancel() { r.h.Cancel() }

// SendInput writes to an interactive run's stdin; the text is kept with
// the run's record.
func (r *Run) SendInput(data []byte) error {
	if err := r.h.SendInput(data); err != nil {
		return err
	}
	r.stdinMu.Lock()
	if room := run.MaxStdinBytes - len(r.stdin); room > 0 {
		r.stdin = append(r.stdin, data[:min(len(data), room)]...)
	}
	r.stdinMu.Unlock()
	return nil
}

// CloseInput ends an interactive run's stdin.
func (r *Run) CloseInput() error { return r.h.CloseInput() }

// Done is closed when the Outcome is known.
func (r *Run) Done() <-chan struct{} { return r.done }

// Wait waits for the run's end and returns its Outcome.
func (r *Run) Wait() Outcome {
	<-r.done
	return r.outcome
}

// Events delivers the run's events, Finished last, then closes. A reader
// that falls behind never slows the run: consecutive output is merged and
// only the latest sample is kept. Read it to the end (or not at all).
func (r *Run) Events() <-chan run.Event { return r.feed.channel() }

// relay receives the runner's events.
func (r *Run) relay(ev run.Event) {
	if fin, ok := ev.(run.Finished); ok {
		r.finish(fin.Result)
	}
	if r.req.OnEvent != nil {
		r.req.OnEvent(ev)
	}
	if r.watch != nil {
		if fin, ok := ev.(run.Finished); ok {
			r.watch.End(fin.Result, r.outcome.Number)
		} else {
			r.watch.Event(ev)
		}
	}
	r.feed.push(ev)
}

// finish records a finished run and works out its Outcome.
func (r *Run) finish(res run.Result) {
	defer func() {
		if r.release != nil {
			r.release()
		}
	}()
	defer close(r.done)
	defer r.cleanUp()
	r.stdinMu.Lock()
	stdin := append([]byte(nil), r.stdin...)
	r.stdinMu.Unlock()
	o := Outcome{Result: res, Code: r.req.Code, Stdin: stdin, Session: r.req.Session, Origin: origin(r.req.Origin)}
	if sess := r.req.Session; sess != nil {
		rec, err := sess.AppendRun(sessions.NewRecord(r.req.Code, stdin, &o.Origin, res))
		o.Number, o.RecordErr = rec.Number, err
		if r.keep && res.VarsReport != nil {
			o.Vars = r.saveVars(res)
		}
	} else if res.VarsReport != nil {
		o.Vars = &VarsOutcome{Report: res.VarsReport}
	}
	o.Warnings = r.shadowWarnings(res)
	o.Advice = guidance.MatchWithOptions(res, r.rt.Name, guidance.MatchOptions{Code: r.req.Code, AvailablePackages: r.p.Packages})
	o.Fuel = guidance.AnalyzeFuel(res.FuelConsumed, res.Limits.FuelBudget, res.Outcome, res.FuelExact)
	if d := r.req.Demo; d != nil {
		met, why := d.Verdict(res)
		o.Verdict = &Verdict{Expect: d.Expect, Met: met, Why: why}
	}
	r.outcome = o
}

// shadowWarnings names the files a Python run wrote in /app that later
// runs will import instead of a standard-library module (/app comes first
// on sys.path, so the workspace's own modules import).
func (r *Run) shadowWarnings(res run.Result) []string {
	if r.rt.Name != runtimes.Python || len(res.Files.Created)+len(res.Files.Modified) == 0 {
		return nil
	}
	stdlib := r.p.pythonStdlib(r.rt)
	var out []string
	for _, list := range [][]run.FileChange{res.Files.Created, res.Files.Modified} {
		for _, f := range list {
			if name, ok := runtimes.ShadowedModule(stdlib, f.Path); ok {
				out = append(out, fmt.Sprintf("/app/%s stands in for the standard library's %s module in later Python runs of this workspace (rename or delete it to get %s back)",
					f.Path, name, name))
			}
		}
	}
	return out
}

// saveVars keeps what a successful run left, merged under the session's
// lock with whatever another run kept meanwhile.
func (r *Run) saveVars(res run.Result) *VarsOutcome {
	vo := &VarsOutcome{Report: res.VarsReport}
	if res.Vars == nil {
		return vo // a failed run: what it started with stays
	}
	vo.SaveErr = r.req.Session.UpdateVars(r.rt.Name, func(current []byte) ([]byte, error) {
		merged, m, err := mergeVars(r.varsBefore, res.Vars, current)
		if err != nil {
			return nil, err
		}
		vo.Merged, vo.Conflicts = m.theirs, m.both
		return merged, nil
	})
	vo.Saved = vo.SaveErr == nil
	return vo
}

// cleanUp removes a temporary workspace and lets the session go, once
// the run is recorded (or did not start).
func (r *Run) cleanUp() {
	if r.tempWorkspace != "" {
		os.RemoveAll(r.tempWorkspace)
	}
	if r.endSessionRun != nil {
		r.endSessionRun()
	}
}
