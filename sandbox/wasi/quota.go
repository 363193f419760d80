package wasi

import (
	"sync"

	"golang.org/x/sys/unix"
)

// Usage is what the writable directories take on disk.
type Usage struct {
	// Bytes counts the blocks really allocated, so a sparse file counts
	// for what it holds.
	Bytes uint64
	// Entries counts files, directories and links.
	Entries uint64
}

// Quota bounds the writable directories of a run. Zero limits mean none.
type Quota struct {
	// MaxBytes bounds the blocks they take; it also bounds the apparent
	// size of any one file.
	MaxBytes uint64
	// MaxEntries bounds how many entries they hold.
	MaxEntries uint64
	// Used is what they took when the run started.
	Used Usage
}

// quotaState tracks a run's use as it writes. A write is allowed when the
// blocks it could need fit; after it, the file's real blocks are counted.
type quotaState struct {
	mu      sync.Mutex
	q       Quota
	used    Usage
	refused Refusals
}

// Refusals count what the quota refused in a run.
type Refusals struct {
	// Bytes counts writes (and new entries) refused for the disk quota.
	Bytes uint64
	// Entries counts new entries refused for the entries quota.
	Entries uint64
}

// Total is every refusal.
func (r Refusals) Total() uint64 { return r.Bytes + r.Entries }

func newQuota(q Quota) *quotaState { return &quotaState{q: q, used: q.Used} }

const blockSize = 4096

func roundUp(n uint64) uint64 { return (n + blockSize - 1) / blockSize * blockSize }

// writable returns how many of want bytes at pos may be written to the
// file st describes: growth needs new blocks, and so does any write into a
// sparse file (its holes may be filled).
func (s *quotaState) writable(st *unix.Stat_t, pos, want int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.q.MaxBytes == 0 {
		return want
	}
	if uint64(pos+want) > s.q.MaxBytes {
		want = int64(s.q.MaxBytes) - pos
		if want <= 0 {
			s.refused.Bytes++
			return 0
		}
	}
	need := uint64(0)
	sparse := uint64(st.Blocks)*512 < uint64(st.Size)
	switch {
	case sparse || pos > st.Size:
		need = roundUp(uint64(want)) + blockSize
	case pos+want > st.Size:
		need = roundUp(uint64(pos+want-st.Size)) + blockSize
	}
	if s.used.Bytes+need <= s.q.MaxBytes {
		return want
	}
	room := int64(s.q.MaxBytes) - int64(s.used.Bytes) - 2*blockSize
	s.refused.Bytes++
	if room <= 0 {
		return 0
	}
	return min(want, room/blockSize*blockSize)
}

// allows reports whether bytes more blocks and a file of apparent size
// fit (fallocate, truncate).
func (s *quotaState) allows(bytes uint64, size int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.q.MaxBytes == 0 {
		return true
	}
	ok := uint64(size) <= s.q.MaxBytes && s.used.Bytes+roundUp(bytes) <= s.q.MaxBytes
	if !ok {
		s.refused.Bytes++
	}
	return ok
}

// account counts the change in the blocks of an open file since before.
func (s *quotaState) account(fd int, before *unix.Stat_t) {
	var now unix.Stat_t
	if unix.Fstat(fd, &now) != nil {
		return
	}
	s.addBytes(int64(now.Blocks-before.Blocks) * 512)
}

func (s *quotaState) addBytes(delta int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if delta < 0 && uint64(-delta) > s.used.Bytes {
		s.used.Bytes = 0
		return
	}
	s.used.Bytes = uint64(int64(s.used.Bytes) + delta)
}

// newEntry reserves room for one more entry, or reports there is none.
func (s *quotaState) newEntry() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.q.MaxEntries != 0 && s.used.Entries >= s.q.MaxEntries {
		s.refused.Entries++
		return false
	}
	if s.q.MaxBytes != 0 && s.used.Bytes+blockSize > s.q.MaxBytes {
		s.refused.Bytes++
		return false
	}
	s.used.Entries++
	return true
}

// dropEntry gives back an entry (and the blocks it held, when it was the
// last link to them).
func (s *quotaState) dropEntry(st *unix.Stat_t) {
	s.mu.Lock()
	if s.used.Entries > 0 {
		s.used.Entries--
	}
	s.mu.Unlock()
	if st != nil && (st.Nlink <= 1 || st.Mode&unix.S_IFMT == unix.S_IFDIR) {
		s.addBytes(-int64(st.Blocks) * 512)
	}
}

func (s *quotaState) refusals() Refusals {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

func (s *quotaState) usage() Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}
