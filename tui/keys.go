package tui

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"

	"github.com/wasmplay/wasmplay/tui/editor"
)

// KeyMap holds every binding of the app, grouped by where it applies. It
// feeds the help screen and the footer, and can be remapped from the
// config file by action name.
type KeyMap struct {
	// Global, everywhere (dialogs aside).
	Run, Cancel, Quit                     key.Binding
	NextPane, PrevPane                    key.Binding
	FocusEditor, FocusOutput, FocusMetric key.Binding
	FocusFiles, FocusRuns                 key.Binding
	Save, Sessions, NewSession            key.Binding
	Theme, Runtime, Help, Zoom, Policy    key.Binding
	ApplyBudget, CopyReport, CopyJSON     key.Binding
	NextTab, PrevTab, CloseTab, JumpError key.Binding
	Find, FindNext, FindPrev, GotoLine    key.Binding
	Messages                              key.Binding
	Fold, Unfold, FilesFilter             key.Binding
	Demos, KeepState                      key.Binding
	Approvals, AskApproval                key.Binding

	// Output pane.
	OutSearch, OutNext, OutPrev, OutCopy key.Binding
	OutClear, OutFollow, OutTop, OutEnd  key.Binding
	SendEOF                              key.Binding

	// Lists (files, runs, pickers).
	Up, Down, PageUp, PageDown, Open key.Binding
	ListTop, ListBottom              key.Binding
	Preview, NewFile, Rename, Delete key.Binding
	Refresh, EditRun                 key.Binding
	RerunRun, MarkRun, DiffRuns      key.Binding

	// Dialogs.
	Confirm, Back key.Binding

	// Editor is the editor pane's own keys, remapped as "editor_" plus
	// the editor's action name (editor_undo, editor_word_left, ...).
	Editor editor.KeyMap
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Run:         b("f5/ctrl+r", "run", "f5", "ctrl+r"),
		Cancel:      b("ctrl+c", "cancel run", "ctrl+c"),
		Quit:        b("ctrl+q", "quit", "ctrl+q"),
		NextPane:    b("tab/f6", "next pane", "tab", "f6"),
		PrevPane:    b("shift+tab", "previous pane", "shift+tab", "shift+f6"),
		FocusEditor: b("alt+1", "editor", "alt+1"),
		FocusOutput: b("alt+2", "output", "alt+2"),
		FocusMetric: b("alt+3", "metrics", "alt+3"),
		FocusFiles:  b("alt+4", "files", "alt+4"),
		FocusRuns:   b("alt+5", "runs", "alt+5"),
		Save:        b("ctrl+s", "save", "ctrl+s"),
		Sessions:    b("ctrl+o", "sessions", "ctrl+o"),
		NewSession:  b("ctrl+n", "new session", "ctrl+n"),
		Theme:       b("ctrl+t", "theme", "ctrl+t"),
		Runtime:     b("ctrl+l", "runtime", "ctrl+l"),
		Help:        b("f1/?", "help", "f1", "?"),
		Zoom:        b("alt+z", "zoom pane", "alt+z"),
		Policy:      b("f4", "limits", "f4"),
		ApplyBudget: b("alt+u", "apply suggested fuel & re-run", "alt+u"),
		CopyReport:  b("alt+r", "copy report (Markdown)", "alt+r"),
		CopyJSON:    b("alt+j", "copy report (JSON)", "alt+j"),
		NextTab:     b("ctrl+pgdown", "next tab", "ctrl+pgdown", "alt+."),
		PrevTab:     b("ctrl+pgup", "previous tab", "ctrl+pgup", "alt+,"),
		CloseTab:    b("alt+w", "close tab", "alt+w"),
		JumpError:   b("alt+e", "walk the error's lines", "alt+e"),
		Find:        b("ctrl+f", "find in the editor", "ctrl+f"),
		FindNext:    b("f3", "find next", "f3"),
		FindPrev:    b("shift+f3", "find previous", "shift+f3"),
		GotoLine:    b("ctrl+g", "go to line", "ctrl+g"),
		Messages:    b("alt+m", "message log", "alt+m"),
		Demos:       b("f2", "demo gallery", "f2"),
		KeepState:   b("alt+k", "keep variables between runs (on/off)", "alt+k"),
		Approvals:   b("alt+p", "agent runs waiting for approval", "alt+p"),
		AskApproval: b("alt+v", "ask before running agent code (on/off)", "alt+v"),

		OutSearch: b("/", "search", "/"),
		OutNext:   b("n", "next match", "n"),
		OutPrev:   b("N", "previous match", "N"),
		OutCopy:   b("y", "copy run output", "y"),
		OutClear:  b("x", "clear", "x"),
		OutFollow: b("f", "follow", "f"),
		OutTop:    b("g/home", "top", "g", "home"),
		OutEnd:    b("G/end", "bottom", "G", "end"),
		SendEOF:   b("ctrl+d", "end of input", "ctrl+d"),

		Up:          b("↑/k", "up", "up", "k"),
		Down:        b("↓/j", "down", "down", "j"),
		PageUp:      b("pgup", "page up", "pgup"),
		PageDown:    b("pgdown", "page down", "pgdown"),
		Open:        b("enter", "open", "enter"),
		ListTop:     b("home/g", "first", "home", "g"),
		ListBottom:  b("end/G", "last", "end", "G"),
		Preview:     b("space", "preview", "space"),
		NewFile:     b("n", "new file", "n"),
		Rename:      b("r", "rename", "r"),
		Delete:      b("d", "delete", "d"),
		Refresh:     b("R", "refresh", "R"),
		Fold:        b("left/h", "fold the folder", "left", "h"),
		Unfold:      b("right/l", "unfold the folder", "right", "l"),
		FilesFilter: b("/", "filter by path (esc clears)", "/"),
		EditRun:     b("e", "edit the run's code in the scratch tab", "e"),
		RerunRun:    b("r", "run the run's code again, as yours", "r"),
		MarkRun:     b("space", "mark the run to compare", "space"),
		DiffRuns:    b("d", "compare with the marked (or previous) run", "d"),

		Confirm: b("enter", "confirm", "enter"),
		Back:    b("esc", "close", "esc"),

		Editor: editor.DefaultKeyMap(),
	}
}

// editorActionPrefix starts the config file's names of the editor's keys.
const editorActionPrefix = "editor_"

// bindings maps the config file's action names to the bindings.
func (k *KeyMap) bindings() map[string]*key.Binding {
	binds := map[string]*key.Binding{
		"run": &k.Run, "cancel": &k.Cancel, "quit": &k.Quit,
		"next_pane": &k.NextPane, "prev_pane": &k.PrevPane,
		"focus_editor": &k.FocusEditor, "focus_output": &k.FocusOutput, "focus_metrics": &k.FocusMetric,
		"focus_files": &k.FocusFiles, "focus_runs": &k.FocusRuns,
		"save": &k.Save, "sessions": &k.Sessions, "new_session": &k.NewSession,
		"theme": &k.Theme, "runtime": &k.Runtime, "help": &k.Help, "zoom": &k.Zoom, "policy": &k.Policy,
		"apply_budget": &k.ApplyBudget, "copy_report": &k.CopyReport, "copy_json": &k.CopyJSON,
		"next_tab": &k.NextTab, "prev_tab": &k.PrevTab, "close_tab": &k.CloseTab, "jump_error": &k.JumpError,
		"messages": &k.Messages, "fold": &k.Fold, "unfold": &k.Unfold, "files_filter": &k.FilesFilter, "find": &k.Find, "find_next": &k.FindNext, "find_prev": &k.FindPrev, "goto_line": &k.GotoLine,
		"demos": &k.Demos, "approvals": &k.Approvals, "ask_approval": &k.AskApproval, "edit_run": &k.EditRun,
		"rerun_run": &k.RerunRun, "mark_run": &k.MarkRun, "diff_runs": &k.DiffRuns,
		"output_search": &k.OutSearch, "output_next": &k.OutNext, "output_prev": &k.OutPrev,
		"output_copy": &k.OutCopy, "output_clear": &k.OutClear, "output_follow": &k.OutFollow,
		"output_top": &k.OutTop, "output_end": &k.OutEnd, "send_eof": &k.SendEOF,
		"up": &k.Up, "down": &k.Down, "page_up": &k.PageUp, "page_down": &k.PageDown, "open": &k.Open,
		"list_top": &k.ListTop, "list_bottom": &k.ListBottom,
		"preview": &k.Preview, "new_file": &k.NewFile, "rename": &k.Rename, "delete": &k.Delete,
		"refresh": &k.Refresh, "keep_state": &k.KeepState, "confirm": &k.Confirm, "back": &k.Back,
	}
	for _, nb := range k.Editor.Named() {
		binds[editorActionPrefix+nb.Name] = nb.Binding
	}
	return binds
}

// Actions lists the action names the config file's [keys] table accepts.
func (k KeyMap) Actions() []string {
	var names []string
	for name := range k.bindings() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Describe returns "action: keys — description" for each action.
func (k KeyMap) Describe() []string {
	binds := k.bindings()
	var out []string
	for _, name := range k.Actions() {
		b := binds[name]
		out = append(out, fmt.Sprintf("%-27s %-22s %s", name, strings.Join(b.Keys(), ", "), b.Help().Desc))
	}
	return out
}

// Remap applies the config file's [keys] table: action = [keys]. What it
// cannot apply (an unknown action, no keys, a key name no terminal sends)
// is left at its default and named in the warnings it returns, so a typo
// in the config never keeps the app from starting.
func (k *KeyMap) Remap(remap map[string][]string) (warnings []string) {
	binds := k.bindings()
	names := make([]string, 0, len(remap))
	for name := range remap {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b, ok := binds[name]
		if !ok {
			warnings = append(warnings, fmt.Sprintf("keys: unknown action %q, ignored (wasmplay keys lists them)", name))
			continue
		}
		var keys []string
		for _, key := range remap[name] {
			if strings.HasPrefix(name, editorActionPrefix) && editor.Reserved(key) {
				warnings = append(warnings, fmt.Sprintf("keys: %s: %q is one of the app's own keys, which the editor never takes, ignored", name, key))
				continue
			}
			if why := keyNameProblem(key); why != "" {
				warnings = append(warnings, fmt.Sprintf("keys: %s: %q %s, ignored", name, key, why))
				continue
			}
			keys = append(keys, key)
		}
		if len(keys) == 0 {
			warnings = append(warnings, fmt.Sprintf("keys: %s: no usable key given, %s kept", name, strings.Join(b.Keys(), "/")))
			continue
		}
		b.SetKeys(keys...)
		b.SetHelp(strings.Join(keys, "/"), b.Help().Desc)
	}
	return warnings
}

// namedKeys are the key names besides single characters, as Bubble Tea
// spells them.
var namedKeys = map[string]bool{
	"enter": true, "esc": true, "tab": true, "space": true, "backspace": true, "delete": true, "insert": true,
	"home": true, "end": true, "pgup": true, "pgdown": true, "up": true, "down": true, "left": true, "right": true,
}

// keyNameProblem says why a key name is not one a terminal sends ("" when
// it is): modifiers, then one character, a function key or a named key.
func keyNameProblem(name string) string {
	parts := strings.Split(name, "+")
	base := parts[len(parts)-1]
	if name == "+" || strings.HasSuffix(name, "++") {
		base = "+"
		parts = parts[:len(parts)-1]
	}
	for _, mod := range parts[:len(parts)-1] {
		switch mod {
		case "ctrl", "alt", "shift", "meta", "super", "hyper":
		default:
			return fmt.Sprintf("has an unknown modifier %q (ctrl, alt, shift)", mod)
		}
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(base, "f")); strings.HasPrefix(base, "f") && err == nil && n >= 1 && n <= 63 {
		return ""
	}
	if namedKeys[base] || utf8.RuneCountInString(base) == 1 {
		return ""
	}
	return "is not a key name (a character, f1-f63, or enter, esc, tab, space, backspace, delete, insert, home, end, pgup, pgdown, up, down, left, right)"
}

// HelpGroup is one section of the help screen.
type HelpGroup struct {
	// Title names the pane or context.
	Title string
	// Bindings are its keys.
	Bindings []key.Binding
}

// Groups returns the bindings grouped for the help screen.
func (k KeyMap) Groups() []HelpGroup {
	return []HelpGroup{
		{"Everywhere", []key.Binding{k.Run, k.Cancel, k.Quit, k.Save, k.NextPane, k.PrevPane,
			k.FocusEditor, k.FocusOutput, k.FocusMetric, k.FocusFiles, k.FocusRuns, k.Zoom,
			k.Sessions, k.NewSession, k.Runtime, k.Theme, k.Policy, k.ApplyBudget, k.CopyReport, k.CopyJSON,
			k.NextTab, k.PrevTab, k.CloseTab, k.JumpError, k.Find, k.FindNext, k.FindPrev, k.GotoLine, k.Messages, k.KeepState, k.Approvals, k.AskApproval, k.Demos, k.Help}},
		{"Output", []key.Binding{k.OutSearch, k.OutNext, k.OutPrev, k.OutCopy, k.OutClear, k.OutFollow,
			k.OutTop, k.OutEnd, k.Up, k.Down, k.PageUp, k.PageDown, k.SendEOF}},
		{"Files", []key.Binding{k.Up, k.Down, k.ListTop, k.ListBottom, k.Open, k.Fold, k.Unfold, k.FilesFilter, k.Preview, k.NewFile, k.Rename, k.Delete, k.Refresh}},
		{"Runs", []key.Binding{k.Up, k.Down, k.ListTop, k.ListBottom, k.Open, k.EditRun, k.RerunRun, k.MarkRun, k.DiffRuns}},
		{"Dialogs", []key.Binding{k.Confirm, k.Back}},
	}
}
