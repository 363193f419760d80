package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox/wasi"
)

// A run's WASI set-up, and the instantiation of its module on the
// big-stack thread.

// wasiSetup is the WASI of one run before it starts.
type wasiSetup struct {
	args      []string
	env       [][2]string
	preopens  []wasi.Preopen
	stdinData []byte
	input     *os.File // the read end of an interactive stdin
}

// prepareWASI lays out the script and stdin of a run; preludeDir (if not
// empty) is mounted at PreludeDir.
func (x *execution) prepareWASI(reg *runtimes.Registry, launch runtimes.Launch, preludeDir string) (wasiSetup, func(), error) {
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	fail := func(err error) (wasiSetup, func(), error) {
		cleanup()
		return wasiSetup{}, func() {}, err
	}
	setup := wasiSetup{stdinData: x.job.Policy.Stdin}
	env := map[string]string{}
	for k, v := range x.job.Policy.Env {
		env[k] = v
	}
	for k, v := range launch.Env {
		env[k] = v
	}
	env["PWD"] = runtimes.WorkspaceDir
	for _, k := range sortedKeys(env) {
		setup.env = append(setup.env, [2]string{k, env[k]})
	}
	setup.preopens = append(setup.preopens, wasi.Preopen{Host: x.job.Workspace, GuestPath: runtimes.WorkspaceDir, Writable: true})

	switch x.rt.Kind {
	case runtimes.Interpreter:
		// The script directory is read-only to the guest, so it can live
		// in memory; /state, which the guest writes, stays on disk.
		dir, err := scratchDir("code")
		if err != nil {
			return fail(fmt.Errorf("runner: script directory: %w", err))
		}
		dir, err = writeScratchFile(dir, "code", x.rt.ScriptName, x.job.Code, 0o444)
		if err != nil {
			return fail(fmt.Errorf("runner: write script: %w", err))
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		if preludeDir != "" {
			setup.preopens = append(setup.preopens, wasi.Preopen{Host: preludeDir, GuestPath: runtimes.PreludeDir})
		}
		if x.job.KeepVars && x.rt.KeepsVars() {
			varsDir, err := tempDir("state")
			if err != nil {
				return fail(fmt.Errorf("runner: kept-variables directory: %w", err))
			}
			cleanups = append(cleanups, func() { os.RemoveAll(varsDir) })
			if len(x.job.Vars) > 0 {
				if err := os.WriteFile(filepath.Join(varsDir, runtimes.VarsInFile), x.job.Vars, 0o444); err != nil {
					return fail(fmt.Errorf("runner: write the kept variables: %w", err))
				}
			}
			x.varsDir = varsDir
			setup.preopens = append(setup.preopens, wasi.Preopen{Host: varsDir, GuestPath: runtimes.VarsDir, Writable: true})
		}
		setup.preopens = append(setup.preopens, wasi.Preopen{Host: dir, GuestPath: runtimes.ScriptDir})
		setup.preopens = append(setup.preopens, runtimeMounts(reg, x.rt)...)
		setup.args = append(launch.Argv, x.job.Policy.Args...)
	case runtimes.WebAssemblyText:
		setup.args = append([]string{x.rt.ScriptName}, x.job.Policy.Args...)
	}
	for _, m := range x.job.Policy.Mounts {
		setup.preopens = append(setup.preopens, wasi.Preopen{Host: m.HostPath, GuestPath: m.GuestPath})
	}

	if x.job.Interactive {
		r, w, err := os.Pipe()
		if err != nil {
			return fail(fmt.Errorf("runner: stdin pipe: %w", err))
		}
		setup.input = r
		x.input = newPipeInput(w)
		cleanups = append(cleanups, func() { r.Close(); x.input.Close() })
	}
	return setup, cleanup, nil
}

// newHost makes the guest's WASI for a setup.
func (x *execution) newHost(setup wasiSetup) (*wasi.Host, error) {
	return wasi.New(wasi.Config{
		Args: setup.args, Env: setup.env, Preopens: setup.preopens, Stdin: setup.stdinData, Input: setup.input,
		Output: x.out.write, Origin: x.started, MonotonicBase: x.clockBase,
		Quota: wasi.Quota{MaxBytes: x.job.Policy.DiskBytes, MaxEntries: x.job.Policy.DiskFiles,
			Used: wasi.Usage{Bytes: x.job.Usage.Bytes, Entries: x.job.Usage.Entries}},
		Activity: func(a wasi.Activity) {
			switch a {
			case wasi.Sleeping:
				x.setBlocked(blockedSleep)
			case wasi.WaitingInput:
				x.setBlocked(blockedInput)
			default:
				x.setBlocked(blockedNone)
			}
		},
	})
}

// exited reports whether the guest called proc_exit, with its status.
func (x *execution) exited() (int32, bool) {
	x.hostMu.Lock()
	defer x.hostMu.Unlock()
	if x.host == nil {
		return 0, false
	}
	return x.host.Exited()
}

// quota reports what the disk quota refused, and the usage at the end.
func (x *execution) quota() (wasi.Refusals, run.DiskUsage) {
	x.hostMu.Lock()
	defer x.hostMu.Unlock()
	if x.host == nil {
		return wasi.Refusals{}, x.job.Usage
	}
	refused, u := x.host.Quota()
	return refused, run.DiskUsage{Bytes: u.Bytes, Entries: u.Entries}
}

// instantiateAndCall runs on the big-stack thread: it builds the store,
// instantiates the module and calls its entry.
func (x *execution) instantiateAndCall(module *wasmtime.Module, setup wasiSetup, call entry) (callErr error, fuelLeft uint64, fuelErr, setupErr error) {
	runtime.LockOSThread() // already on its own C thread; keep it explicit
	defer runtime.UnlockOSThread()

	store := wasmtime.NewStore(x.engine.wt)
	defer store.Close()
	if !x.engine.opts.NoFuel {
		if err := store.SetFuel(x.job.Policy.FuelBudget); err != nil {
			return nil, 0, err, fmt.Errorf("runner: set fuel: %w", err)
		}
	}
	// Memory is capped by the runner's allocator; bound the rest here.
	store.Limiter(-1, 1<<20, 16, 16, 16)
	host, err := x.newHost(setup)
	if err != nil {
		return nil, 0, nil, err
	}
	defer host.Close()
	x.hostMu.Lock()
	x.host = host
	stopped := x.crun.stopped() != stopNone
	x.hostMu.Unlock()
	if stopped {
		host.Stop(x.stopMessage())
	}
	linker := wasmtime.NewLinker(x.engine.wt)
	if err := host.Define(linker, x.engine.wasiTypes); err != nil {
		return nil, 0, nil, fmt.Errorf("runner: define WASI: %w", err)
	}
	if err := linker.FuncWrap(wasi.ShimModule, runtimes.HostFuelTick, x.fuelTick); err != nil {
		return nil, 0, nil, fmt.Errorf("runner: define %s.%s: %w", wasi.ShimModule, runtimes.HostFuelTick, err)
	}
	if err := linkShim(linker, store, x.engine.shim); err != nil {
		return nil, 0, nil, err
	}
	x.crun.installEpochCallback(store)
	store.SetEpochDeadline(1)

	if call.image != nil {
		x.crun.setImage(call.image.file, snapshotImageOffset, call.image.size)
	}
	setCurrentRun(x.crun)
	inst, err := linker.Instantiate(store, module)
	setCurrentRun(nil)
	if call.image != nil {
		runtime.KeepAlive(call.image.file)
	}
	switch {
	case err == nil:
		x.instantiated.Store(true)
		callErr = call.call(store, inst)
	case isGuestError(err) || x.crun.stopped() != stopNone:
		// The module's start function ran and trapped, ran out of fuel or
		// time, or exited: the guest's own outcome.
		callErr = err
	default:
		// Linking failed before any of it ran: an import of the wrong type.
		callErr = &invalidModuleError{fmt.Errorf("the module cannot be instantiated: %s", cleanError(err))}
	}
	var hostErr *setupError
	if errors.As(callErr, &hostErr) {
		return nil, 0, nil, hostErr.err
	}
	if x.engine.opts.NoFuel {
		return callErr, 0, errors.New("fuel metering is off"), nil
	}
	fuelLeft, fuelErr = store.GetFuel()
	return callErr, fuelLeft, fuelErr, nil
}

// checkImports refuses a module that imports what no run provides.
func checkImports(mod *wasmtime.Module) error {
	for _, imp := range mod.Imports() {
		name := ""
		if imp.Name() != nil {
			name = *imp.Name()
		}
		if imp.Module() != runtimes.WASIModule && (imp.Module() != runtimes.HostModule || name != runtimes.HostFuelTick) {
			return &invalidModuleError{fmt.Errorf("wat: the module imports %s.%s; only %s functions (and %s.%s) are provided",
				escaped(imp.Module()), escaped(name), runtimes.WASIModule, runtimes.HostModule, runtimes.HostFuelTick)}
		}
	}
	return nil
}

// escaped is a name from the guest with control and invisible characters
// written as Go escapes, so it can be shown.
func escaped(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// isGuestError reports whether err came from running guest code (a trap,
// or proc_exit), not from preparing it.
func isGuestError(err error) bool {
	var trap *wasmtime.Trap
	return errors.As(err, &trap)
}
