package report

import (
	"fmt"
	"strings"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/textsafe"
)

// SummaryLine is the one line that ends a run wherever it is shown: the
// command line, the app's output pane, `sessions show`. It names the
// outcome (and the exit status or why it stopped), then the figures: fuel
// used of the budget, peak memory of the cap, duration, truncated output
// and files touched. Front ends add their own prefix (an icon, a run
// number) and suffix (the session).
func SummaryLine(res run.Result) string {
	var b strings.Builder
	b.WriteString(string(res.Outcome))
	switch res.Outcome {
	case run.OutcomeOK, run.OutcomeExitNonzero:
		fmt.Fprintf(&b, " · exit %d", res.ExitCode)
	default:
		if res.Message != "" {
			fmt.Fprintf(&b, " · %s", textsafe.Line(firstLine(res.Message)))
		}
	}
	fmt.Fprintf(&b, " · fuel %s of %s (%s)", FuelFigure(res.FuelConsumed, res.FuelExact),
		run.FormatFuel(res.Limits.FuelBudget), percent(res.FuelConsumed, res.Limits.FuelBudget))
	fmt.Fprintf(&b, " · memory %s peak of %s (%d pages)", run.FormatBytes(res.PeakMemoryBytes),
		run.FormatBytes(res.Limits.MemoryBytes), res.PeakMemoryPages)
	fmt.Fprintf(&b, " · %s", run.FormatDuration(res.Duration))
	if res.StdoutTruncated {
		fmt.Fprintf(&b, " · stdout truncated (kept %s of %s)", run.FormatBytes(uint64(len(res.Stdout))), run.FormatBytes(uint64(res.StdoutBytes)))
	}
	if res.StderrTruncated {
		fmt.Fprintf(&b, " · stderr truncated (kept %s of %s)", run.FormatBytes(uint64(len(res.Stderr))), run.FormatBytes(uint64(res.StderrBytes)))
	}
	switch {
	case res.FilesTruncated && res.Files.Empty():
		b.WriteString(" · files not listed (the workspace holds too many to compare)")
	case res.FilesTruncated:
		fmt.Fprintf(&b, " · files: the first %d changes listed of more", len(res.Files.Created)+len(res.Files.Modified)+len(res.Files.Deleted))
	case !res.Files.Empty():
		fmt.Fprintf(&b, " · files +%d ~%d -%d", len(res.Files.Created), len(res.Files.Modified), len(res.Files.Deleted))
	}
	if res.DiskRefused > 0 && res.Outcome != run.OutcomeDiskLimit {
		fmt.Fprintf(&b, " · disk quota refused %d %s", res.DiskRefused, plural(int(res.DiskRefused), "write", "writes"))
	}
	return b.String()
}

// FuelFigure renders fuel used, marked "≥" when it is a lower bound.
func FuelFigure(consumed uint64, exact bool) string {
	if exact {
		return run.FormatFuel(consumed)
	}
	return "≥" + run.FormatFuel(consumed)
}

// percent renders part of whole as a percentage ("4.5%").
func percent(part, whole uint64) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(whole))
}
