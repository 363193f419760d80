package sessions

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// bufferPath validates a buffer name and returns its file. Buffer names are
// opaque keys chosen by the editor, e.g. a runtime name ("python") for the
// scratch editor of that runtime, or a workspace-relative path
// ("src/main.py") for a file being edited. They follow the workspace path
// rules (relative, no "..", no NUL), must be valid UTF-8 without control
// characters, and are stored under buffers/ with "/" and other special
// characters percent-escaped, so a name never creates subdirectories.
func (s *Session) bufferPath(name string) (string, error) {
	if _, err := cleanRelPath(name); err != nil {
		return "", err
	}
	if !utf8.ValidString(name) || strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return "", fmt.Errorf("buffer name %q: not printable UTF-8: %w", truncateForError(name), ErrInvalidPath)
	}
	esc := url.PathEscape(name)
	if len(name) > maxBufferName || len(esc)+len(bufferSuffix) > 255 {
		return "", fmt.Errorf("buffer name %q: too long: %w", truncateForError(name), ErrInvalidPath)
	}
	return s.path(buffersDir, esc+bufferSuffix), nil
}

// SaveBuffer stores the editor's code under name, atomically (a crash
// leaves the previous version). It does not touch session.json, so the
// editor may autosave often.
func (s *Session) SaveBuffer(name, code string) error {
	p, err := s.bufferPath(name)
	if err != nil {
		return fmt.Errorf("sessions: save buffer: %w", err)
	}
	err = s.withLock(func() error {
		if err := ensureDir(filepath.Dir(p)); err != nil {
			return err
		}
		return s.st.writeFileAtomic(p, []byte(code))
	})
	if err != nil {
		return fmt.Errorf("sessions: save buffer %q of %s: %w", name, s.id, err)
	}
	return nil
}

// LoadBuffer returns the code saved under name; ok is false if there is
// none.
func (s *Session) LoadBuffer(name string) (code string, ok bool, err error) {
	p, err := s.bufferPath(name)
	if err != nil {
		return "", false, fmt.Errorf("sessions: load buffer: %w", err)
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("sessions: load buffer %q of %s: %w", name, s.id, err)
	}
	return string(b), true, nil
}

// DeleteBuffer removes the buffer saved under name; a missing buffer is
// not an error.
func (s *Session) DeleteBuffer(name string) error {
	p, err := s.bufferPath(name)
	if err != nil {
		return fmt.Errorf("sessions: delete buffer: %w", err)
	}
	err = s.withLock(func() error {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return s.st.syncDir(filepath.Dir(p))
	})
	if err != nil {
		return fmt.Errorf("sessions: delete buffer %q of %s: %w", name, s.id, err)
	}
	return nil
}

// Buffers returns the names of the saved buffers, sorted.
func (s *Session) Buffers() ([]string, error) {
	des, err := os.ReadDir(s.path(buffersDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sessions: list buffers of %s: %w", s.id, err)
	}
	var names []string
	for _, de := range des {
		esc, ok := strings.CutSuffix(de.Name(), bufferSuffix)
		if !ok || !de.Type().IsRegular() {
			continue
		}
		if name, err := url.PathUnescape(esc); err == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}
