package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/runtimes"
)

// The programs measured.
const (
	printOne = "print(1)\n"
	sumRange = "print(sum(range(10**6)))\n"
	jsPrint  = "console.log(1);\n"
)

// variant is one CPython build or stdlib layout made by
// `build.sh bench-variants DIR`.
type variant struct {
	label string
	wasm  string // file name in DIR
	lib   string // directory name in DIR
}

// cmdBench measures what docs/BENCHMARKS.md ("Guest runtimes") reports and
// prints it as Markdown.
func cmdBench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	dir := fs.String("variants", "", "directory made by: runtimes/build/build.sh bench-variants DIR")
	bin := fs.String("bin", "bin", "bin directory (for qjs.wasm)")
	runs := fs.Int("runs", 21, "measured runs per figure (after one warm-up run)")
	loads := fs.Int("loads", 10, "timed deserializations per module")
	out := fs.String("out", "", "write the Markdown here instead of stdout")
	fs.Parse(args)
	if *dir == "" {
		return errors.New("usage: bench -variants DIR [-bin bin] [-runs 21] [-out FILE]")
	}
	w := io.Writer(os.Stdout)
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	b := &bench{w: w, dir: *dir, bin: *bin, runs: *runs, loads: *loads}
	fmt.Fprintf(w, "Measured %s on %s, %d CPUs, wasmtime-go v39.0.1 with fuel and epoch interruption on. "+
		"Start-up figures are medians of %d runs after one warm-up run, each a fresh store and instance "+
		"of a deserialized module; fuel is per run.\n\n",
		time.Now().Format("2006-01-02"), hostDescription(), runtime.NumCPU(), *runs)
	for _, section := range []func() error{b.sizes, b.layouts, b.pymalloc, b.wasmOpt, b.loadTimes} {
		if err := section(); err != nil {
			return err
		}
	}
	return nil
}

type bench struct {
	w     io.Writer
	dir   string
	bin   string
	runs  int
	loads int
}

func (b *bench) path(name string) string { return filepath.Join(b.dir, name) }

// measure runs code on a CPython variant.
func (b *bench) measure(v variant, code string) (runStats, error) {
	vbin, err := os.MkdirTemp("", "bench-bin-")
	if err != nil {
		return runStats{}, err
	}
	defer os.RemoveAll(vbin)
	if err := os.Mkdir(filepath.Join(vbin, "python"), 0o755); err != nil {
		return runStats{}, err
	}
	if err := os.Symlink(b.path(v.wasm), filepath.Join(vbin, "python", "python.wasm")); err != nil {
		return runStats{}, err
	}
	if err := os.Symlink(b.path(v.lib), filepath.Join(vbin, "python", "lib")); err != nil {
		return runStats{}, err
	}
	l, err := newLocal(vbin)
	if err != nil {
		return runStats{}, err
	}
	fmt.Fprintf(os.Stderr, "bench: %s: %q\n", v.label, strings.TrimSpace(code))
	st, err := measureRuns(l, runtimes.Python, code, b.runs)
	if err != nil {
		return st, fmt.Errorf("%s: %w", v.label, err)
	}
	return st, nil
}

func (b *bench) sizes() error {
	fmt.Fprintf(b.w, "#### Artifact sizes\n\n| binary | as built | stripped (`llvm-strip --strip-debug`) | `wasm-opt -O2` |\n|---|---:|---:|---:|\n")
	row := func(label string, files ...string) {
		cells := make([]string, len(files))
		for i, f := range files {
			cells[i] = "–"
			if f == "" {
				continue
			}
			if info, err := os.Stat(f); err == nil {
				cells[i] = mib(info.Size())
			}
		}
		fmt.Fprintf(b.w, "| %s | %s |\n", label, strings.Join(cells, " | "))
	}
	row("python.wasm (pymalloc)", b.path("python-pymalloc-as-built.wasm"), b.path("python-pymalloc.wasm"), b.path("python-pymalloc-O2.wasm"))
	row("python.wasm (no pymalloc)", b.path("python-nopymalloc-as-built.wasm"), b.path("python-nopymalloc.wasm"), "")
	row("qjs.wasm", "", filepath.Join(b.bin, "qjs.wasm"), "")
	fmt.Fprintln(b.w)
	return nil
}

func (b *bench) layouts() error {
	fmt.Fprintf(b.w, "#### Stdlib layout: `print(1)` with python.wasm (pymalloc)\n\n"+
		"| layout (host `bin/python/lib`) | size | files | start-up median | min | max | fuel |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, v := range []variant{
		{"zip, stored, trimmed", "python-pymalloc.wasm", "lib-zip-stored"},
		{"zip, deflated, trimmed", "python-pymalloc.wasm", "lib-zip-deflated"},
		{"zip, stored, everything", "python-pymalloc.wasm", "lib-zip-stored-full"},
		{"directory, .py + .pyc, trimmed", "python-pymalloc.wasm", "lib-dir"},
	} {
		_, size, files, err := runtimes.TreeSHA256(b.path(v.lib))
		if err != nil {
			return err
		}
		st, err := b.measure(v, printOne)
		if err != nil {
			return err
		}
		fmt.Fprintf(b.w, "| %s | %s | %d | %s | %s | %s | %s |\n", v.label, mib(size), files, ms(st.median), ms(st.min), ms(st.max), fuel(st.fuel))
	}
	fmt.Fprintln(b.w)
	return nil
}

func (b *bench) pymalloc() error {
	fmt.Fprintf(b.w, "#### pymalloc (stdlib: zip, stored, trimmed)\n\n| build | program | median | min | max | fuel | memory |\n|---|---|---:|---:|---:|---:|---:|\n")
	for _, code := range []string{printOne, sumRange} {
		for _, v := range []variant{
			{"--with-pymalloc", "python-pymalloc.wasm", "lib-zip-stored"},
			{"--without-pymalloc (upstream WASI default)", "python-nopymalloc.wasm", "lib-zip-stored"},
		} {
			st, err := b.measure(v, code)
			if err != nil {
				return err
			}
			fmt.Fprintf(b.w, "| %s | `%s` | %s | %s | %s | %s | %s |\n", v.label, strings.TrimSpace(code), ms(st.median), ms(st.min), ms(st.max), fuel(st.fuel), mib(int64(st.memoryBytes)))
		}
	}
	fmt.Fprintln(b.w)
	return nil
}

func (b *bench) wasmOpt() error {
	fmt.Fprintf(b.w, "#### `wasm-opt -O2` (binaryen 108; pymalloc build, zip stdlib)\n\n| binary | program | median | min | max | fuel |\n|---|---|---:|---:|---:|---:|\n")
	for _, code := range []string{printOne, sumRange} {
		for _, v := range []variant{
			{"stripped", "python-pymalloc.wasm", "lib-zip-stored"},
			{"stripped + wasm-opt -O2", "python-pymalloc-O2.wasm", "lib-zip-stored"},
		} {
			st, err := b.measure(v, code)
			if err != nil {
				return err
			}
			fmt.Fprintf(b.w, "| %s | `%s` | %s | %s | %s | %s |\n", v.label, strings.TrimSpace(code), ms(st.median), ms(st.min), ms(st.max), fuel(st.fuel))
		}
	}
	fmt.Fprintln(b.w)
	return nil
}

func (b *bench) loadTimes() error {
	fmt.Fprintf(b.w, "#### Compile (`NewModule`) and deserialize (`NewModuleDeserializeFile`, median of %d)\n\n"+
		"| binary | wasm size | compile | serialized size | deserialize |\n|---|---:|---:|---:|---:|\n", b.loads)
	for _, f := range []struct{ label, path string }{
		{"python.wasm (pymalloc, stripped)", b.path("python-pymalloc.wasm")},
		{"python.wasm (pymalloc, wasm-opt -O2)", b.path("python-pymalloc-O2.wasm")},
	} {
		fmt.Fprintf(os.Stderr, "bench: load %s\n", f.path)
		vbin, err := os.MkdirTemp("", "bench-bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(vbin)
		os.Mkdir(filepath.Join(vbin, "python"), 0o755)
		if err := os.Symlink(f.path, filepath.Join(vbin, "python", "python.wasm")); err != nil {
			return err
		}
		if err := os.Symlink(b.path("lib-zip-stored"), filepath.Join(vbin, "python", "lib")); err != nil {
			return err
		}
		st, err := measureLoad(vbin, runtimes.Python, b.loads)
		if err != nil {
			return err
		}
		fmt.Fprintf(b.w, "| %s | %s | %s | %s | %s |\n", f.label, mib(st.wasmBytes), secs(st.compile), mib(st.serializedBytes), ms(st.deserialize))
	}
	st, err := measureLoad(b.bin, runtimes.JavaScript, b.loads)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.w, "| qjs.wasm | %s | %s | %s | %s |\n", mib(st.wasmBytes), secs(st.compile), mib(st.serializedBytes), ms(st.deserialize))
	fmt.Fprintln(b.w)

	l, err := newLocal(b.bin)
	if err != nil {
		return err
	}
	js, err := measureRuns(l, runtimes.JavaScript, jsPrint, b.runs)
	if err != nil {
		return fmt.Errorf("qjs: %w", err)
	}
	fmt.Fprintf(b.w, "QuickJS `console.log(1)` (bin/qjs.wasm): start-up median %s (min %s, max %s), fuel %s.\n\n",
		ms(js.median), ms(js.min), ms(js.max), fuel(js.fuel))
	return nil
}

func hostDescription() string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return runtime.GOOS + "/" + runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`) + " " + runtime.GOARCH
		}
	}
	return runtime.GOOS + "/" + runtime.GOARCH
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func fuel(f uint64) string { return fmt.Sprintf("%.1f M", float64(f)/1e6) }
