package playground

import (
	"sync"

	"github.com/wasmplay/wasmplay/run"
)

// feed buffers one run's events for a reader that may fall behind. It
// never blocks the run: consecutive Output events are merged and a Metrics
// sample replaces the one before it, so what waits stays bounded by the
// run's output caps. Finished is always delivered, last.
type feed struct {
	mu      sync.Mutex
	queue   []run.Event
	wake    chan struct{}
	out     chan run.Event
	started bool
}

func newFeed() *feed {
	return &feed{wake: make(chan struct{}, 1)}
}

// push adds an event, merging it with the one before where it can.
func (f *feed) push(ev run.Event) {
	f.mu.Lock()
	f.queue = coalesce(f.queue, ev)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// coalesce appends ev to q, merging output and dropping stale samples.
func coalesce(q []run.Event, ev run.Event) []run.Event {
	if len(q) == 0 {
		return append(q, ev)
	}
	switch e := ev.(type) {
	case run.Metrics:
		if _, ok := q[len(q)-1].(run.Metrics); ok {
			q[len(q)-1] = e
			return q
		}
	case run.Output:
		if prev, ok := q[len(q)-1].(run.Output); ok {
			prev.Chunks = append(prev.Chunks, e.Chunks...)
			prev.StdoutTruncated, prev.StderrTruncated = e.StdoutTruncated, e.StderrTruncated
			q[len(q)-1] = prev
			return q
		}
	}
	return append(q, ev)
}

// channel returns the reading end, starting the goroutine that feeds it.
func (f *feed) channel() <-chan run.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.started {
		f.started = true
		f.out = make(chan run.Event)
		go f.forward()
	}
	return f.out
}

// forward moves events to the reader until Finished has been read.
func (f *feed) forward() {
	defer close(f.out)
	for {
		f.mu.Lock()
		if len(f.queue) == 0 {
			f.mu.Unlock()
			<-f.wake
			continue
		}
		ev := f.queue[0]
		f.queue = f.queue[1:]
		f.mu.Unlock()
		f.out <- ev
		if _, last := ev.(run.Finished); last {
			return
		}
	}
}
