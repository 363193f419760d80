package runner

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"sync"
)

// The worker protocol: the parent (Pool) and a worker process (ServeWorker)
// exchange gob-encoded messages over the worker's stdin and stdout. A worker
// runs one job at a time; the parent is the watchdog that kills it when it
// does not stop in time or crashes.

// requestKind names a parent-to-worker message.
type requestKind uint8

const (
	reqPrepare requestKind = iota + 1
	reqRun
	reqCancel
	reqInput
	reqCloseInput
)

// workerRequest is a parent-to-worker message.
type workerRequest struct {
	Kind    requestKind
	ID      RunID
	Seq     uint64 // for reqInput: echoed by the acknowledgement
	Runtime string // for reqPrepare
	Job     wireJob
	Data    []byte
}

// wireJob is the part of a Job that crosses the process boundary.
type wireJob struct {
	Runtime     string
	Code        []byte
	Policy      Policy
	Workspace   string
	Interactive bool
	KeepState   bool
	State       []byte
}

// replyKind names a worker-to-parent message.
type replyKind uint8

const (
	repPrepared replyKind = iota + 1
	repCompiling
	repStarted
	repOutput
	repMetrics
	repInputReady
	repInputAck
	repResult
)

// workerReply is a worker-to-parent message.
type workerReply struct {
	Kind    replyKind
	ID      RunID
	Seq     uint64
	Err     string
	Path    string // for repCompiling
	Started *Started
	Output  *Output
	Metrics *Metrics
	Result  *Result
}

// ServeWorker is the main loop of a worker process: it reads requests from
// r, runs them on local, and writes replies to w until r ends. The parent
// computes workspace diffs itself, so the worker skips them.
func ServeWorker(r io.Reader, w io.Writer, local *Local) error {
	dec := gob.NewDecoder(r)
	var encMu sync.Mutex
	enc := gob.NewEncoder(w)
	send := func(rep workerReply) {
		encMu.Lock()
		defer encMu.Unlock()
		// A failed write means the parent is gone; the read loop ends next.
		_ = enc.Encode(&rep)
	}

	type active struct {
		cancel context.CancelFunc
		mu     sync.Mutex
		input  *Input
	}
	var mu sync.Mutex
	runs := map[RunID]*active{}
	var wg sync.WaitGroup
	defer wg.Wait()

	for {
		var req workerRequest
		if err := dec.Decode(&req); err != nil {
			mu.Lock()
			for _, a := range runs {
				a.cancel()
			}
			mu.Unlock()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("runner: worker: read request: %w", err)
		}
		switch req.Kind {
		case reqPrepare:
			_, err := local.Prepare(req.Runtime, func(c Compiling) {
				send(workerReply{Kind: repCompiling, Path: c.Path})
			})
			rep := workerReply{Kind: repPrepared}
			if err != nil {
				rep.Err = err.Error()
			}
			send(rep)
		case reqRun:
			ctx, cancel := context.WithCancel(context.Background())
			a := &active{cancel: cancel}
			mu.Lock()
			runs[req.ID] = a
			mu.Unlock()
			wg.Add(1)
			go func(id RunID, job wireJob) {
				defer wg.Done()
				defer cancel()
				hooks := Hooks{
					Emit: func(ev Event) {
						switch e := ev.(type) {
						case Started:
							send(workerReply{Kind: repStarted, ID: id, Started: &e})
						case Output:
							send(workerReply{Kind: repOutput, ID: id, Output: &e})
						case Metrics:
							send(workerReply{Kind: repMetrics, ID: id, Metrics: &e})
						}
					},
					OnInput: func(in *Input) {
						a.mu.Lock()
						a.input = in
						a.mu.Unlock()
						send(workerReply{Kind: repInputReady, ID: id})
					},
					OnCompile: func(c Compiling) { send(workerReply{Kind: repCompiling, ID: id, Path: c.Path}) },
				}
				res := local.execute(ctx, id, Job{Runtime: job.Runtime, Code: job.Code, Policy: job.Policy,
					Workspace: job.Workspace, Interactive: job.Interactive, KeepState: job.KeepState, State: job.State}, hooks, false)
				mu.Lock()
				delete(runs, id)
				mu.Unlock()
				send(workerReply{Kind: repResult, ID: id, Result: &res})
			}(req.ID, req.Job)
		case reqCancel, reqInput, reqCloseInput:
			mu.Lock()
			a := runs[req.ID]
			mu.Unlock()
			if a == nil {
				if req.Kind == reqInput {
					send(workerReply{Kind: repInputAck, ID: req.ID, Seq: req.Seq, Err: ErrInputClosed.Error()})
				}
				continue
			}
			if req.Kind == reqCancel {
				a.cancel()
				continue
			}
			a.mu.Lock()
			in := a.input
			a.mu.Unlock()
			if in == nil {
				send(workerReply{Kind: repInputAck, ID: req.ID, Seq: req.Seq, Err: "runner: the run has no interactive stdin"})
				continue
			}
			if req.Kind == reqCloseInput {
				_ = in.Close()
				continue
			}
			rep := workerReply{Kind: repInputAck, ID: req.ID, Seq: req.Seq}
			if _, err := in.Write(req.Data); err != nil {
				rep.Err = err.Error()
			}
			send(rep)
		}
	}
}
