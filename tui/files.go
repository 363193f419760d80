package tui

import (
	"errors"
	"path"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/wasmplay/wasmplay/hostfs"
	"github.com/wasmplay/wasmplay/run"
	"github.com/wasmplay/wasmplay/sessions"
)

// filesPane shows the session's /app workspace as a tree with sizes. The
// files the last run created or modified are marked.
type filesPane struct {
	entries   []sessions.FileEntry
	collapsed map[string]bool // directories folded by the user
	visible   []int           // indices of entries shown
	cursor    int             // index into visible
	offset    int             // first visible row
	created   map[string]bool
	modified  map[string]bool
	deleted   []string // what the last run deleted, shown after the tree
	// follow, when set, is the path the cursor goes to at the next
	// listing (a file just renamed).
	follow string
	// filter keeps only the paths holding it (and their folders);
	// filtering is set while it is being typed.
	filter    string
	filtering bool
	err       string
	partial   bool // the workspace had more entries than a listing holds
	loaded    bool
	width     int
	height    int
}

func newFilesPane() *filesPane {
	return &filesPane{collapsed: map[string]bool{}, created: map[string]bool{}, modified: map[string]bool{}}
}

func (f *filesPane) setSize(w, h int) {
	f.width, f.height = w, h
	f.keepCursorVisible()
}

// setEntries replaces the listing, keeping the cursor on the same path.
func (f *filesPane) setEntries(entries []sessions.FileEntry, err error) {
	keep := f.selectedPath()
	if f.follow != "" {
		keep, f.follow = f.follow, ""
	}
	f.loaded = true
	f.partial = errors.Is(err, hostfs.ErrTreeTooLarge)
	if err != nil && !f.partial {
		f.err = err.Error()
		return
	}
	f.err = ""
	f.entries = entries
	f.rebuild()
	for i, idx := range f.visible {
		if f.entries[idx].Path == keep {
			f.cursor = i
		}
	}
	f.keepCursorVisible()
}

// markRun records what a run changed, for the markers.
func (f *filesPane) markRun(ch run.FileChanges) {
	f.created, f.modified, f.deleted = map[string]bool{}, map[string]bool{}, nil
	for _, c := range ch.Created {
		f.created[c.Path] = true
	}
	for _, c := range ch.Modified {
		f.modified[c.Path] = true
	}
	for _, c := range ch.Deleted {
		f.deleted = append(f.deleted, c.Path)
	}
}

// rebuild computes the visible rows from the entries and folded dirs.
func (f *filesPane) rebuild() {
	f.visible = f.visible[:0]
	// With a filter: the matching paths, and the folders on their way.
	keep := map[string]bool{}
	if q := strings.ToLower(f.filter); q != "" {
		for _, e := range f.entries {
			if strings.Contains(strings.ToLower(e.Path), q) {
				for p := e.Path; p != "." && p != "/"; p = path.Dir(p) {
					keep[p] = true
				}
			}
		}
	}
	for i, e := range f.entries {
		if f.filter != "" && !keep[e.Path] {
			continue
		}
		hidden := false
		for dir := path.Dir(e.Path); dir != "." && dir != "/"; dir = path.Dir(dir) {
			if f.collapsed[dir] {
				hidden = true
				break
			}
		}
		if !hidden {
			f.visible = append(f.visible, i)
		}
	}
	if f.cursor >= len(f.visible) {
		f.cursor = max(len(f.visible)-1, 0)
	}
}

func (f *filesPane) selected() (sessions.FileEntry, bool) {
	if f.cursor < 0 || f.cursor >= len(f.visible) {
		return sessions.FileEntry{}, false
	}
	return f.entries[f.visible[f.cursor]], true
}

func (f *filesPane) selectedPath() string {
	e, ok := f.selected()
	if !ok {
		return ""
	}
	return e.Path
}

// listRows is how many rows the tree itself has.
func (f *filesPane) listRows() int {
	if f.partial && f.height > 1 {
		return f.height - 1 // one says the listing is partial
	}
	return max(f.height, 1)
}

func (f *filesPane) keepCursorVisible() {
	h := f.listRows()
	if f.cursor < f.offset {
		f.offset = f.cursor
	}
	if f.cursor >= f.offset+h {
		f.offset = f.cursor - h + 1
	}
	if f.offset < 0 {
		f.offset = 0
	}
}

func (f *filesPane) move(delta int) {
	if len(f.visible) == 0 {
		return
	}
	f.cursor = clamp(f.cursor+delta, 0, len(f.visible)-1)
	f.keepCursorVisible()
}

// filesRequest is something the files pane asks the root to do.
type filesRequest struct {
	open    string // open the file in the editor
	preview string // show a preview
	newFile bool
	rename  string
	delete  string
	refresh bool
}

// handleKey processes a key while the pane is focused.
func (f *filesPane) handleKey(msg tea.KeyPressMsg, keys KeyMap) (bool, *filesRequest) {
	if f.filtering {
		switch k := msg.String(); {
		case k == "esc":
			f.filter, f.filtering = "", false
		case k == "enter":
			f.filtering = false
		case k == "backspace":
			if r := []rune(f.filter); len(r) > 0 {
				f.filter = string(r[:len(r)-1])
			}
		case msg.Text != "":
			f.filter += msg.Text
		default:
			return true, nil
		}
		f.cursor, f.offset = 0, 0
		f.rebuild()
		f.keepCursorVisible()
		return true, nil
	}
	switch {
	case key.Matches(msg, keys.FilesFilter):
		f.filtering = true
	case msg.String() == "esc" && f.filter != "":
		f.filter = ""
		f.rebuild()
	case key.Matches(msg, keys.ListTop):
		f.move(-len(f.visible))
	case key.Matches(msg, keys.ListBottom):
		f.move(len(f.visible))
	case key.Matches(msg, keys.Up):
		f.move(-1)
	case key.Matches(msg, keys.Down):
		f.move(1)
	case key.Matches(msg, keys.PageUp):
		f.move(-max(f.height, 1))
	case key.Matches(msg, keys.PageDown):
		f.move(max(f.height, 1))
	case key.Matches(msg, keys.Open), key.Matches(msg, keys.Fold), key.Matches(msg, keys.Unfold):
		e, ok := f.selected()
		if !ok {
			return true, nil
		}
		if e.Kind == sessions.KindDir {
			switch {
			case key.Matches(msg, keys.Unfold):
				f.collapsed[e.Path] = false
			case key.Matches(msg, keys.Fold):
				f.collapsed[e.Path] = true
			default:
				f.collapsed[e.Path] = !f.collapsed[e.Path]
			}
			f.rebuild()
			return true, nil
		}
		if key.Matches(msg, keys.Open) {
			return true, &filesRequest{open: e.Path}
		}
	case key.Matches(msg, keys.Preview):
		if e, ok := f.selected(); ok && e.Kind != sessions.KindDir {
			return true, &filesRequest{preview: e.Path}
		}
	case key.Matches(msg, keys.NewFile):
		return true, &filesRequest{newFile: true}
	case key.Matches(msg, keys.Rename):
		if p := f.selectedPath(); p != "" {
			return true, &filesRequest{rename: p}
		}
	case key.Matches(msg, keys.Delete):
		if p := f.selectedPath(); p != "" {
			return true, &filesRequest{delete: p}
		}
	case key.Matches(msg, keys.Refresh):
		return true, &filesRequest{refresh: true}
	default:
		return false, nil
	}
	return true, nil
}

// clickRow moves the cursor to a clicked row; it reports the entry.
func (f *filesPane) clickRow(row int) (sessions.FileEntry, bool) {
	if f.listRows() < f.height {
		row-- // the first row is the partial-listing warning
	}
	i := f.offset + row
	if row < 0 || i < 0 || i >= len(f.visible) {
		return sessions.FileEntry{}, false
	}
	f.cursor = i
	return f.entries[f.visible[i]], true
}

// view renders the tree.
func (f *filesPane) render(st Styles, focused bool) string {
	if f.err != "" {
		return st.Error.Render(f.err)
	}
	if !f.loaded {
		return st.Subtle.Render("reading /app …")
	}
	if len(f.entries) == 0 && len(f.deleted) == 0 {
		return st.Subtle.Render("/app is empty.\nFiles the code writes\nappear here. n: new file")
	}
	var rows []string
	height := f.listRows()
	if height < f.height {
		rows = append(rows, st.Warn.Render(fitLine("⚠ too many entries: the first "+itoa(hostfs.MaxTreeEntries)+" are listed", f.width)))
	}
	if f.filtering || f.filter != "" {
		cursor := ""
		if f.filtering {
			cursor = "▏"
		}
		rows = append(rows, st.Accent.Render(fitLine("filter › "+sanitize(f.filter, 4)+cursor+"  ("+itoa(len(f.visible))+" shown, esc clears)", f.width)))
		height--
	}
	for row := 0; row < height && f.offset+row < len(f.visible); row++ {
		i := f.offset + row
		e := f.entries[f.visible[i]]
		depth := strings.Count(e.Path, "/")
		name := path.Base(e.Path)
		icon := "  "
		switch e.Kind {
		case sessions.KindDir:
			icon = "▾ "
			if f.collapsed[e.Path] {
				icon = "▸ "
			}
			name += "/"
		case sessions.KindSymlink:
			name += " →"
		}
		mark := " "
		markStyle := st.Base
		switch {
		case f.created[e.Path]:
			mark, markStyle = "+", st.OK
		case f.modified[e.Path]:
			mark, markStyle = "~", st.Warn
		}
		size := run.FormatBytes(uint64(max(e.Size, 0)))
		left := strings.Repeat("  ", depth) + icon + sanitize(name, 4)
		room := f.width - ansi.StringWidth(size) - 3
		if room < 4 {
			room = 4
		}
		left = fitLine(left, room)
		line := left + " " + markStyle.Render(mark) + " " + st.Muted.Render(size)
		if i == f.cursor && focused {
			line = st.Selected.Render(fitLine(ansi.Strip(left+" "+mark+" "+size), f.width))
		} else if i == f.cursor {
			line = st.Bold.Render(left) + " " + markStyle.Render(mark) + " " + st.Muted.Render(size)
		}
		rows = append(rows, line)
	}
	// What the last run deleted: no longer in the tree, still worth seeing.
	for i, p := range f.deleted {
		if len(rows) >= f.height {
			break
		}
		if i == 0 && len(rows) < f.height-1 {
			rows = append(rows, st.Subtle.Render(fitLine("deleted by the last run:", f.width)))
		}
		rows = append(rows, st.Error.Render(fitLine("- "+sanitize(p, 4), f.width)))
	}
	return strings.Join(rows, "\n")
}

// note summarises the workspace for the pane border.
func (f *filesPane) note() string {
	var total int64
	files := 0
	for _, e := range f.entries {
		if e.Kind != sessions.KindDir {
			files++
			total += e.Size
		}
	}
	if files == 0 {
		return ""
	}
	if f.partial {
		return "over " + itoa(files) + " · " + run.FormatBytes(uint64(total)) + "+"
	}
	return itoa(files) + " · " + run.FormatBytes(uint64(total))
}
