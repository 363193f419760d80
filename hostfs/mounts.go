package hostfs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// kernelFS are the file systems whose files are the kernel's and the
// processes' state, not data: a guest that may read them reads the host
// (its environment, its memory through /proc/self/mem).
var kernelFS = map[int64]string{
	unix.PROC_SUPER_MAGIC:    "proc",
	unix.SYSFS_MAGIC:         "sysfs",
	unix.DEBUGFS_MAGIC:       "debugfs",
	unix.TRACEFS_MAGIC:       "tracefs",
	unix.SECURITYFS_MAGIC:    "securityfs",
	unix.CGROUP_SUPER_MAGIC:  "cgroup",
	unix.CGROUP2_SUPER_MAGIC: "cgroup2",
	unix.BPF_FS_MAGIC:        "bpf",
	unix.DEVPTS_SUPER_MAGIC:  "devpts",
	unix.EFIVARFS_MAGIC:      "efivarfs",
}

// MountProblem says why the host directory dir must not be mounted into a
// guest ("" when it may): it is on a kernel file system (proc, sysfs, ...)
// or under /dev, or other file systems are mounted beneath it (as /proc is
// beneath /), which the guest would reach through it.
func MountProblem(dir string) string {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err.Error()
	}
	var st unix.Statfs_t
	if err := unix.Statfs(real, &st); err != nil {
		return fmt.Sprintf("statfs %s: %v", real, err)
	}
	if name, ok := kernelFS[int64(st.Type)]; ok {
		return fmt.Sprintf("%s is on the kernel's %s file system: a guest would read the host's state there", real, name)
	}
	if real == "/dev" || strings.HasPrefix(real, "/dev/") {
		return fmt.Sprintf("%s holds the host's devices", real)
	}
	if beneath := mountsBeneath(real); len(beneath) > 0 {
		shown := beneath
		if len(shown) > 3 {
			shown = append(shown[:3:3], fmt.Sprintf("and %d more", len(beneath)-3))
		}
		return fmt.Sprintf("other file systems are mounted beneath %s (%s): mount a directory without mount points in it", real, strings.Join(shown, ", "))
	}
	return ""
}

// mountsBeneath lists the mount points strictly beneath dir, from
// /proc/self/mountinfo (none when it cannot be read).
func mountsBeneath(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	prefix := strings.TrimSuffix(dir, "/") + "/"
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		point := unescapeMountinfo(fields[4])
		if strings.HasPrefix(point, prefix) {
			out = append(out, point)
		}
	}
	return out
}

// unescapeMountinfo undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%3o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
