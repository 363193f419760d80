package tui

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/wasmplay/wasmplay/themes"
)

// The batch picker filters by every word typed, over the outcome, the
// verdict, the problem and the output, and Enter picks the row under the
// cursor; esc picks none.
func TestBatchPicker_FilterAndPick(t *testing.T) {
	rows := []BatchRow{
		{Line: 1, ID: "1", Outcome: "ok", Tests: "passed"},
		{Line: 2, ID: "2", Outcome: "exit_nonzero", Tests: "failed", Problem: "AssertionError", Text: "Traceback ..."},
		{Line: 3, ID: "3", Outcome: "out_of_fuel", Tests: "failed", Problem: "the fuel budget ran out"},
		{Line: 4, ID: "4", Outcome: "exit_nonzero", Tests: "failed", Problem: "ZeroDivisionError: division by zero", Text: "1/0"},
	}
	pick := func(keys ...string) int {
		t.Helper()
		p := newBatchPicker(rows, "results.jsonl", NewStyles(themes.All()[0]), DefaultKeyMap())
		tm := teatest.NewTestModel(t, p, teatest.WithInitialTermSize(100, 20))
		for _, k := range keys {
			tm.Send(parseKey(k))
		}
		tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
		return tm.FinalModel(t).(*batchPicker).picked
	}
	typed := func(s string) []string {
		var keys []string
		for _, r := range s {
			keys = append(keys, string(r))
		}
		return keys
	}
	if got := pick(append(typed("failed division"), "enter")...); got != 3 {
		t.Errorf("'failed division' picked row %d, want 3 (ZeroDivisionError)", got)
	}
	if got := pick(append(typed("exit"), "down", "enter")...); got != 3 {
		t.Errorf("'exit' then down picked row %d, want 3", got)
	}
	if got := pick("down", "down", "enter"); got != 2 {
		t.Errorf("down down picked row %d, want 2", got)
	}
	if got := pick(append(typed("nothing-matches"), "enter")...); got != -1 {
		t.Errorf("enter with nothing shown picked %d", got)
	}
	if got := pick("esc"); got != -1 {
		t.Errorf("esc picked %d", got)
	}
}
