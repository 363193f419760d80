package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"slices"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/runtimes"
	"github.com/wasmplay/wasmplay/sandbox/wasi"
)

// How a run started, as Result.Start reports it.
const (
	// StartCold: the interpreter (or WebAssembly module) started from its
	// own _start, initialisation included.
	StartCold = "cold"
	// StartSnapshot: the interpreter's reactor build started from a
	// snapshot taken right after its initialisation.
	StartSnapshot = "snapshot"
)

// entry is how a run starts its module.
type entry struct {
	// image, if not nil, is mapped as the start of the module's linear
	// memory when it is created (the module's own data segments are empty).
	image *memorySnapshot
	// call is what the run calls once the module is instantiated.
	call func(store *wasmtime.Store, inst *wasmtime.Instance) error
}

// callExport calls the exported function name with no arguments and
// returns its i32 result (0 when it returns nothing).
func callExport(store *wasmtime.Store, inst *wasmtime.Instance, name string) (int32, error) {
	fn := inst.GetFunc(store, name)
	if fn == nil {
		return 0, &setupError{fmt.Errorf("runner: the module exports no %s function", name)}
	}
	v, err := fn.Call(store)
	if err != nil {
		return 0, err
	}
	switch v := v.(type) {
	case nil:
		return 0, nil
	case int32:
		return v, nil
	}
	return 0, &setupError{fmt.Errorf("runner: %s returned %T, want nothing or an i32", name, v)}
}

// startCommand is the entry of a cold start: the WASI command's _start.
var startCommand = entry{call: callStart}

// callStart calls a WASI command's _start.
func callStart(store *wasmtime.Store, inst *wasmtime.Instance) error {
	start := inst.GetFunc(store, "_start")
	if start == nil {
		return &invalidModuleError{errors.New("the module exports no _start function (a WASI command needs one)")}
	}
	if ft := start.Type(store); len(ft.Params()) != 0 || len(ft.Results()) != 0 {
		return &invalidModuleError{fmt.Errorf("_start takes %d parameters and returns %d results; a WASI command's takes and returns none",
			len(ft.Params()), len(ft.Results()))}
	}
	_, err := start.Call(store)
	return err
}

// startFromSnapshot returns the entry of a snapshot start: the memory
// starts as the snapshot's image; grow it over all of the image, then call
// wasmplay_run.
func startFromSnapshot(snap *memorySnapshot) entry {
	return entry{image: snap, call: func(store *wasmtime.Store, inst *wasmtime.Instance) error {
		mem, err := exportedMemory(store, inst)
		if err != nil {
			return &setupError{err}
		}
		if err := snap.cover(store, mem); err != nil {
			return &setupError{err}
		}
		if hot := snap.hot.Load(); hot != nil {
			populateWritten(mem.UnsafeData(store), *hot)
		}
		_, err = callExport(store, inst, reactorRun)
		return err
	}}
}

// invalidModuleError marks a module that cannot run as given: the guest's
// input is at fault (OutcomeInvalidModule).
type invalidModuleError struct{ err error }

func (e *invalidModuleError) Error() string { return e.err.Error() }
func (e *invalidModuleError) Unwrap() error { return e.err }

// setupError marks a failure of the host's preparation inside an entry (as
// opposed to the guest's own outcome).
type setupError struct{ err error }

func (e *setupError) Error() string { return e.err.Error() }
func (e *setupError) Unwrap() error { return e.err }

func exportedMemory(store *wasmtime.Store, inst *wasmtime.Instance) (*wasmtime.Memory, error) {
	ext := inst.GetExport(store, "memory")
	if ext == nil || ext.Memory() == nil {
		return nil, errors.New("runner: the module exports no memory named \"memory\"")
	}
	return ext.Memory(), nil
}

// snapshotStart is a run's way to start from a snapshot.
type snapshotStart struct {
	module *wasmtime.Module
	info   ModuleInfo
	snap   *memorySnapshot
}

// initLaunch is how a runtime's reactor is initialised: the argv before the
// script and the environment of a run that keeps no state.
func initLaunch(rt *runtimes.Runtime) (argv []string, env map[string]string, ok bool) {
	base := rt.Launch(rt.ScriptPath(), false)
	i := slices.Index(base.Argv, rt.ScriptPath())
	if i < 0 {
		return nil, nil, false
	}
	env = map[string]string{"PWD": runtimes.WorkspaceDir}
	for k, v := range base.Env {
		env[k] = v
	}
	return base.Argv[:i], env, true
}

// snapshotFor returns how job can start from a snapshot of rt's reactor, or
// nil when it must start cold: no reactor build, snapshots turned off, the
// run sets a variable the interpreter reads only at initialisation, or its
// memory cap is below the snapshot's memory. Making the snapshot (once per
// interpreter, mounts and launch) happens here.
func (l *Local) snapshotFor(rt *runtimes.Runtime, job run.Job, launch runtimes.Launch, onCompile func(run.Compiling)) *snapshotStart {
	if l.engine.opts.ColdStart || rt.Reactor == "" {
		return nil
	}
	initArgv, initEnv, ok := initLaunch(rt)
	if !ok || !slices.Equal(launch.Argv[:min(len(initArgv), len(launch.Argv))], initArgv) {
		return nil
	}
	runEnv := map[string]string{"PWD": runtimes.WorkspaceDir}
	for k, v := range job.Policy.Env {
		runEnv[k] = v
	}
	for k, v := range launch.Env {
		runEnv[k] = v
	}
	for _, env := range []map[string]string{runEnv, initEnv} {
		for k := range env {
			if runEnv[k] != initEnv[k] && rt.ReadAtStart(k) {
				return nil
			}
		}
	}
	path := l.registry.ReactorPath(rt)
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	module, info, err := l.modules.loadVariant(path, runtimes.CheckReactor, withoutActiveData, onCompile)
	if err != nil {
		return nil
	}
	mounts := runtimeMounts(l.registry, rt)
	key := snapshotKey(info.SHA256, initArgv, initEnv, mounts)
	snap, err := l.snapshots.get(key, func() ([]byte, error) {
		return l.captureSnapshot(rt, path, module, initArgv, initEnv, mounts)
	})
	if err != nil || job.Policy.MemoryBytes < snap.size {
		return nil
	}
	if snap.hot.Load() == nil && snap.probing.CompareAndSwap(false, true) {
		l.probeSnapshot(rt, snap)
	}
	return &snapshotStart{module: module, info: info, snap: snap}
}

// runtimeMounts lists the read-only directories a runtime needs, skipping
// optional ones that are absent.
func runtimeMounts(reg *runtimes.Registry, rt *runtimes.Runtime) []wasi.Preopen {
	var mounts []wasi.Preopen
	for _, m := range rt.Mounts {
		host := reg.MountHostPath(m)
		if m.Optional {
			if info, err := os.Stat(host); err != nil || !info.IsDir() {
				continue
			}
		}
		mounts = append(mounts, wasi.Preopen{Host: host, GuestPath: m.Guest})
	}
	return mounts
}

// snapshotKey names a snapshot after everything its initialisation saw: the
// reactor, its argv and environment, and each mount's directory (its
// entries' names, sizes and times: rebuilding the stdlib or adding a
// package changes them).
func snapshotKey(reactorSHA string, argv []string, env map[string]string, mounts []wasi.Preopen) string {
	h := sha256.New()
	fmt.Fprintf(h, "%x\nreactor %s\n", snapshotMagic, reactorSHA)
	for _, a := range argv {
		fmt.Fprintf(h, "arg %q\n", a)
	}
	for _, k := range sortedKeys(env) {
		fmt.Fprintf(h, "env %q=%q\n", k, env[k])
	}
	for _, m := range mounts {
		fmt.Fprintf(h, "mount %q %q\n", m.GuestPath, m.Host)
		writeDirIdentity(h, m.Host)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// writeDirIdentity writes what dir looks like from outside, as far as an
// interpreter's initialisation can tell: the directory itself (its inode,
// and its times, which move whenever an entry is added, removed or
// renamed; installing packages or a stdlib replaces the whole tree) and
// each entry that is not a directory (the stdlib zip, site's .pth files,
// a sitecustomize module: what initialisation reads by name) with its
// size and times. Entries that are directories are named, not statted:
// a snapshot imports nothing from them, and a run lists them afresh. This
// runs for every run, so it stats two files, not the 30 entries of
// site-packages.
func writeDirIdentity(h hash.Hash, dir string) {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		fmt.Fprintf(h, "unreadable %v\n", err)
		return
	}
	fmt.Fprintf(h, "dir %d %d %d.%d %d.%d\n", st.Dev, st.Ino, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
	entries, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintf(h, "unreadable %v\n", err)
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			fmt.Fprintf(h, "dir entry %q\n", e.Name())
			continue
		}
		if err := unix.Stat(filepath.Join(dir, e.Name()), &st); err != nil {
			fmt.Fprintf(h, "entry %q gone\n", e.Name())
			continue
		}
		fmt.Fprintf(h, "entry %q %o %d %d %d.%d %d.%d\n", e.Name(), st.Mode, st.Size, st.Ino,
			st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
	}
}

// withoutActiveData is the reactor as runs from a snapshot instantiate
// it: its active data segments empty, since the snapshot's image holds
// them.
var withoutActiveData = moduleVariant{name: "without active data, 1", transform: func(wasm []byte) ([]byte, error) {
	stripped, _, err := stripActiveData(wasm)
	return stripped, err
}}

// captureSnapshot initialises rt's reactor (in a run of its own, with an
// empty workspace) and returns the memory it leaves. module is the reactor
// at path without its active data segments: they are written into the
// fresh memory here, as an instantiation of the whole reactor would.
func (l *Local) captureSnapshot(rt *runtimes.Runtime, path string, module *wasmtime.Module, argv []string, env map[string]string, mounts []wasi.Preopen) ([]byte, error) {
	wasm, err := hostfs.ReadFile(path, runtimes.MaxModuleFileBytes)
	if err != nil {
		return nil, fmt.Errorf("runner: read %s: %w", path, err)
	}
	_, segments, err := stripActiveData(wasm)
	if err != nil {
		return nil, fmt.Errorf("runner: %s: %w", path, err)
	}
	var image []byte
	capture := entry{call: func(store *wasmtime.Store, inst *wasmtime.Instance) error {
		mem, err := exportedMemory(store, inst)
		if err != nil {
			return err
		}
		fresh := mem.UnsafeData(store)
		for i, seg := range segments {
			if seg.offset > uint64(len(fresh)) || uint64(len(seg.data)) > uint64(len(fresh))-seg.offset {
				return fmt.Errorf("data segment %d lies outside the module's %d-byte memory", i, len(fresh))
			}
			copy(fresh[seg.offset:], seg.data)
		}
		base := slices.Clone(fresh)
		if _, err := callExport(store, inst, reactorInitialize); err != nil {
			return err
		}
		frame, err := callExport(store, inst, reactorInit)
		if err != nil {
			return err
		}
		image = snapshotImage(base, mem.UnsafeData(store), uint64(uint32(frame)))
		return nil
	}}
	if err := l.runAlone(rt, module, wasiSetup{args: argv}, env, mounts, capture); err != nil {
		return nil, fmt.Errorf("runner: initialise %s for a snapshot: %w", rt.Title, err)
	}
	if image == nil {
		return nil, fmt.Errorf("runner: initialise %s for a snapshot: no memory captured", rt.Title)
	}
	return image, nil
}

// probeSnapshot runs an empty script from snap and keeps the pages that
// run wrote as the snapshot's hot pages (see hotpages.go), in memory and
// beside its file. A probe that fails leaves the snapshot without hot
// pages in this process: runs are then as fast as before the probe.
func (l *Local) probeSnapshot(rt *runtimes.Runtime, snap *memorySnapshot) {
	none := []pageRange{}
	workspace, err := hostfs.TempDir("probe")
	if err != nil {
		snap.hot.Store(&none)
		return
	}
	defer os.RemoveAll(workspace)
	var written []pageRange
	job := run.Job{Runtime: rt.Name, Policy: run.DefaultPolicy(), Workspace: workspace}
	res := l.execute(context.Background(), 0, job, run.Hooks{}, execOptions{written: &written})
	if res.Outcome != run.OutcomeOK || res.Start != StartSnapshot || written == nil {
		snap.hot.Store(&none)
		return
	}
	snap.hot.Store(&written)
	if snap.hotPath != "" {
		// A cache we cannot write only costs the next process a probe.
		_ = writeFileAtomic(snap.hotPath, encodeHotPages(written), 0o600)
	}
}

// recordWritten wraps a snapshot start so that, once the guest is done,
// the pages of the snapshot's image it wrote are stored in written.
func recordWritten(start entry, written *[]pageRange) entry {
	call := start.call
	start.call = func(store *wasmtime.Store, inst *wasmtime.Instance) error {
		runErr := call(store, inst) // a guest that ends by proc_exit ends with an error
		mem, err := exportedMemory(store, inst)
		if err != nil {
			return err
		}
		data := mem.UnsafeData(store)
		if uint64(len(data)) < start.image.size {
			return runErr // the start failed before the image was covered
		}
		if pages, err := writtenPages(data[:start.image.size]); err == nil {
			*written = pages
		}
		return runErr
	}
	return start
}

// runAlone instantiates module and calls start in a run of its own: the
// default limits, an empty workspace at /app, rt's mounts, and setup's
// argv and preopens with env. The error says what the guest wrote to
// stderr.
func (l *Local) runAlone(rt *runtimes.Runtime, module *wasmtime.Module, setup wasiSetup, env map[string]string, mounts []wasi.Preopen, start entry) error {
	workspace, err := hostfs.TempDir("snapshot")
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	defer os.RemoveAll(workspace)
	policy := run.DefaultPolicy()
	crun, err := newCRun(policy.MemoryBytes)
	if err != nil {
		return err
	}
	defer crun.release()
	x := &execution{job: run.Job{Runtime: rt.Name, Policy: policy}, rt: rt, engine: l.engine, crun: crun,
		stopCh: make(chan struct{}), out: newOutputLog(policy.StdoutMaxBytes, policy.StderrMaxBytes),
		timeLeft: policy.Timeout}
	for _, k := range sortedKeys(env) {
		setup.env = append(setup.env, [2]string{k, env[k]})
	}
	setup.preopens = append(append([]wasi.Preopen{{Host: workspace, GuestPath: runtimes.WorkspaceDir, Writable: true}},
		setup.preopens...), mounts...)

	stopClock := x.startClock()
	defer stopClock()
	l.engine.acquireTicker()
	var callErr, setupErr error
	threadErr := l.engine.threads.run(func() {
		callErr, _, _, setupErr = x.instantiateAndCall(module, setup, start)
	})
	l.engine.releaseTicker()
	switch {
	case threadErr != nil:
		return threadErr
	case setupErr != nil:
		return setupErr
	case callErr != nil:
		return fmt.Errorf("%s (stderr: %q)", cleanError(callErr), stderrOf(x.out))
	}
	return nil
}

// stderrOf is what a run wrote to stderr, for messages.
func stderrOf(o *outputLog) string {
	_, stderr := o.result()
	return string(stderr)
}
