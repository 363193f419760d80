package codeblocks_test

import (
	"fmt"

	"github.com/wasmplay/wasmplay/runtimes/codeblocks"
)

func ExampleExtract() {
	answer := "Try this:\n\n```py\nimport sys\nprint(sys.version_info[0])\n```\n\nor in JavaScript:\n\n```\nconsole.log(1 + 1);\n```\n"
	for _, b := range codeblocks.Extract(answer) {
		fmt.Printf("%d: line %d, %s\n", b.Index, b.StartLine, codeblocks.Summary(b))
	}
	// Output:
	// 1: line 3, python · import sys · 2 lines, 38 B
	// 2: line 10, javascript (guessed) · console.log(1 + 1); · 1 line, 20 B
}
