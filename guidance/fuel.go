package guidance

import (
	"fmt"
	"math/bits"

	"github.com/wasmplay/wasmplay/run"
)

// Band says how much of its fuel budget a run used.
type Band string

// The fuel bands, from least to most used. Their string values are part
// of the report's JSON schema.
const (
	// BandEfficient: less than 50% of the budget.
	BandEfficient Band = "efficient"
	// BandModerate: at least 50% and less than 75%.
	BandModerate Band = "moderate"
	// BandWarning: at least 75% and less than 90%.
	BandWarning Band = "warning"
	// BandCritical: at least 90% (without running out).
	BandCritical Band = "critical"
	// BandExhausted: the run ran out of fuel.
	BandExhausted Band = "exhausted"
	// BandUnknown: there was no budget to compare with.
	BandUnknown Band = "unknown"
)

// FuelAnalysis rates a run's fuel use against its budget and, when the
// budget was tight, suggests a bigger one.
type FuelAnalysis struct {
	// Consumed is the fuel the run burned (a lower bound when Exact is
	// false).
	Consumed uint64
	// Budget is the run's fuel budget.
	Budget uint64
	// Percent is Consumed as a percentage of Budget.
	Percent float64
	// Band rates Percent (see the Band constants).
	Band Band
	// Suggested is a budget to try next: 1.5 × Budget at warning and
	// critical, 2 × Budget when exhausted, rounded to 2 significant digits
	// and at most run.MaxFuelBudget; 0 when no change is advised.
	Suggested uint64
	// Exact is false when Consumed is a lower bound: the run was stopped
	// from outside (timeout, cancel) before the guest wrote back its
	// count, so the true use, and maybe the band, is higher.
	Exact bool
	// Note explains the analysis in a sentence for people.
	Note string
}

// AnalyzeFuel rates consumed against budget. outcome decides the
// exhausted band (only OutcomeOutOfFuel is exhausted, whatever the
// figures say); exact is the Result's FuelExact.
//
// The band edges are exact integer comparisons: 50%, 75% and 90% of the
// budget belong to the higher band.
func AnalyzeFuel(consumed, budget uint64, outcome run.Outcome, exact bool) FuelAnalysis {
	a := FuelAnalysis{Consumed: consumed, Budget: budget, Exact: exact}
	if budget > 0 {
		a.Percent = 100 * float64(consumed) / float64(budget)
	}
	switch {
	case outcome == run.OutcomeOutOfFuel:
		a.Band = BandExhausted
		a.Suggested = suggest(budget, 2, 1)
	case budget == 0:
		a.Band = BandUnknown
	case atLeastPercent(consumed, budget, 90):
		a.Band = BandCritical
		a.Suggested = suggest(budget, 3, 2)
	case atLeastPercent(consumed, budget, 75):
		a.Band = BandWarning
		a.Suggested = suggest(budget, 3, 2)
	case atLeastPercent(consumed, budget, 50):
		a.Band = BandModerate
	default:
		a.Band = BandEfficient
	}
	a.Note = fuelNote(a)
	return a
}

// atLeastPercent reports whether consumed ≥ pct% of budget, computing
// consumed×100 and budget×pct in 128 bits so nothing overflows or rounds.
func atLeastPercent(consumed, budget, pct uint64) bool {
	cHi, cLo := bits.Mul64(consumed, 100)
	bHi, bLo := bits.Mul64(budget, pct)
	return cHi > bHi || (cHi == bHi && cLo >= bLo)
}

// suggest returns budget × num/den rounded to 2 significant digits, and
// at most run.MaxFuelBudget. It is 0 when budget is 0.
func suggest(budget, num, den uint64) uint64 {
	if budget == 0 {
		return 0
	}
	if budget > run.MaxFuelBudget {
		return run.MaxFuelBudget
	}
	// budget ≤ 2^50, so budget × num (num ≤ 3) cannot overflow.
	v := budget * num / den
	v = roundSignificant(v, 2)
	if v > run.MaxFuelBudget {
		v = run.MaxFuelBudget
	}
	return v
}

// roundSignificant rounds v to the given number of significant decimal
// digits, halves rounding up: roundSignificant(185_185_183, 2) is
// 190_000_000.
func roundSignificant(v uint64, digits int) uint64 {
	p := uint64(1)
	for n := v; n >= pow10(digits); n /= 10 {
		p *= 10
	}
	if p == 1 {
		return v
	}
	return (v + p/2) / p * p
}

// pow10 returns 10^n for small n.
func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// fuelNote explains an analysis in a sentence.
func fuelNote(a FuelAnalysis) string {
	used := fmt.Sprintf("used %.1f%% of its %s fuel budget", a.Percent, run.FormatFuel(a.Budget))
	var note string
	switch a.Band {
	case BandExhausted:
		note = fmt.Sprintf("The run ran out of fuel after %s instructions; if the work is finite, try --fuel %s (2×), otherwise look for a loop that never ends.",
			run.FormatFuel(a.Consumed), run.FormatFuel(a.Suggested))
	case BandCritical:
		note = fmt.Sprintf("The run %s: it nearly ran out; allow --fuel %s (1.5×) or make it do less work.", used, run.FormatFuel(a.Suggested))
	case BandWarning:
		note = fmt.Sprintf("The run %s: a bigger input may run out; consider --fuel %s (1.5×).", used, run.FormatFuel(a.Suggested))
	case BandModerate:
		note = fmt.Sprintf("The run %s.", used)
	case BandEfficient:
		note = fmt.Sprintf("The run %s.", used)
	default:
		note = "No fuel budget is known for this run."
	}
	if !a.Exact {
		note += " The count is a lower bound: the run was stopped (timeout or cancel) in a loop that does not report its fuel as it goes."
	}
	return note
}

// String renders the analysis for a metrics pane: "3.10G of 5.00G
// (62.0% of the budget)", with "≥" before a lower bound and "· try
// --fuel N" when a bigger budget is suggested. (The band is for machines
// and colours: "efficient" would say something of the code it cannot.)
func (a FuelAnalysis) String() string {
	used := run.FormatFuel(a.Consumed)
	if !a.Exact {
		used = "≥" + used
	}
	s := fmt.Sprintf("%s of %s (%.1f%% of the budget)", used, run.FormatFuel(a.Budget), a.Percent)
	if a.Band == BandExhausted {
		s = fmt.Sprintf("%s of %s (ran out)", used, run.FormatFuel(a.Budget))
	}
	if a.Suggested > 0 {
		s += " · try --fuel " + run.FormatFuel(a.Suggested)
	}
	return s
}
