package hostfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// MaxMeasureDepth is the deepest directory Measure goes into: far below
// what a guest or wasmplay itself can make (MaxTreeDepth), and within the
// descriptors a walk holds open (one per level).
const MaxMeasureDepth = 512

// ErrTooDeepToMeasure reports a tree deeper than MaxMeasureDepth: what it
// takes is not known, and a quota must treat it as full.
var ErrTooDeepToMeasure = fmt.Errorf("deeper than %d directories: its disk use cannot be measured", MaxMeasureDepth)

// Measure is what the tree at dir takes on disk, counted whole: unlike
// Scan it keeps no listing, so no number of entries stops it (a quota's
// starting point must not be a lower bound). Files with several links
// count once; links are counted, never followed; nothing is opened but
// directories, each strictly beneath the last. A missing dir takes
// nothing. Past MaxMeasureDepth it returns what it counted with
// ErrTooDeepToMeasure.
func Measure(dir string) (Usage, error) {
	root, err := OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Usage{}, nil
	}
	if err != nil {
		return Usage{}, err
	}
	defer root.Close()
	fd, err := OpenAt(root.Fd(), ".", unix.O_RDONLY|unix.O_DIRECTORY, 0, Strict)
	if err != nil {
		return Usage{}, fmt.Errorf("measure %s: %w", dir, err)
	}
	m := &measurer{seen: map[[2]uint64]bool{}}
	err = m.dir(os.NewFile(uintptr(fd), dir), 0)
	return m.usage, err
}

// measurer is the state of one Measure.
type measurer struct {
	usage Usage
	seen  map[[2]uint64]bool // files with several links, counted
}

// dir counts what the open directory d holds, and closes it.
func (m *measurer) dir(d *os.File, depth int) error {
	defer d.Close()
	for {
		names, err := d.Readdirnames(1024)
		for _, name := range names {
			var st unix.Stat_t
			if unix.Fstatat(int(d.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
				continue // removed meanwhile
			}
			m.usage.Entries++
			shared := st.Nlink > 1 && st.Mode&unix.S_IFMT != unix.S_IFDIR
			if key := [2]uint64{st.Dev, st.Ino}; !shared || !m.seen[key] {
				if shared {
					m.seen[key] = true
				}
				m.usage.Bytes += uint64(st.Blocks) * 512
			}
			if st.Mode&unix.S_IFMT != unix.S_IFDIR {
				continue
			}
			if depth+1 >= MaxMeasureDepth {
				return ErrTooDeepToMeasure
			}
			sub, err := OpenAt(int(d.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY, 0, Strict)
			switch {
			case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR), errors.Is(err, unix.ELOOP), errors.Is(err, ErrSymlink):
				continue // replaced by a link, or removed, meanwhile
			case err != nil:
				return fmt.Errorf("measure: %s: %w", name, err) // not counted: never a lower bound
			}
			if err := m.dir(os.NewFile(uintptr(sub), name), depth+1); err != nil {
				return err
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("measure: %w", err)
		case len(names) == 0:
			return nil
		}
	}
}
