package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
)

// policyPreset is a named set of limits.
type policyPreset struct {
	name   string
	key    string
	policy run.Policy
}

// policyPresets are the presets the limits dialog offers.
func policyPresets() []policyPreset {
	return []policyPreset{
		{"tight", "alt+t", run.Policy{FuelBudget: 500_000_000, MemoryBytes: 32 << 20, Timeout: 5 * time.Second,
			StdoutMaxBytes: 256 << 10, StderrMaxBytes: 128 << 10, DiskBytes: 64 << 20, DiskFiles: 10_000}},
		{"default", "alt+d", run.DefaultPolicy()},
		{"generous", "alt+g", run.Policy{FuelBudget: 50_000_000_000, MemoryBytes: 1 << 30, Timeout: 5 * time.Minute,
			StdoutMaxBytes: 16 << 20, StderrMaxBytes: 4 << 20, DiskBytes: 16 << 30, DiskFiles: 1_000_000}},
	}
}

// policyField is one editable limit.
type policyField struct {
	field run.Field
	input textinput.Model
}

// limitLabel is the dialog's name of a limit, the one messages use too.
func limitLabel(f run.Field) string {
	switch f {
	case run.FieldFuel:
		return "fuel budget"
	case run.FieldMemory:
		return "memory cap"
	case run.FieldTimeout:
		return "timeout"
	case run.FieldStdoutMax:
		return "stdout kept"
	case run.FieldStderrMax:
		return "stderr kept"
	case run.FieldDisk:
		return "disk quota"
	case run.FieldFiles:
		return "files quota"
	}
	return string(f)
}

// policyDialog edits the current session's limits.
type policyDialog struct {
	fields []policyField
	focus  int
	err    string     // stays until the next edit
	below  run.Policy // what the layers under the session's give
	save   func(run.Overrides) action
	// rate is the fuel this session's runs burned per second of their
	// time, measured from its history (0: too few runs to tell).
	rate float64
	runs int // how many runs the rate is from
}

// rateMinMS is how long a run must have taken to count toward the
// measured fuel rate (shorter runs are mostly start-up).
const rateMinMS = 100

// rateRuns is how many of the latest such runs the rate is taken from.
const rateRuns = 20

// fuelRate measures fuel per second over a session's latest runs that ran
// long enough, and says how many it used.
func fuelRate(runs []sessions.RunSummary) (float64, int) {
	var fuel, seconds float64
	n := 0
	for i := len(runs) - 1; i >= 0 && n < rateRuns; i-- {
		r := runs[i]
		if r.DurationMS < rateMinMS || !r.FuelExact || r.FuelConsumed == 0 {
			continue
		}
		fuel += float64(r.FuelConsumed)
		seconds += r.DurationMS / 1000
		n++
	}
	if n == 0 {
		return 0, 0
	}
	return fuel / seconds, n
}

// fuelMeaning says what a fuel budget means in time, from the rate this
// session's runs were measured at.
func (d *policyDialog) fuelMeaning() string {
	budget, err := run.ParseFuel(strings.TrimSpace(d.fields[0].input.Value()))
	if err != nil || d.fields[0].field != run.FieldFuel {
		return ""
	}
	if d.rate == 0 {
		return fmt.Sprintf("fuel counts instructions; after a run of %d ms or more this shows the budget in seconds", rateMinMS)
	}
	secs := float64(budget) / d.rate
	return fmt.Sprintf("%s fuel ≈ %s of compute here (measured %s/s over %d runs)", run.FormatFuel(budget),
		run.FormatDuration(time.Duration(secs*float64(time.Second))), run.FormatFuel(uint64(d.rate)), d.runs)
}

func (m *Model) openPolicy() {
	sv := m.current
	if sv == nil {
		return
	}
	sess := sv.sess
	d := &policyDialog{save: func(o run.Overrides) action {
		return func(m *Model) tea.Cmd { return m.do(saveLimitsCmd(m.deps.Playground, sess, o)) }
	}}
	for _, f := range run.LimitFields {
		in := textinput.New()
		in.Prompt = ""
		in.SetWidth(18)
		d.fields = append(d.fields, policyField{field: f, input: in})
	}
	// A limit typed as the config file (or the default) has it is not
	// pinned in the session: it keeps following the config.
	d.below, _ = run.Resolve(m.deps.Playground.Layers(nil), m.deps.Playground.Ceilings())
	d.rate, d.runs = fuelRate(sv.runs.runs)
	d.fill(sv.limits)
	d.fields[0].input.Focus()
	m.dialog = d
}

// fill shows a policy in the fields.
func (d *policyDialog) fill(p run.Policy) {
	for i, f := range d.fields {
		// The short form ("2.1KiB") where it is exact, else the exact
		// number, so saving the dialog unchanged changes nothing.
		text := strings.ReplaceAll(p.Format(f.field), " ", "")
		var o run.Overrides
		if o.Set(f.field, text) != nil || !o.Equal(f.field, p) {
			text = p.Exact(f.field)
		}
		d.fields[i].input.SetValue(text)
	}
}

// parse reads the fields into the session's layer of limits, naming the
// field at fault. A value equal to what the layers below give is left to
// them.
func (d *policyDialog) parse() (run.Overrides, error) {
	var typed run.Overrides
	for _, f := range d.fields {
		if err := typed.Set(f.field, strings.TrimSpace(f.input.Value())); err != nil {
			return run.Overrides{}, fmt.Errorf("%s: %w", limitLabel(f.field), err)
		}
	}
	if _, err := run.Resolve([]run.Layer{{Source: run.SourceSession, Limits: typed}}, run.Overrides{}); err != nil {
		return run.Overrides{}, errors.New(run.Phrase(err, func(_ run.Source, f run.Field) string { return limitLabel(f) }))
	}
	kept := typed
	if *typed.FuelBudget == d.below.FuelBudget {
		kept.FuelBudget = nil
	}
	if *typed.MemoryBytes == d.below.MemoryBytes {
		kept.MemoryBytes = nil
	}
	if *typed.Timeout == d.below.Timeout {
		kept.Timeout = nil
	}
	if *typed.StdoutMaxBytes == d.below.StdoutMaxBytes {
		kept.StdoutMaxBytes = nil
	}
	if *typed.StderrMaxBytes == d.below.StderrMaxBytes {
		kept.StderrMaxBytes = nil
	}
	return kept, nil
}

func (d *policyDialog) title() string { return "Limits for this session" }

func (d *policyDialog) update(msg tea.Msg) dialogResult {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			return closeWith(nil)
		case "tab", "down":
			d.move(1)
			return stay(nil)
		case "shift+tab", "up":
			d.move(-1)
			return stay(nil)
		case "enter":
			o, err := d.parse()
			if err != nil {
				d.err = err.Error()
				return stay(nil)
			}
			return closeWith(d.save(o))
		}
		for _, pre := range policyPresets() {
			if k.String() == pre.key {
				d.fill(pre.policy)
				d.err = ""
				return stay(nil)
			}
		}
	}
	var cmd tea.Cmd
	d.fields[d.focus].input, cmd = d.fields[d.focus].input.Update(msg)
	if _, edit := msg.(tea.KeyPressMsg); edit {
		d.err = "" // an edit answers the error; a cursor blink does not
	}
	return stay(cmd)
}

func (d *policyDialog) move(dir int) {
	d.fields[d.focus].input.Blur()
	d.focus = (d.focus + dir + len(d.fields)) % len(d.fields)
	d.fields[d.focus].input.Focus()
}

func (d *policyDialog) view(st Styles, w, h int) string {
	var rows []string
	for i, f := range d.fields {
		label := fmt.Sprintf("%-12s", limitLabel(f.field))
		if i == d.focus {
			label = st.Accent.Render("› " + label)
		} else {
			label = "  " + st.Muted.Render(label)
		}
		rows = append(rows, label+" "+f.input.View())
	}
	rows = append(rows, "")
	var presets []string
	for _, pre := range policyPresets() {
		presets = append(presets, st.FooterKey.Render(pre.key)+" "+pre.name)
	}
	rows = append(rows, "presets: "+strings.Join(presets, "  "))
	if meaning := d.fuelMeaning(); meaning != "" {
		rows = append(rows, st.Subtle.Render(fitLine(meaning, w)))
	}
	rows = append(rows, st.Subtle.Render("units: fuel 500M/5G/5e9 · sizes 64MiB/2MiB · time 10s/2m"))
	if d.err != "" {
		rows = append(rows, "", st.Error.Render(d.err))
	}
	rows = append(rows, "", st.FooterKey.Render("enter")+st.FooterDesc.Render(" apply & save   ")+
		st.FooterKey.Render("tab")+st.FooterDesc.Render(" next field   ")+st.FooterKey.Render("esc")+st.FooterDesc.Render(" cancel"))
	return strings.Join(rows, "\n")
}
