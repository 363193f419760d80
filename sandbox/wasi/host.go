package wasi

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"
)

// Preopen is a host directory the guest sees at GuestPath.
type Preopen struct {
	// Host is the host directory.
	Host string
	// GuestPath is where the guest finds it ("/app").
	GuestPath string
	// Writable lets the guest change it; writes count against the quota.
	Writable bool
}

// Stream names an output stream for Config.Output.
type Stream int

// The output streams.
const (
	Stdout Stream = 1
	Stderr Stream = 2
)

// Activity says what a guest is waiting for inside a call.
type Activity int32

// The activities Config.Activity hears.
const (
	Running Activity = iota
	Sleeping
	WaitingInput
)

// Config configures the WASI of one run.
type Config struct {
	// Args are argv, the program name first.
	Args []string
	// Env are the environment variables, in order.
	Env [][2]string
	// Preopens are the directories, at descriptors 3, 4, ...
	Preopens []Preopen
	// Stdin is fixed standard input (when Input is nil).
	Stdin []byte
	// Input, if not nil, is the read end of an interactive stdin pipe.
	Input *os.File
	// Output receives what the guest writes to stdout and stderr, in
	// order. It must not block.
	Output func(s Stream, p []byte)
	// Quota bounds what the guest may add to its writable directories.
	Quota Quota
	// Origin is when the run started: its monotonic clock counts from it.
	Origin time.Time
	// MonotonicBase is the monotonic clock's reading at Origin: 0 for the
	// run that initialises a snapshot, MonotonicBase for every other.
	MonotonicBase time.Duration
	// Activity, if not nil, hears when the guest starts and stops waiting.
	Activity func(Activity)
}

// Host is the WASI of one run. Its functions are called from the guest's
// thread only; Stop may be called from any goroutine.
type Host struct {
	cfg   Config
	stdin *stdinReader
	// orphans are files the guest removed while it had them open: their
	// blocks count until the last descriptor closes.
	orphans map[inodeKey]bool
	// listing is the one directory listing kept for fd_readdir.
	listing struct {
		owner *fdEntry
		ents  []dirent
	}
	quota *quotaState

	fds    map[int32]*fdEntry
	nextFD int32
	mem    *wasmtime.Memory

	stopOnce sync.Once
	stopCh   chan struct{}
	stopMsg  atomic.Value // string: the trap message once stopped

	exited   bool
	exitCode int32
}

// New makes the WASI of one run, opening its preopened directories.
func New(cfg Config) (*Host, error) {
	h := &Host{cfg: cfg, fds: map[int32]*fdEntry{}, stopCh: make(chan struct{}), quota: newQuota(cfg.Quota),
		orphans: map[inodeKey]bool{}}
	h.stdin = newStdin(cfg.Stdin, cfg.Input, h.stopCh)
	h.fds[0] = &fdEntry{kind: kindStdin}
	h.fds[1] = &fdEntry{kind: kindStdout}
	h.fds[2] = &fdEntry{kind: kindStderr}
	h.nextFD = 3
	for _, p := range cfg.Preopens {
		fd, err := unix.Open(p.Host, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("wasi: preopen %s for %s: %w", p.Host, p.GuestPath, err)
		}
		real, err := readFDPath(fd)
		if err != nil {
			unix.Close(fd)
			h.Close()
			return nil, fmt.Errorf("wasi: preopen %s for %s: %w", p.Host, p.GuestPath, err)
		}
		root := &rootDir{guest: p.GuestPath, host: real, writable: p.Writable}
		h.fds[h.nextFD] = &fdEntry{kind: kindDir, fd: fd, root: root, preopen: true, rel: "."}
		h.nextFD++
	}
	return h, nil
}

// Close closes every descriptor the guest left open.
func (h *Host) Close() {
	for n, e := range h.fds {
		e.close()
		delete(h.fds, n)
	}
}

// Stop ends the run: the guest's next call (or the one it is blocked in:
// a sleep, a poll, a read of stdin) returns a trap with msg.
func (h *Host) Stop(msg string) {
	h.stopOnce.Do(func() {
		h.stopMsg.Store(msg)
		close(h.stopCh)
		h.stdin.interrupt()
	})
}

// Exited reports whether the guest called proc_exit, with its status.
func (h *Host) Exited() (int32, bool) { return h.exitCode, h.exited }

// Quota reports what the disk quota refused, and the usage at the end.
func (h *Host) Quota() (Refusals, Usage) { return h.quota.refusals(), h.quota.usage() }

// stopTrap is the trap a stopped run's calls return, or nil.
func (h *Host) stopTrap() *wasmtime.Trap {
	select {
	case <-h.stopCh:
		msg, _ := h.stopMsg.Load().(string)
		return wasmtime.NewTrap(msg)
	default:
		return nil
	}
}

// exitTrap is the trap proc_exit ends the guest with.
const exitTrap = "wasmplay: the guest exited"

// IsExit reports whether a call error is the guest's proc_exit.
func IsExit(err error) bool {
	var trap *wasmtime.Trap
	return errors.As(err, &trap) && trap.Message() == exitTrap
}

// memory returns the guest's linear memory as it is now (it moves when it
// grows, so no slice of it is kept across calls).
func (h *Host) memory(c *wasmtime.Caller) []byte {
	if h.mem == nil {
		ext := c.GetExport("memory")
		if ext == nil || ext.Memory() == nil {
			return nil
		}
		h.mem = ext.Memory()
	}
	return h.mem.UnsafeData(c)
}

// slice returns mem[ptr:ptr+n], or false when that is out of bounds.
func slice(mem []byte, ptr, n int32) ([]byte, bool) {
	p, l := uint64(uint32(ptr)), uint64(uint32(n))
	if p+l > uint64(len(mem)) {
		return nil, false
	}
	return mem[p : p+l], true
}

// putU32 and putU64 write a result, or report the pointer out of bounds.
func putU32(mem []byte, ptr int32, v uint32) bool {
	b, ok := slice(mem, ptr, 4)
	if ok {
		le.PutUint32(b, v)
	}
	return ok
}

func putU64(mem []byte, ptr int32, v uint64) bool {
	b, ok := slice(mem, ptr, 8)
	if ok {
		le.PutUint64(b, v)
	}
	return ok
}

// ShimModule is where Define puts the host halves of the WASI functions
// that take no parameter (sched_yield) or give no result (proc_exit), each
// with one i32 parameter and one i32 result: the sandbox links a small wasm
// shim that exports them under their WASI names and types. wasmtime-go
// hands a host function with no parameters or no results a dangling
// pointer (0x8) that the Go runtime can find on the stack while the call
// runs, and a garbage collection then ends the process ("invalid pointer
// found on stack"): a guest calling sched_yield in a loop could crash the
// host. No host function is defined with an empty parameter or result list.
const ShimModule = "wasmplay_host"

// Shimmed are the WASI functions defined in ShimModule, for the shim.
var Shimmed = []string{"sched_yield", "proc_exit"}

// HostFunc is one host function: its name in its module and its Go
// function (as wasmtime-go's FuncWrap takes it).
type HostFunc struct {
	Module, Name string
	Fn           any
}

// Define adds every WASI function to the linker, bound to this host (see
// ShimModule for the two that need the sandbox's shim), with the types in
// types.
func (h *Host) Define(l *wasmtime.Linker, types *FuncTypes) error {
	types.mu.Lock()
	defer types.mu.Unlock()
	for _, f := range h.Funcs() {
		ty := types.byShape[reflect.TypeOf(f.Fn)]
		call, err := bind(f.Fn)
		if ty == nil || err != nil {
			return fmt.Errorf("wasi: define %s: no type or binding for %T (%v)", f.Name, f.Fn, err)
		}
		if err := l.FuncNew(f.Module, f.Name, ty, call); err != nil {
			return fmt.Errorf("wasi: define %s: %w", f.Name, err)
		}
	}
	return nil
}

// Funcs lists the host functions Define defines.
func (h *Host) Funcs() []HostFunc {
	funcs := []struct {
		name string
		fn   any
	}{
		{"args_get", h.argsGet}, {"args_sizes_get", h.argsSizesGet},
		{"environ_get", h.environGet}, {"environ_sizes_get", h.environSizesGet},
		{"clock_res_get", h.clockResGet}, {"clock_time_get", h.clockTimeGet},
		{"fd_advise", h.fdAdvise}, {"fd_allocate", h.fdAllocate}, {"fd_close", h.fdClose},
		{"fd_datasync", h.fdDatasync}, {"fd_fdstat_get", h.fdFdstatGet}, {"fd_fdstat_set_flags", h.fdFdstatSetFlags},
		{"fd_fdstat_set_rights", h.fdFdstatSetRights}, {"fd_filestat_get", h.fdFilestatGet},
		{"fd_filestat_set_size", h.fdFilestatSetSize}, {"fd_filestat_set_times", h.fdFilestatSetTimes},
		{"fd_pread", h.fdPread}, {"fd_prestat_get", h.fdPrestatGet}, {"fd_prestat_dir_name", h.fdPrestatDirName},
		{"fd_pwrite", h.fdPwrite}, {"fd_read", h.fdRead}, {"fd_readdir", h.fdReaddir}, {"fd_renumber", h.fdRenumber},
		{"fd_seek", h.fdSeek}, {"fd_sync", h.fdSync}, {"fd_tell", h.fdTell}, {"fd_write", h.fdWrite},
		{"path_create_directory", h.pathCreateDirectory}, {"path_filestat_get", h.pathFilestatGet},
		{"path_filestat_set_times", h.pathFilestatSetTimes}, {"path_link", h.pathLink}, {"path_open", h.pathOpen},
		{"path_readlink", h.pathReadlink}, {"path_remove_directory", h.pathRemoveDirectory},
		{"path_rename", h.pathRename}, {"path_symlink", h.pathSymlink}, {"path_unlink_file", h.pathUnlinkFile},
		{"poll_oneoff", h.pollOneoff}, {"proc_raise", h.procRaise}, {"random_get", h.randomGet},
		{"sock_accept", h.sockAccept}, {"sock_recv", h.sockRecv}, {"sock_send", h.sockSend},
		{"sock_shutdown", h.sockShutdown},
	}
	out := make([]HostFunc, 0, len(funcs)+2)
	for _, f := range funcs {
		out = append(out, HostFunc{Module: module, Name: f.name, Fn: f.fn})
	}
	return append(out, HostFunc{Module: ShimModule, Name: "sched_yield", Fn: h.schedYield},
		HostFunc{Module: ShimModule, Name: "proc_exit", Fn: h.procExit})
}

// Names lists the WASI functions a Host provides.
func Names() []string {
	return []string{"args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get",
		"clock_time_get", "fd_advise", "fd_allocate", "fd_close", "fd_datasync", "fd_fdstat_get",
		"fd_fdstat_set_flags", "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size",
		"fd_filestat_set_times", "fd_pread", "fd_prestat_get", "fd_prestat_dir_name", "fd_pwrite", "fd_read",
		"fd_readdir", "fd_renumber", "fd_seek", "fd_sync", "fd_tell", "fd_write", "path_create_directory",
		"path_filestat_get", "path_filestat_set_times", "path_link", "path_open", "path_readlink",
		"path_remove_directory", "path_rename", "path_symlink", "path_unlink_file", "poll_oneoff", "proc_exit",
		"proc_raise", "sched_yield", "random_get", "sock_accept", "sock_recv", "sock_send", "sock_shutdown"}
}

// ---- argv and environment ---------------------------------------------------

// putStrings writes NUL-terminated strings into buf and their addresses at
// ptrs, as args_get and environ_get do.
func putStrings(mem []byte, ptrs, buf int32, ss []string) errno {
	off := uint32(buf)
	for i, s := range ss {
		if !putU32(mem, ptrs+int32(4*i), off) {
			return errFault
		}
		b, ok := slice(mem, int32(off), int32(len(s)+1))
		if !ok {
			return errFault
		}
		copy(b, s)
		b[len(s)] = 0
		off += uint32(len(s) + 1)
	}
	return errSuccess
}

func sizes(mem []byte, countPtr, sizePtr int32, ss []string) errno {
	total := 0
	for _, s := range ss {
		total += len(s) + 1
	}
	if !putU32(mem, countPtr, uint32(len(ss))) || !putU32(mem, sizePtr, uint32(total)) {
		return errFault
	}
	return errSuccess
}

func (h *Host) envStrings() []string {
	out := make([]string, len(h.cfg.Env))
	for i, kv := range h.cfg.Env {
		out[i] = kv[0] + "=" + kv[1]
	}
	return out
}

func (h *Host) argsGet(c *wasmtime.Caller, argv, buf int32) int32 {
	return putStrings(h.memory(c), argv, buf, h.cfg.Args)
}

func (h *Host) argsSizesGet(c *wasmtime.Caller, countPtr, sizePtr int32) int32 {
	return sizes(h.memory(c), countPtr, sizePtr, h.cfg.Args)
}

func (h *Host) environGet(c *wasmtime.Caller, env, buf int32) int32 {
	return putStrings(h.memory(c), env, buf, h.envStrings())
}

func (h *Host) environSizesGet(c *wasmtime.Caller, countPtr, sizePtr int32) int32 {
	return sizes(h.memory(c), countPtr, sizePtr, h.envStrings())
}

// root is the preopened directory a descriptor's paths live under.
type rootDir struct {
	guest    string
	host     string // its real path, for where entries really are
	writable bool
}
