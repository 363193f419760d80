package guidance_test

import (
	"fmt"

	"github.com/wasmplay/wasmplay/guidance"
	"github.com/wasmplay/wasmplay/run"
)

func ExampleAnalyzeFuel() {
	a := guidance.AnalyzeFuel(4_600_000_000, 5_000_000_000, run.OutcomeOK, true)
	fmt.Println(a.Band, a.Suggested)
	fmt.Println(a)
	// Output:
	// critical 7500000000
	// 4.60G of 5.00G (92.0% of the budget) · try --fuel 7.50G
}

func ExampleMatch() {
	res := run.Result{
		Runtime:  "python",
		Outcome:  run.OutcomeExitNonzero,
		ExitCode: 1,
		Stderr: []byte("Traceback (most recent call last):\n" +
			"  File \"/code/main.py\", line 1, in <module>\n" +
			"    import numpy\n" +
			"ModuleNotFoundError: No module named 'numpy'\n"),
	}
	for _, a := range guidance.Match(res, "python") {
		fmt.Println(a.ID+":", a.Title)
	}
	loc, _ := guidance.ErrorLocation(string(res.Stderr), "python")
	fmt.Println("line", loc.Line, "-", loc.Message)
	// Output:
	// missing_module: The module numpy is not available
	// line 1 - ModuleNotFoundError: No module named 'numpy'
}
