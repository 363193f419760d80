package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wasmplay/wasmplay/config"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// runtimeStatusJSON is one line of `wasmplay runtimes --json`.
type runtimeStatusJSON struct {
	Runtime string                  `json:"runtime"`
	Title   string                  `json:"title"`
	State   string                  `json:"state"`
	Problem string                  `json:"problem,omitempty"`
	Fix     string                  `json:"fix,omitempty"`
	Binary  string                  `json:"binary,omitempty"`
	Entry   *runtimes.ManifestEntry `json:"manifest,omitempty"`
}

func newRuntimesCommand(g *globals) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "runtimes",
		Short: "Show the guest runtimes: where they come from, whether they are built and intact",
		Long: `Show each guest runtime: its manifest entry (Debian source package and
version, recipe hash, sha256 and size of each artifact, build date), whether
the files match it, and the one command that fixes what is missing.
Runtimes brought with the [runtimes] section of the config file are checked
to be WASI commands instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig(false)
			if err != nil {
				return err
			}
			reg, err := g.registry(cfg)
			if err != nil {
				return err
			}
			statuses := runtimeStatuses(reg, cfg, g.dirs.ConfigFile)
			if jsonOut {
				return writeJSON(g.stdout, statuses)
			}
			printRuntimeStatuses(g, reg, statuses)
			for _, st := range statuses {
				if st.State != runtimes.Ready.String() {
					return &exitError{code: ExitRuntimeUnavailable}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return cmd
}

// runtimeStatuses verifies every runtime: built ones against the
// manifest, brought ones as WASI commands.
func runtimeStatuses(reg *runtimes.Registry, cfg config.Config, configFile string) []runtimeStatusJSON {
	verified := map[string]runtimes.Status{}
	for _, st := range runtimes.Verify(reg.BinDir()) {
		verified[st.Runtime] = st
	}
	var out []runtimeStatusJSON
	for _, rt := range reg.All() {
		line := runtimeStatusJSON{Runtime: rt.Name, Title: rt.Title, State: runtimes.Ready.String()}
		switch {
		case rt.Kind != runtimes.Interpreter:
			line.Binary = "(none: " + rt.Source + ")"
		case cfg.Runtimes[rt.Name].Wasm != "":
			line.Binary = reg.ArtifactPath(rt)
			if err := runtimes.CheckWASICommand(line.Binary); err != nil {
				line.State, line.Problem = runtimes.Missing.String(), err.Error()
				line.Fix = "fix [runtimes." + rt.Name + "] in " + configFile
			}
		default:
			line.Binary = reg.ArtifactPath(rt)
			st := verified[rt.Name]
			line.State, line.Problem, line.Fix, line.Entry = st.State.String(), st.Problem, st.Fix, st.Entry
		}
		out = append(out, line)
	}
	return out
}

func printRuntimeStatuses(g *globals, reg *runtimes.Registry, statuses []runtimeStatusJSON) {
	fmt.Fprintf(g.stdout, "bin directory: %s\n\n", reg.BinDir())
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUNTIME\tSTATE\tSOURCE\tBUILT\tARTIFACTS")
	for _, st := range statuses {
		source, built, artifacts := "-", "-", "-"
		if e := st.Entry; e != nil {
			source = e.Source.Name + " " + e.Source.Version
			built = e.BuiltAt.Local().Format("2006-01-02 15:04")
			var total int64
			for _, a := range e.Artifacts {
				total += a.Size
			}
			artifacts = fmt.Sprintf("%d (%s)", len(e.Artifacts), run.FormatBytes(uint64(total)))
		} else if st.Binary != "" {
			source = st.Binary
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", st.Runtime, st.State, source, built, artifacts)
	}
	tw.Flush()
	for _, st := range statuses {
		if st.Entry != nil {
			fmt.Fprintf(g.stdout, "\n%s: recipe %s\n", st.Runtime, st.Entry.RecipeHash)
			for _, a := range st.Entry.Artifacts {
				fmt.Fprintf(g.stdout, "  %s  %s  %s\n", a.SHA256, run.FormatBytes(uint64(a.Size)), a.Path)
			}
		}
		if st.Problem != "" {
			fmt.Fprintf(g.stdout, "\n%s: %s\n  fix: %s\n", st.Runtime, st.Problem, st.Fix)
		}
	}
}
