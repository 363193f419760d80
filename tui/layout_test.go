package tui

import (
	"fmt"
	"testing"
)

func TestComputeLayout(t *testing.T) {
	sizes := []struct{ w, h int }{
		{80, 24}, {100, 30}, {120, 40}, {160, 48}, {200, 60}, {300, 100}, {81, 25},
	}
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			l := ComputeLayout(sz.w, sz.h, PaneEditor, false)
			if l.TooSmall {
				t.Fatal("reported too small")
			}
			// Every pane visible, inside the body, with room for its border
			// and at least a few lines of content.
			for p := Pane(0); p < paneCount; p++ {
				r := l.Panes[p]
				if r.W < 20 || r.H < 4 {
					t.Errorf("%s is %dx%d", p, r.W, r.H)
				}
				if r.X < 0 || r.Y < 1 || r.X+r.W > sz.w || r.Y+r.H > sz.h-1 {
					t.Errorf("%s %+v leaves the body", p, r)
				}
			}
			// Panes tile the body exactly: every body cell belongs to one pane.
			cover := make([]int, sz.w*sz.h)
			for p := Pane(0); p < paneCount; p++ {
				r := l.Panes[p]
				for y := r.Y; y < r.Y+r.H; y++ {
					for x := r.X; x < r.X+r.W; x++ {
						cover[y*sz.w+x]++
					}
				}
			}
			for y := 1; y < sz.h-1; y++ {
				for x := 0; x < sz.w; x++ {
					if cover[y*sz.w+x] != 1 {
						t.Fatalf("cell (%d,%d) covered %d times", x, y, cover[y*sz.w+x])
					}
				}
			}
			if l.Header != (Rect{0, 0, sz.w, 1}) || l.Footer != (Rect{0, sz.h - 1, sz.w, 1}) {
				t.Errorf("header %+v footer %+v", l.Header, l.Footer)
			}
			// The editor is the widest and tallest of the left column.
			if l.Panes[PaneEditor].H < l.Panes[PaneOutput].H {
				t.Errorf("editor (%d rows) shorter than output (%d rows)", l.Panes[PaneEditor].H, l.Panes[PaneOutput].H)
			}
		})
	}
}

func TestComputeLayout_TooSmall(t *testing.T) {
	// Below the floor nothing is placed.
	for _, sz := range []struct{ w, h int }{{29, 24}, {80, 7}, {0, 0}} {
		if l := ComputeLayout(sz.w, sz.h, PaneEditor, false); !l.TooSmall {
			t.Errorf("%dx%d should be too small", sz.w, sz.h)
		}
	}
	// Between the floor and the minimum, the focused pane alone.
	for _, sz := range []struct{ w, h int }{{79, 24}, {80, 23}, {40, 10}, {30, 8}} {
		l := ComputeLayout(sz.w, sz.h, PaneOutput, false)
		if l.TooSmall || !l.Cramped {
			t.Errorf("%dx%d: too small %v, cramped %v", sz.w, sz.h, l.TooSmall, l.Cramped)
		}
		for p := Pane(0); p < paneCount; p++ {
			if (p == PaneOutput) == l.Panes[p].Empty() {
				t.Errorf("%dx%d: %s visible=%v", sz.w, sz.h, p, !l.Panes[p].Empty())
			}
		}
	}
}

func TestComputeLayout_Zoom(t *testing.T) {
	for p := Pane(0); p < paneCount; p++ {
		l := ComputeLayout(100, 30, p, true)
		for q := Pane(0); q < paneCount; q++ {
			if (q == p) == l.Panes[q].Empty() {
				t.Errorf("zoom on %s: %s visible=%v", p, q, !l.Panes[q].Empty())
			}
		}
		if l.Panes[p] != (Rect{0, 1, 100, 28}) {
			t.Errorf("zoomed %s = %+v", p, l.Panes[p])
		}
	}
}

func TestLayout_PaneAt(t *testing.T) {
	l := ComputeLayout(120, 40, PaneEditor, false)
	for p := Pane(0); p < paneCount; p++ {
		r := l.Panes[p]
		got, ok := l.PaneAt(r.X+r.W/2, r.Y+r.H/2)
		if !ok || got != p {
			t.Errorf("PaneAt centre of %s = %s, %v", p, got, ok)
		}
	}
	if _, ok := l.PaneAt(5, 0); ok {
		t.Error("the header is not a pane")
	}
}
