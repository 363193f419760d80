package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// Linux gives a process the peak resident set of the memory it was
// exec'd from, and Go starts commands with a vfork that shares the
// parent's memory: a wasmplay process started from this (large) bench
// process reports the bench's resident set as its own peak. So the walls
// section runs each case through this same binary re-executed as a small
// launcher (launchArg), which starts the command as its own child and
// reports that child's peak.

// launchArg, as the first argument, makes this binary the launcher: it
// runs the rest as a command, writes the command's peak resident set in
// bytes to the file named by peakRSSEnv, and exits as the command did.
const launchArg = "-launch-measuring-peak-rss"

// peakRSSEnv names the file the launcher writes the peak into.
const peakRSSEnv = "WASMPLAY_BENCH_PEAK_RSS_FILE"

// launch is the launcher's main.
func launch(argv []string) {
	if len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "benchreport: the launcher needs a command")
		os.Exit(2)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "benchreport: launcher:", err)
		os.Exit(2)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		_ = os.WriteFile(os.Getenv(peakRSSEnv), []byte(strconv.FormatInt(ru.Maxrss<<10, 10)), 0o600)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}

// measuredCommand is cmd (not yet started) run through the launcher, and
// a function that reads the peak resident set of cmd's process once it
// has ended (0 if unknown). The peak has the launcher's own small resident
// set as its floor.
func measuredCommand(cmd *exec.Cmd, scratch string) (*exec.Cmd, func() int64, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	file := scratch + "/peak-rss"
	os.Remove(file)
	wrapped := exec.Command(self, append([]string{launchArg}, cmd.Args...)...)
	wrapped.Env = append(append([]string(nil), cmd.Env...), peakRSSEnv+"="+file)
	if cmd.Env == nil {
		wrapped.Env = append(os.Environ(), peakRSSEnv+"="+file)
	}
	wrapped.Stdin, wrapped.Stdout, wrapped.Stderr, wrapped.Dir = cmd.Stdin, cmd.Stdout, cmd.Stderr, cmd.Dir
	peak := func() int64 {
		data, err := os.ReadFile(file)
		if err != nil {
			return 0
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		return n
	}
	return wrapped, peak, nil
}
