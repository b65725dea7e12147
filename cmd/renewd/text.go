package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// printable is outside text (a service name, OVH's or Slack's words, an
// argument as typed) as a terminal may show it: every character that is
// not graphic (a control character such as an escape or a newline, a
// format character such as a bidirectional override, invalid UTF-8) is
// written as its Go escape (\x1b, \u202e), so that nothing renewd prints
// can drive the terminal, forge a line or break a table's columns.
func printable(s string) string {
	if isPrintable(s) {
		return s
	}
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case graphic(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// printableLines is printable for a message of several lines (a config's
// FILE:LINE problems, one a line): each line is made printable, and only
// the newlines between them are kept.
func printableLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = printable(l)
	}
	return strings.Join(lines, "\n")
}

func isPrintable(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return false
			}
		}
		if !graphic(r) {
			return false
		}
	}
	return true
}

// graphic reports whether r shows as itself: a letter, mark, number,
// punctuation, symbol or space (not a control or format character).
func graphic(r rune) bool { return unicode.IsGraphic(r) }
