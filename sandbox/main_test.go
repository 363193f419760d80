package sandbox

import (
	"os"
	"testing"
)

// TestMain lets this test binary serve as its own compile helper.
func TestMain(m *testing.M) {
	ServeCompileHelper(os.Args[1:])
	os.Exit(m.Run())
}
