package ovh

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds what every decoder of an OVH answer shares: reading a
// JSON object that may be partly of the wrong types, and saying what is
// wrong with it in a short text that quotes outside data and never shows
// Go's own type names.

// maxProblemLen bounds a Problem or a note about an answer, in bytes.
const maxProblemLen = 200

// quote quotes outside text (an OVH value, a name) for an error, a note or a
// log, cut to 64 bytes so that a long answer cannot flood a message.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		i := max
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		return strconv.Quote(s[:i]) + "..."
	}
	return strconv.Quote(s)
}

// shorten cuts a description to maxProblemLen bytes, on a rune boundary.
func shorten(s string) string {
	if len(s) <= maxProblemLen {
		return s
	}
	i := maxProblemLen - 3
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// decodeObject decodes a JSON object into v, as far as it can. It returns ""
// when the whole object was read, else what is wrong. On a field of the
// wrong type, encoding/json still fills every other field of v, so the
// caller can keep what was read; on anything else v is left as it was.
func decodeObject(raw []byte, v any) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "empty"
	}
	if raw[0] != '{' {
		if !json.Valid(raw) {
			return "not valid JSON"
		}
		return fmt.Sprintf("%s, not an object", jsonKindOf(raw))
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return describeJSONError(err)
	}
	return ""
}

// jsonError is a decoding error told in describeJSONError's words, with
// encoding/json's error kept as its cause.
type jsonError struct{ err error }

func (e jsonError) Error() string { return describeJSONError(e.err) }
func (e jsonError) Unwrap() error { return e.err }

// describeJSONError says what a decoding error means, naming the field by
// its JSON path ("resource.name").
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		got, _, _ := strings.Cut(te.Value, " ") // "number 1e400": keep the kind, not the value
		if te.Field == "" {
			return fmt.Sprintf("a JSON %s, not %s", got, goKind(te.Type))
		}
		return fmt.Sprintf("field %s is a JSON %s, not %s", quote(te.Field), got, goKind(te.Type))
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON (at byte %d)", se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "not valid JSON (cut short)"
	}
	return "cannot be read"
}

// goKind names, in JSON's words, what a Go type expects.
func goKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number in range"
	case reflect.Float32, reflect.Float64:
		return "a number in range"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "a value"
}

// jsonKindOf names the kind of a valid JSON value: "a JSON array".
func jsonKindOf(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '{':
		return "a JSON object"
	case '[':
		return "a JSON array"
	case '"':
		return "a JSON string"
	case 't', 'f':
		return "a JSON boolean"
	case 'n':
		return "null"
	}
	return "a JSON number"
}

// describeValue shows a JSON value in an error: a string as the quoted
// string ("the string \"NaN\""), anything else as its quoted text.
func describeValue(raw []byte) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return "the string " + quote(s)
	}
	return quote(string(bytes.TrimSpace(raw)))
}

// isJSONNull reports whether a field is absent or null.
func isJSONNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// isJSONNumber reports whether a JSON value is a number literal.
func isJSONNumber(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
}
