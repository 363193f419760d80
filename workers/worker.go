package workers

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/wasmplay/wasmplay/run"
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
	ID      run.ID
	Seq     uint64 // for reqInput: echoed by the acknowledgement
	Runtime string // for reqPrepare
	Job     run.Job
	Data    []byte
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
	ID      run.ID
	Seq     uint64
	Err     string
	Path    string // for repCompiling
	Started *run.Started
	Output  *run.Output
	Metrics *run.Metrics
	Result  *run.Result
}

// Prepare loads a runtime in a worker process, compiling it on first use
// (reported through onCompile); sandbox.Local.Prepare is one.
type Prepare func(runtime string, onCompile func(run.Compiling)) error

// Serve is the main loop of a worker process: it reads requests from r,
// runs them on exec, and writes replies to w until r ends.
func Serve(r io.Reader, w io.Writer, exec run.Executor, prepare Prepare) error {
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
		input  *run.Input
	}
	var mu sync.Mutex
	runs := map[run.ID]*active{}
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
			return fmt.Errorf("workers: read request: %w", err)
		}
		switch req.Kind {
		case reqPrepare:
			err := prepare(req.Runtime, func(c run.Compiling) {
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
			go func(id run.ID, job run.Job) {
				defer wg.Done()
				defer cancel()
				hooks := run.Hooks{
					Emit: func(ev run.Event) {
						switch e := ev.(type) {
						case run.Started:
							send(workerReply{Kind: repStarted, ID: id, Started: &e})
						case run.Output:
							send(workerReply{Kind: repOutput, ID: id, Output: &e})
						case run.Metrics:
							send(workerReply{Kind: repMetrics, ID: id, Metrics: &e})
						}
					},
					OnInput: func(in *run.Input) {
						a.mu.Lock()
						a.input = in
						a.mu.Unlock()
						send(workerReply{Kind: repInputReady, ID: id})
					},
					OnCompile: func(c run.Compiling) { send(workerReply{Kind: repCompiling, ID: id, Path: c.Path}) },
				}
				res := exec.Execute(ctx, id, job, hooks)
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
					send(workerReply{Kind: repInputAck, ID: req.ID, Seq: req.Seq, Err: run.ErrInputClosed.Error()})
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
