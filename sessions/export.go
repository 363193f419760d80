package sessions

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/textsafe"
	"golang.org/x/sys/unix"
)

// Export layout (inside dest, or under "wasmplay-session-<id>/" in an
// archive):
//
//	session.json   the session's metadata
//	report.md      the history for people (and models): every run with its
//	               code, outcome, limits, output and file changes
//	report.json    the same, exact: {"session": Meta, "runs": [RunRecord…],
//	               "workspace": [FileEntry…]}
//	workspace/…    the workspace's regular files and directories
//	buffers/…      the editor buffers, one file per buffer (name
//	               percent-escaped as on disk)
//
// Symlinks and special files in the workspace are not exported (they are
// listed in report.md): following a symlink planted by the guest could copy
// files from outside the session.

// Export writes the session ref to dest: a gzip-compressed tar archive if
// dest ends in ".tar.gz" or ".tgz", else a directory. dest must not exist
// (a directory may exist if empty). The output appears complete or not at
// all: it is built under a temporary name next to dest and renamed.
func (st *Store) Export(ref, dest string) error {
	s, err := st.Resolve(ref)
	if err != nil {
		return fmt.Errorf("sessions: export %q: %w", ref, err)
	}
	if err := s.export(dest); err != nil {
		return fmt.Errorf("sessions: export %s to %s: %w", s.id, dest, err)
	}
	return nil
}

func (s *Session) export(dest string) error {
	abs, err := filepath.Abs(dest)
	if err != nil {
		return err
	}
	if err := s.checkExportDest(abs); err != nil {
		return err
	}
	archive := strings.HasSuffix(abs, ".tar.gz") || strings.HasSuffix(abs, ".tgz")
	if archive {
		return s.exportArchive(abs)
	}
	return s.exportDir(abs)
}

// checkExportDest refuses a destination inside the session (the export
// would copy itself) or one that already holds something.
func (s *Session) checkExportDest(abs string) error {
	parent := filepath.Dir(abs)
	if real, err := filepath.EvalSymlinks(parent); err == nil {
		parent = real
	}
	full := filepath.Join(parent, filepath.Base(abs))
	if full == s.dir || strings.HasPrefix(full, s.dir+string(filepath.Separator)) {
		return fmt.Errorf("destination is inside the session: %w", ErrInvalidPath)
	}
	fi, err := os.Lstat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		des, err := os.ReadDir(abs)
		if err != nil {
			return err
		}
		if len(des) > 0 {
			return fmt.Errorf("%s is not empty: %w", abs, ErrExists)
		}
		return nil
	default:
		return fmt.Errorf("%s: %w", abs, ErrExists)
	}
}

// sink receives the exported files.
type sink interface {
	dir(name string, mod time.Time) error
	file(name string, mode fs.FileMode, size int64, mod time.Time, r io.Reader) error
	// keepsHoles says a sparse file's holes stay holes.
	keepsHoles() bool
}

// dirSink writes files under a directory.
type dirSink struct{ base string }

func (d dirSink) dir(name string, _ time.Time) error {
	return os.MkdirAll(filepath.Join(d.base, filepath.FromSlash(name)), 0o755)
}

func (d dirSink) keepsHoles() bool { return true }

func (d dirSink) file(name string, mode fs.FileMode, size int64, mod time.Time, r io.Reader) error {
	p := filepath.Join(d.base, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if src, ok := r.(*os.File); ok {
		err = copySparse(f, src, size)
	} else {
		_, err = io.Copy(f, r)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && !mod.IsZero() {
		os.Chtimes(p, mod, mod)
	}
	return err
}

// tarSink writes files into a tar archive under a prefix.
type tarSink struct {
	tw     *tar.Writer
	prefix string
}

func (t tarSink) dir(name string, mod time.Time) error {
	return t.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: t.prefix + name + "/", Mode: 0o755, ModTime: mod})
}

func (t tarSink) keepsHoles() bool { return false }

func (t tarSink) file(name string, mode fs.FileMode, size int64, mod time.Time, r io.Reader) error {
	h := &tar.Header{Typeflag: tar.TypeReg, Name: t.prefix + name, Mode: int64(mode.Perm()), Size: size, ModTime: mod}
	if err := t.tw.WriteHeader(h); err != nil {
		return err
	}
	// Copy exactly size bytes: a file that grew meanwhile is cut, one
	// that shrank is an error rather than a corrupt archive.
	_, err := io.CopyN(t.tw, r, size)
	return err
}

func (s *Session) exportArchive(dest string) error {
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*"+tmpSuffix)
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	bw := bufio.NewWriterSize(f, 256<<10)
	gz := gzip.NewWriter(bw)
	tw := tar.NewWriter(gz)
	err = s.writeExport(tarSink{tw: tw, prefix: "wasmplay-session-" + s.id + "/"})
	for _, closeFn := range []func() error{tw.Close, gz.Close, bw.Flush, f.Sync, f.Close} {
		if cerr := closeFn(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, dest)
}

func (s *Session) exportDir(dest string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*"+tmpSuffix)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // no-op once renamed
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := s.writeExport(dirSink{base: tmp}); err != nil {
		return err
	}
	if fi, err := os.Lstat(dest); err == nil && fi.IsDir() {
		if err := os.Remove(dest); err != nil { // empty, checked before
			return err
		}
	}
	return os.Rename(tmp, dest)
}

// writeExport sends the whole export to out.
func (s *Session) writeExport(out sink) error {
	if err := s.Reload(); err != nil {
		return err
	}
	meta := s.Meta()
	now := s.st.now()

	metaJSON, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	if err := putBytes(out, "session.json", append(metaJSON, '\n'), now); err != nil {
		return err
	}

	files, skipped, err := s.exportWorkspace(out)
	if err != nil {
		return err
	}
	if err := s.exportBuffers(out); err != nil {
		return err
	}

	// The reports go through temporary files so that a long history is
	// streamed, not held in memory.
	md, err := os.CreateTemp("", "wasmplay-report-*.md")
	if err != nil {
		return err
	}
	defer os.Remove(md.Name())
	defer md.Close()
	js, err := os.CreateTemp("", "wasmplay-report-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(js.Name())
	defer js.Close()
	if err := s.writeReports(md, js, meta, files, skipped); err != nil {
		return err
	}
	for _, r := range []struct {
		name string
		f    *os.File
	}{{"report.md", md}, {"report.json", js}} {
		size, err := r.f.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		if _, err := r.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := out.file(r.name, 0o644, size, now, r.f); err != nil {
			return err
		}
	}
	return nil
}

func putBytes(out sink, name string, b []byte, mod time.Time) error {
	return out.file(name, 0o644, int64(len(b)), mod, strings.NewReader(string(b)))
}

// skippedFile is a workspace entry the export did not copy, and why.
type skippedFile struct {
	FileEntry
	why string
}

// maxExportHoles bounds the unallocated parts of the files an export
// writes, all together: a sparse file takes little room in the workspace
// but an archive holds its holes as data, so a guest could make an export
// write terabytes of zeros. Past the budget, sparse files are listed, not
// exported. (A directory export keeps the holes as holes.)
const maxExportHoles = 64 << 20

// exportWorkspace copies the workspace's directories and regular files
// through a hostfs.Root (strictly beneath it, no link followed, no pipe
// waited on) and returns the listing and the entries it skipped. A file
// with several links is exported once; its other names are listed.
func (s *Session) exportWorkspace(out sink) (files []FileEntry, skipped []skippedFile, err error) {
	root, err := s.openWorkspace()
	if err != nil {
		return nil, nil, err
	}
	defer root.Close()
	if err := out.dir("workspace", time.Time{}); err != nil {
		return nil, nil, err
	}
	files, err = s.Files()
	if err != nil {
		return nil, nil, err
	}
	exported := map[[2]uint64]string{} // inode → the name it was exported under
	holes := int64(0)
	for _, e := range files {
		name := "workspace/" + e.Path
		switch e.Kind {
		case KindDir:
			if err := out.dir(name, e.ModTime); err != nil {
				return nil, nil, err
			}
		case KindFile:
			f, err := root.Open(e.Path, unix.O_RDONLY, false)
			if err != nil {
				skipped = append(skipped, skippedFile{e, "changed while exporting"})
				continue
			}
			fi, err := f.Stat()
			if err != nil {
				f.Close()
				skipped = append(skipped, skippedFile{e, err.Error()})
				continue
			}
			st, _ := fi.Sys().(*syscall.Stat_t)
			if st != nil && st.Nlink > 1 {
				key := [2]uint64{uint64(st.Dev), st.Ino}
				if first, ok := exported[key]; ok {
					f.Close()
					skipped = append(skipped, skippedFile{e, "another name (hard link) of " + first + ", exported once"})
					continue
				}
				exported[key] = e.Path
			}
			hole := max(fi.Size()-allocated(fi), 0)
			if out.keepsHoles() {
				hole = 0
			}
			if holes+hole > maxExportHoles {
				f.Close()
				skipped = append(skipped, skippedFile{e, fmt.Sprintf("sparse: %s apparent, %s on disk; the export holds at most %s of holes",
					run.FormatBytes(uint64(fi.Size())), run.FormatBytes(uint64(allocated(fi))), run.FormatBytes(maxExportHoles))})
				continue
			}
			holes += hole
			mode := fs.FileMode(0o644)
			if fi.Mode()&0o111 != 0 {
				mode = 0o755
			}
			err = out.file(name, mode, fi.Size(), fi.ModTime(), f)
			f.Close()
			if err != nil {
				return nil, nil, fmt.Errorf("workspace/%s: %w", e.Path, err)
			}
		case KindSymlink:
			skipped = append(skipped, skippedFile{e, "a symbolic link: links are never copied"})
		default:
			skipped = append(skipped, skippedFile{e, "a special file"})
		}
	}
	return files, skipped, nil
}

// allocated is the bytes of disk blocks a file takes.
func allocated(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return fi.Size()
}

func (s *Session) exportBuffers(out sink) error {
	names, err := s.Buffers()
	if err != nil || len(names) == 0 {
		return err
	}
	if err := out.dir("buffers", time.Time{}); err != nil {
		return err
	}
	for _, name := range names {
		p, err := s.bufferPath(name)
		if err != nil {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			continue // deleted meanwhile
		}
		fi, _ := os.Stat(p)
		mod := time.Time{}
		if fi != nil {
			mod = fi.ModTime()
		}
		esc := strings.TrimSuffix(filepath.Base(p), bufferSuffix)
		if err := putBytes(out, "buffers/"+esc, b, mod); err != nil {
			return err
		}
	}
	return nil
}

// writeReports writes report.md and report.json, one run at a time.
func (s *Session) writeReports(mdFile, jsFile io.Writer, meta Meta, files []FileEntry, skipped []skippedFile) error {
	md := bufio.NewWriter(mdFile)
	js := bufio.NewWriter(jsFile)

	// First pass over the cheap summaries for the table.
	runs, err := s.Runs()
	if err != nil {
		return err
	}
	writeMarkdownHeader(md, meta, runs)

	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	fmt.Fprintf(js, "{\"session\":%s,\n\"runs\":[", metaJSON)
	first := true
	err = s.eachRecord(func(rec *RunRecord) error {
		writeMarkdownRun(md, rec)
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if !first {
			js.WriteString(",")
		}
		first = false
		js.WriteString("\n")
		js.Write(textsafe.JSON(b))
		return nil
	})
	if err != nil {
		return err
	}
	if files == nil {
		files = []FileEntry{}
	}
	filesJSON, err := json.Marshal(files)
	if err != nil {
		return err
	}
	fmt.Fprintf(js, "\n],\n\"workspace\":%s}\n", textsafe.JSON(filesJSON))
	writeMarkdownWorkspace(md, files, skipped)
	return errors.Join(md.Flush(), js.Flush())
}

func writeMarkdownHeader(w *bufio.Writer, m Meta, runs []RunSummary) {
	fmt.Fprintf(w, "# wasmplay session %s\n\n", textsafe.Line(displayName(m.ID, m.Name)))
	fmt.Fprintf(w, "- ID: `%s`\n", m.ID)
	if m.Name != "" {
		fmt.Fprintf(w, "- Name: %s\n", textsafe.Line(m.Name))
	}
	if m.Runtime != "" {
		fmt.Fprintf(w, "- Runtime: %s\n", m.Runtime)
	}
	fmt.Fprintf(w, "- Created: %s\n", fmtTime(m.CreatedAt))
	fmt.Fprintf(w, "- Last used: %s\n", fmtTime(m.LastUsedAt))
	fmt.Fprintf(w, "- Runs: %d\n", len(runs))
	if p := policyOverridesText(m.Limits); p != "" {
		fmt.Fprintf(w, "- Policy overrides: %s\n", p)
	}
	if len(runs) == 0 {
		w.WriteString("\nNo runs yet.\n")
		return
	}
	w.WriteString("\n## Runs\n\n| # | Started | Runtime | Outcome | Exit | Duration | Fuel | Stdout | Stderr | Files |\n")
	w.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		fuel := fmt.Sprint(r.FuelConsumed)
		if !r.FuelExact {
			fuel = "≥ " + fuel
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %d | %.1f ms | %s | %s | %s | %d |\n",
			r.Number, fmtTime(r.StartedAt), r.Runtime, r.Outcome, r.ExitCode, r.DurationMS, fuel,
			bytesText(r.StdoutBytes, r.StdoutTruncated), bytesText(r.StderrBytes, r.StderrTruncated), r.FilesChanged)
	}
}

func writeMarkdownRun(w *bufio.Writer, r *RunRecord) {
	fmt.Fprintf(w, "\n## Run %d: %s\n\n", r.Number, r.Outcome)
	fmt.Fprintf(w, "- Run ID: `%s`\n", r.RunID)
	fmt.Fprintf(w, "- Started: %s; finished: %s; duration: %.3f ms\n", fmtTime(r.StartedAt), fmtTime(r.FinishedAt), r.DurationMS)
	fmt.Fprintf(w, "- Runtime: %s\n", r.Runtime)
	fmt.Fprintf(w, "- Run by: %s\n", textsafe.Line(r.Origin.String()))
	fmt.Fprintf(w, "- Outcome: %s; exit code: %d\n", r.Outcome, r.ExitCode)
	if r.Message != "" {
		fmt.Fprintf(w, "- Message: %s\n", textsafe.Line(r.Message))
	}
	exact := ""
	if !r.FuelExact {
		exact = " (lower bound)"
	}
	fmt.Fprintf(w, "- Fuel consumed: %d%s of %d\n", r.FuelConsumed, exact, r.Limits.FuelBudget)
	fmt.Fprintf(w, "- Memory: peak %d pages, final %d pages (64 KiB each); limit %d bytes\n",
		r.MemoryPagesPeak, r.MemoryPagesFinal, r.Limits.MemoryBytes)
	fmt.Fprintf(w, "- Limits: timeout %d ms, stdout %d bytes, stderr %d bytes\n",
		r.Limits.TimeoutMS, r.Limits.StdoutMaxBytes, r.Limits.StderrMaxBytes)
	for _, fc := range []struct {
		what string
		list []run.FileChange
	}{{"created", r.Files.Created}, {"modified", r.Files.Modified}, {"deleted", r.Files.Deleted}} {
		if len(fc.list) == 0 {
			continue
		}
		parts := make([]string, len(fc.list))
		for i, f := range fc.list {
			parts[i] = fmt.Sprintf("%s (%d B)", textsafe.MarkdownCode(f.Path), f.Size)
		}
		fmt.Fprintf(w, "- Files %s: %s\n", fc.what, strings.Join(parts, ", "))
	}
	writeBlock(w, "Code", r.Runtime, r.Code, int64(len(r.Code)), false)
	writeBlock(w, "Stdout", "", r.Stdout, r.StdoutBytes, r.StdoutTruncated)
	writeBlock(w, "Stderr", "", r.Stderr, r.StderrBytes, r.StderrTruncated)
}

// writeBlock writes text as a fenced code block long enough not to be
// closed by backticks inside it.
func writeBlock(w *bufio.Writer, title, lang, text string, total int64, truncated bool) {
	if text == "" && total == 0 {
		fmt.Fprintf(w, "\n### %s\n\n(empty)\n", title)
		return
	}
	note := ""
	if truncated {
		note = fmt.Sprintf(" (truncated: %d of %d bytes kept)", len(text), total)
	}
	if !utf8.ValidString(text) {
		note += " (not valid UTF-8: bad bytes shown as \\xNN; report.json has them exactly)"
	}
	text = textsafe.Text(text)
	fence := strings.Repeat("`", max(3, longestRun(text, '`')+1))
	fmt.Fprintf(w, "\n### %s%s\n\n%s%s\n%s", title, note, fence, lang, text)
	if !strings.HasSuffix(text, "\n") {
		w.WriteString("\n")
	}
	fmt.Fprintf(w, "%s\n", fence)
}

func writeMarkdownWorkspace(w *bufio.Writer, files []FileEntry, skipped []skippedFile) {
	w.WriteString("\n## Workspace\n\n")
	if len(files) == 0 {
		w.WriteString("Empty.\n")
		return
	}
	for _, e := range files {
		depth := strings.Count(e.Path, "/")
		name := textsafe.MarkdownCode(path.Base(e.Path))
		switch e.Kind {
		case KindDir:
			fmt.Fprintf(w, "%s- %s/ (%d B)\n", strings.Repeat("  ", depth), name, e.Size)
		default:
			fmt.Fprintf(w, "%s- %s (%s, %d B)\n", strings.Repeat("  ", depth), name, e.Kind, e.Size)
		}
	}
	if len(skipped) > 0 {
		w.WriteString("\nNot exported:\n\n")
		for _, e := range skipped {
			fmt.Fprintf(w, "- %s (%s)\n", textsafe.MarkdownCode(e.Path), e.why)
		}
	}
}

func policyOverridesText(p run.Overrides) string {
	var parts []string
	add := func(name string, v any) { parts = append(parts, fmt.Sprintf("%s=%v", name, v)) }
	if p.FuelBudget != nil {
		add("fuel_budget", *p.FuelBudget)
	}
	if p.MemoryBytes != nil {
		add("memory_bytes", *p.MemoryBytes)
	}
	if p.StdoutMaxBytes != nil {
		add("stdout_max_bytes", *p.StdoutMaxBytes)
	}
	if p.StderrMaxBytes != nil {
		add("stderr_max_bytes", *p.StderrMaxBytes)
	}
	if p.Timeout != nil {
		add("timeout_ms", p.Timeout.Milliseconds())
	}
	if p.DiskBytes != nil {
		add("disk_bytes", *p.DiskBytes)
	}
	if p.DiskFiles != nil {
		add("disk_files", *p.DiskFiles)
	}
	return strings.Join(parts, ", ")
}

func bytesText(n int64, truncated bool) string {
	if truncated {
		return fmt.Sprintf("%d B (truncated)", n)
	}
	return fmt.Sprintf("%d B", n)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

// copySparse copies the data regions of src (of size bytes) into dst,
// leaving its holes as holes: SEEK_DATA and SEEK_HOLE find them.
func copySparse(dst, src *os.File, size int64) error {
	fd := int(src.Fd())
	for off := int64(0); off < size; {
		data, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if err != nil {
			break // ENXIO: no data after off, the rest is a hole
		}
		hole, err := unix.Seek(fd, data, unix.SEEK_HOLE)
		if err != nil || hole > size {
			hole = size
		}
		if _, err := src.Seek(data, io.SeekStart); err != nil {
			return err
		}
		if _, err := dst.Seek(data, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.CopyN(dst, src, hole-data); err != nil {
			return err
		}
		off = hole
	}
	return dst.Truncate(size)
}
