package control

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Limits on the free-text fields of a request.
const (
	maxApprovalLen = 256  // an approval id (26) or a term key
	maxNoteLen     = 64   // approve/deny --by
	maxPathLen     = 4096 // PATH_MAX
	maxQueryLen    = 256  // a history filter value
)

// FieldError is a request field the server refuses: its name and why. The
// server answers it with 400.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %s", e.Field, e.Reason) }

// checkText refuses a value that is not valid UTF-8, is longer than max
// bytes, or holds a character that a log line or a terminal could take for
// something else: invalid UTF-8 (which JSON decoding turns into U+FFFD,
// refused too), a control character (a newline would forge a log line, an
// escape would drive the terminal), a format character (bidirectional
// overrides, zero-width characters), a line or paragraph separator, or a
// private-use or unassigned code point.
func checkText(field, v string, max int) error {
	if len(v) > max {
		return &FieldError{Field: field, Reason: fmt.Sprintf("%d bytes, longer than %d", len(v), max)}
	}
	for i, r := range v {
		if r == utf8.RuneError {
			return &FieldError{Field: field, Reason: fmt.Sprintf("not valid UTF-8 (or U+FFFD, which stands for it) at byte %d", i)}
		}
		if unsafeRune(r) {
			return &FieldError{Field: field, Reason: fmt.Sprintf("holds the character %U at byte %d, which is not allowed", r, i)}
		}
	}
	return nil
}

func unsafeRune(r rune) bool {
	switch {
	case r == ' ':
		return false
	case unicode.IsControl(r), // Cc: C0, DEL, C1
		unicode.Is(unicode.Cf, r), // format: bidi overrides, zero-width, BOM
		unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r),
		unicode.Is(unicode.Zs, r), // spaces other than ' ' (no-break, ideographic...)
		unicode.Is(unicode.Co, r), // private use
		!unicode.IsGraphic(r):     // unassigned, surrogates
		return true
	}
	return false
}
