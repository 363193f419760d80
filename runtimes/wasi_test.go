package runtimes

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckWASICommand(t *testing.T) {
	dir := t.TempDir()
	writeFile := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	command, err := os.ReadFile(filepath.Join("testdata", "command.wasm"))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		path     string
		wantIs   error    // errors.Is target, or nil
		problems []string // substrings of *NotCommandError problems, in order
		wantMsg  string   // substring of the message
	}{
		{name: "command", path: filepath.Join("testdata", "command.wasm")},
		{name: "missing file", path: filepath.Join(dir, "nope.wasm"), wantIs: fs.ErrNotExist, wantMsg: "no such file"},
		{name: "directory", path: dir, wantMsg: "is a directory"},
		{name: "text file", path: writeFile("python.wasm", []byte("#!/usr/bin/env python3\n")), wantIs: ErrNotWasm, wantMsg: "not a WebAssembly binary"},
		{name: "truncated", path: writeFile("cut.wasm", command[:len(command)-5]), wantMsg: "malformed WebAssembly"},
		{name: "component", path: writeFile("component.wasm", []byte{0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}), wantIs: ErrComponent},
		{name: "reactor", path: filepath.Join("testdata", "reactor.wasm"), problems: []string{`WASI reactor (exports "_initialize")`}},
		{name: "no memory", path: filepath.Join("testdata", "no_memory.wasm"), problems: []string{`no exported memory named "memory"`}},
		{name: "memory under another name", path: filepath.Join("testdata", "memory_renamed.wasm"), problems: []string{`no exported memory named "memory"`}},
		{name: "_start is a global", path: filepath.Join("testdata", "start_global.wasm"), problems: []string{`"_start" is exported as a global, not a function`}},
		{name: "env imports", path: filepath.Join("testdata", "env_import.wasm"), problems: []string{`imports from "env" (log, memory)`}},
		{name: "wasi_unstable", path: filepath.Join("testdata", "wasi_unstable.wasm"), problems: []string{`"wasi_unstable" (fd_write, proc_exit): that is the older WASI snapshot 0`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckWASICommand(tt.path)
			wantErr := tt.wantIs != nil || tt.problems != nil || tt.wantMsg != ""
			if !wantErr {
				if err != nil {
					t.Fatalf("CheckWASICommand: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckWASICommand accepted it")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name the file", err)
			}
			var nc *NotCommandError
			if tt.problems == nil {
				if errors.As(err, &nc) {
					t.Errorf("unexpected *NotCommandError: %v", err)
				}
				return
			}
			if !errors.As(err, &nc) {
				t.Fatalf("error %q is not a *NotCommandError", err)
			}
			if len(nc.Problems) != len(tt.problems) {
				t.Fatalf("problems = %q, want %d", nc.Problems, len(tt.problems))
			}
			for i, want := range tt.problems {
				if !strings.Contains(nc.Problems[i], want) {
					t.Errorf("problem %d = %q, want it to mention %q", i, nc.Problems[i], want)
				}
			}
		})
	}
}

func TestCommandProblems_Several(t *testing.T) {
	// A reactor without memory that imports from four foreign modules: every
	// problem is named, foreign modules sorted, long import lists cut.
	m := &Module{
		Imports: []Import{
			{Module: "wasi:cli/environment@0.2.0", Name: "get-environment", Kind: KindFunc},
			{Module: "env", Name: "a", Kind: KindFunc},
			{Module: "env", Name: "b", Kind: KindFunc},
			{Module: "env", Name: "c", Kind: KindFunc},
			{Module: "env", Name: "d", Kind: KindFunc},
			{Module: "env", Name: "e", Kind: KindFunc},
			{Module: "custom", Name: "f", Kind: KindFunc},
			{Module: WASIModule, Name: "fd_write", Kind: KindFunc},
			{Module: HostModule, Name: HostFuelTick, Kind: KindFunc},
			{Module: HostModule, Name: "read_secrets", Kind: KindFunc},
		},
		Exports: []Export{{Name: "_initialize", Kind: KindFunc}},
	}
	got := commandProblems(m)
	want := []string{
		`it is a WASI reactor (exports "_initialize"), not a command: no "_start" export`,
		`no exported memory named "memory"`,
		`imports from "custom" (f): wasmplay provides only wasi_snapshot_preview1`,
		`imports from "env" (a, b, c, and 2 more): host functions of another embedder (Emscripten?); wasmplay provides only wasi_snapshot_preview1`,
		`imports from "wasi:cli/environment@0.2.0" (get-environment): that is WASI preview 2; rebuild for wasm32-wasip1`,
		`imports from "wasmplay" (read_secrets): wasmplay provides only fuel_tick there`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCheckReactor(t *testing.T) {
	tests := []struct {
		file string
		want []string // substrings of the error; none: no error
	}{
		{file: "snapshot_reactor.wasm"},
		{file: "reactor.wasm", want: []string{`no "wasmplay_init" function export`, `no "wasmplay_run" function export`}},
		{file: "command.wasm", want: []string{`no "_initialize" function export`}},
		{file: "env_import.wasm", want: []string{`imports from "env"`}},
		{file: "missing.wasm", want: []string{"no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			err := CheckReactor(filepath.Join("testdata", tt.file))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one saying %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestRuntime_ReadAtStart(t *testing.T) {
	reg, err := NewRegistry(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	python, _ := reg.Lookup(Python)
	js, _ := reg.Lookup(JavaScript)
	tests := []struct {
		rt   *Runtime
		name string
		want bool
	}{
		{python, "PYTHONWARNINGS", true},
		{python, "PYTHONHASHSEED", true},
		{python, "PYTHONPATH", false}, // the run step takes it from each run
		{python, "LC_ALL", true},
		{python, "LANG", true},
		{python, "HOME", true},
		{python, "HOMEPAGE", false},
		{python, "GREETING", false},
		{js, "PYTHONWARNINGS", false},
	}
	for _, tt := range tests {
		if got := tt.rt.ReadAtStart(tt.name); got != tt.want {
			t.Errorf("%s.ReadAtStart(%q) = %v, want %v", tt.rt.Name, tt.name, got, tt.want)
		}
	}
}
