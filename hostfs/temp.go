package hostfs

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Scratch directories are named wasmplay-<pidns>.<pid>-<what>-<random>,
// so that the leftovers of a process that died (killed, or the machine
// lost power) can be told apart from those of one still running and
// swept. The PID namespace is in the name because a PID means nothing in
// another one (containers sharing /tmp or /dev/shm); a sweep also leaves
// alone what another user owns.
const tempPrefix = "wasmplay-"

// ShmDir is where scratch directories that only the host writes go first:
// a file created, written and removed there costs about 40 µs against
// about 500 µs on an ext4 /tmp.
const ShmDir = "/dev/shm"

// TempDir makes a private scratch directory for what (a run's "code" or
// "state", a "workspace") in the system's temporary directory.
func TempDir(what string) (string, error) {
	return os.MkdirTemp("", pattern(what))
}

// ShmTempDir is TempDir in ShmDir, falling back to the temporary
// directory where there is none. Only for what the guest cannot write: it
// would fill memory.
func ShmTempDir(what string) (string, error) {
	if dir, err := os.MkdirTemp(ShmDir, pattern(what)); err == nil {
		return dir, nil
	}
	return TempDir(what)
}

func pattern(what string) string {
	return tempPrefix + pidNamespace() + "." + strconv.Itoa(os.Getpid()) + "-" + what + "-"
}

// pidNamespace names this process's PID namespace by its inode ("0" when
// it cannot be read).
func pidNamespace() string {
	link, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return "0"
	}
	// "pid:[4026531836]"
	ino := strings.TrimSuffix(strings.TrimPrefix(link, "pid:["), "]")
	if _, err := strconv.ParseUint(ino, 10, 64); err != nil {
		return "0"
	}
	return ino
}

// SweepTemp removes the scratch directories of wasmplay processes that no
// longer exist, in the temporary directory and ShmDir, and returns how
// many it removed.
func SweepTemp() int {
	removed := 0
	ns, uid := pidNamespace(), uint32(os.Getuid())
	for _, dir := range []string{os.TempDir(), ShmDir} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			pidNS, pid, ok := ownerPID(e.Name())
			if !ok || pidNS != ns || pid == os.Getpid() || alive(pid) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue // gone meanwhile (another sweep)
			}
			if st, isUnix := info.Sys().(*syscall.Stat_t); !isUnix || st.Uid != uid {
				continue // another user's: not ours to judge
			}
			if os.RemoveAll(filepath.Join(dir, e.Name())) == nil {
				removed++
			}
		}
	}
	return removed
}

// ownerPID reads the PID namespace and the process ID from a scratch
// directory's name.
func ownerPID(name string) (ns string, pid int, ok bool) {
	rest, ok := strings.CutPrefix(name, tempPrefix)
	if !ok {
		return "", 0, false
	}
	owner, _, ok := strings.Cut(rest, "-")
	if !ok {
		return "", 0, false
	}
	ns, digits, ok := strings.Cut(owner, ".")
	if !ok {
		return "", 0, false // another wasmplay's naming: left alone
	}
	pid, err := strconv.Atoi(digits)
	return ns, pid, err == nil && pid > 0
}

// alive reports whether a process exists (a zombie counts as gone).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// The state follows the command in parentheses: "pid (comm) S ...".
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}
