package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
)

// Compiling a module the guest wrote (WebAssembly text, or a binary
// module given as code) is work the guest steers: wasmtime's compiler
// takes time and memory in proportion to the code, and a call into it
// cannot be interrupted. So the input is measured first, a small module
// is compiled here, and a larger one in a helper process that a cancel or
// the run's clock can kill and whose memory is capped.
const (
	// MaxModuleBytes bounds the code of a WAT run: text or binary.
	MaxModuleBytes = 16 << 20
	// inProcessCompileBytes is the largest code compiled in this process
	// (a few tens of milliseconds and megabytes at most).
	inProcessCompileBytes = 256 << 10
	// CompileMemoryBytes caps the helper process's data (its heap and
	// anonymous mappings): what a compile may take of the host.
	CompileMemoryBytes = 1 << 30
)

// exitBadModule is the helper's status for a module that does not compile
// (EX_DATAERR: not 1, nor the 2 of a Go runtime failure).
const exitBadModule = 65

// CompileHelperArg is the first argument of a process started to compile
// one module. It looks like a flag so that a program that does not serve
// it (a test binary) refuses it rather than doing something else.
const CompileHelperArg = "--wasmplay-compile-helper"

// compileHelperEnv carries the engine's settings to the helper.
const compileHelperEnv = "WASMPLAY_COMPILE_ENGINE"

// compileFlags passes the engine's settings to the helper: the compiled
// code must be valid for this process's engine.
func compileFlags(opts EngineOptions) string {
	return strconv.FormatBool(opts.NoFuel) + "," + strconv.FormatBool(opts.NoEpoch)
}

// ServeCompileHelper compiles one module, from stdin to stdout, if args
// (a process's arguments after its name) ask for it, and exits; otherwise
// it returns at once. Call it first in main.
func ServeCompileHelper(args []string) {
	if len(args) == 0 || args[0] != CompileHelperArg {
		return
	}
	flags := os.Getenv(compileHelperEnv)
	limit := unix.Rlimit{Cur: CompileMemoryBytes, Max: CompileMemoryBytes}
	if err := unix.Setrlimit(unix.RLIMIT_DATA, &limit); err != nil {
		fmt.Fprintln(os.Stderr, "compile helper: cap memory:", err)
		os.Exit(1)
	}
	noFuel, noEpoch, _ := strings.Cut(flags, ",")
	opts := EngineOptions{NoFuel: noFuel == "true", NoEpoch: noEpoch == "true"}
	code, err := io.ReadAll(io.LimitReader(os.Stdin, MaxModuleBytes+1))
	if err != nil || len(code) > MaxModuleBytes {
		fmt.Fprintln(os.Stderr, "compile helper: read the module:", err)
		os.Exit(1)
	}
	engine := wasmtime.NewEngineWithConfig(engineConfig(opts))
	mod, err := compileModule(engine, code)
	if err != nil {
		fmt.Fprint(os.Stderr, err.Error())
		os.Exit(exitBadModule)
	}
	data, err := mod.Serialize()
	if err == nil {
		_, err = os.Stdout.Write(data)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compile helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// compileModule compiles WebAssembly text or a binary module. Its errors
// are the module's fault.
func compileModule(engine *wasmtime.Engine, code []byte) (*wasmtime.Module, error) {
	wasm := code
	if !runtimes.IsWasmBinary(code) {
		if !utf8.Valid(code) {
			return nil, errors.New("wat: the code is not valid UTF-8 text (nor a binary module, which starts with \\0asm)")
		}
		var err error
		if wasm, err = wasmtime.Wat2Wasm(string(code)); err != nil {
			return nil, fmt.Errorf("wat: %s", cleanError(err))
		}
	}
	mod, err := wasmtime.NewModule(engine, wasm)
	if err != nil {
		return nil, fmt.Errorf("wasm: %s", cleanError(err))
	}
	return mod, nil
}

// SetCompileHelper makes modules larger than a few hundred KiB compile in
// a process of the executable exe (one whose main calls
// ServeCompileHelper first). Without one they compile in this process,
// where a compile that outlives its run cannot be stopped and is left to
// finish.
func (l *Local) SetCompileHelper(exe string) { l.compileHelper = exe }

// compileStop says why a compile ended before it gave a module.
type compileStop struct {
	outcome run.Outcome
	msg     string
}

func (c *compileStop) Error() string { return c.msg }

// compileUserModule compiles the code of a WAT run before deadline (or
// ctx's end). A bad module is an *invalidModuleError; a compile the clock
// or a cancel ended is a *compileStop.
func (l *Local) compileUserModule(ctx context.Context, code []byte, deadline time.Time) (*wasmtime.Module, error) {
	if len(code) > MaxModuleBytes {
		return nil, &invalidModuleError{fmt.Errorf("the module is %s; at most %s can be compiled",
			run.FormatBytes(uint64(len(code))), run.FormatBytes(MaxModuleBytes))}
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if len(code) <= inProcessCompileBytes || l.compileHelper == "" {
		return l.compileHere(ctx, code)
	}
	return l.compileInHelper(ctx, code)
}

// stopFor names how ctx ended a compile.
func stopFor(ctx context.Context) *compileStop {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &compileStop{run.OutcomeTimeout, "compiling the module took longer than the wall-clock limit"}
	}
	return &compileStop{run.OutcomeCanceled, "canceled while the module compiled"}
}

// compileHere compiles in this process, on a goroutine, so a run's clock
// and cancel still end the run (the compile itself finishes unseen).
func (l *Local) compileHere(ctx context.Context, code []byte) (*wasmtime.Module, error) {
	type result struct {
		mod *wasmtime.Module
		err error
	}
	done := make(chan result, 1)
	go func() {
		mod, err := compileModule(l.engine.wt, code)
		done <- result{mod, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, &invalidModuleError{r.err}
		}
		return r.mod, nil
	case <-ctx.Done():
		return nil, stopFor(ctx)
	}
}

// compileInHelper compiles in a helper process killed when ctx ends.
func (l *Local) compileInHelper(ctx context.Context, code []byte) (*wasmtime.Module, error) {
	cmd := exec.CommandContext(ctx, l.compileHelper, CompileHelperArg)
	cmd.Env = append(os.Environ(), compileHelperEnv+"="+compileFlags(l.engine.opts))
	cmd.Stdin = bytes.NewReader(code)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 64 << 10}
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, stopFor(ctx)
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == exitBadModule:
		return nil, &invalidModuleError{errors.New(stderr.String())}
	case errors.As(err, &exit) && !exit.Exited():
		return nil, &invalidModuleError{fmt.Errorf("compiling the module took more than the %s of memory a compile may use (%v)",
			run.FormatBytes(CompileMemoryBytes), exit)}
	case err != nil:
		return nil, fmt.Errorf("runner: compile helper: %v: %s", err, stderr.String())
	}
	mod, err := wasmtime.NewModuleDeserialize(l.engine.wt, stdout.Bytes())
	if err != nil {
		return nil, fmt.Errorf("runner: load the compiled module: %w", err)
	}
	return mod, nil
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
