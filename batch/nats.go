package batch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
)

// A batch scales out on NATS JetStream: `wasmplay batch --nats URL`
// publishes its items to a work-queue stream and collects the results
// from a second stream; any number of `wasmplay worker --nats URL`
// processes pull items, run them and publish results. A worker acks an
// item only after its result is stored, so an item whose worker dies is
// redelivered after the ack wait and runs elsewhere. The collector writes
// each item's first result and drops repeats (by id), so nothing is
// counted twice, and it resumes from the output file like a local batch.

// Stream and subject names.
const (
	itemsStream    = "WASMPLAY_ITEMS"
	resultsStream  = "WASMPLAY_RESULTS"
	itemsSubject   = "wasmplay.items."   // + batch ID
	resultsSubject = "wasmplay.results." // + batch ID
	workersName    = "wasmplay-workers"
)

// NATS says how to reach a NATS server, by its conventions.
type NATS struct {
	// URL is the server ("nats://host:4222"; several, comma-separated).
	URL string
	// Credentials is a .creds file (NATS decentralised auth), or "".
	Credentials string
	// RootCA, Cert and Key configure TLS: a CA to trust, and a client
	// certificate with its key.
	RootCA, Cert, Key string
	// Name names the connection in the server's monitoring.
	Name string
	// Log, if not nil, is told when the connection drops and comes back,
	// from NATS's own goroutines: it must be safe for concurrent writes.
	Log io.Writer
}

// connect dials the server, reconnecting for as long as it takes.
func (o NATS) connect() (*nats.Conn, jetstream.JetStream, error) {
	opts := []nats.Option{nats.Name(o.Name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(false)}
	if o.Credentials != "" {
		opts = append(opts, nats.UserCredentials(o.Credentials))
	}
	if o.RootCA != "" {
		opts = append(opts, nats.RootCAs(o.RootCA))
	}
	if o.Cert != "" || o.Key != "" {
		opts = append(opts, nats.ClientCert(o.Cert, o.Key))
	}
	if o.Log != nil {
		opts = append(opts,
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				if err != nil { // nil: closed by this process
					fmt.Fprintf(o.Log, "wasmplay: lost the NATS server (%v): waiting for it to come back; results so far are kept\n", err)
				}
			}),
			nats.ReconnectHandler(func(nc *nats.Conn) {
				fmt.Fprintf(o.Log, "wasmplay: NATS server back at %s\n", nc.ConnectedUrlRedacted())
			}))
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("batch: connect to NATS at %s: %w", o.URL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("batch: JetStream: %w", err)
	}
	return nc, js, nil
}

// ensureStreams creates the two streams, or checks they are there.
func ensureStreams(ctx context.Context, js jetstream.JetStream) error {
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: itemsStream, Subjects: []string{itemsSubject + ">"},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage, Duplicates: time.Hour}); err != nil {
		return fmt.Errorf("batch: the %s stream: %w", itemsStream, err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: resultsStream, Subjects: []string{resultsSubject + ">"},
		Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage, MaxAge: 7 * 24 * time.Hour}); err != nil {
		return fmt.Errorf("batch: the %s stream: %w", resultsStream, err)
	}
	return nil
}

// natsTask is an item as published for the workers.
type natsTask struct {
	Batch string          `json:"batch"`
	Line  int             `json:"line"`
	Item  json.RawMessage `json:"item"`
	// Limits is the batch's layer; the worker holds it to its own
	// ceilings.
	Limits    run.Overrides `json:"limits"`
	OutputMax int           `json:"output_max"`
	Stable    bool          `json:"stable"`
}

// BatchID names a batch on the streams: the same output file is the same
// batch, so a restarted batch finds its results.
func BatchID(output string) string {
	abs, err := filepath.Abs(output)
	if err != nil {
		abs = output
	}
	sum := sha256.Sum256([]byte(abs))
	return hex.EncodeToString(sum[:8])
}

// RunNATS is Run with the items run by workers through NATS: it
// publishes what out does not answer yet, and writes the results as they
// come back, until every item is answered or ctx is canceled.
func RunNATS(ctx context.Context, in io.Reader, out io.Writer, ans *Answered, opts Options, conn NATS, batchID string) (Progress, error) {
	nc, js, err := conn.connect()
	if err != nil {
		return Progress{}, err
	}
	defer nc.Close()
	if err := ensureStreams(ctx, js); err != nil {
		return Progress{}, err
	}
	collector, err := js.CreateOrUpdateConsumer(ctx, resultsStream, jetstream.ConsumerConfig{
		Durable: "collect-" + batchID, FilterSubject: resultsSubject + batchID,
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxAckPending: 4096})
	if err != nil {
		return Progress{}, fmt.Errorf("batch: the results consumer: %w", err)
	}
	outputMax := opts.OutputMax
	if outputMax <= 0 {
		outputMax = DefaultOutputMax
	}
	start := time.Now()
	p := Progress{Skipped: len(ans.Results)}
	before := ans.frozen()
	var mu sync.Mutex // guards out, ans, p, pending
	pending := map[string]bool{}
	readDone := false
	allDone := make(chan struct{})
	var allDoneOnce sync.Once
	var writeErr error
	finishIfDone := func() {
		if readDone && len(pending) == 0 {
			allDoneOnce.Do(func() { close(allDone) })
		}
	}
	record := func(r Result) bool {
		if writeErr != nil {
			return false
		}
		if err := writeResult(out, r); err != nil {
			writeErr = err
			return false
		}
		ans.add(r)
		p.count(r)
		p.Elapsed = time.Since(start)
		if opts.Progress != nil {
			opts.Progress(p)
		}
		return true
	}

	// The collector: results from the workers, first one per item.
	cctx, stopCollect := context.WithCancel(ctx)
	defer stopCollect()
	collected := make(chan error, 1)
	go func() {
		msgs, err := collector.Messages(jetstream.PullMaxMessages(64))
		if err != nil {
			collected <- err
			return
		}
		go func() { <-cctx.Done(); msgs.Stop() }()
		for {
			msg, err := msgs.Next()
			if err != nil {
				if errors.Is(err, jetstream.ErrMsgIteratorClosed) || cctx.Err() != nil {
					collected <- nil
					return
				}
				continue // a heartbeat missed while the server is away: keep waiting
			}
			var r Result
			if json.Unmarshal(msg.Data(), &r) != nil || r.Line < 1 {
				msg.Term() // not a result: never redeliver it
				continue
			}
			mu.Lock()
			key := string(r.ID)
			if r.Outcome == OutcomeBadInput {
				key = ""
			}
			fresh := !ans.has(r.Line, key)
			ok := true
			if fresh {
				ok = record(r)
				delete(pending, string(r.ID))
				delete(pending, fmt.Sprintf("line:%d", r.Line))
			}
			finishIfDone()
			mu.Unlock()
			if ok {
				msg.Ack() // written (or a repeat): done with it
			}
		}
	}()

	// The publisher: every item not answered yet (as the output said when
	// the batch started: the collector adds to ans meanwhile).
	readErr := readItems(ctx, in, before, opts, func(it Item) bool {
		task, _ := json.Marshal(natsTask{Batch: batchID, Line: it.Line, Item: it.raw, Limits: opts.Limits,
			OutputMax: outputMax, Stable: opts.Stable})
		mu.Lock()
		pending[it.Key] = true
		mu.Unlock()
		for {
			_, err := js.Publish(ctx, itemsSubject+batchID, task, jetstream.WithMsgID(batchID+"/"+it.Key))
			if err == nil {
				return true
			}
			if ctx.Err() != nil {
				return false
			}
			time.Sleep(time.Second) // the server is away: publish again when it is back
		}
	}, func(r Result) bool {
		mu.Lock()
		defer mu.Unlock()
		return record(r)
	})
	mu.Lock()
	readDone = true
	finishIfDone()
	mu.Unlock()
	if readErr != nil {
		return p, readErr
	}
	select {
	case <-allDone:
	case <-ctx.Done():
	case err := <-collected:
		if err != nil {
			return p, fmt.Errorf("batch: collect results: %w", err)
		}
	}
	stopCollect()
	mu.Lock()
	defer mu.Unlock()
	p.Elapsed = time.Since(start)
	switch {
	case writeErr != nil:
		return p, fmt.Errorf("batch: write a result: %w", writeErr)
	case ctx.Err() != nil:
		return p, ctx.Err()
	}
	// Every item is answered: the batch's results and its consumer go.
	cleanCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s, err := js.Stream(cleanCtx, resultsStream); err == nil {
		s.Purge(cleanCtx, jetstream.WithPurgeSubject(resultsSubject+batchID))
	}
	js.DeleteConsumer(cleanCtx, resultsStream, "collect-"+batchID)
	return p, nil
}

// WorkerOptions configure a NATS worker.
type WorkerOptions struct {
	// Playground runs the items, held to the worker's own ceilings
	// whatever an item or its batch asks.
	Playground *playground.Playground
	// Jobs is how many items run at once.
	Jobs int
	// AckWait is how long an item may go unacknowledged before NATS gives
	// it to another worker; a worker signals progress while it runs, so
	// only a dead worker's items wait that long.
	AckWait time.Duration
	// Log, if not nil, gets a line per item.
	Log io.Writer
	// Name phrases limits in items' errors, as for Options.
	Name func(run.Source, run.Field) string
}

// Work pulls items from the stream and runs them until ctx is canceled.
func Work(ctx context.Context, conn NATS, opts WorkerOptions) error {
	nc, js, err := conn.connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := ensureStreams(ctx, js); err != nil {
		return err
	}
	ackWait := opts.AckWait
	if ackWait <= 0 {
		ackWait = 30 * time.Second
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, itemsStream, jetstream.ConsumerConfig{
		Durable: workersName, AckPolicy: jetstream.AckExplicitPolicy, AckWait: ackWait, MaxDeliver: -1})
	if err != nil {
		return fmt.Errorf("batch: the items consumer: %w", err)
	}
	var wg sync.WaitGroup
	for range max(opts.Jobs, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				msgs, err := cons.Fetch(1, jetstream.FetchMaxWait(2*time.Second))
				if err != nil {
					sleepCtx(ctx, time.Second) // the server is away
					continue
				}
				for msg := range msgs.Messages() {
					workOn(ctx, js, msg, opts, ackWait)
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

// workOn runs one item and publishes its result, then acks it. While it
// runs, the worker tells NATS it is still at it.
func workOn(ctx context.Context, js jetstream.JetStream, msg jetstream.Msg, opts WorkerOptions, ackWait time.Duration) {
	var task natsTask
	if err := json.Unmarshal(msg.Data(), &task); err != nil || task.Batch == "" || task.Line < 1 {
		msg.Term() // not a task: never redeliver it
		return
	}
	alive, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		t := time.NewTicker(ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-alive.Done():
				return
			case <-t.C:
				msg.InProgress()
			}
		}
	}()
	if opts.Log != nil {
		fmt.Fprintf(opts.Log, "batch %s line %d: running\n", task.Batch, task.Line)
	}
	var r Result
	it, err := ParseItem(task.Line, task.Item, opts.Playground.Registry())
	if err != nil {
		var le *LineError
		errors.As(err, &le)
		r = badLine(task.Line, le.ID, err)
	} else {
		var ok bool
		r, ok = runItem(ctx, Options{Playground: opts.Playground, Limits: task.Limits, Stable: task.Stable, Name: opts.Name}, it, max(task.OutputMax, 1))
		if !ok {
			msg.Nak() // stopping: another worker takes it now
			return
		}
	}
	data, _ := json.Marshal(r)
	for {
		if _, err := js.Publish(ctx, resultsSubject+task.Batch, data); err == nil {
			break
		}
		if ctx.Err() != nil {
			return // not acked: redelivered after the ack wait
		}
		sleepCtx(ctx, time.Second)
	}
	msg.Ack()
	if opts.Log != nil {
		fmt.Fprintf(opts.Log, "batch %s line %d: done, %s\n", task.Batch, task.Line, r.Outcome)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
