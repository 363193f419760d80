package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wasmplay/wasmplay/runtimes"
)

func newPackagesCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "packages",
		Short: "The pure-Python packages every Python run can import",
		Long: `Pure-Python packages taken from Debian's python3-* packages, mounted
read-only in every Python run at ` + runtimes.SitePackagesGuest + `, where
import finds them. make packages builds the default set (tabulate, dateutil,
six, jinja2, markupsafe, yaml, attrs, idna, charset_normalizer, defusedxml,
markdown, packaging); packages with compiled extension modules are refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return packagesList(g, false) },
	}
	var jsonOut bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the packages and the modules they provide",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return packagesList(g, jsonOut) },
	}
	list.Flags().BoolVar(&jsonOut, "json", false, "print the manifest as JSON")
	add := &cobra.Command{
		Use:   "add NAME...",
		Short: "Add packages (by PyPI, import or Debian name: pyyaml, yaml or python3-yaml)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runPackagesScript("packages add", append([]string{"packages"}, args...))
		},
	}
	remove := &cobra.Command{
		Use:   "remove NAME...",
		Short: "Remove packages added before (the default set stays)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runPackagesScript("packages remove", append([]string{"packages-remove"}, args...))
		},
	}
	cmd.AddCommand(list, add, remove)
	return cmd
}

// runPackagesScript runs build.sh with args for the bin directory, then
// lists what is installed. what names the command in errors.
func (g *globals) runPackagesScript(what string, args []string) error {
	script, err := g.buildScript()
	if err != nil {
		return err
	}
	c := exec.Command(script, args...)
	c.Stdout, c.Stderr = g.stdout, g.stderr
	c.Env = append(os.Environ(), "WASMPLAY_BIN_DIR="+g.dirs.Bin)
	if err := c.Run(); err != nil {
		// build.sh has said what went wrong.
		return &exitError{code: ExitHostError, err: fmt.Errorf("%s %s did not complete (%w); the installed packages are unchanged", what, strings.Join(args[1:], " "), err)}
	}
	return packagesList(g, false)
}

// buildScript finds runtimes/build/build.sh of the source tree the bin
// directory belongs to: packages are built from a wasmplay source tree.
func (g *globals) buildScript() (string, error) {
	bin, err := filepath.Abs(g.dirs.Bin)
	if err != nil {
		return "", usageError("%v", err)
	}
	script := filepath.Join(filepath.Dir(bin), "runtimes", "build", "build.sh")
	if _, err := os.Stat(script); err != nil {
		return "", usageError("packages are built from a wasmplay source tree, and %s has none beside it (%s is missing)", bin, script)
	}
	return script, nil
}

func packagesList(g *globals, jsonOut bool) error {
	m, err := runtimes.ReadPackages(g.dirs.Bin)
	if errors.Is(err, fs.ErrNotExist) {
		if jsonOut {
			return writeJSON(g.stdout, struct{}{})
		}
		fmt.Fprintln(g.stdout, "no packages are installed: make packages builds the default set")
		return nil
	}
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	if jsonOut {
		return writeJSON(g.stdout, m)
	}
	fmt.Fprintf(g.stdout, "Python packages (Debian %s, mounted read-only at %s):\n\n", m.Suite, runtimes.SitePackagesGuest)
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IMPORT\tDEBIAN PACKAGE\tVERSION\tNOTE")
	for _, p := range m.Packages {
		note := ""
		if len(p.Dropped) > 0 {
			note = "pure-Python mode (compiled speedups dropped)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", strings.Join(p.Modules, ", "), p.Name, p.Version, note)
	}
	return tw.Flush()
}

// pythonModules returns the third-party modules Python runs can import,
// for advice and help; nil when no packages are built. A damaged manifest
// is reported on stderr and treated as none.
func (g *globals) pythonModules() []string {
	m, err := runtimes.ReadPackages(g.dirs.Bin)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		fmt.Fprintf(g.stderr, "wasmplay: ignoring the packages: %v (rebuild them with: make packages)\n", err)
		return nil
	}
	return m.Modules()
}
