package mcpserver

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// bearer adds the token to every request, as an agent's HTTP client does.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "bearer "+b.token) // the scheme in any case
	return b.next.RoundTrip(r)
}

// The HTTP front door: what a client without the token, another site, a
// rebound DNS name or an oversized body gets, and a real client with the
// token still served after all of them.
func TestHTTP_Walls(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef0123456789abcdef"
	srv, _ := newTestServer(t, nil, nil)
	ts := httptest.NewServer(srv.HTTPHandler(token))
	defer ts.Close()
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"probe","version":"1"}}}`

	tests := []struct {
		name   string
		edit   func(*http.Request)
		body   io.Reader
		status int
		says   string
	}{
		{"no token", func(r *http.Request) {}, strings.NewReader(initialize), http.StatusUnauthorized, "Authorization: Bearer"},
		{"wrong token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+strings.Repeat("x", len(token))) },
			strings.NewReader(initialize), http.StatusUnauthorized, "Unauthorized"},
		{"token without Bearer", func(r *http.Request) { r.Header.Set("Authorization", token) },
			strings.NewReader(initialize), http.StatusUnauthorized, "Unauthorized"},
		{"token after another scheme", func(r *http.Request) { r.Header.Set("Authorization", "Basic "+token) },
			strings.NewReader(initialize), http.StatusUnauthorized, "Unauthorized"},
		{"another site", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+token)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			r.Header.Set("Origin", "https://evil.example")
		}, strings.NewReader(initialize), http.StatusForbidden, "cross-origin"},
		{"rebound DNS name", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+token)
			r.Host = "evil.example:80"
		}, strings.NewReader(initialize), http.StatusForbidden, "Host"},
		{"body over the cap", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) },
			io.MultiReader(strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run_code","arguments":{"language":"python","code":"`),
				bytes.NewReader(bytes.Repeat([]byte("#"), MaxMessageBytes)), strings.NewReader(`"}}}`)),
			http.StatusRequestEntityTooLarge, "exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, ts.URL, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			tt.edit(req)
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.says) {
				t.Fatalf("status %d %q, want %d saying %q", resp.StatusCode, body, tt.status, tt.says)
			}
			if strings.Contains(string(body), token) {
				t.Fatal("the answer shows the token")
			}
		})
	}

	// The server is still up for a client with the token.
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "http-agent", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: ts.URL,
		HTTPClient: &http.Client{Transport: bearer{token: token, next: http.DefaultTransport}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "run_code", Arguments: map[string]any{"language": "python", "code": "print(6 * 7)"}})
	if err != nil || res.IsError {
		t.Fatalf("run_code over HTTP after the walls: %v %s", err, errorText(res))
	}
	if !strings.Contains(toText(res), "42") {
		t.Fatalf("answer %q lacks the output", toText(res))
	}
}

// toText joins a result's text contents.
func toText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}
