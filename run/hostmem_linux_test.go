package run

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// hostMemoryBytes must agree with the kernel's MemTotal.
func TestHostMemoryBytes_MatchesMeminfo(t *testing.T) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Skip("no /proc/meminfo")
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 3 && fields[0] == "MemTotal:" {
			kib, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			if got := hostMemoryBytes(); got != kib<<10 {
				t.Fatalf("hostMemoryBytes() = %d, MemTotal is %d", got, kib<<10)
			}
			return
		}
	}
	t.Fatal("no MemTotal line in /proc/meminfo")
}
