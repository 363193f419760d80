package tui

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/wasmplay/wasmplay/playground"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
)

// Golden renders of each pane, with deterministic content, at the
// smallest supported size and a large one. Each is kept as the terminal
// gets it (256 colours, the profile pinned) and as plain text for review.
// Regenerate with: go test ./tui -run TestGoldenPanes -update

func goldenModel(t *testing.T, w, h int) *Model {
	m, sv := benchModel(t, w, h)
	t1 := sv.activeTab()
	t1.ed.SetValue("import json\n\ndef load(path):\n    with open(path) as f:\n        return json.load(f)\n\nprint(load('/app/data.json'))\n")
	t1.ed.SetMarks(nil)
	const id = run.ID(7)
	sv.out.append(lineHeader, id, "▶ run 3 · python · 14:02:05")
	sv.out.write(id, run.Stdout, []byte("loading /app/data.json\n{'cities': 4, 'warmest': 'Nairobi'}\n"))
	sv.out.write(id, run.Stderr, []byte("warning: 2 rows skipped\n"))
	res := run.Result{
		Runtime: "python", Outcome: run.OutcomeOK, Success: true, FuelConsumed: 187_400_000, FuelExact: true,
		MemoryBytes: 21 << 20, PeakMemoryBytes: 22 << 20, MemoryPages: 336, PeakMemoryPages: 352,
		StdoutBytes: 60, StderrBytes: 24, Duration: 41 * time.Millisecond,
		Limits: run.LimitsOf(run.DefaultPolicy()),
		Files:  run.FileChanges{Created: []run.FileChange{{Path: "summary.json", Size: 88}}, Modified: []run.FileChange{{Path: "data.json", Size: 412}}},
	}
	sv.out.append(lineSummary, id, summaryText(res, 3))
	sv.metrics.finish(res, 3)
	sv.metrics.pages = []uint64{320, 320, 328, 336, 344, 352, 352}
	sv.last = &playground.Outcome{Result: res, Number: 3}
	sv.files.setEntries([]sessions.FileEntry{
		{Path: "data", Kind: sessions.KindDir, Size: 1536},
		{Path: "data/cities.csv", Kind: sessions.KindFile, Size: 1024},
		{Path: "data/notes.txt", Kind: sessions.KindFile, Size: 512},
		{Path: "data.json", Kind: sessions.KindFile, Size: 412},
		{Path: "summary.json", Kind: sessions.KindFile, Size: 88},
	}, nil)
	sv.files.markRun(res.Files)
	sv.runs.setRuns([]sessions.RunSummary{
		{Number: 1, Runtime: "python", Outcome: run.OutcomeExitNonzero, ExitCode: 1, FuelConsumed: 120_500_000, FuelExact: true, MemoryPeak: 320, DurationMS: 33.1,
			Origin: &sessions.Origin{Kind: sessions.OriginPerson}},
		{Number: 2, Runtime: "python", Outcome: run.OutcomeOutOfFuel, FuelConsumed: 5_000_000_000, FuelExact: true, MemoryPeak: 352, DurationMS: 912,
			Origin: &sessions.Origin{Kind: sessions.OriginAgent, Client: "claude-code"}},
		{Number: 3, Runtime: "python", Outcome: run.OutcomeOK, FuelConsumed: 187_400_000, FuelExact: true, MemoryPeak: 352, DurationMS: 41,
			Origin: &sessions.Origin{Kind: sessions.OriginAgent, Client: "claude-code"}},
	}, nil)
	return m
}

func TestGoldenPanes(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		m := goldenModel(t, size.w, size.h)
		for p := Pane(0); p < paneCount; p++ {
			m.setFocus(p)
			r := m.layout.Panes[p]
			view := m.renderPane(p, r)
			name := fmt.Sprintf("%s-%dx%d", p, size.w, size.h)
			t.Run(name, func(t *testing.T) {
				for _, line := range splitLines(view) {
					if ansi.StringWidth(line) != r.W {
						t.Fatalf("a line is %d cells wide, the pane %d: %q", ansi.StringWidth(line), r.W, line)
					}
				}
				golden.RequireEqual(t, []byte(downsample(t, view, colorprofile.ANSI256)))
			})
			t.Run(name+"-plain", func(t *testing.T) {
				golden.RequireEqual(t, []byte(ansi.Strip(view)))
			})
		}
	}
}

// downsample renders styled text as a terminal with the given colour
// profile receives it.
func downsample(t *testing.T, s string, p colorprofile.Profile) string {
	var buf bytes.Buffer
	w := &colorprofile.Writer{Forward: &buf, Profile: p}
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func splitLines(s string) []string {
	var out []string
	for _, l := range bytes.Split([]byte(s), []byte("\n")) {
		out = append(out, string(l))
	}
	return out
}
