package sessions

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/run"
)

// Benchmarks for the scale targets: `sessions list` over 10,000 sessions of
// 100 runs each, and opening a session with 10,000 runs. Figures are
// recorded in docs/BENCHMARKS.md ("Sessions"); tests never assert timings.
//
//	go test -run '^$' -bench . -benchtime 20x ./sessions/
//
// WASMPLAY_BENCH_SESSIONS and WASMPLAY_BENCH_RUNS change the sizes (for a
// quick run: WASMPLAY_BENCH_SESSIONS=1000).

func benchSize(env string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(env)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchRecord is a run of realistic size: a short program, a few lines of
// output, one file created (about 900 bytes of JSON).
func benchRecord(n int) RunRecord {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute)
	return RunRecord{
		Version: RecordVersion, Number: n, RunID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		StartedAt: start, FinishedAt: start.Add(40 * time.Millisecond),
		Runtime: "python",
		Code:    "import json\nfor i in range(10):\n    print(i, i * i)\nopen('out.json', 'w').write(json.dumps({'n': 10}))\n",
		Limits:  run.Limits{FuelBudget: 10_000_000_000, MemoryBytes: 256 << 20, StdoutMaxBytes: 1 << 20, StderrMaxBytes: 1 << 20, TimeoutMS: 10_000},
		Outcome: run.OutcomeOK, FuelConsumed: 123_456_789, FuelExact: true,
		MemoryPagesFinal: 180, MemoryPagesPeak: 190, DurationMS: 41.7,
		Stdout:      "0 0\n1 1\n2 4\n3 9\n4 16\n5 25\n6 36\n7 49\n8 64\n9 81\n",
		StdoutBytes: 40,
		Files:       run.FileChanges{Created: []run.FileChange{{Path: "out.json", Size: 9}}},
	}
}

// fillSession writes runs records straight into a new session's history,
// index and stats (no per-record locking or fsync), to build big fixtures
// fast.
func fillSession(st *Store, s *Session, runs int, lastUsed time.Time) error {
	var hist, idx bytes.Buffer
	var entries []indexEntry
	for n := 1; n <= runs; n++ {
		rec := benchRecord(n)
		line, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		entries = append(entries, indexEntry{RunSummary: rec.Summary(), Offset: int64(hist.Len()), Length: int64(len(line) + 1)})
		hist.Write(line)
		hist.WriteByte('\n')
	}
	if err := os.WriteFile(s.path(historyFile), hist.Bytes(), filePerm); err != nil {
		return err
	}
	if err := writeIndexLines(&idx, entries, true); err != nil {
		return err
	}
	if err := os.WriteFile(s.path(indexFile), idx.Bytes(), filePerm); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.WorkspaceDir(), "out.json"), []byte(`{"n": 10}`), 0o644); err != nil {
		return err
	}
	return s.updateMeta(func(m *Meta) error {
		m.Stats.Runs, m.Stats.LastRun, m.Stats.LastOutcome = runs, runs, run.OutcomeOK
		m.LastUsedAt = lastUsed
		_, err := s.measureLocked(m)
		return err
	})
}

// buildBenchRoot creates sessions×runs in a fresh root.
func buildBenchRoot(b *testing.B, sessions, runs int) *Store {
	b.Helper()
	st, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	st.noSync = true
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	next := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s, err := st.Create(CreateOptions{Runtime: "python"})
				if err == nil {
					err = fillSession(st, s, runs, start.Add(-time.Duration(i)*time.Minute))
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := 0; i < sessions; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	size, _ := dirSize(st.Root())
	b.Logf("built %d sessions × %d runs (%.0f MB) in %v", sessions, runs, float64(size)/1e6, time.Since(start).Round(time.Millisecond))
	// Let every session.json leave the list cache's racy window.
	time.Sleep(racyWindow + 100*time.Millisecond)
	return st
}

func BenchmarkStore_List(b *testing.B) {
	nSessions := benchSize("WASMPLAY_BENCH_SESSIONS", 10_000)
	nRuns := benchSize("WASMPLAY_BENCH_RUNS", 100)
	st := buildBenchRoot(b, nSessions, nRuns)
	st.noSync = false
	name := fmt.Sprintf("%dx%d", nSessions, nRuns)

	check := func(b *testing.B, list []Summary, err error) {
		if err != nil || len(list) != nSessions || list[0].Runs != nRuns {
			b.Fatalf("List: %d sessions, %v", len(list), err)
		}
	}
	// No cache: every session.json is read and decoded (the first list
	// after an upgrade, or with the cache deleted).
	b.Run(name+"/no-cache", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			os.Remove(filepath.Join(st.Root(), listCacheFile))
			b.StartTimer()
			list, err := st.List()
			check(b, list, err)
		}
	})
	// Warm cache: the usual case.
	b.Run(name+"/cache", func(b *testing.B) {
		st.List()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			list, err := st.List()
			check(b, list, err)
		}
	})
	// Warm cache, one session changed since the last list (the common
	// case after a run).
	b.Run(name+"/cache-1-changed", func(b *testing.B) {
		list, _ := st.List()
		s, err := st.Resolve(list[0].ID)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			s.SetRuntime("python" + strconv.Itoa(i%2))
			b.StartTimer()
			list, err := st.List()
			check(b, list, err)
		}
	})
	// Resolve by name or prefix goes through the same scan.
	b.Run(name+"/resolve-prefix", func(b *testing.B) {
		list, _ := st.List()
		prefix := list[len(list)/2].ID[:8]
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := st.Resolve(prefix); err != nil && !strings.Contains(err.Error(), "ambiguous") {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSession_Runs(b *testing.B) {
	nRuns := benchSize("WASMPLAY_BENCH_LONG_RUNS", 10_000)
	st, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	st.noSync = true
	s, err := st.Create(CreateOptions{ID: "long", Runtime: "python"})
	if err != nil {
		b.Fatal(err)
	}
	if err := fillSession(st, s, nRuns, time.Now()); err != nil {
		b.Fatal(err)
	}
	st.noSync = false
	hist, _ := os.Stat(s.path(historyFile))
	idx, _ := os.Stat(s.path(indexFile))
	b.Logf("history.jsonl %.1f MB, runs.idx %.1f MB", float64(hist.Size())/1e6, float64(idx.Size())/1e6)
	name := fmt.Sprintf("%druns", nRuns)

	// Open the session and list its runs, as the app does on resume.
	b.Run(name+"/open+runs", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			s, err := st.Resolve("long")
			if err != nil {
				b.Fatal(err)
			}
			runs, err := s.Runs()
			if err != nil || len(runs) != nRuns {
				b.Fatalf("Runs: %d, %v", len(runs), err)
			}
		}
	})
	// The same with the index missing: one full scan of history, which
	// also rewrites the index.
	b.Run(name+"/open+runs-rebuild", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			os.Remove(s.path(indexFile))
			b.StartTimer()
			s, _ := st.Resolve("long")
			if runs, err := s.Runs(); err != nil || len(runs) != nRuns {
				b.Fatalf("Runs: %d, %v", len(runs), err)
			}
		}
	})
	// Runs again on an open Session: nothing changed, served from memory.
	b.Run(name+"/runs-cached", func(b *testing.B) {
		s, _ := st.Resolve("long")
		s.Runs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.Runs(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// One full record on demand.
	b.Run(name+"/run", func(b *testing.B) {
		s, _ := st.Resolve("long")
		s.Runs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.Run(1 + i%nRuns); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Recording a run, with fsync and the size walk.
	b.Run(name+"/append", func(b *testing.B) {
		s, _ := st.Resolve("long")
		s.Runs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.AppendRun(benchRecord(0)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
