// Package history connects the runner to session history: it turns a
// runner.Result into a sessions.RunRecord, a session's policy overrides
// into a runner.Policy, and records runs into a session.
package history

import (
	"time"

	"github.com/wasmplay/wasmplay/runner"
	"github.com/wasmplay/wasmplay/sessions"
)

// Record converts a finished run into a history record.
func Record(job runner.Job, res runner.Result) sessions.RunRecord {
	rec := sessions.RunRecord{
		StartedAt:        res.StartedAt,
		FinishedAt:       res.FinishedAt,
		Runtime:          res.Runtime,
		Code:             string(job.Code),
		Policy:           PolicyRecord(res.Limits),
		Outcome:          sessions.Outcome(res.Outcome),
		ExitCode:         res.ExitCode,
		Message:          res.Message,
		FuelConsumed:     res.FuelConsumed,
		FuelExact:        res.FuelExact,
		MemoryPagesFinal: res.MemoryPages,
		MemoryPagesPeak:  res.PeakMemoryPages,
		DurationMS:       float64(res.Duration) / float64(time.Millisecond),
		Stdout:           string(res.Stdout),
		Stderr:           string(res.Stderr),
		StdoutTruncated:  res.StdoutTruncated,
		StderrTruncated:  res.StderrTruncated,
		StdoutBytes:      res.StdoutBytes,
		StderrBytes:      res.StderrBytes,
		Files: sessions.FileChanges{
			Created:  fileChanges(res.Files.Created),
			Modified: fileChanges(res.Files.Modified),
			Deleted:  fileChanges(res.Files.Deleted),
		},
	}
	if rec.Runtime == "" {
		rec.Runtime = job.Runtime
	}
	if rec.ExitCode < 0 {
		rec.ExitCode = 0 // the record keeps exit codes only for runs that exited
	}
	return rec
}

func fileChanges(in []runner.FileChange) []sessions.FileChange {
	out := make([]sessions.FileChange, len(in))
	for i, c := range in {
		out[i] = sessions.FileChange{Path: c.Path, Size: c.Size}
	}
	return out
}

// PolicyRecord converts runner limits to the policy a record keeps.
func PolicyRecord(l runner.Limits) sessions.Policy {
	return sessions.Policy{
		FuelBudget:     l.FuelBudget,
		MemoryBytes:    l.MemoryBytes,
		StdoutMaxBytes: l.StdoutMaxBytes,
		StderrMaxBytes: l.StderrMaxBytes,
		TimeoutMS:      l.TimeoutMS,
	}
}

// ApplyOverrides lays a session's policy overrides over a base policy.
func ApplyOverrides(base runner.Policy, o sessions.PolicyOverrides) runner.Policy {
	if o.FuelBudget != nil {
		base.FuelBudget = *o.FuelBudget
	}
	if o.MemoryBytes != nil {
		base.MemoryBytes = *o.MemoryBytes
	}
	if o.StdoutMaxBytes != nil {
		base.StdoutMaxBytes = *o.StdoutMaxBytes
	}
	if o.StderrMaxBytes != nil {
		base.StderrMaxBytes = *o.StderrMaxBytes
	}
	if o.TimeoutMS != nil {
		base.Timeout = time.Duration(*o.TimeoutMS) * time.Millisecond
	}
	return base
}

// Overrides expresses a policy as session overrides (every limit set).
func Overrides(p runner.Policy) sessions.PolicyOverrides {
	timeout := p.Timeout.Milliseconds()
	return sessions.PolicyOverrides{
		FuelBudget:     &p.FuelBudget,
		MemoryBytes:    &p.MemoryBytes,
		StdoutMaxBytes: &p.StdoutMaxBytes,
		StderrMaxBytes: &p.StderrMaxBytes,
		TimeoutMS:      &timeout,
	}
}

// SessionRecorder records runs into one session's history.
type SessionRecorder struct {
	// Session is where runs are recorded.
	Session *sessions.Session
}

// Record appends the run to the session's history and returns its number.
func (r SessionRecorder) Record(job runner.Job, res runner.Result) (int, error) {
	rec, err := r.Session.AppendRun(Record(job, res))
	if err != nil {
		return 0, err
	}
	return rec.Number, nil
}
