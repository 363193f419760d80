//go:build !linux

package run

// hostMemoryBytes returns 0 (unknown) where sysinfo(2) does not exist: the
// memory cap is then not checked against the host's RAM.
func hostMemoryBytes() uint64 { return 0 }
