package live

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
)

// Bounds of one watcher's connection.
const (
	// maxQueuedOutput is the output bytes queued for a watcher; past it,
	// output is dropped and counted.
	maxQueuedOutput = 1 << 20
	// maxQueued is the messages queued; past it, samples are dropped, and
	// past twice it the watcher is disconnected.
	maxQueued = 512
	// writeTimeout disconnects a watcher that stops reading.
	writeTimeout = 5 * time.Second
	// maxLine bounds a message a watcher sends.
	maxLine = 16 << 20
	// watcherGrace is how long an approval waits for a first watcher: a
	// watcher finds a new publisher within rescanInterval.
	watcherGrace = 3 * rescanInterval
)

// Hub publishes a process's runs to the watchers of its sessions. It is a
// playground.Bus and an mcpserver.Approver.
type Hub struct {
	name     string
	path     string
	listener net.Listener
	nextRun  atomic.Uint64
	nextReq  atomic.Uint64

	mu       sync.Mutex
	closed   bool
	watchers map[*watcherConn]struct{}
	runs     map[string]*hubRun
	pending  map[string]*pendingApproval
}

// hubRun is a run in flight.
type hubRun struct {
	info   RunInfo
	cancel func()
}

// pendingApproval is an approval request waiting for an answer.
type pendingApproval struct {
	req     ApprovalRequest
	answers chan Decision
}

// Listen starts a hub for the sessions store at root: it listens on
// Dir(root)/PID.sock. name says what the process is ("wasmplay mcp").
func Listen(root, name string) (*Hub, error) {
	dir := Dir(root)
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, strconv.Itoa(os.Getpid())+".sock")
	_ = os.Remove(path) // a socket left by a process of the same PID that died
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("live: listen: %w", err)
	}
	h := &Hub{name: name, path: path, listener: ln, watchers: map[*watcherConn]struct{}{},
		runs: map[string]*hubRun{}, pending: map[string]*pendingApproval{}}
	go h.accept()
	return h, nil
}

// privateDir makes dir (and its parent) owned by this user and closed to
// others, or refuses one that is not.
func privateDir(dir string) error {
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("live: %w", err)
		}
		info, err := os.Lstat(d)
		if err != nil {
			return fmt.Errorf("live: %w", err)
		}
		if !info.IsDir() || info.Mode().Perm()&0o077 != 0 || !ownedByMe(info) {
			return fmt.Errorf("live: %s is not a private directory of this user (mode %v)", d, info.Mode())
		}
	}
	return nil
}

// Close stops listening, disconnects the watchers and refuses the open
// approval requests.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	conns := make([]*watcherConn, 0, len(h.watchers))
	for c := range h.watchers {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	err := h.listener.Close()
	for _, c := range conns {
		c.close()
	}
	os.Remove(h.path)
	os.Remove(filepath.Dir(h.path)) // when it was the last: the directory is empty
	return err
}

func (h *Hub) accept() {
	for {
		conn, err := h.listener.Accept()
		if err != nil {
			return
		}
		c := newWatcherConn(h, conn)
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			conn.Close()
			return
		}
		h.watchers[c] = struct{}{}
		runs := make([]RunInfo, 0, len(h.runs))
		for _, r := range h.runs {
			runs = append(runs, r.info)
		}
		h.mu.Unlock()
		c.send(Message{Op: OpHello, Publisher: &PublisherInfo{PID: os.Getpid(), Name: h.name}, Runs: runs}, true)
		go c.writeLoop()
		go c.readLoop()
	}
}

// Begin announces a run (playground.Bus).
func (h *Hub) Begin(info playground.RunInfo) playground.Watch {
	ri := RunInfo{Key: fmt.Sprintf("%d-%d", os.Getpid(), h.nextRun.Add(1)), SessionID: info.SessionID, Runtime: info.Runtime,
		Code: string(info.Code), Origin: info.Origin, Limits: info.Limits, Began: time.Now()}
	h.mu.Lock()
	h.runs[ri.Key] = &hubRun{info: ri, cancel: info.Cancel}
	h.mu.Unlock()
	h.broadcast(ri.SessionID, Message{Op: OpBegin, Run: &ri}, true)
	return &hubWatch{hub: h, info: ri}
}

// hubWatch publishes one run's events (playground.Watch).
type hubWatch struct {
	hub  *Hub
	info RunInfo
}

func (w *hubWatch) Event(ev run.Event) {
	if we, ok := wireEvent(ev); ok {
		w.hub.broadcast(w.info.SessionID, Message{Op: OpEvent, Key: w.info.Key, Event: we}, false)
	}
}

func (w *hubWatch) End(res run.Result, number int) {
	w.hub.mu.Lock()
	delete(w.hub.runs, w.info.Key)
	w.hub.mu.Unlock()
	res.Stdout, res.Stderr = nil, nil
	w.hub.broadcast(w.info.SessionID, Message{Op: OpEnd, Run: &w.info, Result: &res, Duration: res.Duration, Number: number}, true)
}

// broadcast queues m for every watcher of session; essential messages are
// never dropped for a watcher still connected.
func (h *Hub) broadcast(session string, m Message, essential bool) {
	for _, c := range h.watchersOf(session) {
		c.send(m, essential)
	}
}

// watchersOf lists the watchers of a session.
func (h *Hub) watchersOf(session string) []*watcherConn {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*watcherConn
	for c := range h.watchers {
		if c.watches(session) {
			out = append(out, c)
		}
	}
	return out
}

// Approve asks the watchers of req's session for a decision and returns
// the first (mcpserver.Approver). With nobody watching it fails at once
// with ErrNobodyWatching.
func (h *Hub) Approve(ctx context.Context, req ApprovalRequest) (Decision, error) {
	req.ID = fmt.Sprintf("%d-a%d", os.Getpid(), h.nextReq.Add(1))
	watchers := h.watchersOf(req.SessionID)
	// A process just started has not been found by the watchers yet: give
	// them one rescan to connect before saying nobody is there.
	for wait := time.Now().Add(watcherGrace); len(watchers) == 0 && time.Now().Before(wait) && ctx.Err() == nil; {
		time.Sleep(50 * time.Millisecond)
		watchers = h.watchersOf(req.SessionID)
	}
	if len(watchers) == 0 {
		return Decision{}, ErrNobodyWatching
	}
	p := &pendingApproval{req: req, answers: make(chan Decision, 1)}
	h.mu.Lock()
	h.pending[req.ID] = p
	h.mu.Unlock()
	for _, c := range watchers {
		c.send(Message{Op: OpApprove, Request: &req}, true)
	}
	closeWith := func(why string) {
		h.mu.Lock()
		delete(h.pending, req.ID)
		h.mu.Unlock()
		h.broadcast(req.SessionID, Message{Op: OpApprovalClosed, ID: req.ID, Closed: why}, true)
	}
	select {
	case d := <-p.answers:
		closeWith("answered")
		if !d.Edited {
			d.Code = req.Code
		}
		return d, nil
	case <-ctx.Done():
		why := "canceled"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			why = "timed out"
		}
		closeWith(why)
		return Decision{}, ctx.Err()
	}
}

// decide delivers a watcher's answer to an open request.
func (h *Hub) decide(id string, d Decision) {
	h.mu.Lock()
	p := h.pending[id]
	h.mu.Unlock()
	if p == nil {
		return
	}
	select {
	case p.answers <- d:
	default: // another watcher answered first
	}
}

// cancelRun stops a run a watcher asked to.
func (h *Hub) cancelRun(key string) {
	h.mu.Lock()
	r := h.runs[key]
	h.mu.Unlock()
	if r != nil && r.cancel != nil {
		r.cancel()
	}
}

// drop forgets a watcher that went away.
func (h *Hub) drop(c *watcherConn) {
	h.mu.Lock()
	delete(h.watchers, c)
	h.mu.Unlock()
}

// watcherConn is one watcher's connection, with its bounded queue.
type watcherConn struct {
	hub  *Hub
	conn net.Conn

	mu        sync.Mutex
	queue     []Message
	output    int              // output bytes queued
	dropped   map[string]int64 // output bytes dropped, per run
	sessions  map[string]bool
	all       bool
	ready     chan struct{}
	closed    bool
	closeOnce sync.Once
}

func newWatcherConn(h *Hub, conn net.Conn) *watcherConn {
	return &watcherConn{hub: h, conn: conn, dropped: map[string]int64{}, sessions: map[string]bool{}, ready: make(chan struct{}, 1)}
}

func (c *watcherConn) watches(session string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.all || c.sessions[session]
}

// send queues m. Samples are dropped first when the queue is long, output
// past maxQueuedOutput, and a watcher whose queue of essential messages
// passes twice maxQueued is disconnected.
func (c *watcherConn) send(m Message, essential bool) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	switch {
	case essential && len(c.queue) >= 2*maxQueued:
		c.mu.Unlock()
		c.close()
		return
	case !essential && m.Event != nil && m.Event.Metrics != nil && len(c.queue) >= maxQueued/4:
		c.mu.Unlock()
		return // a sample: the next one will do
	case !essential && m.Event != nil && m.Event.Output != nil:
		n := 0
		for _, ch := range m.Event.Output.Chunks {
			n += len(ch.Data)
		}
		if c.output+n > maxQueuedOutput || len(c.queue) >= maxQueued {
			c.dropped[m.Key] += int64(n)
			c.mu.Unlock()
			return
		}
		if d := c.dropped[m.Key]; d > 0 {
			c.queue = append(c.queue, Message{Op: OpEvent, Key: m.Key, Event: &Event{Dropped: d}})
			delete(c.dropped, m.Key)
		}
		c.output += n
	case !essential && len(c.queue) >= maxQueued:
		c.mu.Unlock()
		return
	}
	c.queue = append(c.queue, m)
	select { // under the lock: close closes ready under it too
	case c.ready <- struct{}{}:
	default:
	}
	c.mu.Unlock()
}

// writeLoop writes the queue out; a watcher that does not read within
// writeTimeout is disconnected.
func (c *watcherConn) writeLoop() {
	w := bufio.NewWriter(c.conn)
	enc := json.NewEncoder(w)
	for range c.ready {
		c.mu.Lock()
		batch := c.queue
		c.queue, c.output = nil, 0
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return
		}
		c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		for _, m := range batch {
			if err := enc.Encode(m); err != nil {
				c.close()
				return
			}
		}
		if err := w.Flush(); err != nil {
			c.close()
			return
		}
	}
}

// readLoop reads the watcher's messages.
func (c *watcherConn) readLoop() {
	defer c.close()
	sc := bufio.NewScanner(c.conn)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		var m Message
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		switch m.Op {
		case OpWatch:
			c.mu.Lock()
			c.all, c.sessions = m.All, map[string]bool{}
			for _, s := range m.Sessions {
				c.sessions[s] = true
			}
			c.mu.Unlock()
		case OpDecide:
			if m.Decision != nil {
				c.hub.decide(m.ID, *m.Decision)
			}
		case OpCancel:
			c.hub.cancelRun(m.ID)
		}
	}
}

func (c *watcherConn) close() {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		close(c.ready)
		c.mu.Unlock()
		c.conn.Close()
		c.hub.drop(c)
	})
}

// ownedByMe reports whether a file belongs to this process's user.
func ownedByMe(info os.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
