// Command buildtool is the Go half of runtimes/build/build.sh: it computes
// recipe hashes, checks and smoke-runs fresh builds, writes cache entries
// and the manifest, installs builds into bin/, and measures the runtimes.
// It is build tooling (it links wasmtime); run it from the repository root:
//
//	go run ./cmd/buildtool recipe-hash python
//	go run ./cmd/buildtool uptodate [-q] [-bin bin] [-cache-key KEY] [runtime...]
//	go run ./cmd/buildtool status [-bin bin]
//	go run ./cmd/buildtool check FILE.wasm...
//	go run ./cmd/buildtool verify-build -dir DIR runtime
//	go run ./cmd/buildtool entry -dir DIR -runtime NAME ...   (see build.sh)
//	go run ./cmd/buildtool verify-entry DIR
//	go run ./cmd/buildtool install [-bin bin] -entry DIR
//	go run ./cmd/buildtool smoke [-bin bin] [runtime...]
//	go run ./cmd/buildtool run [-bin bin] [-n RUNS] runtime CODE
//	go run ./cmd/buildtool bench -variants DIR [-bin bin] [-runs 21]
//	go run ./cmd/buildtool gen-testdata
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// command is one subcommand: it parses its own flags from args.
type command struct {
	summary string
	run     func(args []string) error
}

var commands = map[string]command{
	"recipe-hash":  {"print the recipe hash of a runtime", cmdRecipeHash},
	"uptodate":     {"exit 0 when bin/ holds the runtimes, matching the manifest and this recipe", cmdUptodate},
	"status":       {"print what bin/ holds and what is wrong", cmdStatus},
	"check":        {"check that files are WASI preview1 commands", cmdCheck},
	"verify-build": {"check and smoke-run a fresh build laid out like bin/", cmdVerifyBuild},
	"entry":        {"write the entry.json of a fresh build", cmdEntry},
	"verify-entry": {"check a cache entry's artifacts against its entry.json", cmdVerifyEntry},
	"install":      {"install a cache entry into bin/ and update the manifest", cmdInstall},
	"smoke":        {"smoke-run the runtimes in bin/", cmdSmoke},
	"run":          {"run a program on a runtime in bin/ and report output, fuel and time", cmdRun},
	"bench":        {"measure the runtime variants (docs/BENCHMARKS.md)", cmdBench},
	"gen-testdata": {"regenerate runtimes/testdata/*.wasm from the .wat files", cmdGenTestdata},
}

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]].run == nil {
		usage()
		os.Exit(2)
	}
	if err := commands[os.Args[1]].run(os.Args[2:]); err != nil {
		var quiet exitError
		if errors.As(err, &quiet) {
			os.Exit(int(quiet))
		}
		fmt.Fprintf(os.Stderr, "buildtool %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintln(os.Stderr, "usage: go run ./cmd/buildtool COMMAND [flags]")
	for _, name := range names {
		fmt.Fprintf(os.Stderr, "  %-13s %s\n", name, commands[name].summary)
	}
}

// exitError ends the program with a status and no message (the command
// already said what it had to).
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// interpreterNames returns the given runtime names, or every built-in
// runtime that needs a binary when none is given.
func interpreterNames(args []string) ([]string, error) {
	reg, err := runtimes.NewRegistry("bin", nil)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, rt := range reg.All() {
		if rt.Kind == runtimes.Interpreter {
			names = append(names, rt.Name)
		}
	}
	if len(args) == 0 {
		return names, nil
	}
	for _, a := range args {
		rt, err := reg.Lookup(a)
		if err != nil {
			return nil, err
		}
		if rt.Kind != runtimes.Interpreter {
			return nil, fmt.Errorf("runtime %s has no binary to build", rt.Name)
		}
	}
	return args, nil
}

func cmdRecipeHash(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: recipe-hash RUNTIME")
	}
	h, err := runtimes.RecipeHash(args[0])
	if err != nil {
		return err
	}
	fmt.Println(h)
	return nil
}

func cmdUptodate(args []string) error {
	fs := flag.NewFlagSet("uptodate", flag.ExitOnError)
	bin := fs.String("bin", "bin", "bin directory")
	key := fs.String("cache-key", "", "also require this cache key (one runtime only)")
	quiet := fs.Bool("q", false, "print nothing; only the exit status tells")
	fs.Parse(args)
	names, err := interpreterNames(fs.Args())
	if err != nil {
		return err
	}
	if *key != "" && len(names) != 1 {
		return errors.New("-cache-key needs exactly one runtime")
	}
	ok := true
	for _, st := range runtimes.Verify(*bin) {
		if !slices.Contains(names, st.Runtime) {
			continue
		}
		problem := st.Problem
		if st.State == runtimes.Ready && *key != "" && st.Entry.CacheKey != *key {
			problem = fmt.Sprintf("built with cache key %s, the current inputs give %s", st.Entry.CacheKey, *key)
		}
		if problem != "" {
			ok = false
			if !*quiet {
				fmt.Printf("%s: %s\n", st.Runtime, problem)
			}
		}
	}
	if !ok {
		return exitError(1)
	}
	return nil
}

func cmdStatus(args []string) error {
	fs := flag.NewFlagSet("status", flag.ExitOnError)
	bin := fs.String("bin", "bin", "bin directory")
	fs.Parse(args)
	for _, st := range runtimes.Verify(*bin) {
		fmt.Printf("%-10s %-8s", st.Runtime, st.State)
		if e := st.Entry; e != nil {
			fmt.Printf(" %s %s", e.Source.Name, e.Source.Version)
			for _, in := range e.Inputs {
				fmt.Printf(", %s %s", in.Name, in.Version)
			}
			fmt.Printf("; built %s", e.BuiltAt.Local().Format("2006-01-02 15:04"))
		}
		fmt.Println()
		if st.State != runtimes.Ready {
			fmt.Printf("           %s; fix: %s\n", st.Problem, st.Fix)
			continue
		}
		for _, a := range st.Entry.Artifacts {
			fmt.Printf("           %-28s %10d bytes  sha256 %.16s\n", a.Path, a.Size, a.SHA256)
		}
	}
	return nil
}

func cmdCheck(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: check FILE.wasm...")
	}
	var failed []string
	for _, path := range args {
		if err := runtimes.CheckWASICommand(path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			failed = append(failed, path)
			continue
		}
		fmt.Printf("%s: a WASI preview1 command\n", path)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d files are not WASI commands: %s", len(failed), len(args), strings.Join(failed, ", "))
	}
	return nil
}

func cmdVerifyBuild(args []string) error {
	fs := flag.NewFlagSet("verify-build", flag.ExitOnError)
	dir := fs.String("dir", "", "a fresh build, laid out like bin/")
	fs.Parse(args)
	if *dir == "" || fs.NArg() != 1 {
		return errors.New("usage: verify-build -dir DIR RUNTIME")
	}
	name := fs.Arg(0)
	reg, err := runtimes.NewRegistry(*dir, nil)
	if err != nil {
		return err
	}
	rt, err := reg.Lookup(name)
	if err != nil {
		return err
	}
	if err := runtimes.CheckWASICommand(reg.ArtifactPath(rt)); err != nil {
		return err
	}
	fmt.Printf("%s: a WASI preview1 command\n", reg.ArtifactPath(rt))
	if rt.Reactor != "" {
		if err := runtimes.CheckReactor(reg.ReactorPath(rt)); err != nil {
			return err
		}
		fmt.Printf("%s: a reactor the runner can snapshot\n", reg.ReactorPath(rt))
	}
	if err := smoke(*dir, rt.Name); err != nil {
		return err
	}
	fmt.Printf("%s: smoke checks passed\n", rt.Name)
	return nil
}

func cmdSmoke(args []string) error {
	fs := flag.NewFlagSet("smoke", flag.ExitOnError)
	bin := fs.String("bin", "bin", "bin directory")
	fs.Parse(args)
	names, err := interpreterNames(fs.Args())
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := smoke(*bin, name); err != nil {
			return err
		}
		fmt.Printf("%s: smoke checks passed\n", name)
	}
	return nil
}

func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	bin := fs.String("bin", "bin", "bin directory")
	runs := fs.Int("n", 1, "with more than 1: measure that many runs after a warm-up, print no output")
	fs.Parse(args)
	if fs.NArg() != 2 {
		return errors.New("usage: run [-bin bin] [-n RUNS] RUNTIME CODE")
	}
	l, err := newLocal(*bin)
	if err != nil {
		return err
	}
	rt, code := fs.Arg(0), fs.Arg(1)
	if *runs > 1 {
		st, err := measureRuns(l, rt, code, *runs)
		if err != nil {
			return err
		}
		fmt.Printf("%d runs: median %.1f ms (min %.1f, max %.1f), fuel %d, memory %d bytes\n", st.runs,
			float64(st.median.Microseconds())/1000, float64(st.min.Microseconds())/1000,
			float64(st.max.Microseconds())/1000, st.fuel, st.memoryBytes)
		return nil
	}
	res, ws, err := runOnce(l, rt, code)
	if err != nil {
		return err
	}
	defer os.RemoveAll(ws)
	os.Stdout.Write(res.Stdout)
	os.Stderr.Write(res.Stderr)
	fmt.Fprintf(os.Stderr, "[%s, exit %d, %.1f ms, fuel %d, memory %d bytes]\n",
		res.Outcome, res.ExitCode, float64(res.Duration.Microseconds())/1000, res.FuelConsumed, res.PeakMemoryBytes)
	if res.Outcome != run.OutcomeOK {
		return fmt.Errorf("%s: %s", res.Outcome, res.Message)
	}
	return nil
}
