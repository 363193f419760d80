package tui

import (
	"context"
	"fmt"
	"sync"

	tea "charm.land/bubbletea/v2"
)

// tasks keeps count of the app's commands that touch disk or the runner,
// so that quitting can wait for them instead of leaving them to finish
// (or not) after the program is gone. A command that only starts after
// Wait began does nothing.
type tasks struct {
	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
}

// track wraps cmd so that Wait waits for it.
func (t *tasks) track(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg {
		t.mu.Lock()
		if t.stopped {
			t.mu.Unlock()
			return nil
		}
		t.wg.Add(1)
		t.mu.Unlock()
		defer t.wg.Done()
		return cmd()
	}
}

// wait stops new commands and waits for those in flight, or for ctx.
func (t *tasks) wait(ctx context.Context) error {
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
	done := make(chan struct{})
	go func() {
		t.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("tui: commands still running at exit: %w", ctx.Err())
	}
}

// do runs cmd as one of the app's tracked commands.
func (m *Model) do(cmd tea.Cmd) tea.Cmd { return m.tasks.track(cmd) }

// Wait waits, after the program has ended, for the app's commands still
// in flight (a session being created, a buffer saved, a lock released).
// Call it before closing what the app runs on.
func (m *Model) Wait(ctx context.Context) error { return m.tasks.wait(ctx) }
