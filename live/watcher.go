package live

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// rescanInterval is how often a Watcher looks for new publishers.
const rescanInterval = 500 * time.Millisecond

// Watcher follows the publishers of a sessions store: the app's side of
// the channel. Messages delivers what they send for the sessions watched;
// Decide and Cancel answer them.
type Watcher struct {
	dir      string
	messages chan Message
	stop     chan struct{}
	stopOnce sync.Once

	mu       sync.Mutex
	conns    map[string]*publisherConn // by socket path
	sessions []string
	all      bool
	requests map[string]*publisherConn // open approval requests
	active   map[string]RunInfo        // runs in flight, by key
	runConn  map[string]*publisherConn // which publisher has a run
}

// publisherConn is one publisher's connection.
type publisherConn struct {
	conn net.Conn
	mu   sync.Mutex // serialises writes
	info PublisherInfo
}

func (p *publisherConn) send(m Message) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err = p.conn.Write(append(data, '\n'))
	return err
}

// Watch starts following the publishers of the store at root. It watches
// no session until SetSessions or WatchAll.
func Watch(root string) *Watcher {
	w := &Watcher{dir: Dir(root), messages: make(chan Message, 4096), stop: make(chan struct{}),
		conns: map[string]*publisherConn{}, requests: map[string]*publisherConn{}, active: map[string]RunInfo{},
		runConn: map[string]*publisherConn{}}
	go w.scanLoop()
	return w
}

// Messages delivers begin, event, end, approve and approval_closed
// messages. A consumer that falls far behind loses events (never begin,
// end or approval messages).
func (w *Watcher) Messages() <-chan Message { return w.messages }

// SetSessions watches exactly these sessions.
func (w *Watcher) SetSessions(ids []string) {
	w.mu.Lock()
	w.sessions, w.all = append([]string(nil), ids...), false
	conns := w.connList()
	w.mu.Unlock()
	for _, c := range conns {
		c.send(Message{Op: OpWatch, Sessions: ids})
	}
}

// WatchAll watches every session.
func (w *Watcher) WatchAll() {
	w.mu.Lock()
	w.sessions, w.all = nil, true
	conns := w.connList()
	w.mu.Unlock()
	for _, c := range conns {
		c.send(Message{Op: OpWatch, All: true})
	}
}

func (w *Watcher) connList() []*publisherConn {
	out := make([]*publisherConn, 0, len(w.conns))
	for _, c := range w.conns {
		out = append(out, c)
	}
	return out
}

// Decide answers an approval request.
func (w *Watcher) Decide(requestID string, d Decision) error {
	w.mu.Lock()
	c := w.requests[requestID]
	w.mu.Unlock()
	if c == nil {
		return errors.New("the approval request is no longer open")
	}
	return c.send(Message{Op: OpDecide, ID: requestID, Decision: &d})
}

// Cancel asks the publisher of a run to cancel it.
func (w *Watcher) Cancel(runKey string) error {
	w.mu.Lock()
	c := w.runConn[runKey]
	w.mu.Unlock()
	if c == nil {
		return errors.New("the run is over")
	}
	return c.send(Message{Op: OpCancel, ID: runKey})
}

// Active lists the runs in flight in the store's other processes, by
// session (whatever is watched).
func (w *Watcher) Active() map[string][]RunInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string][]RunInfo{}
	for _, r := range w.active {
		out[r.SessionID] = append(out[r.SessionID], r)
	}
	return out
}

// Close stops watching.
func (w *Watcher) Close() {
	w.stopOnce.Do(func() {
		close(w.stop)
		w.mu.Lock()
		for _, c := range w.conns {
			c.conn.Close()
		}
		w.mu.Unlock()
	})
}

// scanLoop connects to publishers as their sockets appear: at once, told
// by inotify (a short-lived `wasmplay mcp` may run and leave within a
// second), and at every rescanInterval in case a notice was missed or the
// directory could not be watched.
func (w *Watcher) scanLoop() {
	t := time.NewTicker(rescanInterval)
	defer t.Stop()
	notify, err := fsnotify.NewWatcher()
	var events chan fsnotify.Event
	var errs chan error
	watching := false
	if err == nil {
		defer notify.Close()
		events, errs = notify.Events, notify.Errors
	} else {
		notify = nil
	}
	for {
		if notify != nil && !watching && privateDir(w.dir) == nil {
			watching = notify.Add(w.dir) == nil
		}
		w.scan()
		select {
		case ev := <-events:
			if ev.Name == w.dir && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				watching = false // the last publisher removed it; made again next time
			}
		case <-errs: // an overflow: the rescan catches up
		case <-t.C:
		case <-w.stop:
			return
		}
	}
}

// scan connects to the publishers not yet connected, and removes the
// sockets of processes that died.
func (w *Watcher) scan() {
	paths, _ := filepath.Glob(filepath.Join(w.dir, "*.sock"))
	for _, p := range paths {
		w.mu.Lock()
		_, known := w.conns[p]
		w.mu.Unlock()
		if known {
			continue
		}
		conn, err := net.DialTimeout("unix", p, time.Second)
		if err != nil {
			if pid, perr := strconv.Atoi(strings.TrimSuffix(filepath.Base(p), ".sock")); perr == nil && !alive(pid) {
				os.Remove(p)
			}
			continue
		}
		c := &publisherConn{conn: conn}
		w.mu.Lock()
		select {
		case <-w.stop:
			w.mu.Unlock()
			conn.Close()
			return
		default:
		}
		w.conns[p] = c
		watch := Message{Op: OpWatch, Sessions: w.sessions, All: w.all}
		w.mu.Unlock()
		c.send(watch)
		go w.read(p, c)
	}
}

// read delivers one publisher's messages until it goes away.
func (w *Watcher) read(path string, c *publisherConn) {
	defer func() {
		c.conn.Close()
		w.forget(path, c)
	}()
	sc := bufio.NewScanner(c.conn)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		var m Message
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		essential := true
		w.mu.Lock()
		switch m.Op {
		case OpHello:
			if m.Publisher != nil {
				c.info = *m.Publisher
			}
			for _, r := range m.Runs {
				w.active[r.Key], w.runConn[r.Key] = r, c
			}
		case OpBegin:
			if m.Run != nil {
				w.active[m.Run.Key], w.runConn[m.Run.Key] = *m.Run, c
			}
		case OpEnd:
			if m.Result != nil {
				m.Result.Duration = m.Duration
			}
			if m.Run != nil {
				delete(w.active, m.Run.Key)
				delete(w.runConn, m.Run.Key)
			}
		case OpApprove:
			if m.Request != nil {
				w.requests[m.Request.ID] = c
			}
		case OpApprovalClosed:
			delete(w.requests, m.ID)
		case OpEvent:
			essential = false
		}
		w.mu.Unlock()
		w.deliver(m, essential)
		if m.Op == OpHello {
			// Runs already in flight when the watcher came: a begin for
			// each, as if it had been there.
			for _, r := range m.Runs {
				r := r
				w.deliver(Message{Op: OpBegin, Run: &r}, true)
			}
		}
	}
}

// deliver hands a message to the consumer: events are dropped when it is
// far behind, the rest wait for it (or for Close).
func (w *Watcher) deliver(m Message, essential bool) {
	if !essential {
		select {
		case w.messages <- m:
		default:
		}
		return
	}
	select {
	case w.messages <- m:
	case <-w.stop:
	}
}

// forget drops a publisher that went away, with its runs and requests:
// the consumer hears an end for each run and a close for each request.
func (w *Watcher) forget(path string, c *publisherConn) {
	w.mu.Lock()
	delete(w.conns, path)
	var ended []RunInfo
	for k, pc := range w.runConn {
		if pc == c {
			ended = append(ended, w.active[k])
			delete(w.active, k)
			delete(w.runConn, k)
		}
	}
	var closed []string
	for id, pc := range w.requests {
		if pc == c {
			closed = append(closed, id)
			delete(w.requests, id)
		}
	}
	w.mu.Unlock()
	for _, r := range ended {
		r := r
		w.deliver(Message{Op: OpEnd, Run: &r}, true)
	}
	for _, id := range closed {
		w.deliver(Message{Op: OpApprovalClosed, ID: id, Closed: fmt.Sprintf("%s went away", c.info.Name)}, true)
	}
	info := c.info
	w.deliver(Message{Op: OpGone, Publisher: &info}, true)
}

// alive reports whether a process exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
