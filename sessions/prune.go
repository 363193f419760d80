package sessions

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// PruneReport says what Prune removed (or, in a dry run, would remove).
type PruneReport struct {
	// DryRun is true if nothing was removed.
	DryRun bool `json:"dry_run"`
	// Cutoff: sessions last used before it are pruned.
	Cutoff time.Time `json:"cutoff"`
	// Removed lists the sessions removed (would be, in a dry run), with
	// SizeBytes measured just before removal.
	Removed []Summary `json:"removed"`
	// Skipped lists old sessions left alone, with the reason.
	Skipped []PruneSkip `json:"skipped,omitempty"`
	// ReclaimedBytes is the total size of Removed.
	ReclaimedBytes int64 `json:"reclaimed_bytes"`
}

// PruneSkip is an old session Prune did not remove.
type PruneSkip struct {
	Summary
	// Reason is why, e.g. "session abc is in use by PID 42".
	Reason string `json:"reason"`
}

// Prune removes the sessions not used for olderThan (by LastUsedAt). With
// dryRun it only reports what it would remove. Sessions owned by a running
// app (or by this Store) are skipped, never removed.
func (st *Store) Prune(olderThan time.Duration, dryRun bool) (PruneReport, error) {
	if olderThan <= 0 {
		return PruneReport{}, fmt.Errorf("sessions: prune: age must be positive, got %v", olderThan)
	}
	rep := PruneReport{DryRun: dryRun, Cutoff: st.now().Add(-olderThan), Removed: []Summary{}}
	unlock, err := st.lockStore()
	if err != nil {
		return rep, fmt.Errorf("sessions: prune: %w", err)
	}
	defer unlock()
	all, err := st.scan(false)
	if err != nil {
		return rep, fmt.Errorf("sessions: prune: %w", err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	for _, o := range all {
		if !o.sum.LastUsedAt.Before(rep.Cutoff) {
			continue
		}
		sum := o.sum
		if sum.Error != "" {
			rep.Skipped = append(rep.Skipped, PruneSkip{Summary: sum, Reason: "unreadable, delete it by ID if unwanted: " + sum.Error})
			continue
		}
		st.mu.Lock()
		_, mine := st.owned[o.id]
		st.mu.Unlock()
		if mine {
			rep.Skipped = append(rep.Skipped, PruneSkip{Summary: sum, Reason: (&InUseError{ID: o.id, Name: sum.Name, PID: os.Getpid()}).Error()})
			continue
		}
		var size int64
		if dryRun {
			size, err = st.checkPrunable(o.id)
		} else {
			size, err = st.remove(o.id)
		}
		if err != nil {
			rep.Skipped = append(rep.Skipped, PruneSkip{Summary: sum, Reason: err.Error()})
			continue
		}
		sum.SizeBytes = size
		rep.Removed = append(rep.Removed, sum)
		rep.ReclaimedBytes += size
	}
	return rep, nil
}

// checkPrunable is the dry-run half of remove: it fails as remove would if
// the session is in use, and measures it.
func (st *Store) checkPrunable(id string) (int64, error) {
	fl, mine, err := st.takeOwnerForRemoval(id)
	if err != nil {
		return 0, err
	}
	if !mine {
		defer st.releaseOwner(id, fl)
	}
	noRuns, err := holdNoRuns(filepath.Join(st.root, id), id, st.nameOf(id))
	if err != nil {
		return 0, err
	}
	noRuns.Close()
	return dirSize(filepath.Join(st.root, id))
}
