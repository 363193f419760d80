package sandbox

import (
	"errors"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/wasmplay/wasmplay/run"
)

// trapCodeOutOfFuel is WASMTIME_TRAP_CODE_OUT_OF_FUEL from wasmtime's C
// API. wasmtime-go v39.0.1 declares wasmtime.OutOfFuel as 11 (it forgot
// ALWAYS_TRAP_ADAPTER), so the Go constant never matches a real trap.
// capi_test.go fails if that is ever fixed, so this can go then.
const trapCodeOutOfFuel = 12

// classify names how a call ended.
func classify(err error, stopped int32, fuelLeft uint64, fuelKnown bool, exitCode int32, exited bool) (run.Outcome, int, string) {
	if exited {
		if exitCode == 0 {
			return run.OutcomeOK, 0, ""
		}
		return run.OutcomeExitNonzero, int(uint32(exitCode)), ""
	}
	if err == nil {
		return run.OutcomeOK, 0, ""
	}
	var invalid *invalidModuleError
	if errors.As(err, &invalid) {
		return run.OutcomeInvalidModule, -1, invalid.Error()
	}
	switch stopped {
	case stopCancel:
		return run.OutcomeCanceled, -1, "canceled by the user"
	case stopTimeout:
		return run.OutcomeTimeout, -1, "the wall-clock limit passed"
	}
	var trap *wasmtime.Trap
	if errors.As(err, &trap) {
		msg := trimTrap(cleanError(trap))
		if code := trap.Code(); code != nil {
			switch int(*code) {
			case trapCodeOutOfFuel:
				return run.OutcomeOutOfFuel, -1, "the fuel budget ran out"
			case int(wasmtime.StackOverflow):
				return run.OutcomeStackOverflow, -1, msg
			}
		}
		if fuelKnown && fuelLeft == 0 {
			return run.OutcomeOutOfFuel, -1, "the fuel budget ran out"
		}
		return run.OutcomeTrap, -1, msg
	}
	if fuelKnown && fuelLeft == 0 {
		return run.OutcomeOutOfFuel, -1, "the fuel budget ran out"
	}
	return run.OutcomeTrap, -1, trimTrap(cleanError(err))
}

// maxTrapMessage bounds the trap text (with its backtrace) kept in a Result.
const maxTrapMessage = 4 << 10

func trimTrap(msg string) string {
	msg = strings.TrimSpace(msg)
	if len(msg) > maxTrapMessage {
		msg = msg[:maxTrapMessage] + "\n…"
	}
	return msg
}

// cleanError drops the Rust "Stack backtrace:" wasmtime appends to its
// errors: it names no frame (symbols are stripped) and only adds noise.
func cleanError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\nStack backtrace:"); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(msg)
}
