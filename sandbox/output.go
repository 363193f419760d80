package sandbox

import (
	"bytes"
	"sync"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sandbox/wasi"
)

// maxOutputSegments bounds how many times output may switch between stdout
// and stderr and still be kept in order; past it, output is truncated.
const maxOutputSegments = 1 << 18

// outputLog is what a guest wrote to stdout and stderr, in order, with a
// cap per stream: bytes past a stream's cap are counted and dropped (the
// write still succeeds, so the guest keeps running). The guest's thread
// writes; the pump collects what is new.
type outputLog struct {
	mu       sync.Mutex
	caps     [2]int64
	kept     [2]bytes.Buffer
	total    [2]int64
	pending  []run.Chunk // written since the last collect
	segments int
	last     int // stream of the last kept byte, -1 before any
	segsFull bool
}

func newOutputLog(stdoutCap, stderrCap int64) *outputLog {
	return &outputLog{caps: [2]int64{stdoutCap, stderrCap}, last: -1}
}

// write appends what the guest wrote to s.
func (o *outputLog) write(s wasi.Stream, p []byte) {
	k := 0
	if s == wasi.Stderr {
		k = 1
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.total[k] += int64(len(p))
	room := o.caps[k] - int64(o.kept[k].Len())
	n := min(int64(len(p)), max(room, 0))
	if n == 0 {
		return
	}
	if o.last != k {
		if o.segments == maxOutputSegments {
			o.segsFull = true
			return
		}
		o.segments++
		o.last = k
		o.pending = append(o.pending, run.Chunk{Stream: run.Stream(k)})
	} else if len(o.pending) == 0 {
		o.pending = append(o.pending, run.Chunk{Stream: run.Stream(k)})
	}
	data := p[:n]
	o.kept[k].Write(data)
	last := &o.pending[len(o.pending)-1]
	last.Data = append(last.Data, data...)
}

// collect returns the output written since the last collect.
func (o *outputLog) collect() []run.Chunk {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.pending
	o.pending = nil
	return out
}

// totals are the bytes the guest wrote to each stream, kept or not, and
// whether either was truncated.
func (o *outputLog) totals() (stdout, stderr int64, stdoutCut, stderrCut bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.total[0], o.total[1], o.total[0] > int64(o.kept[0].Len()) || o.segsFull,
		o.total[1] > int64(o.kept[1].Len()) || o.segsFull
}

// result copies the kept output.
func (o *outputLog) result() (stdout, stderr []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return bytes.Clone(o.kept[0].Bytes()), bytes.Clone(o.kept[1].Bytes())
}
