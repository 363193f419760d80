package playground

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// varsDoc is the form of kept variables ({"vars": {...}}).
type varsDoc struct {
	Vars map[string]json.RawMessage `json:"vars"`
}

// mergeReport names what a merge took from the other run.
type mergeReport struct {
	theirs []string // changed only by the other run: its values kept
	both   []string // changed by both: ours kept
}

// mergeVars keeps what a run left (ours) on top of what was kept when it
// finished (current), given what it started with (base): a three-way merge
// by variable, so a run elsewhere in the session that finished meanwhile
// loses nothing this run did not change itself. This run finished later,
// so where both changed a variable, its value wins.
func mergeVars(base, ours, current []byte) ([]byte, mergeReport, error) {
	var rep mergeReport
	if bytes.Equal(base, current) {
		return ours, rep, nil // nobody else changed anything
	}
	parse := func(what string, data []byte) (map[string]json.RawMessage, error) {
		d := varsDoc{}
		if len(data) > 0 {
			if err := json.Unmarshal(data, &d); err != nil {
				return nil, fmt.Errorf("the %s kept variables are not valid JSON: %w", what, err)
			}
		}
		if d.Vars == nil {
			d.Vars = map[string]json.RawMessage{}
		}
		return d.Vars, nil
	}
	b, err := parse("previous", base)
	if err != nil {
		return nil, rep, err
	}
	o, err := parse("new", ours)
	if err != nil {
		return nil, rep, err
	}
	c, err := parse("current", current)
	if err != nil {
		return nil, rep, err
	}
	same := func(x, y json.RawMessage, inX, inY bool) bool {
		return inX == inY && (!inX || bytes.Equal(x, y))
	}
	names := map[string]bool{}
	for _, m := range []map[string]json.RawMessage{b, o, c} {
		for k := range m {
			names[k] = true
		}
	}
	out := map[string]json.RawMessage{}
	for k := range names {
		bv, inB := b[k]
		ov, inO := o[k]
		cv, inC := c[k]
		weChanged := !same(bv, ov, inB, inO)
		theyChanged := !same(bv, cv, inB, inC)
		switch {
		case weChanged:
			if theyChanged && !same(ov, cv, inO, inC) {
				rep.both = append(rep.both, k)
			}
			if inO {
				out[k] = ov
			}
		case theyChanged:
			rep.theirs = append(rep.theirs, k)
			if inC {
				out[k] = cv
			}
		case inO:
			out[k] = ov
		}
	}
	sort.Strings(rep.theirs)
	sort.Strings(rep.both)
	merged, err := json.Marshal(varsDoc{Vars: out})
	return merged, rep, err
}
