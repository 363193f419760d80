package tui

// Pane identifies one of the five panes of the main screen.
type Pane int

// The panes, in focus order (alt+1 … alt+5).
const (
	PaneEditor Pane = iota
	PaneOutput
	PaneMetrics
	PaneFiles
	PaneRuns
	paneCount
)

// String names the pane as its title shows it.
func (p Pane) String() string {
	switch p {
	case PaneEditor:
		return "Editor"
	case PaneOutput:
		return "Output"
	case PaneMetrics:
		return "Metrics"
	case PaneFiles:
		return "Files"
	case PaneRuns:
		return "Runs"
	}
	return "?"
}

// Minimum terminal size the layout supports.
const (
	MinWidth  = 80
	MinHeight = 24
	// FloorWidth x FloorHeight is the least the app draws at all: below
	// MinWidth x MinHeight (and above this) it shows one pane at a time.
	FloorWidth  = 30
	FloorHeight = 8
)

// Rect is a screen rectangle in cells. A pane's rectangle includes its
// border.
type Rect struct {
	X, Y, W, H int
}

// Empty reports whether the rectangle has no area (the pane is hidden).
func (r Rect) Empty() bool { return r.W <= 0 || r.H <= 0 }

// Contains reports whether the cell (x, y) is inside r.
func (r Rect) Contains(x, y int) bool {
	return x >= r.X && x < r.X+r.W && y >= r.Y && y < r.Y+r.H
}

// Layout places the header, footer and panes on the screen.
type Layout struct {
	// Width and Height are the terminal size.
	Width, Height int
	// TooSmall is set when the terminal is below FloorWidth x
	// FloorHeight; nothing else is placed then.
	TooSmall bool
	// Cramped is set below MinWidth x MinHeight: only the focused pane is
	// placed, as when zoomed.
	Cramped bool
	// Header is the top row; Footer the bottom row.
	Header, Footer Rect
	// Panes holds each pane's rectangle; an empty one is hidden (zoom).
	Panes [paneCount]Rect
}

// ComputeLayout is the pure layout of the main screen: a left column with
// the editor above the output, a right column with metrics, files and
// runs. zoomed gives the whole body to the focused pane.
func ComputeLayout(width, height int, focused Pane, zoomed bool) Layout {
	l := Layout{Width: width, Height: height}
	if width < FloorWidth || height < FloorHeight {
		l.TooSmall = true
		return l
	}
	if width < MinWidth || height < MinHeight {
		l.Cramped, zoomed = true, true
	}
	l.Header = Rect{X: 0, Y: 0, W: width, H: 1}
	l.Footer = Rect{X: 0, Y: height - 1, W: width, H: 1}
	bodyY, bodyH := 1, height-2
	if zoomed {
		l.Panes[focused] = Rect{X: 0, Y: bodyY, W: width, H: bodyH}
		return l
	}

	// Columns: the code gets about 62% of the width; the side column
	// stays between 30 and 60 cells.
	rightW := width - width*62/100
	rightW = clamp(rightW, 30, 60)
	leftW := width - rightW

	// Left: editor over output, the editor a little taller.
	editorH := clamp(bodyH*56/100, 8, bodyH-6)
	l.Panes[PaneEditor] = Rect{X: 0, Y: bodyY, W: leftW, H: editorH}
	l.Panes[PaneOutput] = Rect{X: 0, Y: bodyY + editorH, W: leftW, H: bodyH - editorH}

	// Right: metrics (fixed), runs (a quarter), files (the rest).
	metricsH := clamp(11, 8, bodyH/2)
	runsH := clamp(bodyH/4, 5, 10)
	filesH := bodyH - metricsH - runsH
	if filesH < 5 {
		runsH -= 5 - filesH
		filesH = 5
	}
	l.Panes[PaneMetrics] = Rect{X: leftW, Y: bodyY, W: rightW, H: metricsH}
	l.Panes[PaneFiles] = Rect{X: leftW, Y: bodyY + metricsH, W: rightW, H: filesH}
	l.Panes[PaneRuns] = Rect{X: leftW, Y: bodyY + metricsH + filesH, W: rightW, H: runsH}
	return l
}

// PaneAt returns the visible pane under the cell (x, y).
func (l Layout) PaneAt(x, y int) (Pane, bool) {
	for p := Pane(0); p < paneCount; p++ {
		if !l.Panes[p].Empty() && l.Panes[p].Contains(x, y) {
			return p, true
		}
	}
	return 0, false
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		hi = lo
	}
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
