package sessions

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
)

// MaxIDLength is the longest session ID or name accepted.
const MaxIDLength = 64

// minPrefixLength is the shortest reference Resolve accepts as an ID prefix,
// so that "rm a" cannot delete whichever session happens to start with "a".
const minPrefixLength = 4

// CanonicalID checks a user-supplied session ID or name and returns its
// canonical form, or an error wrapping ErrInvalidID that says what is wrong.
//
// The rules: 1 to 64 characters from [A-Za-z0-9_-], the first a letter or
// digit (the pattern [A-Za-z0-9][A-Za-z0-9_-]{0,63}). That excludes "/",
// "\", "..", NUL, spaces and anything else that could name a path outside
// the sessions root. A UUID in its standard 36-character form is lower-cased
// (uuid.New always produces lower case, so "ABCD…" and "abcd…" name the same
// session); any other accepted string is returned unchanged.
//
// The result is always safe as a single path element directly under the
// sessions root. Whether a symlink of that name escapes the root is checked
// when the session is opened, not here.
func CanonicalID(s string) (string, error) {
	if reason := idProblem(s); reason != "" {
		return "", fmt.Errorf("sessions: %q: %s: %w", truncateForError(s), reason, ErrInvalidID)
	}
	if isUUID(s) {
		return strings.ToLower(s), nil
	}
	return s, nil
}

// idProblem returns why s is not a valid ID, or "" if it is.
func idProblem(s string) string {
	switch {
	case s == "":
		return "empty"
	case strings.ContainsRune(s, 0):
		return "contains NUL"
	case strings.Contains(s, ".."):
		return `contains ".."`
	case strings.ContainsAny(s, `/\`):
		return "contains a path separator"
	case len(s) > MaxIDLength:
		return fmt.Sprintf("longer than %d characters", MaxIDLength)
	}
	if reservedName(s) {
		return "a reserved device name on some systems (CON, NUL, COM1, …), which an export or a synced folder could not hold"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return "must start with a letter or digit"
		}
		if !alnum && c != '-' && c != '_' {
			r, _ := utf8.DecodeRuneInString(s[i:])
			return fmt.Sprintf("character %q not allowed (use letters, digits, '-' and '_')", r)
		}
	}
	return ""
}

// isUUID reports whether s is a UUID in the standard 8-4-4-4-12 form, in
// either case. uuid.Parse also accepts braces and "urn:uuid:" prefixes,
// which never pass idProblem, so the length check keeps only the plain form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// truncateForError keeps error messages readable when given huge input.
func truncateForError(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// reservedName reports whether s is one of the device names Windows
// reserves in any directory, whatever the case.
func reservedName(s string) bool {
	switch strings.ToUpper(s) {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	u := strings.ToUpper(s)
	if len(u) == 4 && (strings.HasPrefix(u, "COM") || strings.HasPrefix(u, "LPT")) && u[3] >= '0' && u[3] <= '9' {
		return true
	}
	return false
}
