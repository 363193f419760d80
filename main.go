// Command wasmplay is a terminal playground for code you do not trust:
// Python, JavaScript and WebAssembly text run inside a wasmtime sandbox,
// fenced by fuel, memory, output and wall-clock limits.
//
// With no arguments it opens the playground; `wasmplay run` runs code
// headlessly; `wasmplay help` lists everything. The command line is
// package cli.
package main

import (
	"os"

	"github.com/wasmplay/wasmplay/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
