package sessions

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"

	"github.com/google/uuid"

	"github.com/wasmplay/wasmplay/run"
)

// History and its index.
//
// history.jsonl is the record of truth: one RunRecord per line, appended
// under the session's write lock and fsynced before AppendRun returns. A
// crash can only leave a partial last line ("torn"); readers skip it with a
// warning, and the next append cuts it off before writing, so it never
// corrupts the record after it.
//
// runs.idx is a cache: a header line, then one line per run with its
// RunSummary and the byte offset and length of its line in history.jsonl.
// Listing runs reads only the index; Run(n) reads one line of history at
// its offset. The index is checked against history on every use, under the
// write lock:
//
//   - the last indexed run must end within history.jsonl, and the bytes at
//     its offset must be a record with the same number; otherwise the index
//     is rebuilt from scratch;
//   - records after the last indexed one (appended by a process that died
//     before updating the index) are read and indexed;
//   - a damaged index line ends the index there; the rest is re-derived.
//
// So a missing, stale or damaged index costs one scan of history.jsonl,
// never a wrong answer.

// indexVersion is the runs.idx format; a different header means rebuild.
const indexVersion = 2 // 2: summaries carry CodeHead

// indexHeader is the first line of runs.idx.
type indexHeader struct {
	RunsIndex int `json:"runs_index"`
}

// indexEntry is one run in runs.idx.
type indexEntry struct {
	RunSummary
	Offset int64 `json:"offset"`
	Length int64 `json:"length"`
}

func (e *indexEntry) end() int64 { return e.Offset + e.Length }

// indexCache lets a Session skip re-reading runs.idx when neither it nor
// history.jsonl changed since the last sync.
type indexCache struct {
	entries  []indexEntry
	hist     os.FileInfo // history.jsonl as last synced
	index    os.FileInfo // runs.idx as last synced
	validEnd int64       // end of the last complete line in history.jsonl
}

func sameVersion(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// syncLocked brings the run index up to date with history.jsonl and
// returns it. validEnd is the end of the last complete line of history;
// anything after it is a torn record. The caller holds the write lock.
func (s *Session) syncLocked() (entries []indexEntry, validEnd, histSize int64, err error) {
	histPath, idxPath := s.path(historyFile), s.path(indexFile)
	hf, err := os.Open(histPath)
	if errors.Is(err, fs.ErrNotExist) {
		// No history at all (removed by hand): an empty one is created by
		// the next append; the index, if any, is stale.
		s.resetIndexCache()
		os.Remove(idxPath)
		return nil, 0, 0, nil
	}
	if err != nil {
		return nil, 0, 0, err
	}
	defer hf.Close()
	hfi, err := hf.Stat()
	if err != nil {
		return nil, 0, 0, err
	}
	histSize = hfi.Size()
	ifi, _ := os.Stat(idxPath)

	s.mu.Lock()
	c := s.idx
	s.mu.Unlock()
	if sameVersion(c.hist, hfi) && sameVersion(c.index, ifi) {
		return c.entries, c.validEnd, histSize, nil
	}

	entries, clean := readIndex(idxPath)
	from := int64(0)
	if n := len(entries); n > 0 {
		last := &entries[n-1]
		if last.end() > histSize || !recordAt(hf, last) {
			s.st.warn(fmt.Errorf("sessions: %s: run index does not match history; rebuilding", s.id))
			entries, clean = nil, false
		} else {
			from = last.end()
		}
	}
	lastNumber := 0
	if n := len(entries); n > 0 {
		lastNumber = entries[n-1].Number
	}
	added, validEnd, err := s.scanHistory(hf, from, histSize, lastNumber)
	if err != nil {
		return nil, 0, 0, err
	}
	entries = append(entries, added...)

	switch {
	case !clean:
		err = s.rewriteIndex(entries)
	case len(added) > 0:
		err = appendIndex(idxPath, added)
	}
	if err != nil {
		// The index is only a cache: carry on without it.
		s.st.warn(fmt.Errorf("sessions: %s: writing run index: %w", s.id, err))
	}
	ifi, _ = os.Stat(idxPath)
	s.mu.Lock()
	s.idx = indexCache{entries: entries, hist: hfi, index: ifi, validEnd: validEnd}
	s.mu.Unlock()
	return entries, validEnd, histSize, nil
}

func (s *Session) resetIndexCache() {
	s.mu.Lock()
	s.idx = indexCache{}
	s.mu.Unlock()
}

// readIndex reads runs.idx. clean is false if the file is missing, has the
// wrong header, or has a damaged or inconsistent line (entries then holds
// the good lines before it).
func readIndex(path string) (entries []indexEntry, clean bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	line, rest, ok := bytes.Cut(b, []byte{'\n'})
	var h indexHeader
	if !ok || json.Unmarshal(line, &h) != nil || h.RunsIndex != indexVersion {
		return nil, false
	}
	for len(rest) > 0 {
		line, rest, ok = bytes.Cut(rest, []byte{'\n'})
		var e indexEntry
		if !ok || json.Unmarshal(line, &e) != nil || e.Number <= 0 || e.Length <= 0 {
			return entries, false
		}
		if n := len(entries); n > 0 && (e.Number <= entries[n-1].Number || e.Offset < entries[n-1].end()) {
			return entries, false
		}
		entries = append(entries, e)
	}
	return entries, true
}

// recordAt reports whether history holds, at e's offset, a complete line
// with a record numbered e.Number.
func recordAt(hf *os.File, e *indexEntry) bool {
	buf := make([]byte, e.Length)
	if _, err := hf.ReadAt(buf, e.Offset); err != nil || buf[len(buf)-1] != '\n' {
		return false
	}
	var n struct {
		Number int `json:"number"`
	}
	return json.Unmarshal(buf, &n) == nil && n.Number == e.Number
}

// scanHistory indexes the lines of history between from and size. Lines
// that do not decode, or whose number does not follow the previous one
// upward, are skipped with a warning; a final line without a newline is a
// torn record, skipped with a warning. validEnd is the end of the last
// complete line.
func (s *Session) scanHistory(hf *os.File, from, size int64, lastNumber int) (added []indexEntry, validEnd int64, err error) {
	r := bufio.NewReaderSize(io.NewSectionReader(hf, from, size-from), 64<<10)
	off := from
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			var rec RunRecord
			switch derr := json.Unmarshal(line, &rec); {
			case derr != nil:
				s.st.warn(fmt.Errorf("sessions: %s: %s: damaged record at byte %d skipped: %v: %w", s.id, historyFile, off, derr, ErrCorrupt))
			case rec.Number <= lastNumber:
				s.st.warn(fmt.Errorf("sessions: %s: %s: record at byte %d has number %d, not above %d; skipped: %w", s.id, historyFile, off, rec.Number, lastNumber, ErrCorrupt))
			default:
				added = append(added, indexEntry{RunSummary: rec.Summary(), Offset: off, Length: int64(len(line))})
				lastNumber = rec.Number
			}
			off += int64(len(line))
			validEnd = off
		} else if len(line) > 0 {
			s.st.warn(fmt.Errorf("sessions: %s: %s: torn last record (%d bytes at byte %d, from a crash mid-write) skipped: %w", s.id, historyFile, len(line), off, ErrCorrupt))
		}
		if err == io.EOF {
			if validEnd < from {
				validEnd = from
			}
			return added, validEnd, nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

// rewriteIndex replaces runs.idx with the given entries.
func (s *Session) rewriteIndex(entries []indexEntry) error {
	var buf bytes.Buffer
	if err := writeIndexLines(&buf, entries, true); err != nil {
		return err
	}
	return s.st.writeFileAtomic(s.path(indexFile), buf.Bytes())
}

// appendIndex adds entries to the end of runs.idx. It is not fsynced: if
// a crash loses or tears it, the next sync re-derives it from history.
func appendIndex(path string, entries []indexEntry) error {
	var buf bytes.Buffer
	if err := writeIndexLines(&buf, entries, false); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, filePerm)
	if err != nil {
		return err
	}
	_, werr := f.Write(buf.Bytes())
	cerr := f.Close()
	return errors.Join(werr, cerr)
}

func writeIndexLines(w io.Writer, entries []indexEntry, header bool) error {
	enc := json.NewEncoder(w) // Encode adds the newline
	if header {
		if err := enc.Encode(indexHeader{RunsIndex: indexVersion}); err != nil {
			return err
		}
	}
	for i := range entries {
		if err := enc.Encode(&entries[i]); err != nil {
			return err
		}
	}
	return nil
}

// AppendRun records a finished run, whatever its outcome (a canceled run
// or a host error with partial output is recorded like any other). Under
// the session's write lock it assigns the next run number (and a RunID
// and Version, and the current time for zero StartedAt/FinishedAt), appends
// the record to history.jsonl and fsyncs it. It then updates the run index
// and session.json (run count, last outcome, last use, size); a failure
// there is reported to Options.Warn, not returned, since the run itself is
// safely recorded and will be re-indexed from history.
//
// It returns the record as stored. Outcome must be set.
func (s *Session) AppendRun(rec RunRecord) (RunRecord, error) {
	if rec.Outcome == "" {
		return RunRecord{}, fmt.Errorf("sessions: append run to %s: outcome is required", s.id)
	}
	err := s.withLock(func() error { return s.appendLocked(&rec) })
	if err != nil {
		return RunRecord{}, fmt.Errorf("sessions: append run to %s: %w", s.id, err)
	}
	return rec, nil
}

func (s *Session) appendLocked(rec *RunRecord) error {
	entries, validEnd, histSize, err := s.syncLocked()
	if err != nil {
		return err
	}
	hf, err := os.OpenFile(s.path(historyFile), os.O_WRONLY|os.O_CREATE, filePerm)
	if err != nil {
		return err
	}
	defer hf.Close()
	if histSize > validEnd {
		// A torn record from a crashed writer: it was never acknowledged,
		// so drop it rather than glue the new record onto it.
		s.st.warn(fmt.Errorf("sessions: %s: discarding %d bytes of a torn record before appending", s.id, histSize-validEnd))
		if err := hf.Truncate(validEnd); err != nil {
			return err
		}
	}

	now := s.st.now()
	rec.Version = RecordVersion
	rec.Number = 1
	if n := len(entries); n > 0 {
		rec.Number = entries[n-1].Number + 1
	}
	if rec.RunID == "" {
		rec.RunID = uuid.NewString()
	}
	if rec.StartedAt.IsZero() {
		rec.StartedAt = now
	}
	if rec.FinishedAt.IsZero() {
		rec.FinishedAt = now
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	line = append(line, '\n')

	if err := s.writeRecord(hf, validEnd, line); err != nil {
		// Leave history as it was (best effort; a torn tail would be cut
		// by the next append anyway).
		hf.Truncate(validEnd)
		return err
	}
	if !s.st.noSync {
		if err := hf.Sync(); err != nil {
			hf.Truncate(validEnd)
			return err
		}
	}
	if histSize == 0 {
		// history.jsonl may have just been created: make its directory
		// entry durable too.
		if err := s.st.syncDir(s.dir); err != nil {
			return err
		}
	}

	// The run is durable. The rest is bookkeeping that can be redone.
	entry := indexEntry{RunSummary: rec.Summary(), Offset: validEnd, Length: int64(len(line))}
	all := append(entries[:len(entries):len(entries)], entry)
	s.updateIndexAfterAppend(all, entry)
	err = s.updateMetaLocked(func(m *Meta) error {
		m.Stats.Runs = len(all)
		m.Stats.LastRun = rec.Number
		m.Stats.LastOutcome = rec.Outcome
		s.touchLocked(m)
		if rec.FinishedAt.After(m.LastUsedAt) {
			m.LastUsedAt = rec.FinishedAt.UTC()
		}
		_, err := s.measureLocked(m)
		return err
	})
	if err != nil {
		s.st.warn(fmt.Errorf("sessions: %s: run %d recorded, but updating %s failed: %w", s.id, rec.Number, metaFile, err))
	}
	return nil
}

// writeRecord writes line at offset off of history. With a test hook it
// writes in two halves, so a test can kill the process in between.
func (s *Session) writeRecord(hf *os.File, off int64, line []byte) error {
	if s.st.testHook != nil {
		half := len(line) / 2
		if _, err := hf.WriteAt(line[:half], off); err != nil {
			return err
		}
		hf.Sync()
		s.st.hook("append:torn")
		_, err := hf.WriteAt(line[half:], off+int64(half))
		return err
	}
	_, err := hf.WriteAt(line, off)
	return err
}

// updateIndexAfterAppend appends entry to runs.idx and refreshes the
// in-memory cache.
func (s *Session) updateIndexAfterAppend(all []indexEntry, entry indexEntry) {
	idxPath := s.path(indexFile)
	err := appendIndex(idxPath, []indexEntry{entry})
	if err != nil {
		s.st.warn(fmt.Errorf("sessions: %s: writing run index: %w", s.id, err))
	}
	hfi, herr := os.Stat(s.path(historyFile))
	ifi, _ := os.Stat(idxPath)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || herr != nil {
		s.idx = indexCache{}
		return
	}
	s.idx = indexCache{entries: all, hist: hfi, index: ifi, validEnd: entry.end()}
}

// Runs returns the summaries of all runs, oldest first, reading only the
// run index (plus any records appended since it was last updated). Damaged
// records are skipped and reported to Options.Warn. Runs also repairs
// session.json's run count if a crash left it behind.
func (s *Session) Runs() ([]RunSummary, error) {
	var out []RunSummary
	err := s.withLock(func() error {
		entries, _, _, err := s.syncLocked()
		if err != nil {
			return err
		}
		out = make([]RunSummary, len(entries))
		for i := range entries {
			out[i] = entries[i].RunSummary
		}
		s.reconcileLocked(entries)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sessions: runs of %s: %w", s.id, err)
	}
	return out, nil
}

// reconcileLocked fixes session.json's stats if they disagree with the
// index (a crash between appending a run and updating session.json).
func (s *Session) reconcileLocked(entries []indexEntry) {
	runs, last, outcome := len(entries), 0, run.Outcome("")
	if runs > 0 {
		last, outcome = entries[runs-1].Number, entries[runs-1].Outcome
	}
	if m, err := s.st.readMeta(s.id); err == nil {
		s.setMeta(m)
		if st := m.Stats; st.Runs == runs && st.LastRun == last && st.LastOutcome == outcome {
			return
		}
	}
	err := s.updateMetaLocked(func(m *Meta) error {
		m.Stats.Runs, m.Stats.LastRun, m.Stats.LastOutcome = runs, last, outcome
		return nil
	})
	if err != nil {
		s.st.warn(fmt.Errorf("sessions: %s: repairing %s: %w", s.id, metaFile, err))
	}
}

// Run returns the full record of run n (code, output and all), reading
// only that record from history.jsonl. It fails with ErrNotFound if there
// is no such run.
func (s *Session) Run(n int) (RunRecord, error) {
	var rec RunRecord
	err := s.withLock(func() error {
		entries, _, _, err := s.syncLocked()
		if err != nil {
			return err
		}
		i := sort.Search(len(entries), func(i int) bool { return entries[i].Number >= n })
		if i == len(entries) || entries[i].Number != n {
			return fmt.Errorf("run %d: %w", n, ErrNotFound)
		}
		rec, err = s.readRecord(entries[i])
		return err
	})
	if err != nil {
		return RunRecord{}, fmt.Errorf("sessions: %s: %w", s.id, err)
	}
	return rec, nil
}

// readRecord reads and decodes the history line an index entry points at.
func (s *Session) readRecord(e indexEntry) (RunRecord, error) {
	f, err := os.Open(s.path(historyFile))
	if err != nil {
		return RunRecord{}, err
	}
	defer f.Close()
	buf := make([]byte, e.Length)
	if _, err := f.ReadAt(buf, e.Offset); err != nil {
		return RunRecord{}, fmt.Errorf("run %d: %w", e.Number, err)
	}
	var rec RunRecord
	if err := json.Unmarshal(buf, &rec); err != nil {
		return RunRecord{}, fmt.Errorf("run %d: %v: %w", e.Number, err, ErrCorrupt)
	}
	return rec, nil
}

// NextRunNumber returns the number the next AppendRun would assign, for
// display while a run is in progress. Another process may append first;
// AppendRun's answer is the one that counts.
func (s *Session) NextRunNumber() (int, error) {
	next := 1
	err := s.withLock(func() error {
		entries, _, _, err := s.syncLocked()
		if n := len(entries); err == nil && n > 0 {
			next = entries[n-1].Number + 1
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sessions: %s: %w", s.id, err)
	}
	return next, nil
}

// eachRecord calls fn for every readable record in history order (used by
// Export). Damaged lines are skipped as in scanHistory.
func (s *Session) eachRecord(fn func(rec *RunRecord) error) error {
	var entries []indexEntry
	err := s.withLock(func() error {
		var err error
		entries, _, _, err = s.syncLocked()
		return err
	})
	if err != nil {
		return err
	}
	for _, e := range entries {
		rec, err := s.readRecord(e)
		if err != nil {
			return err
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
	return nil
}
