package sandbox

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/internal/testenv"
	"github.com/wasmplay/wasmplay/run"
)

// The walls at the guest's file system, class by class: what the guest may
// name, what the host then touches, what it may make the host wait on, and
// how much it may take. Each probe is one line of a Python guest's output,
// "name: result", so a whole class runs in one guest.

// wallProbes runs code (which prints "name: result" lines) in workspace
// and returns the results by name.
func wallProbes(t *testing.T, workspace, code string, policy run.Policy) (map[string]string, run.Result) {
	t.Helper()
	res := runJob(t, run.Job{Runtime: "python", Code: []byte(code), Workspace: workspace, Policy: policy})
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(res.Stdout))
	for sc.Scan() {
		if name, result, ok := strings.Cut(sc.Text(), ": "); ok {
			got[name] = result
		}
	}
	return got, res
}

// probePrelude defines probe(name, fn): it prints fn's result, or the
// errno name of the OSError it raised.
const probePrelude = `import os, errno
def probe(name, fn):
    try:
        r = fn()
        print(f"{name}: ok {r!r}"[:200])
    except OSError as e:
        print(f"{name}: {errno.errorcode.get(e.errno, e.errno)}")
`

func TestWalls_LinksCannotLeadOut(t *testing.T) {
	needRuntime(t, "python")
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("top secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	rel, err := filepath.Rel(ws, outside)
	if err != nil {
		t.Fatal(err)
	}
	code := probePrelude + `
os.mkdir("/app/a")
open("/app/target.txt", "w").write("inside")
probe("absolute symlink", lambda: os.symlink("/etc/passwd", "/app/abs"))
probe("dotdot symlink", lambda: os.symlink("../../../etc/passwd", "/app/up"))
# Even a ".." that stays inside: moved up a level it would lead out.
probe("dotdot symlink inside", lambda: os.symlink("../target.txt", "/app/a/in"))
probe("downward symlink", lambda: os.symlink("target.txt", "/app/down"))
probe("read downward symlink", lambda: open("/app/down").read())
# A link to "." makes a long path name a shallow place: no link made
# through it may climb from where it really is.
probe("self link", lambda: os.symlink(".", "/app/d"))
probe("link through self links", lambda: os.symlink("../../../../../etc/passwd", "/app/d/d/d/d/d/esc"))
probe("hard link stdlib", lambda: os.link("/usr/local/lib/python3.13/os.py", "/app/os.py"))
probe("hard link inside", lambda: os.link("/app/target.txt", "/app/hard.txt"))
probe("read host-planted link", lambda: open("/app/planted/secret.txt").read())
probe("list host-planted link", lambda: os.listdir("/app/planted"))
probe("dotdot path", lambda: open("/app/../etc/passwd").read())
probe("code is read-only", lambda: open("/code/main.py", "a").write("x"))
probe("stdlib is read-only", lambda: open("/usr/local/lib/python3.13/os.py", "a").write("x"))
`
	// A link the host planted (or an older wasmplay let the guest plant).
	if err := os.Symlink(rel, filepath.Join(ws, "planted")); err != nil {
		t.Fatal(err)
	}
	got, res := wallProbes(t, ws, code, run.Policy{})
	want := map[string]string{
		"absolute symlink":        "EPERM",
		"dotdot symlink":          "EPERM",
		"dotdot symlink inside":   "EPERM",
		"downward symlink":        "ok None",
		"read downward symlink":   "ok 'inside'",
		"self link":               "ok None",
		"link through self links": "EPERM",
		"hard link stdlib":        "EXDEV",
		"hard link inside":        "ok None",
		"read host-planted link":  "EPERM",
		"list host-planted link":  "EPERM",
		"dotdot path":             "EPERM",
		"code is read-only":       "EROFS",
		"stdlib is read-only":     "EROFS",
	}
	checkProbes(t, got, want, res)
	if bytes.Contains(res.Stdout, []byte("top secret")) || bytes.Contains(res.Stdout, []byte("root:")) {
		t.Fatalf("a host file leaked: %s", res.Stdout)
	}
	// No link the guest left leads out, read where it stands.
	filepath.WalkDir(ws, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type()&os.ModeSymlink != 0 && !strings.HasSuffix(p, "/planted") {
			if target, err := os.Readlink(p); err == nil && (filepath.IsAbs(target) || strings.Contains(target, "..")) {
				t.Errorf("the guest left %s -> %s", p, target)
			}
		}
		return nil
	})
	// The host, in turn, follows none of the links the guest left.
	root, err := hostfs.OpenRoot(ws)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, name := range []string{"down", "planted/secret.txt", "d/d/target.txt"} {
		if b, err := root.ReadFile(name, 1<<20); err == nil {
			t.Errorf("the host read %s through a link: %q", name, b)
		}
	}
}

func TestWalls_NothingBlocksTheHost(t *testing.T) {
	needRuntime(t, "python")
	ws := t.TempDir()
	// Named pipes the guest cannot make (WASI has no mkfifo) but may find:
	// opening one for reading would wait for a writer for ever.
	for _, name := range []string{"fifo", "state-fifo"} {
		if err := syscall.Mkfifo(filepath.Join(ws, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code := probePrelude + `
probe("open fifo for reading", lambda: open("/app/fifo").read())
probe("open fifo for writing", lambda: open("/app/fifo", "w").write("x"))
probe("stat fifo", lambda: os.stat("/app/fifo").st_size)
`
	start := time.Now()
	got, res := wallProbes(t, ws, code, testenv.PolicyWith(run.Policy{Timeout: 20 * time.Second}))
	if res.Outcome != run.OutcomeOK {
		t.Fatalf("outcome %s (%s) after %s: %s", res.Outcome, res.Message, time.Since(start), res.Stderr)
	}
	checkProbes(t, got, map[string]string{
		"open fifo for reading": "ENXIO",
		"open fifo for writing": "ENXIO",
		"stat fifo":             "ok 0",
	}, res)
	root, err := hostfs.OpenRoot(ws)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, _, err := root.ReadFileHead("fifo", 10); err == nil {
		t.Error("the host read a named pipe")
	}
}

func TestWalls_DiskQuota(t *testing.T) {
	needRuntime(t, "python")
	code := probePrelude + `
probe("long name", lambda: open("/app/" + "n" * 300, "w"))
probe("long path", lambda: os.makedirs("/app/" + "/".join(["p" * 200] * 8)))
probe("write past the quota", lambda: open("/app/big", "wb").write(bytes(8 << 20)))
os.remove("/app/big")
def sparse():
    with open("/app/sparse", "wb") as f:
        f.seek(100 << 30)
        f.write(b"x")
probe("sparse 100 GiB", sparse)
probe("truncate 100 GiB", lambda: os.truncate("/app/sparse", 100 << 30))
def many():
    for i in range(1000):
        open(f"/app/f{i}", "w").close()
probe("1000 files", many)
def deep():
    p = "/app/d"
    for i in range(200):
        os.mkdir(p)
        p += "/d"
probe("200 directories deep", deep)
`
	ws := t.TempDir()
	policy := testenv.PolicyWith(run.Policy{DiskBytes: 4 << 20, DiskFiles: 500})
	got, res := wallProbes(t, ws, code, policy)
	checkProbes(t, got, map[string]string{
		"write past the quota": "EDQUOT",
		"sparse 100 GiB":       "EDQUOT",
		"truncate 100 GiB":     "EDQUOT",
		"1000 files":           "EDQUOT",
		"200 directories deep": "EDQUOT",
		"long name":            "ENAMETOOLONG",
		"long path":            "ENAMETOOLONG",
	}, res)
	if res.DiskRefused == 0 || res.Disk.Entries > 500 || res.Disk.Bytes > 4<<20 {
		t.Errorf("disk %+v, refused %d: want within 4 MiB / 500 entries, with refusals", res.Disk, res.DiskRefused)
	}
	tree, err := hostfs.Scan(ws)
	if err != nil {
		t.Fatal(err)
	}
	if tree.Usage.Bytes > 4<<20 || tree.Usage.Entries > 500 {
		t.Errorf("the workspace takes %+v, past its quota", tree.Usage)
	}
	// A guest that does not handle the refusal ends disk_limit.
	res = runJob(t, run.Job{Runtime: "python", Code: []byte("open('/app/big2', 'wb').write(bytes(8 << 20))"), Workspace: ws, Policy: policy})
	if res.Outcome != run.OutcomeDiskLimit || !strings.Contains(res.Message, "4 MiB") {
		t.Errorf("outcome %s (%s), want disk_limit naming the quota", res.Outcome, res.Message)
	}
}

func TestWalls_KeptVariablesReadStrictly(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "other.json")
	if err := os.WriteFile(outside, []byte(`{"vars": {"stolen": 1}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	// What a guest could leave in /state: a link to another session's file.
	if err := os.Symlink(outside, filepath.Join(dir, "out.json")); err != nil {
		t.Fatal(err)
	}
	vars, rep := readVars(dir, nil, true)
	if vars != nil || rep.Problem == "" || strings.Contains(string(vars), "stolen") {
		t.Fatalf("vars %q, problem %q: a link was followed", vars, rep.Problem)
	}
	if err := os.Remove(filepath.Join(dir, "out.json")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "out.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		readVars(dir, nil, true)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("readVars waits on a named pipe")
	}
}

// checkProbes compares probe results.
func checkProbes(t *testing.T, got, want map[string]string, res run.Result) {
	t.Helper()
	for name, w := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: no result (outcome %s, stderr %.400s)", name, res.Outcome, res.Stderr)
		} else if g != w {
			t.Errorf("%s: %s, want %s", name, g, w)
		}
	}
}

// The quota counts what the disk really holds: the blocks of files the
// guest removed but keeps open, of links and directories, and the
// growth of directories; and the bounds on depth hold where entries
// really are, whatever links the path went through.
func TestWalls_QuotaCountsWhatTheDiskHolds(t *testing.T) {
	needRuntime(t, "python")
	code := probePrelude + `
def deep_through_links():
    os.makedirs("/app/chain/" + "/".join(["c"] * 100))
    os.symlink("chain/" + "/".join(["c"] * 100), "/app/s")
    os.makedirs("/app/s/" + "/".join(["x"] * 60))
probe("deep through links", deep_through_links)
def removed_but_open():
    kept = []
    for i in range(20):
        f = open(f"/app/r{i}", "wb")
        f.write(bytes(1 << 20))
        f.flush()
        os.remove(f"/app/r{i}")
        kept.append(f)
probe("removed but open", removed_but_open)
def deep_through_a_dangling_link():
    os.makedirs("/app/deep/" + "/".join(["c"] * 127))
    os.symlink("deep/" + "/".join(["c"] * 127) + "/f", "/app/x")
    open("/app/x", "w").close()
probe("deep through a dangling link", deep_through_a_dangling_link)
def link_blocks():
    for i in range(5000):
        os.symlink("x" * 3000, f"/app/l{i}")
probe("links take blocks", link_blocks)
`
	ws := t.TempDir()
	policy := testenv.PolicyWith(run.Policy{DiskBytes: 4 << 20, DiskFiles: 20_000})
	got, res := wallProbes(t, ws, code, policy)
	checkProbes(t, got, map[string]string{
		"removed but open":             "EDQUOT",
		"links take blocks":            "EDQUOT",
		"deep through links":           "ENAMETOOLONG",
		"deep through a dangling link": "ENAMETOOLONG",
	}, res)
	tree, err := hostfs.Scan(ws)
	if err != nil {
		t.Fatal(err)
	}
	if tree.Usage.Bytes > 4<<20 {
		t.Errorf("the workspace takes %s, past its 4 MiB quota", run.FormatBytes(tree.Usage.Bytes))
	}
	// Every entry is within the depth the host lists and deletes.
	if tree.Truncated {
		t.Error("the workspace is deeper or larger than the host can list")
	}
}

// Creating a file through a dangling link makes the link's target: it
// counts as a new entry, and it is placed within the bounds like any other.
func TestWalls_CreatingThroughDanglingLinks(t *testing.T) {
	needRuntime(t, "python")
	code := probePrelude + `
def many_through_links():
    for i in range(40):
        os.symlink(f"t{i}", f"/app/d{i}")
    for i in range(40):
        open(f"/app/d{i}", "w").close()
probe("files through links", many_through_links)
`
	ws := t.TempDir()
	policy := testenv.PolicyWith(run.Policy{DiskFiles: 60})
	got, res := wallProbes(t, ws, code, policy)
	checkProbes(t, got, map[string]string{
		"files through links": "EDQUOT",
	}, res)
	tree, err := hostfs.Scan(ws)
	if err != nil {
		t.Fatal(err)
	}
	if n := tree.Usage.Entries; n > 60 {
		t.Errorf("the workspace holds %d entries, past its quota of 60", n)
	}
}

// Names that are not UTF-8 are refused (WASI paths are UTF-8): shown as
// U+FFFD they would look like, and be reached as, another file.
func TestWalls_NamesAreUTF8(t *testing.T) {
	needRuntime(t, "python")
	ws := t.TempDir()
	got, res := wallProbes(t, ws, probePrelude+`
probe("invalid name", lambda: open(b"/app/\xff\xfe".decode("utf-8", "surrogateescape"), "w").close())
probe("valid name", lambda: open("/app/\ufffd\ufffd", "w").close())
`, run.DefaultPolicy())
	if got["invalid name"] != "EILSEQ" || got["valid name"] != "ok None" {
		t.Fatalf("probes %v (%s)", got, res.Stderr)
	}
	entries, _ := os.ReadDir(ws)
	if len(entries) != 1 {
		t.Fatalf("workspace holds %d entries, want the valid one only", len(entries))
	}
}
