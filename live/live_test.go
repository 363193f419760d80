package live

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
)

// next waits for the next message of op.
func next(t *testing.T, w *Watcher, op string) Message {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m := <-w.Messages():
			if m.Op == op {
				return m
			}
		case <-deadline:
			t.Fatalf("no %s message", op)
		}
	}
}

func newPair(t *testing.T) (*Hub, *Watcher) {
	t.Helper()
	root := t.TempDir()
	h, err := Listen(root, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	w := Watch(root)
	t.Cleanup(w.Close)
	w.SetSessions([]string{"s1"})
	next(t, w, OpHello)
	waitWatching(t, h, "s1")
	return h, w
}

// waitWatching waits until the hub knows the watcher watches session.
func waitWatching(t *testing.T, h *Hub, session string) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(5 * time.Millisecond) {
		if len(h.watchersOf(session)) > 0 {
			return
		}
	}
	t.Fatal("the hub never saw the watcher watch")
}

func TestLive_RunsReachTheWatcher(t *testing.T) {
	h, w := newPair(t)
	canceled := make(chan struct{})
	watch := h.Begin(playground.RunInfo{SessionID: "s1", Runtime: "python", Code: []byte("print(1)"),
		Origin: sessions.Origin{Kind: sessions.OriginAgent, Client: "claude"}, Cancel: func() { close(canceled) }})
	begin := next(t, w, OpBegin)
	if begin.Run.Code != "print(1)" || begin.Run.Origin.Client != "claude" {
		t.Fatalf("begin: %+v", begin.Run)
	}
	if a := w.Active()["s1"]; len(a) != 1 || a[0].Key != begin.Run.Key {
		t.Fatalf("active: %+v", w.Active())
	}
	watch.Event(run.Output{Chunks: []run.Chunk{{Stream: run.Stdout, Data: []byte("1\n")}}})
	if ev := next(t, w, OpEvent); ev.Event.Output == nil || string(ev.Event.Output.Chunks[0].Data) != "1\n" {
		t.Fatalf("event: %+v", ev.Event)
	}
	if err := w.Cancel(begin.Run.Key); err != nil {
		t.Fatal(err)
	}
	select {
	case <-canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("the cancel did not reach the run")
	}
	watch.End(run.Result{Outcome: run.OutcomeCanceled, Stdout: []byte("1\n"), Duration: 1500 * time.Millisecond}, 7)
	end := next(t, w, OpEnd)
	if end.Result == nil || end.Result.Outcome != run.OutcomeCanceled || end.Result.Stdout != nil || end.Result.Duration != 1500*time.Millisecond || end.Number != 7 {
		t.Fatalf("end: %+v", end.Result)
	}
	if len(w.Active()) != 0 {
		t.Errorf("still active: %+v", w.Active())
	}
	// A run in another session is not sent.
	other := h.Begin(playground.RunInfo{SessionID: "s2"})
	other.End(run.Result{}, 0)
	h.Begin(playground.RunInfo{SessionID: "s1"})
	if m := next(t, w, OpBegin); m.Run.SessionID != "s1" {
		t.Fatalf("a run of s2 reached a watcher of s1")
	}
}

func TestLive_Approval(t *testing.T) {
	h, w := newPair(t)
	ctx := context.Background()
	go func() {
		m := next(t, w, OpApprove)
		w.Decide(m.Request.ID, Decision{Approved: true, Code: "print(2)", Edited: true})
	}()
	d, err := h.Approve(ctx, ApprovalRequest{SessionID: "s1", Code: "print(1)"})
	if err != nil || !d.Approved || d.Code != "print(2)" {
		t.Fatalf("decision %+v, %v", d, err)
	}
	next(t, w, OpApprovalClosed)
	// Nobody watches s2: refused at once.
	if _, err := h.Approve(ctx, ApprovalRequest{SessionID: "s2"}); !errors.Is(err, ErrNobodyWatching) {
		t.Fatalf("nobody watching: %v", err)
	}
	// Unanswered: the context ends it, and the watcher hears it closed.
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := h.Approve(tctx, ApprovalRequest{SessionID: "s1"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	if m := next(t, w, OpApprovalClosed); m.Closed != "timed out" {
		t.Fatalf("closed: %q", m.Closed)
	}
}

// A watcher that connects and never reads never slows a run, and is let go.
func TestLive_AStuckWatcherNeverSlowsARun(t *testing.T) {
	root := t.TempDir()
	h, err := Listen(root, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	conn, err := net.Dial("unix", filepath.Join(Dir(root), strconv.Itoa(os.Getpid())+".sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(`{"op":"watch","all":true}` + "\n")); err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(conn).ReadString('\n') // hello; then it stops reading
	waitWatching(t, h, "s1")
	watch := h.Begin(playground.RunInfo{SessionID: "s1"})
	chunk := run.Output{Chunks: []run.Chunk{{Data: make([]byte, 64<<10)}}}
	published := make(chan struct{})
	go func() {
		for range 2000 { // 125 MiB: far more than any socket buffer
			watch.Event(chunk)
			watch.Event(run.Metrics{FuelConsumed: 1})
		}
		watch.End(run.Result{}, 0)
		close(published)
	}()
	select {
	case <-published:
	case <-time.After(30 * time.Second):
		t.Fatal("publishing blocks on a watcher that does not read")
	}
}

// A watcher already running finds a publisher that starts later (a
// short-lived `wasmplay mcp`), and hears when it goes away, so the app
// reloads what it may have missed; the last publisher leaves no directory.
func TestWatcher_PublisherComesAndGoes(t *testing.T) {
	root := t.TempDir()
	w := Watch(root)
	t.Cleanup(w.Close)
	w.SetSessions([]string{"s1"})
	h, err := Listen(root, "short-lived")
	if err != nil {
		t.Fatal(err)
	}
	if hello := next(t, w, OpHello); hello.Publisher == nil || hello.Publisher.Name != "short-lived" {
		t.Fatalf("hello: %+v", hello)
	}
	h.Close()
	if gone := next(t, w, OpGone); gone.Publisher == nil || gone.Publisher.Name != "short-lived" {
		t.Fatalf("gone: %+v", gone)
	}
	if _, err := os.Stat(filepath.Join(Dir(root), filepath.Base(h.path))); !os.IsNotExist(err) {
		t.Fatalf("the socket is still there: %v", err)
	}
	// A second publisher after the directory went: found again.
	h2, err := Listen(root, "second")
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	if hello := next(t, w, OpHello); hello.Publisher == nil || hello.Publisher.Name != "second" {
		t.Fatalf("hello: %+v", hello)
	}
}
