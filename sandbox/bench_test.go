package sandbox

import (
	"context"
	"syscall"
	"testing"

	"github.com/wasmplay/wasmplay/run"
)

// BenchmarkWarmRun measures a whole warm in-process run: set-up,
// instantiation, the guest, and the workspace diff.
func BenchmarkWarmRun(b *testing.B) {
	for _, c := range []struct{ name, runtime, code string }{
		{"python", "python", "print(1)"},
		{"javascript", "javascript", "console.log(1)"},
	} {
		b.Run(c.name, func(b *testing.B) {
			needRuntime(b, c.runtime)
			l := testLocal(b)
			ws := b.TempDir()
			job := run.Job{Policy: run.DefaultPolicy(), Runtime: c.runtime, Code: []byte(c.code), Workspace: ws}
			if res := l.Execute(context.Background(), 1, job, run.Hooks{}); res.Outcome != run.OutcomeOK {
				b.Fatalf("%s %s", res.Outcome, res.Stderr)
			}
			before := minorFaults(b)
			b.ResetTimer()
			for range b.N {
				l.Execute(context.Background(), 1, job, run.Hooks{})
			}
			b.StopTimer()
			b.ReportMetric(float64(minorFaults(b)-before)/float64(b.N), "faults/op")
		})
	}
}

// minorFaults is the process's minor page faults so far.
func minorFaults(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Minflt
}
