package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmplay/wasmplay/batch"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/textsafe"
)

func newNATSWorkerCommand(g *globals) *cobra.Command {
	var n natsFlags
	var jobs int
	var ackWait time.Duration
	var limits runOptions
	cmd := &cobra.Command{
		Use:   "worker --nats URL [flags]",
		Short: "Run batch items that wasmplay batch --nats publishes, until stopped",
		Long: `Pull the items of every wasmplay batch --nats from the NATS server's work
queue, run each in the sandbox (the same worker processes and limits as a
local batch), and publish its result. Start as many as you like, on as
many machines. An item is acknowledged only once its result is stored: a
worker killed mid-item has the item given to another after --ack-wait.

The limit flags are this worker's ceilings, whatever an item or its batch
asks for.`,
		Example: `  wasmplay worker --nats nats://queue.internal:4222 --jobs 8
  wasmplay worker --nats tls://queue:4222 --nats-creds worker.creds --fuel 200G --timeout 2m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if n.url == "" {
				return usageError("--nats URL: the NATS server to take items from")
			}
			layer, err := requestLimits(limits)
			if err != nil {
				return err
			}
			cfg, configLayer, reg, err := g.configured()
			if err != nil {
				return err
			}
			if jobs <= 0 {
				jobs = runtime.NumCPU()
			}
			pg, closePG, err := g.itemPlayground(cfg, reg, configLayer, layer, jobs)
			if err != nil {
				return err
			}
			defer closePG()
			fmt.Fprintf(g.stderr, "wasmplay worker: taking batch items from %s, %d at a time\n", textsafe.Line(n.url), jobs)
			name := func(src run.Source, f run.Field) string {
				if src == run.SourceCeiling {
					return "the worker's " + string(f) + " ceiling (wasmplay worker --" + strings.ReplaceAll(string(f), "_", "-") + ")"
				}
				return batchFieldName(g)(src, f)
			}
			g := g.withLockedStderr() // items are logged from several goroutines
			// Stopped, a worker hands its items in flight back to the queue.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			err = batch.Work(ctx, n.conn("wasmplay worker", g.stderr), batch.WorkerOptions{Playground: pg, Jobs: jobs,
				AckWait: ackWait, Name: name, Log: g.stderr})
			if err != nil {
				return &exitError{code: ExitHostError, err: err}
			}
			return nil
		},
	}
	f := cmd.Flags()
	n.add(f, "the NATS server batches publish their items to")
	f.IntVarP(&jobs, "jobs", "j", 0, "items run at once (default: one per core)")
	f.DurationVar(&ackWait, "ack-wait", 30*time.Second, "how long an item of a worker that stopped answering waits before another worker takes it")
	f.StringVar(&limits.fuel, "fuel", "", "the most fuel an item may have, e.g. 100G")
	f.StringVar(&limits.memory, "memory", "", "the most memory an item may have")
	f.StringVar(&limits.timeout, "timeout", "", "the longest an item may run")
	f.StringVar(&limits.stdoutMax, "stdout-max", "", "the most stdout an item's run keeps")
	f.StringVar(&limits.stderrMax, "stderr-max", "", "the most stderr an item's run keeps")
	f.SortFlags = false
	return cmd
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// withLockedStderr is g with its standard error safe for writes from
// several goroutines (a terminal's file is; a test's buffer is not). The
// progress bar still sees the file it wraps, to know a terminal.
func (g *globals) withLockedStderr() *globals {
	c := *g
	c.stderrFile, _ = g.stderr.(*os.File)
	c.stderr = &lockedWriter{w: g.stderr}
	return &c
}
