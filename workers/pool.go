package workers

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
)

// ErrPoolClosed is returned for work asked of a closed Pool.
var ErrPoolClosed = errors.New("workers: the pool is closed")

// PoolConfig configures a Pool.
type PoolConfig struct {
	// Command starts one worker process (executable and arguments). The
	// worker must serve the protocol with ServeWorker on its stdin/stdout.
	Command []string
	// Env is the workers' environment; nil means this process's.
	Env []string
	// Size is how many workers are kept warm (at least 1).
	Size int
	// Prepare lists the runtimes each new worker loads before its first
	// job, so runs start warm.
	Prepare []string
	// KillAfter is how long a canceled run may take to stop before its
	// worker is killed; 0 means 250 ms.
	KillAfter time.Duration
	// OnCompile, if set, hears when a worker starts a slow first compile.
	OnCompile func(run.Compiling)
}

// Pool is an Executor that runs each job in a worker process from a small
// warm pool, with this process as watchdog: a wasmtime abort, a fault in
// the cgo layer or a guest that will not stop kills at most its worker,
// never the caller. Workspace diffs are computed here, so they are true
// even when a worker dies.
type Pool struct {
	cfg  PoolConfig
	idle chan *procWorker

	mu      sync.Mutex
	closed  bool
	live    int // workers started and not yet discarded
	workers map[*procWorker]struct{}
}

// procWorker is one worker process.
type procWorker struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	encMu   sync.Mutex
	enc     *gob.Encoder
	replies chan workerReply // closed when the worker's output ends
	stderr  *tailBuffer
	exited  chan struct{}
	waitErr error
	broken  bool // do not reuse (killed, crashed, protocol error)
}

// NewPool starts Size workers in the background and returns at once.
func NewPool(cfg PoolConfig) (*Pool, error) {
	if len(cfg.Command) == 0 {
		return nil, errors.New("workers: no worker command")
	}
	if cfg.Size <= 0 {
		cfg.Size = 1
	}
	if cfg.KillAfter <= 0 {
		cfg.KillAfter = 250 * time.Millisecond
	}
	p := &Pool{cfg: cfg, idle: make(chan *procWorker, cfg.Size), workers: map[*procWorker]struct{}{}}
	for i := 0; i < cfg.Size; i++ {
		p.mu.Lock()
		p.live++
		p.mu.Unlock()
		go p.startToIdle()
	}
	return p, nil
}

// startToIdle starts a worker and puts it in the idle queue; a failure to
// start is retried at the next acquire.
func (p *Pool) startToIdle() {
	w, err := p.start()
	if err != nil {
		p.mu.Lock()
		p.live--
		p.mu.Unlock()
		return
	}
	p.release(w)
}

// start launches a worker process and waits until it has prepared its
// runtimes.
func (p *Pool) start() (*procWorker, error) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, ErrPoolClosed
	}
	cmd := exec.Command(p.cfg.Command[0], p.cfg.Command[1:]...)
	cmd.Env = p.cfg.Env
	cmd.SysProcAttr = workerProcAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("workers: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("workers: %w", err)
	}
	tail := &tailBuffer{max: 8 << 10}
	cmd.Stderr = tail
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("workers: start worker: %w", err)
	}
	w := &procWorker{cmd: cmd, stdin: stdin, enc: gob.NewEncoder(stdin), replies: make(chan workerReply, 256),
		stderr: tail, exited: make(chan struct{})}
	p.mu.Lock()
	p.workers[w] = struct{}{}
	p.mu.Unlock()
	go func() {
		dec := gob.NewDecoder(stdout)
		for {
			var rep workerReply
			if err := dec.Decode(&rep); err != nil {
				break
			}
			w.replies <- rep
		}
		w.waitErr = cmd.Wait()
		close(w.exited)
		close(w.replies)
	}()
	for _, rt := range p.cfg.Prepare {
		if err := w.send(workerRequest{Kind: reqPrepare, Runtime: rt}); err != nil {
			p.discard(w)
			return nil, err
		}
		for prepared := false; !prepared; {
			rep, ok := <-w.replies
			if !ok {
				p.discard(w)
				return nil, fmt.Errorf("workers: worker died while loading %s: %s", rt, w.deathNote())
			}
			switch rep.Kind {
			case repCompiling:
				if p.cfg.OnCompile != nil {
					p.cfg.OnCompile(run.Compiling{Path: rep.Path})
				}
			case repPrepared:
				prepared = true // a runtime that is not built is reported when a job asks for it
			}
		}
	}
	return w, nil
}

func (w *procWorker) send(req workerRequest) error {
	w.encMu.Lock()
	defer w.encMu.Unlock()
	if err := w.enc.Encode(&req); err != nil {
		w.broken = true
		return fmt.Errorf("workers: send to worker: %w", err)
	}
	return nil
}

// deathNote says how a worker ended, with the tail of what it printed.
func (w *procWorker) deathNote() string {
	<-w.exited
	how := "it exited"
	if w.waitErr != nil {
		how = w.waitErr.Error()
	}
	if tail := strings.TrimSpace(w.stderr.String()); tail != "" {
		lines := strings.Split(tail, "\n")
		if len(lines) > 6 {
			lines = lines[:6]
		}
		how += ": " + strings.Join(lines, " | ")
	}
	return how
}

// acquire takes an idle worker, starting a replacement when the pool has
// lost some.
func (p *Pool) acquire(ctx context.Context) (*procWorker, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrPoolClosed
		}
		if p.live < p.cfg.Size {
			p.live++
			p.mu.Unlock()
			go p.startToIdle()
			continue
		}
		p.mu.Unlock()
		select {
		case w := <-p.idle:
			select {
			case <-w.exited:
				p.discard(w) // died while idle
				continue
			default:
				return w, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(30 * time.Second):
			return nil, errors.New("workers: no sandbox worker could be started in 30 s")
		}
	}
}

// release returns a healthy worker to the idle queue, or discards it.
func (p *Pool) release(w *procWorker) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if w.broken || closed {
		p.discard(w)
		return
	}
	select {
	case p.idle <- w:
	default:
		p.discard(w)
	}
}

// discard kills a worker (if still alive) and forgets it.
func (p *Pool) discard(w *procWorker) {
	_ = w.stdin.Close()
	if w.cmd.Process != nil {
		_ = w.cmd.Process.Kill()
	}
	p.mu.Lock()
	if _, ok := p.workers[w]; ok {
		delete(p.workers, w)
		p.live--
	}
	p.mu.Unlock()
}

// Prepare loads a runtime in a worker (compiling it on first use, which
// later workers then read from the compiled-module cache). It reports a
// runtime that cannot be used, e.g. one that is not built.
func (p *Pool) Prepare(ctx context.Context, runtime string) error {
	w, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	if err := w.send(workerRequest{Kind: reqPrepare, Runtime: runtime}); err != nil {
		p.discard(w)
		return err
	}
	for {
		select {
		case rep, ok := <-w.replies:
			if !ok {
				note := w.deathNote()
				p.discard(w)
				return fmt.Errorf("workers: the sandbox worker died while loading %s: %s", runtime, note)
			}
			switch rep.Kind {
			case repCompiling:
				if p.cfg.OnCompile != nil {
					p.cfg.OnCompile(run.Compiling{Path: rep.Path})
				}
			case repPrepared:
				p.release(w)
				if rep.Err != "" {
					return errors.New(rep.Err)
				}
				return nil
			}
		case <-ctx.Done():
			p.discard(w)
			return ctx.Err()
		}
	}
}

// Execute runs the job in a worker process.
func (p *Pool) Execute(ctx context.Context, id run.ID, job run.Job, hooks run.Hooks) run.Result {
	res := run.Result{ID: id, Runtime: job.Runtime, ExitCode: -1, Limits: run.LimitsOf(job.Policy), StartedAt: time.Now(),
		Files: run.FileChanges{Created: []run.FileChange{}, Modified: []run.FileChange{}, Deleted: []run.FileChange{}}}
	hostError := func(err error) run.Result {
		res.Outcome, res.Message = run.OutcomeHostError, err.Error()
		res.FinishedAt = time.Now()
		res.Duration = res.FinishedAt.Sub(res.StartedAt)
		return res
	}
	workspace, err := hostfs.EnsureDir(job.Workspace)
	if err != nil {
		return hostError(err)
	}
	job.Workspace = workspace
	w, err := p.acquire(ctx)
	if errors.Is(err, context.Canceled) {
		res.Outcome, res.Message, res.FuelExact = run.OutcomeCanceled, "canceled before it started", true
		res.FinishedAt = time.Now()
		return res
	}
	if err != nil {
		return hostError(err)
	}
	if err := w.send(workerRequest{Kind: reqRun, ID: id, Job: job}); err != nil {
		p.discard(w)
		return hostError(err)
	}

	var (
		last        run.Metrics
		haveMetrics bool
		got         *run.Result
		canceled    = ctx.Done()
		killTimer   <-chan time.Time
		killReason  run.Outcome
		backstop    = time.NewTimer(job.Policy.Timeout + 2*time.Second)
		acks        = map[uint64]chan string{}
		acksMu      sync.Mutex
		seq         uint64
	)
	defer backstop.Stop()
	proxy := run.NewInput(
		func(data []byte) (int, error) {
			acksMu.Lock()
			seq++
			s := seq
			ack := make(chan string, 1)
			acks[s] = ack
			acksMu.Unlock()
			if err := w.send(workerRequest{Kind: reqInput, ID: id, Seq: s, Data: data}); err != nil {
				return 0, err
			}
			select {
			case msg := <-ack:
				if msg != "" {
					return 0, errors.New(msg)
				}
				return len(data), nil
			case <-time.After(time.Second):
				return 0, errors.New("workers: the sandbox worker did not take the input")
			case <-w.exited:
				return 0, run.ErrInputClosed
			}
		},
		func() error { return w.send(workerRequest{Kind: reqCloseInput, ID: id}) },
	)
	kill := func(reason run.Outcome) {
		if killReason == "" {
			killReason = reason
			w.broken = true
			_ = w.cmd.Process.Kill()
		}
	}

loop:
	for {
		select {
		case rep, ok := <-w.replies:
			if !ok {
				break loop // the worker is gone
			}
			switch rep.Kind {
			case repStarted:
				res.StartedAt = rep.Started.At
				if hooks.Emit != nil {
					hooks.Emit(*rep.Started)
				}
			case repOutput:
				if hooks.Emit != nil {
					hooks.Emit(*rep.Output)
				}
			case repMetrics:
				last, haveMetrics = *rep.Metrics, true
				if hooks.Emit != nil {
					hooks.Emit(*rep.Metrics)
				}
			case repCompiling:
				if hooks.OnCompile != nil {
					hooks.OnCompile(run.Compiling{Path: rep.Path})
				}
			case repInputReady:
				if hooks.OnInput != nil {
					hooks.OnInput(proxy)
				}
			case repInputAck:
				acksMu.Lock()
				if ack := acks[rep.Seq]; ack != nil {
					ack <- rep.Err
					delete(acks, rep.Seq)
				}
				acksMu.Unlock()
			case repResult:
				got = rep.Result
				break loop
			}
		case <-canceled:
			canceled = nil
			_ = w.send(workerRequest{Kind: reqCancel, ID: id})
			killTimer = time.After(p.cfg.KillAfter)
		case <-killTimer:
			kill(run.OutcomeCanceled)
		case <-backstop.C:
			kill(run.OutcomeTimeout)
		}
	}

	if got != nil {
		res = *got
		p.release(w)
	} else {
		// The worker died or was killed: report what the parent saw.
		note := w.deathNote()
		p.discard(w)
		res.FinishedAt = time.Now()
		res.Duration = res.FinishedAt.Sub(res.StartedAt)
		res.FuelExact = false
		if haveMetrics {
			res.FuelConsumed = last.FuelConsumed
			res.MemoryBytes, res.PeakMemoryBytes = last.MemoryBytes, last.PeakMemoryBytes
			res.MemoryPages, res.PeakMemoryPages = last.MemoryBytes/run.WasmPageSize, last.PeakMemoryBytes/run.WasmPageSize
			res.StdoutBytes, res.StderrBytes = last.StdoutBytes, last.StderrBytes
		}
		switch killReason {
		case run.OutcomeCanceled:
			res.Outcome, res.Message = run.OutcomeCanceled, "canceled; the guest did not stop in time, so its worker process was killed"
		case run.OutcomeTimeout:
			res.Outcome, res.Message = run.OutcomeTimeout, "the wall-clock limit passed; the guest did not stop, so its worker process was killed"
		default:
			res.Outcome = run.OutcomeHostError
			res.Message = "the sandbox worker process crashed (" + note + "); this run is lost, wasmplay and other runs are fine"
		}
	}
	res.ID = id
	res.Files = run.EmptyFileChanges()
	return res
}

// Close stops every worker: idle ones at once, busy ones when they finish
// or after ctx ends.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	workers := make([]*procWorker, 0, len(p.workers))
	for w := range p.workers {
		workers = append(workers, w)
	}
	p.mu.Unlock()
	for _, w := range workers {
		_ = w.stdin.Close() // a worker exits when its stdin ends
	}
	for _, w := range workers {
		select {
		case <-w.exited:
		case <-ctx.Done():
			_ = w.cmd.Process.Kill()
		}
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// workerProcAttr puts a worker in its own process group, so a ctrl+c in
// the terminal reaches the app (which cancels runs) and not the workers.
// A worker exits when its stdin closes, so it never outlives the app.
// (Pdeathsig is not used: it fires when the forking thread exits, which
// in Go is not the parent process exiting.)
func workerProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// WorkerEnv is the environment a worker gets: only what it needs to find
// its caches, never the user's secrets (guests see only their allowlist
// anyway, but the worker process is the first thing an escape would see).
func WorkerEnv() []string {
	var env []string
	for _, k := range []string{"HOME", "PATH", "TMPDIR", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
		"WASMPLAY_CACHE_DIR", "WASMPLAY_BIN_DIR", "RUST_BACKTRACE"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
