package doctor

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Symbols of the text report.
var symbols = map[Status]string{OK: "✓", Warn: "!", Fail: "✗"}

// Write prints the report for a terminal: one line a check, ✓, ! or ✗ and
// its title and detail, the fix below a check that is not ok, then a
// summary. Every text goes through inert first, so that no control
// character (an escape sequence in a service name, a bidi override in an
// error body) reaches the terminal.
func Write(w io.Writer, rep Report) error {
	var b strings.Builder
	for _, c := range rep.Checks {
		fmt.Fprintf(&b, "%s %s", symbols[c.Status], inert(c.Title))
		if c.Detail != "" {
			fmt.Fprintf(&b, ": %s", indentLines(inert(c.Detail), "    "))
		}
		b.WriteByte('\n')
		if c.Fix != "" && c.Status != OK {
			fmt.Fprintf(&b, "    → %s\n", indentLines(inert(c.Fix), "      "))
		}
	}
	fails, warns := rep.Counts()
	switch {
	case fails+warns == 0:
		fmt.Fprintf(&b, "\nAll %d checks passed.\n", len(rep.Checks))
	default:
		fmt.Fprintf(&b, "\n%d checks: %d failed, %d to look at, %d passed.\n", len(rep.Checks), fails, warns, len(rep.Checks)-fails-warns)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// inert escapes every rune a terminal could take for an instruction:
// control characters (but newlines, which the report's own multi-line
// details use) and format characters such as bidi overrides, as Go
// escapes them ("\x1b", "\u202e"); invalid UTF-8 as its bytes.
func inert(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteByte('\n')
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// indentLines indents every line of s but the first.
func indentLines(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// quote quotes outside text (a service name, a value OVH or Slack sent)
// for a detail, cut to 64 bytes on a rune boundary.
func quote(s string) string {
	const max = 64
	if len(s) <= max {
		return strconv.Quote(s)
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return strconv.Quote(s[:i]) + "..."
}
