package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

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
	f, err := os.Open(filepath.Join(dir, runtimes.VarsOutFile))
	if errors.Is(err, fs.ErrNotExist) {
		rep.Problem = "the program left no variables (it exited before the runtime could save them)"
		return nil, rep
	}
	if err != nil {
		rep.Problem = err.Error()
		return nil, rep
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, run.MaxVarsBytes+1))
	if err != nil {
		rep.Problem = err.Error()
		return nil, rep
	}
	if len(data) > run.MaxVarsBytes {
		rep.Problem = fmt.Sprintf("the variables take more than %s as JSON: not kept", run.FormatBytes(run.MaxVarsBytes))
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
