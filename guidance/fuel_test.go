package guidance

import (
	"strings"
	"testing"

	"github.com/wasmplay/wasmplay/run"
)

func TestAnalyzeFuel_Bands(t *testing.T) {
	const max = run.MaxFuelBudget
	tests := []struct {
		name      string
		consumed  uint64
		budget    uint64
		outcome   run.Outcome
		band      Band
		suggested uint64
	}{
		{"nothing used", 0, 1000, run.OutcomeOK, BandEfficient, 0},
		{"just under 50%", 499, 1000, run.OutcomeOK, BandEfficient, 0},
		{"exactly 50%", 500, 1000, run.OutcomeOK, BandModerate, 0},
		{"just under 75%", 749, 1000, run.OutcomeOK, BandModerate, 0},
		{"exactly 75%", 750, 1000, run.OutcomeOK, BandWarning, 1500},
		{"just under 90%", 899, 1000, run.OutcomeOK, BandWarning, 1500},
		{"exactly 90%", 900, 1000, run.OutcomeOK, BandCritical, 1500},
		{"all of it but no trap", 1000, 1000, run.OutcomeOK, BandCritical, 1500},
		{"over the budget but no trap", 1200, 1000, run.OutcomeExitNonzero, BandCritical, 1500},
		{"out of fuel", 1000, 1000, run.OutcomeOutOfFuel, BandExhausted, 2000},
		{"out of fuel whatever the count", 10, 1000, run.OutcomeOutOfFuel, BandExhausted, 2000},
		{"two thirds", 2, 3, run.OutcomeOK, BandModerate, 0},
		{"default budget warning", 3_750_000_000, 5_000_000_000, run.OutcomeOK, BandWarning, 7_500_000_000},
		{"default budget critical", 4_500_000_000, 5_000_000_000, run.OutcomeOK, BandCritical, 7_500_000_000},
		{"default budget exhausted", 5_000_000_000, 5_000_000_000, run.OutcomeOutOfFuel, BandExhausted, 10_000_000_000},
		{"rounded to 2 digits (×1.5)", 100_000_000, 123_456_789, run.OutcomeOK, BandWarning, 190_000_000},
		{"rounded to 2 digits (×2)", 123_456_789, 123_456_789, run.OutcomeOutOfFuel, BandExhausted, 250_000_000},
		{"small budget not rounded", 9, 10, run.OutcomeOK, BandCritical, 15},
		{"huge budget edge: 75% exactly", max / 4 * 3, max, run.OutcomeOK, BandWarning, max},
		{"huge budget edge: just under 75%", max/4*3 - 1, max, run.OutcomeOK, BandModerate, 0},
		{"huge consumed does not overflow", 1<<63 + 5, 1 << 62, run.OutcomeOK, BandCritical, max},
		{"exhausted at the maximum is capped", max, max, run.OutcomeOutOfFuel, BandExhausted, max},
		{"no budget", 100, 0, run.OutcomeOK, BandUnknown, 0},
		{"no budget out of fuel", 0, 0, run.OutcomeOutOfFuel, BandExhausted, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := AnalyzeFuel(tt.consumed, tt.budget, tt.outcome, true)
			if a.Band != tt.band || a.Suggested != tt.suggested {
				t.Errorf("AnalyzeFuel(%d, %d, %s) = band %s, suggested %d; want %s, %d",
					tt.consumed, tt.budget, tt.outcome, a.Band, a.Suggested, tt.band, tt.suggested)
			}
			if a.Consumed != tt.consumed || a.Budget != tt.budget || !a.Exact || a.Note == "" {
				t.Errorf("fields not carried over: %+v", a)
			}
		})
	}
}

func TestAnalyzeFuel_Percent(t *testing.T) {
	a := AnalyzeFuel(252_529_680, 5_000_000_000, run.OutcomeExitNonzero, true)
	if a.Percent < 5.05 || a.Percent > 5.06 {
		t.Errorf("Percent = %v, want about 5.05", a.Percent)
	}
}

func TestAnalyzeFuel_LowerBound(t *testing.T) {
	a := AnalyzeFuel(800, 1000, run.OutcomeTimeout, false)
	if a.Exact || a.Band != BandWarning {
		t.Fatalf("got %+v", a)
	}
	if !strings.Contains(a.Note, "lower bound") {
		t.Errorf("Note %q does not say the count is a lower bound", a.Note)
	}
	if got := a.String(); !strings.HasPrefix(got, "≥800 of 1.0k") {
		t.Errorf("String() = %q, want it to start with ≥", got)
	}
}

func TestAnalyzeFuel_Notes(t *testing.T) {
	tests := []struct {
		name     string
		consumed uint64
		outcome  run.Outcome
		want     []string
	}{
		{"efficient", 100_000_000, run.OutcomeOK, []string{"2.0%", "5.00G"}},
		{"warning", 4_000_000_000, run.OutcomeOK, []string{"80.0%", "--fuel 7.50G"}},
		{"critical", 4_600_000_000, run.OutcomeOK, []string{"nearly ran out", "--fuel 7.50G"}},
		{"exhausted", 5_000_000_000, run.OutcomeOutOfFuel, []string{"ran out of fuel", "--fuel 10.00G", "never ends"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := AnalyzeFuel(tt.consumed, 5_000_000_000, tt.outcome, true)
			for _, w := range tt.want {
				if !strings.Contains(a.Note, w) {
					t.Errorf("Note %q does not contain %q", a.Note, w)
				}
			}
		})
	}
}

func TestFuelAnalysis_String(t *testing.T) {
	tests := []struct {
		name string
		a    FuelAnalysis
		want string
	}{
		{"moderate", AnalyzeFuel(3_100_000_000, 5_000_000_000, run.OutcomeOK, true), "3.10G of 5.00G (62.0% of the budget)"},
		{"exhausted", AnalyzeFuel(100_000_000, 100_000_000, run.OutcomeOutOfFuel, true), "100.0M of 100.0M (ran out) · try --fuel 200.0M"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRoundSignificant_Digits(t *testing.T) {
	tests := []struct{ in, want uint64 }{
		{0, 0}, {7, 7}, {99, 99}, {100, 100}, {149, 150}, {150, 150}, {1234, 1200}, {1250, 1300},
		{185_185_183, 190_000_000}, {7_500_000_000, 7_500_000_000}, {9_960, 10_000},
	}
	for _, tt := range tests {
		if got := roundSignificant(tt.in, 2); got != tt.want {
			t.Errorf("roundSignificant(%d, 2) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
