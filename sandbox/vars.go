package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// varsOut is what the kept-variables preludes read and write.
type varsOut struct {
	Vars    map[string]json.RawMessage `json:"vars"`
	Skipped []string                   `json:"skipped,omitempty"`
}

// readVars reads the variables a run left in its exchange directory. Only a
// successful run's are kept; otherwise the previous ones stand.
func readVars(dir string, previous []byte, success bool) ([]byte, *run.VarsReport) {
	rep := &run.VarsReport{Restored: run.VarNames(previous), Saved: []string{}, Skipped: []string{}}
	if !success {
		rep.Problem = "the run did not succeed, so the variables it started with are kept for the next"
		return nil, rep
	}
	// The guest wrote this directory: read the file strictly beneath it
	// (no link followed, no pipe waited on) and measured before it is read.
	root, err := hostfs.OpenRoot(dir)
	if err != nil {
		rep.Problem = err.Error()
		return nil, rep
	}
	defer root.Close()
	data, err := root.ReadFile(runtimes.VarsOutFile, run.MaxVarsBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		rep.Problem = "the program left no variables (it exited before the runtime could save them)"
		return nil, rep
	case errors.Is(err, hostfs.ErrTooLarge):
		rep.Problem = fmt.Sprintf("the variables take more than %s as JSON: not kept", run.FormatBytes(run.MaxVarsBytes))
		return nil, rep
	case err != nil:
		rep.Problem = "the saved variables could not be read: " + err.Error()
		return nil, rep
	}
	var out varsOut
	if err := json.Unmarshal(data, &out); err != nil {
		rep.Problem = "the saved variables are not valid JSON: " + err.Error()
		return nil, rep
	}
	if out.Vars == nil {
		out.Vars = map[string]json.RawMessage{}
	}
	rep.Skipped = append(rep.Skipped, out.Skipped...)
	clean, err := json.Marshal(varsOut{Vars: out.Vars})
	if err != nil {
		rep.Problem = err.Error()
		return nil, rep
	}
	rep.Saved = run.VarNames(clean)
	return clean, rep
}
