package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/renewd/renewd"
)

// jsonVersion is the version of the JSON that every --json prints, in its
// "version" field (docs/cli.md, "JSON output"). It is raised when a field
// is removed or renamed, or changes its type or its meaning; a new field
// does not raise it. The types of this file and of jsonout_*.go are that
// JSON, and nothing else is: each is converted from renewd's own types, so
// that renaming an internal field cannot change what scripts read. The
// control socket keeps its own types (internal/control).
//
// The style, which TestJSONContract holds every field of every output to:
// snake_case keys; every documented key present, null when it has no
// value; times in UTC to the second (RFC 3339, ending in Z) in keys ending
// in _at; dates as YYYY-MM-DD; terms as ACCOUNT/SERVICE_ID/EXPIRATION; an
// amount as a pair, X_ucents (exact micro-cents, an integer) and X (the
// decimal with its currency: "12.99 EUR").
const jsonVersion = 1

// writeJSON prints v as indented JSON. Outside text stays inert on a
// terminal: encoding/json escapes the C0 controls, and what it leaves
// (DEL, the C1 controls, format characters such as bidirectional
// overrides) is escaped here too, as \uXXXX; such characters can only be
// inside strings, where the escape means the same character.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err := w.Write(escapeJSON(b.Bytes()))
	return err
}

func escapeJSON(b []byte) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == '\n' || graphic(r):
			out.Write(b[:n])
		case r > 0xffff:
			r1, r2 := utf16Pair(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		b = b[n:]
	}
	return out.Bytes()
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

// jsonTime is a time as the JSON prints it: RFC 3339 in UTC, to the
// second (what jq's fromdate reads); null for the zero time.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(tt.UTC().Truncate(time.Second).Format(time.RFC3339))), nil
}

// jsonDate is a calendar date, YYYY-MM-DD; null for the zero date.
type jsonDate renewd.Date

func (d jsonDate) MarshalJSON() ([]byte, error) {
	if renewd.Date(d).IsZero() {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(renewd.Date(d).String())), nil
}

// optString is s, or null when it is empty.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// optInt is n, or null when it is 0.
func optInt(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

// amount is a money field's pair: the exact micro-cents and the decimal
// with its currency; both null for no amount (zero).
func amount(m renewd.Money) (*int64, *string) {
	if m.Ucents == 0 {
		return nil, nil
	}
	s := m.String()
	return &m.Ucents, &s
}

// termString is the term's string form, the one approve and history
// --term take; null when the service has no expiration (and so no term).
func termString(t renewd.Term) *string {
	if t.Expiration.IsZero() {
		return nil
	}
	return optString(t.String())
}

// errorStrings are errors as the JSON lists them; never null.
func errorStrings(errs []error) []string {
	out := []string{}
	for _, err := range errs {
		out = append(out, err.Error())
	}
	return out
}
