package report

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/textsafe"
)

// Markdown renders the report for pasting into a chat with a model. The
// layout is described in docs/REPORT.md: a headline, the run's facts, the
// code with line numbers, stderr and stdout, a limits table, the files
// touched and "What to change". Output is shown as text: invalid UTF-8
// becomes U+FFFD and control characters other than tab and newline are
// written as escapes (\r, \x1b), so the paste stays plain text. Every
// fenced block uses a fence longer than any run of backticks inside it.
func Markdown(in Input) string {
	v := newView(in)
	var b strings.Builder
	b.WriteString("## wasmplay run report\n\n")
	fmt.Fprintf(&b, "**%s**", v.headline.lead)
	if v.headline.detail != "" {
		b.WriteString(" " + inlineCode(textsafe.Line(v.headline.detail)))
	}
	b.WriteString(v.headline.tail + "\n\n")
	writeFacts(&b, v)
	writeCode(&b, v)
	writeStdin(&b, v.in.Stdin)
	writeStream(&b, "Standard error", v.stderr)
	writeStream(&b, "Standard output", v.stdout)
	writeLimits(&b, v)
	writeFiles(&b, v.res.Files)
	writeAdvice(&b, v)
	return b.String()
}

// writeFacts lists runtime, outcome, exit code, session and message.
func writeFacts(b *strings.Builder, v view) {
	fmt.Fprintf(b, "- Runtime: %s\n", orUnknown(v.runtime))
	fmt.Fprintf(b, "- Outcome: `%s`", v.res.Outcome)
	if v.res.ExitCode >= 0 {
		fmt.Fprintf(b, ", exit code %d", v.res.ExitCode)
	}
	b.WriteString("\n")
	if v.location.Line > 0 {
		fmt.Fprintf(b, "- Error at line %d", v.location.Line)
		if v.location.Column > 0 {
			fmt.Fprintf(b, ", column %d", v.location.Column)
		}
		b.WriteString(" (marked `>` in the code below)\n")
	}
	if v.in.Origin != "" {
		fmt.Fprintf(b, "- Run by: %s\n", textsafe.Line(v.in.Origin))
	}
	if v.in.Session != "" {
		fmt.Fprintf(b, "- Session: %s", textsafe.Line(firstLine(v.in.Session)))
		if v.in.Run > 0 {
			fmt.Fprintf(b, ", run %d", v.in.Run)
		}
		b.WriteString("\n")
	}
	switch msg := textsafe.Text(v.message); {
	case msg == "" || bytes.Contains(v.res.Stderr, []byte(v.res.Message)):
		// Nothing to add: no message, or stderr (shown below) has it.
	case !strings.Contains(msg, "\n"):
		fmt.Fprintf(b, "- Sandbox message: %s\n", textsafe.Line(msg))
	default:
		b.WriteString("\nSandbox message:\n\n")
		writeFenced(b, "text", msg)
		return
	}
	b.WriteString("\n")
}

// writeCode writes the code with line numbers, marking the error line.
func writeCode(b *strings.Builder, v view) {
	lines := codeLines(string(v.in.Code))
	fmt.Fprintf(b, "### Code (%d %s)\n\n", len(lines), plural(len(lines), "line", "lines"))
	if len(lines) == 0 {
		b.WriteString("(no code)\n\n")
		return
	}
	width := len(fmt.Sprint(len(lines)))
	var code strings.Builder
	for i, line := range lines {
		marker := ""
		if v.location.Line > 0 {
			marker = "  "
			if i+1 == v.location.Line {
				marker = "> "
			}
		}
		fmt.Fprintf(&code, "%s%*d | %s\n", marker, width, i+1, line)
	}
	writeFenced(b, v.runtime, textsafe.Text(code.String()))
}

// maxReportStdin bounds the standard input a report shows.
const maxReportStdin = 64 << 10

// writeStdin writes what the run read on standard input, when it read
// anything: the output is the answer to it.
func writeStdin(b *strings.Builder, stdin []byte) {
	if len(stdin) == 0 {
		return
	}
	fmt.Fprintf(b, "### Standard input (%s)\n\n", run.FormatBytes(uint64(len(stdin))))
	shown := stdin
	if len(shown) > maxReportStdin {
		shown = shown[:maxReportStdin]
	}
	writeFenced(b, "text", textsafe.Text(strings.ToValidUTF8(string(shown), "\uFFFD")))
	if len(stdin) > maxReportStdin {
		fmt.Fprintf(b, "(the first %s shown)\n\n", run.FormatBytes(maxReportStdin))
	}
}

// writeStream writes one output stream with its sizes and trim notes.
func writeStream(b *strings.Builder, title string, s stream) {
	fmt.Fprintf(b, "### %s (%s)\n\n", title, run.FormatBytes(uint64(s.written)))
	if s.kept == 0 {
		b.WriteString("(empty)\n\n")
		return
	}
	var notes []string
	if s.capped {
		notes = append(notes, fmt.Sprintf("the guest wrote %s; the sandbox kept the first %s",
			run.FormatBytes(uint64(s.written)), run.FormatBytes(uint64(s.kept))))
	}
	if s.omitted > 0 {
		notes = append(notes, fmt.Sprintf("this report shows the first %d and last %d bytes",
			len(s.head), len(s.tail)))
	}
	if !validUTF8(s.head) || !validUTF8(s.tail) {
		notes = append(notes, "it is not valid UTF-8: invalid bytes are shown as \uFFFD")
	}
	if len(notes) > 0 {
		fmt.Fprintf(b, "Note: %s.\n\n", strings.Join(notes, "; "))
	}
	writeFenced(b, "text", textsafe.Text(joinTrimmed(s.head, s.tail, s.omitted)))
}

// writeLimits writes the table of what the run used against its limits.
func writeLimits(b *strings.Builder, v view) {
	res, lim := v.res, v.res.Limits
	b.WriteString("### Limits\n\n")
	b.WriteString("| Resource | Used | Limit |\n|---|---|---|\n")
	fuel := run.FormatFuel(v.fuel.Consumed)
	if !v.fuel.Exact {
		fuel = "≥ " + fuel
	}
	fmt.Fprintf(b, "| Fuel | %s (%.1f%%, %s) | %s |\n", fuel, v.fuel.Percent, v.fuel.Band, run.FormatFuel(lim.FuelBudget))
	memory := fmt.Sprintf("%s peak (%d pages)", run.FormatBytes(res.PeakMemoryBytes), res.PeakMemoryPages)
	if res.MemoryGrowDenied > 0 {
		memory += fmt.Sprintf(", growth refused %d %s", res.MemoryGrowDenied, plural(int(res.MemoryGrowDenied), "time", "times"))
	}
	fmt.Fprintf(b, "| Memory | %s | %s |\n", memory, run.FormatBytes(lim.MemoryBytes))
	fmt.Fprintf(b, "| Duration | %s | %s |\n", formatDuration(res.Duration), formatTimeout(lim.TimeoutMS))
	fmt.Fprintf(b, "| Output | stdout %s, stderr %s | stdout %s, stderr %s |\n",
		run.FormatBytes(uint64(res.StdoutBytes)), run.FormatBytes(uint64(res.StderrBytes)),
		run.FormatBytes(uint64(lim.StdoutMaxBytes)), run.FormatBytes(uint64(lim.StderrMaxBytes)))
	if lim.DiskBytes > 0 { // runs recorded before quotas have none to show
		disk := fmt.Sprintf("%s in %d %s", run.FormatBytes(res.Disk.Bytes), res.Disk.Entries, plural(int(res.Disk.Entries), "entry", "entries"))
		if res.DiskRefused > 0 {
			disk += fmt.Sprintf(", refused %d %s", res.DiskRefused, plural(int(res.DiskRefused), "time", "times"))
		}
		fmt.Fprintf(b, "| Disk (/app) | %s | %s in %d entries |\n", disk, run.FormatBytes(lim.DiskBytes), lim.DiskFiles)
	}
	b.WriteString("\n")
	if v.fuel.Suggested > 0 || !v.fuel.Exact {
		fmt.Fprintf(b, "Fuel: %s\n\n", v.fuel.Note)
	}
}

// writeFiles lists the files the run created, modified and deleted.
func writeFiles(b *strings.Builder, files run.FileChanges) {
	b.WriteString("### Files in /app\n\n")
	if files.Empty() {
		b.WriteString("The run created, modified and deleted no files.\n\n")
		return
	}
	for _, group := range []struct {
		verb  string
		files []run.FileChange
	}{{"created", files.Created}, {"modified", files.Modified}, {"deleted", files.Deleted}} {
		for _, f := range group.files {
			fmt.Fprintf(b, "- %s: %s (%s)\n", group.verb, inlineCode(textsafe.Line(f.Path)), run.FormatBytes(uint64(f.Size)))
		}
	}
	b.WriteString("\n")
}

// writeAdvice writes the guidance as "What to change".
func writeAdvice(b *strings.Builder, v view) {
	if len(v.in.Advice) == 0 {
		return
	}
	b.WriteString("### What to change\n\n")
	for i, a := range v.in.Advice {
		// Causes quote the guest's own messages: kept to their line.
		fmt.Fprintf(b, "#### %d. %s\n\n", i+1, textsafe.Line(a.Title))
		fmt.Fprintf(b, "%s\n\n", textsafe.Line(a.Cause))
		for _, step := range a.Steps {
			fmt.Fprintf(b, "- %s\n", textsafe.Line(step))
		}
		b.WriteString("\n")
		if a.Before != "" {
			b.WriteString("Before:\n\n")
			writeFenced(b, a.Lang, a.Before)
		}
		if a.After != "" {
			b.WriteString("After:\n\n")
			writeFenced(b, a.Lang, a.After)
		}
	}
}

// writeFenced writes text in a fenced code block with the given language
// tag, using a fence longer than any run of backticks in the text.
func writeFenced(b *strings.Builder, lang, text string) {
	fence := strings.Repeat("`", max(3, longestRun(text, '`')+1))
	b.WriteString(fence + lang + "\n")
	b.WriteString(text)
	if !strings.HasSuffix(text, "\n") {
		b.WriteString("\n")
	}
	b.WriteString(fence + "\n\n")
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// inlineCode wraps s in a code span that survives backticks inside it.
func inlineCode(s string) string {
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// validUTF8 reports whether b is valid UTF-8.
func validUTF8(b []byte) bool {
	return strings.ToValidUTF8(string(b), "\uFFFD") == string(b)
}

// plural picks the singular or plural form for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// orUnknown returns s, or "unknown" when it is empty.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
