package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// testdataDir is runtimes/testdata, relative to the repository root.
const testdataDir = "runtimes/testdata"

// watFiles lists the .wat sources in dir.
func watFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.wat"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .wat files in %s (run from the repository root)", dir)
	}
	return files, nil
}

// compileWat turns one .wat file into WebAssembly binary.
func compileWat(path string) ([]byte, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	wasm, err := wasmtime.Wat2Wasm(string(src))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return wasm, nil
}

func cmdGenTestdata(args []string) error {
	if len(args) != 0 {
		return errors.New("usage: gen-testdata (from the repository root)")
	}
	files, err := watFiles(testdataDir)
	if err != nil {
		return err
	}
	for _, f := range files {
		wasm, err := compileWat(f)
		if err != nil {
			return err
		}
		out := strings.TrimSuffix(f, ".wat") + ".wasm"
		if err := os.WriteFile(out, wasm, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s: %d bytes\n", out, len(wasm))
	}
	return nil
}
