package mcpserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

// Lines that are not JSON-RPC messages are each answered with an error,
// and the server goes on serving the agent: one bad line never ends it.
func TestServeStdio_BadLinesAnsweredNotFatal(t *testing.T) {
	srv, _ := newTestServer(t, nil, nil)
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.ServeStdio(ctx, toServer, fromServer) }()
	defer func() {
		cancel()
		fromClient.Close()
		<-served
	}()
	answers := make(chan map[string]any, 16)
	go func() {
		sc := bufio.NewScanner(toClient)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				answers <- m
			}
		}
	}()
	send := func(line string) {
		if _, err := io.WriteString(fromClient, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	next := func(what string) map[string]any {
		select {
		case m := <-answers:
			return m
		case <-time.After(10 * time.Second):
			t.Fatalf("no answer to %s", what)
			return nil
		}
	}
	bad := []string{`{not json`, `[]`, `{"jsonrpc":"2.0","id":{"an":"object"},"method":"tools/list"}`, `42`,
		`{"jsonrpc":"2.0","id":1,"method":"x","params":` + strings.Repeat(" ", MaxMessageBytes) + `{}}`}
	for _, line := range bad {
		send(line)
		m := next(line[:min(len(line), 30)])
		e, _ := m["error"].(map[string]any)
		if e == nil || m["id"] != nil {
			t.Fatalf("answer to %.30q: %v, want an error with a null id", line, m)
		}
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	if m := next("initialize"); m["result"] == nil {
		t.Fatalf("initialize after bad lines: %v", m)
	}
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	// A batch after the handshake ended the session in the SDK.
	send(`[{"jsonrpc":"2.0","id":5,"method":"tools/list"}]`)
	if m := next("a batch"); m["error"] == nil {
		t.Fatalf("a batch: %v", m)
	}
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	if m := next("tools/list"); m["result"] == nil {
		t.Fatalf("tools/list after bad lines: %v", m)
	}
}
