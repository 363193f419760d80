package mcpserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// JSON-RPC error codes for lines the server cannot take.
const (
	rpcParseError     = -32700
	rpcInvalidRequest = -32600
)

// lineGuard stands between an agent's stdin and the SDK, which ends the
// whole session on a line it cannot decode: it passes on each line that
// is a JSON-RPC message (or batch) and answers any other line itself with
// a JSON-RPC error, so a bad line costs only itself. Lines past
// MaxMessageBytes are skipped to their end without being held.
type lineGuard struct {
	in  io.ReadCloser
	out *lockedWriter
	pr  *io.PipeReader
}

// guardStdin starts a lineGuard on in; what it passes on is read from the
// returned guard.
func guardStdin(in io.ReadCloser, out *lockedWriter) *lineGuard {
	pr, pw := io.Pipe()
	g := &lineGuard{in: in, out: out, pr: pr}
	go g.pump(pw)
	return g
}

func (g *lineGuard) Read(p []byte) (int, error) { return g.pr.Read(p) }

// Close stops the guard and closes stdin.
func (g *lineGuard) Close() error {
	g.pr.Close()
	return g.in.Close()
}

func (g *lineGuard) pump(pw *io.PipeWriter) {
	br := bufio.NewReaderSize(g.in, 64<<10)
	for {
		line, tooLong, err := readLine(br, MaxMessageBytes)
		switch trimmed := bytes.TrimSpace(line); {
		case tooLong:
			g.out.reply(rpcInvalidRequest, fmt.Sprintf("message longer than %d MiB: refused", MaxMessageBytes>>20))
		case len(trimmed) == 0:
		case trimmed[0] == '[':
			// The SDK ends the session on a batch in the current protocol
			// revisions (and on a malformed one in any): refused here.
			g.out.reply(rpcInvalidRequest, "JSON-RPC batches are not supported: send one message per line")
		case !isMessage(trimmed):
			g.out.reply(rpcParseError, "parse error: the line is not a JSON-RPC message")
		default:
			if _, werr := pw.Write(append(trimmed, '\n')); werr != nil {
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			pw.CloseWithError(err)
			return
		}
	}
}

// readLine reads one line (without its newline) of at most max bytes; a
// longer one is read to its end, dropped, and reported tooLong.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > max+1 {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(line, []byte("\n")), tooLong, err
	}
}

// isMessage reports whether data decodes as one JSON-RPC message.
func isMessage(data []byte) bool {
	_, err := jsonrpc.DecodeMessage(data)
	return err == nil
}

// lockedWriter is stdout, shared by the SDK (one Write per message) and
// the guard's own answers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.WriteCloser
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Close closes stdout.
func (l *lockedWriter) Close() error { return l.w.Close() }

// reply writes a JSON-RPC error answer with a null id: the request's id,
// if it had one, could not be read.
func (l *lockedWriter) reply(code int, message string) {
	data, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": nil, "error": map[string]any{"code": code, "message": message}})
	if err != nil {
		return
	}
	l.Write(append(data, '\n'))
}
