package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/wasmplay/wasmplay/run"
)

// wallsSection measures what the worst inputs cost the host: each case is a
// whole `wasmplay` process, timed, with the largest resident set of it and
// the processes it waited for (the compile helper), and its exit status.
// The bounds these show are the ones docs/SECURITY.md states.
func (b *bench) wallsSection() (string, error) {
	dir, err := os.MkdirTemp("", "benchreport-walls-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	env := append(os.Environ(), "WASMPLAY_SESSIONS_DIR="+filepath.Join(dir, "sessions"))

	// A compile bomb just under the module cap: 16 MiB of WebAssembly text.
	line := "(local.set 0 (i32.add (local.get 0) (i32.const 1)))\n"
	body := strings.Repeat(line, (16<<20-200)/len(line))
	bomb := filepath.Join(dir, "bomb.wat")
	if err := os.WriteFile(bomb, []byte("(module (func (export \"_start\") (local i32)\n"+body+"))"), 0o644); err != nil {
		return "", err
	}
	over := filepath.Join(dir, "over.wat")
	if err := os.WriteFile(over, []byte("(module)"+strings.Repeat(" ", 17<<20)), 0o644); err != nil {
		return "", err
	}
	// A 50 GB log that holds nothing (sparse), given as code.
	sparse := filepath.Join(dir, "huge.log")
	f, err := os.Create(sparse)
	if err != nil {
		return "", err
	}
	if err := f.Truncate(50 << 30); err != nil {
		return "", err
	}
	f.Close()
	// A session whose workspace holds 64 sparse files of 1 GiB each, to export.
	makeSparse := "for i in range(64):\n    f = open(f'/app/s{i}.bin', 'wb')\n    f.seek((1 << 30) - 1)\n    f.write(b'x')\n    f.close()"

	type wallCase struct {
		label string
		argv  []string
		setup []string // run first, not measured
	}
	cases := []wallCase{
		{label: "compile bomb: 16 MiB of WAT, 30 s limit", argv: []string{"run", "-r", "wat", "--timeout", "30s", bomb}},
		{label: "compile bomb against a 1 s limit", argv: []string{"run", "-r", "wat", "--timeout", "1s", bomb}},
		{label: "module over the 16 MiB cap", argv: []string{"run", "-r", "wat", over}},
		{label: "`/dev/zero` as code", argv: []string{"run", "/dev/zero"}},
		{label: "`--stdin /dev/zero`", argv: []string{"run", "--stdin", "/dev/zero", "-c", "print(1)"}},
		{label: "a 50 GB (sparse) log as code", argv: []string{"run", sparse}},
		{label: "guest prints 1 GiB (2 MiB kept)", argv: []string{"run", "--fuel", "50G", "-c", "s = 'y' * (1 << 20)\nfor _ in range(1024):\n    print(s)"}},
		{label: "export of 64 sparse 1 GiB files", argv: []string{"sessions", "export", "sparse", filepath.Join(dir, "export.tar.gz")},
			setup: []string{"run", "--session", "sparse", "--new", "-c", makeSparse}},
	}
	var w strings.Builder
	w.WriteString("## Walls: what the worst inputs cost the host\n\n")
	w.WriteString("Each case is one `wasmplay` process. Peak memory is the largest resident set of the process and of the processes it waited for (the compile helper), from `wait4`, through a small launcher (cmd/benchreport/peakrss.go): started straight from the bench, a process reports the bench's own resident set as its peak, as the figures here did before 2026-12-03 (a flat 67.6 MiB). The wall time includes the launcher's start, a few milliseconds.\n\n")
	w.WriteString("| case | exit | wall time | peak host memory | what happened |\n|---|---|---|---|---|\n")
	for _, c := range cases {
		if c.setup != nil {
			cmd := exec.Command(b.wasmplay, c.setup...)
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				return "", fmt.Errorf("%s: setup: %v: %s", c.label, err, out)
			}
		}
		cmd := exec.Command(b.wasmplay, c.argv...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr // stdout is the guest's; wasmplay reports on stderr
		cmd, peak, err := measuredCommand(cmd, dir)
		if err != nil {
			return "", err
		}
		start := time.Now()
		_ = cmd.Run()
		elapsed := time.Since(start)
		rss := peak()
		said := lastLine(stderr.String())
		if strings.Contains(c.label, "export") {
			if info, err := os.Stat(filepath.Join(dir, "export.tar.gz")); err == nil {
				said = strings.TrimSuffix(fmt.Sprintf("an archive of %s (the files' holes are not written out); %s", run.FormatBytes(uint64(info.Size())), said), "; ")
			}
		}
		fmt.Fprintf(&w, "| %s | %d | %s | %s | %s |\n", c.label, cmd.ProcessState.ExitCode(), ms(elapsed), run.FormatBytes(uint64(rss)),
			strings.ReplaceAll(said, "|", "\\|"))
	}
	w.WriteString("\n")
	return w.String(), nil
}

// lastLine is the last non-empty line of s, cut to a table cell.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > 140 {
		l = l[:140] + "…"
	}
	return l
}
