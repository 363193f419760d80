package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/wasmplay/wasmplay/runner"
)

// policyPreset is a named set of limits.
type policyPreset struct {
	name   string
	key    string
	policy runner.Policy
}

// policyPresets are the presets the limits dialog offers.
func policyPresets() []policyPreset {
	return []policyPreset{
		{"tight", "alt+t", runner.Policy{FuelBudget: 500_000_000, MemoryBytes: 32 << 20, Timeout: 5 * time.Second,
			StdoutMaxBytes: 256 << 10, StderrMaxBytes: 128 << 10}},
		{"default", "alt+d", runner.DefaultPolicy()},
		{"generous", "alt+g", runner.Policy{FuelBudget: 50_000_000_000, MemoryBytes: 1 << 30, Timeout: 5 * time.Minute,
			StdoutMaxBytes: 16 << 20, StderrMaxBytes: 4 << 20}},
	}
}

// policyField is one editable limit.
type policyField struct {
	label string
	input textinput.Model
}

// policyDialog edits the current session's limits.
type policyDialog struct {
	fields []policyField
	focus  int
	err    string
}

const (
	fieldFuel = iota
	fieldMemory
	fieldTimeout
	fieldStdout
	fieldStderr
)

func (m *Model) openPolicy() {
	sv := m.current
	if sv == nil {
		return
	}
	d := &policyDialog{}
	for _, label := range []string{"fuel budget", "memory cap", "timeout", "stdout kept", "stderr kept"} {
		in := textinput.New()
		in.Prompt = ""
		in.SetWidth(18)
		d.fields = append(d.fields, policyField{label: label, input: in})
	}
	d.fill(sv.policy)
	d.fields[0].input.Focus()
	m.dialog = d
}

// fill shows a policy in the fields.
func (d *policyDialog) fill(p runner.Policy) {
	p = p.WithDefaults()
	d.fields[fieldFuel].input.SetValue(runner.FormatFuel(p.FuelBudget))
	if p.FuelBudget%1000 != 0 || p.FuelBudget < 1000 {
		d.fields[fieldFuel].input.SetValue(fmt.Sprint(p.FuelBudget))
	}
	d.fields[fieldMemory].input.SetValue(strings.ReplaceAll(runner.FormatBytes(p.MemoryBytes), " ", ""))
	d.fields[fieldTimeout].input.SetValue(p.Timeout.String())
	d.fields[fieldStdout].input.SetValue(strings.ReplaceAll(runner.FormatBytes(uint64(p.StdoutMaxBytes)), " ", ""))
	d.fields[fieldStderr].input.SetValue(strings.ReplaceAll(runner.FormatBytes(uint64(p.StderrMaxBytes)), " ", ""))
}

// parse reads the fields back into a policy, naming the field at fault.
func (d *policyDialog) parse(base runner.Policy) (runner.Policy, error) {
	p := base
	var err error
	val := func(i int) string { return strings.TrimSpace(d.fields[i].input.Value()) }
	if p.FuelBudget, err = runner.ParseFuel(val(fieldFuel)); err != nil {
		return p, err
	}
	if p.MemoryBytes, err = runner.ParseBytes(val(fieldMemory)); err != nil {
		return p, err
	}
	if p.Timeout, err = runner.ParseTimeout(val(fieldTimeout)); err != nil {
		return p, err
	}
	out, err := runner.ParseBytes(val(fieldStdout))
	if err != nil {
		return p, err
	}
	errb, err := runner.ParseBytes(val(fieldStderr))
	if err != nil {
		return p, err
	}
	p.StdoutMaxBytes, p.StderrMaxBytes = int64(out), int64(errb)
	if err := p.Validate(); err != nil {
		var pe *runner.PolicyError
		if errors.As(err, &pe) {
			return p, pe
		}
		return p, err
	}
	return p, nil
}

func (d *policyDialog) title() string { return "Limits for this session" }

func (d *policyDialog) update(m *Model, msg tea.Msg) (bool, tea.Cmd) {
	sv := m.current
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "esc":
			return true, nil
		case "tab", "down":
			d.move(1)
			return false, nil
		case "shift+tab", "up":
			d.move(-1)
			return false, nil
		case "enter":
			p, err := d.parse(sv.policy)
			if err != nil {
				d.err = err.Error()
				return false, nil
			}
			sv.policy = p
			if sv.run == 0 {
				sv.metrics.limits = runner.LimitsOf(p)
			}
			return true, savePolicyCmd(sv.sess, p)
		}
		for _, pre := range policyPresets() {
			if k.String() == pre.key {
				d.fill(pre.policy)
				d.err = ""
				return false, nil
			}
		}
	}
	var cmd tea.Cmd
	d.fields[d.focus].input, cmd = d.fields[d.focus].input.Update(msg)
	d.err = ""
	return false, cmd
}

func (d *policyDialog) move(dir int) {
	d.fields[d.focus].input.Blur()
	d.focus = (d.focus + dir + len(d.fields)) % len(d.fields)
	d.fields[d.focus].input.Focus()
}

func (d *policyDialog) view(st Styles, w, h int) string {
	var rows []string
	for i, f := range d.fields {
		label := fmt.Sprintf("%-12s", f.label)
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
	rows = append(rows, st.Subtle.Render("units: fuel 500M/5G/5e9 · sizes 64MiB/2MiB · time 10s/2m"))
	if d.err != "" {
		rows = append(rows, "", st.Error.Render(d.err))
	}
	rows = append(rows, "", st.FooterKey.Render("enter")+st.FooterDesc.Render(" apply & save   ")+
		st.FooterKey.Render("tab")+st.FooterDesc.Render(" next field   ")+st.FooterKey.Render("esc")+st.FooterDesc.Render(" cancel"))
	return strings.Join(rows, "\n")
}
