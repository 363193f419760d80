package mcpserver

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// statelessVersion is the first protocol revision without a handshake: its
// requests carry their version, capabilities and client in each request.
const statelessVersion = "2026-07-28"

// IdleHTTPSession is how long an HTTP client of the older revisions may
// stay silent before the session its handshake opened is closed (so that
// handshakes nobody follows up cannot pile up).
const IdleHTTPSession = 30 * time.Minute

// HTTPHandler serves MCP over streamable HTTP. Clients of the current
// revision (2026-07-28) are served statelessly, as it requires; clients of
// the older revisions keep the session their initialize handshake opened,
// so their name and version are known for every call. token, if not
// empty, is required as a bearer token; a wrong or missing one is a 401,
// and the token is never logged. Cross-origin browser requests are
// refused, requests through a localhost address with a foreign Host header
// too (DNS rebinding), and request bodies are capped.
func (s *Server) HTTPHandler(token string) http.Handler {
	get := func(*http.Request) *mcp.Server { return s.mcp }
	stateless := mcp.NewStreamableHTTPHandler(get, &mcp.StreamableHTTPOptions{Stateless: true, MaxRequestBodyBytes: MaxMessageBytes})
	stateful := mcp.NewStreamableHTTPHandler(get, &mcp.StreamableHTTPOptions{MaxRequestBodyBytes: MaxMessageBytes,
		SessionTimeout: IdleHTTPSession})
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Mcp-Protocol-Version") >= statelessVersion {
			stateless.ServeHTTP(w, r)
			return
		}
		stateful.ServeHTTP(w, r)
	})
	var h http.Handler = route
	if token != "" {
		h = requireToken(token, h)
	}
	return http.NewCrossOriginProtection().Handler(h)
}

// requireToken lets through only requests with the bearer token.
func requireToken(token string, next http.Handler) http.Handler {
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The scheme is case-insensitive (RFC 9110); the token is not.
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="wasmplay"`)
			http.Error(w, "Unauthorized: give the token from the wasmplay config directory as Authorization: Bearer TOKEN", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// IsLoopback reports whether addr (host:port) listens only on this
// machine.
func IsLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w (give HOST:PORT, e.g. 127.0.0.1:8765)", addr, err)
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}

// TokenFile is where the HTTP token is kept, in the config directory.
const TokenFile = "mcp-token"

// LoadToken reads the bearer token from dir, making one (32 random bytes,
// mode 0600) on first use; created says it was just made.
func LoadToken(dir string) (token string, created bool, err error) {
	path := filepath.Join(dir, TokenFile)
	data, err := os.ReadFile(path)
	if err == nil {
		info, statErr := os.Stat(path)
		if statErr == nil && info.Mode().Perm()&0o077 != 0 {
			return "", false, fmt.Errorf("%s can be read by others (mode %o): chmod 600 it", path, info.Mode().Perm())
		}
		token = strings.TrimSpace(string(data))
		if len(token) < 32 {
			return "", false, fmt.Errorf("%s holds no usable token: delete it to have a new one made", path)
		}
		return token, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", false, err
	}
	token = hex.EncodeToString(buf)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, err
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return "", false, err
	}
	return token, true, f.Close()
}
