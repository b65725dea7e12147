package slack

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Slack's limits on what a message holds. Lengths are counted in UTF-16
// code units, as Slack's clients count them: never fewer than the
// characters Slack's documentation speaks of, so a text within these
// limits is within Slack's whatever it counts (an emoji outside the Basic
// Multilingual Plane is one character, two units; bytes never matter).
const (
	// maxText bounds the top-level text, the notification's fallback.
	// Slack truncates past 40,000 characters and advises 4,000.
	maxText = 4000
	// maxHeader is a header block's plain_text.
	maxHeader = 150
	// maxSection is a section block's text.
	maxSection = 3000
	// maxField is one of a section's fields; maxFieldsBlock of them at most.
	maxField       = 2000
	maxFieldsBlock = 10
	// maxContext bounds the text of the one element of renewd's context
	// line.
	maxContext = 2000
	// maxBlocks is the number of blocks in one message.
	maxBlocks = 50
	// reasonExcerpt bounds a report's reason (an OVH error body, at worst an
	// HTML page) in Slack; the whole of it goes to the log.
	reasonExcerpt = 300
	// maxValue bounds a field's value, so that a message of many fields
	// stays well within Slack's size for all its blocks.
	maxValue = 500
)

// width is s's length as Slack counts it: UTF-16 code units.
func width(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// mentionWords are the broadcasts Slack might make of "@word" if a message
// asked it to link names; renewd never does, and makes them inert anyway.
var mentionWords = regexp.MustCompile(`(?i)@(channel|here|everyone)\b`)

// wordJoiner is invisible and keeps "@" from joining the word after it.
const wordJoiner = "\u2060"

// inert breaks "@channel", "@here" and "@everyone" with an invisible word
// joiner, and drops control characters (but newlines and tabs).
func inert(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return mentionWords.ReplaceAllString(s, "@"+wordJoiner+"$1")
}

// escapeRune is r as mrkdwn shows it literally: Slack wants &, < and >
// escaped, and nothing else.
func escapeRune(r rune) string {
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	}
	return string(r)
}

// escape makes outside text literal in mrkdwn and in the top-level text:
// no mention (<!channel>, <@U1>), no link (<https://x|y>), no broadcast.
func escape(s string) string { return fitEscaped(s, -1) }

// fitEscaped is escape(s), cut so that it is at most limit units wide
// (limit < 0: no limit). A cut falls between characters, never inside an
// escape such as &amp; nor inside a surrogate pair, and ends with "…".
func fitEscaped(s string, limit int) string {
	s = inert(s)
	var b strings.Builder
	n := 0
	full := true
	if limit >= 0 {
		esc := 0
		for _, r := range s {
			esc += width(escapeRune(r))
		}
		full = esc <= limit
	}
	for _, r := range s {
		piece := escapeRune(r)
		w := width(piece)
		if !full && n+w > limit-1 {
			return trimJoin(b.String()) + "…"
		}
		b.WriteString(piece)
		n += w
	}
	return b.String()
}

// fitPlain is s for a plain_text object, which Slack shows as is (no
// mention, no link is parsed): broadcasts made inert, cut to limit units.
func fitPlain(s string, limit int) string {
	s = inert(s)
	if width(s) <= limit {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		w := utf16.RuneLen(r)
		if n+w > limit-1 {
			break
		}
		b.WriteRune(r)
		n += w
	}
	return trimJoin(b.String()) + "…"
}

// trimJoin drops what would dangle at the end of a cut: a zero-width joiner
// or a variation selector whose emoji was cut off.
func trimJoin(s string) string {
	return strings.TrimRightFunc(s, func(r rune) bool {
		return r == '\u200d' || r == '\ufe0f' || r == '\ufe0e' || r == '\u2060'
	})
}

// excerpt is the start of a long outside text (an OVH error body) for
// Slack: s itself when it has at most n characters; otherwise its
// whitespace runs made one space, cut to n characters ending with "…".
// It reports whether it shortened s.
func excerpt(s string, n int) (string, bool) {
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	one := []rune(strings.Join(strings.Fields(s), " "))
	if len(one) <= n {
		return string(one), true
	}
	return string(one[:n-1]) + "…", true
}
