package batch

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/textsafe"
)

// Summary is what a batch's results add up to.
type Summary struct {
	// Items is how many result lines there are.
	Items int `json:"items"`
	// Outcomes counts the results by outcome.
	Outcomes map[string]int `json:"outcomes"`
	// WithTests counts the items that had tests, Passed those that passed.
	WithTests int `json:"with_tests"`
	Passed    int `json:"passed"`
	// PassRate is Passed / WithTests (0 without tests).
	PassRate float64 `json:"pass_rate"`
	// Fuel and DurationMS are percentiles over the items that ran.
	Fuel       Percentiles `json:"fuel"`
	DurationMS Percentiles `json:"duration_ms"`
	// Slowest and Hungriest are the items that took the longest and
	// burned the most fuel, worst first.
	Slowest   []Notable `json:"slowest"`
	Hungriest []Notable `json:"hungriest"`
}

// Percentiles of one figure.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Notable is one item singled out in a summary.
type Notable struct {
	ID         string  `json:"id"`
	Line       int     `json:"line"`
	Outcome    string  `json:"outcome"`
	Fuel       uint64  `json:"fuel"`
	DurationMS float64 `json:"duration_ms"`
}

// notableCount is how many slowest and hungriest items a summary names.
const notableCount = 5

// Summarize adds up results.
func Summarize(results []Result) Summary {
	s := Summary{Items: len(results), Outcomes: map[string]int{}}
	var ran []Result
	for _, r := range results {
		s.Outcomes[r.Outcome]++
		if r.Passed != nil {
			s.WithTests++
			if *r.Passed {
				s.Passed++
			}
		}
		if r.Outcome != OutcomeBadInput {
			ran = append(ran, r)
		}
	}
	if s.WithTests > 0 {
		s.PassRate = float64(s.Passed) / float64(s.WithTests)
	}
	fuel := make([]float64, len(ran))
	dur := make([]float64, 0, len(ran))
	for i, r := range ran {
		fuel[i] = float64(r.Fuel)
		if r.DurationMS != nil {
			dur = append(dur, *r.DurationMS)
		}
	}
	s.Fuel, s.DurationMS = percentiles(fuel), percentiles(dur)
	notable := func(less func(a, b Result) bool) []Notable {
		sorted := append([]Result(nil), ran...)
		sort.SliceStable(sorted, func(i, j int) bool { return less(sorted[i], sorted[j]) })
		var out []Notable
		for _, r := range sorted[:min(notableCount, len(sorted))] {
			n := Notable{ID: string(r.ID), Line: r.Line, Outcome: r.Outcome, Fuel: r.Fuel}
			if r.DurationMS != nil {
				n.DurationMS = *r.DurationMS
			}
			out = append(out, n)
		}
		return out
	}
	if len(dur) > 0 {
		s.Slowest = notable(func(a, b Result) bool { return durationOf(a) > durationOf(b) })
	}
	s.Hungriest = notable(func(a, b Result) bool { return a.Fuel > b.Fuel })
	return s
}

func durationOf(r Result) float64 {
	if r.DurationMS == nil {
		return 0
	}
	return *r.DurationMS
}

// percentiles of values (nearest rank); zero for none.
func percentiles(values []float64) Percentiles {
	if len(values) == 0 {
		return Percentiles{}
	}
	sort.Float64s(values)
	at := func(p float64) float64 {
		i := int(p*float64(len(values))+0.999999) - 1
		return values[min(max(i, 0), len(values)-1)]
	}
	return Percentiles{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: values[len(values)-1]}
}

// WriteTable writes the summary as a table for a person.
func (s Summary) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "%d items", s.Items)
	if s.WithTests > 0 {
		fmt.Fprintf(w, " · %d of %d passed their tests (%.1f%%)", s.Passed, s.WithTests, 100*s.PassRate)
	}
	fmt.Fprintln(w)
	outcomes := make([]string, 0, len(s.Outcomes))
	for o := range s.Outcomes {
		outcomes = append(outcomes, o)
	}
	sort.Slice(outcomes, func(i, j int) bool {
		if s.Outcomes[outcomes[i]] != s.Outcomes[outcomes[j]] {
			return s.Outcomes[outcomes[i]] > s.Outcomes[outcomes[j]]
		}
		return outcomes[i] < outcomes[j]
	})
	fmt.Fprintf(w, "\n  %-16s %8s\n", "outcome", "items")
	for _, o := range outcomes {
		fmt.Fprintf(w, "  %-16s %8d\n", o, s.Outcomes[o])
	}
	fmt.Fprintf(w, "\n  %-10s %10s %10s %10s %10s\n", "", "p50", "p90", "p99", "max")
	f := s.Fuel
	fmt.Fprintf(w, "  %-10s %10s %10s %10s %10s\n", "fuel", run.FormatFuel(uint64(f.P50)), run.FormatFuel(uint64(f.P90)),
		run.FormatFuel(uint64(f.P99)), run.FormatFuel(uint64(f.Max)))
	if d := s.DurationMS; len(s.Slowest) > 0 {
		fmt.Fprintf(w, "  %-10s %10s %10s %10s %10s\n", "duration", msText(d.P50), msText(d.P90), msText(d.P99), msText(d.Max))
	}
	list := func(title string, items []Notable) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(w, "\n  %s\n", title)
		for _, n := range items {
			fmt.Fprintf(w, "    %-24s line %-6d %-14s fuel %-8s %s\n", clipID(n.ID), n.Line, n.Outcome, run.FormatFuel(n.Fuel), msText(n.DurationMS))
		}
	}
	list("slowest", s.Slowest)
	list("hungriest (fuel)", s.Hungriest)
}

// msText renders milliseconds.
func msText(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.2f s", ms/1000)
	}
	return fmt.Sprintf("%.1f ms", ms)
}

// clipID shortens an id for a table, with its control characters made
// visible (ids come from the input, often written by a model).
func clipID(id string) string {
	return textsafe.Clip(textsafe.Line(strings.Trim(id, `"`)), 24)
}
