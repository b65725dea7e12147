package main

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/renewd/renewd"
)

// The strict reading of a --json output against its documented contract:
// every key documented and present at every depth, every value of its
// documented type, null only where the type says "or null".

var (
	snakeCase   = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	amountShape = regexp.MustCompile(`^-?[0-9]+\.[0-9]{2,8}( [A-Z]{3})?$`)
)

// scalarTypes are the types docs/cli.md's "JSON output" defines, besides
// object, "array of T" and "map of integer".
var scalarTypes = []string{"string", "integer", "boolean", "term", "date", "time", "amount"}

// checkSpec reports what is wrong with the contract itself: an unknown
// type, a key that is not snake_case, a time whose key does not end in
// _at, an amount without its _ucents twin, a field whose parent is not
// documented as an object.
func (c contract) checkSpec() []string {
	var bad []string
	for path, f := range c {
		key := path[strings.LastIndexAny(path, ".]")+1:]
		if !snakeCase.MatchString(key) {
			bad = append(bad, fmt.Sprintf("%s: the key is not snake_case", path))
		}
		elem, isArray := strings.CutPrefix(f.typ, "array of ")
		if !slices.Contains(scalarTypes, elem) && elem != "object" && (isArray || f.typ != "map of integer") {
			bad = append(bad, fmt.Sprintf("%s: unknown type %q", path, f.typ))
		}
		if f.typ == "time" && key != "at" && !strings.HasSuffix(key, "_at") {
			bad = append(bad, fmt.Sprintf("%s: a time's key ends in _at", path))
		}
		if f.typ == "amount" {
			if twin, ok := c[path+"_ucents"]; !ok || twin.typ != "integer" || twin.nullable != f.nullable {
				bad = append(bad, fmt.Sprintf("%s: an amount goes with %s_ucents, an integer, null when it is", path, path))
			}
		}
		if i := strings.LastIndex(path, "."); i > 0 {
			parent, ok := c[strings.TrimSuffix(path[:i], "[]")]
			if !ok || (parent.typ != "object" && parent.typ != "array of object") {
				bad = append(bad, fmt.Sprintf("%s: its parent is not documented as an object", path))
			}
		}
	}
	slices.Sort(bad)
	return bad
}

// check decodes out (one JSON object, nothing after it) and returns what
// breaks the contract. seen collects the paths found with a value other
// than null, and "PATH with its currency" for an amount that had one, for
// the coverage check (uncovered).
func (c contract) check(out string, seen map[string]bool) []string {
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []string{fmt.Sprintf("not JSON: %v", err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return []string{"more than one JSON value"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("not an object: %T", v)}
	}
	w := walker{c: c, seen: seen}
	w.object("", obj)
	slices.Sort(w.bad)
	return w.bad
}

// uncovered lists the documented paths seen with no value, and the
// amounts seen with no currency, in every output checked with seen.
func (c contract) uncovered(seen map[string]bool) []string {
	var bad []string
	for path, f := range c {
		if !seen[path] {
			bad = append(bad, path+": documented, and never seen with a value")
		} else if f.typ == "amount" && !seen[path+" with its currency"] {
			bad = append(bad, path+": an amount never seen with its currency")
		}
	}
	slices.Sort(bad)
	return bad
}

type walker struct {
	c    contract
	seen map[string]bool
	bad  []string
}

func (w *walker) errorf(format string, args ...any) {
	w.bad = append(w.bad, fmt.Sprintf(format, args...))
}

func (w *walker) object(prefix string, obj map[string]any) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	for k, v := range obj {
		path := join(k)
		spec, ok := w.c[path]
		if !ok {
			w.errorf("%s: undocumented field", path)
			continue
		}
		w.value(path, spec, v, obj)
	}
	for path := range w.c {
		k, child := strings.CutPrefix(path, join(""))
		if prefix == "" {
			k, child = path, true
		}
		if child && !strings.ContainsAny(k, ".[") {
			if _, ok := obj[k]; !ok {
				w.errorf("%s: documented, missing", path)
			}
		}
	}
}

func (w *walker) value(path string, spec fieldSpec, v any, parent map[string]any) {
	if v == nil {
		if !spec.nullable {
			w.errorf("%s: null, and the type is %s", path, spec.typ)
		}
		return
	}
	w.seen[path] = true
	if elem, ok := strings.CutPrefix(spec.typ, "array of "); ok {
		arr, ok := v.([]any)
		if !ok {
			w.errorf("%s: %T, want an array", path, v)
			return
		}
		for _, e := range arr {
			w.value(path+"[]", fieldSpec{typ: elem}, e, nil)
		}
		return
	}
	switch spec.typ {
	case "object":
		if obj, ok := v.(map[string]any); ok {
			w.object(path, obj)
			return
		}
	case "map of integer":
		if obj, ok := v.(map[string]any); ok {
			for k, n := range obj {
				w.value(path+"."+k, fieldSpec{typ: "integer"}, n, nil)
			}
			return
		}
	default:
		if msg := scalarProblem(spec.typ, v); msg != "" {
			w.errorf("%s: %s", path, msg)
		}
		if spec.typ == "amount" && parent != nil {
			key := path[strings.LastIndex(path, ".")+1:]
			w.twin(path, v.(string), parent[key+"_ucents"])
			if strings.Contains(v.(string), " ") {
				w.seen[path+" with its currency"] = true
			}
		}
		return
	}
	w.errorf("%s: %T, want %s", path, v, spec.typ)
}

// twin checks that an amount and its _ucents say the same.
func (w *walker) twin(path, s string, ucents any) {
	n, ok := ucents.(json.Number)
	if !ok {
		w.errorf("%s: %q beside %s_ucents %v", path, s, path, ucents)
		return
	}
	ucentsValue, err := n.Int64()
	_, cur, _ := strings.Cut(s, " ")
	if want := (renewd.Money{Ucents: ucentsValue, Currency: cur}).String(); err != nil || want != s {
		w.errorf("%s: %q, but %s_ucents is %s (%s)", path, s, path, n, want)
	}
}

// scalarProblem says what is wrong with v as a typ; "" when nothing.
func scalarProblem(typ string, v any) string {
	if typ == "boolean" {
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("%T, want a boolean", v)
		}
		return ""
	}
	if typ == "integer" {
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			return fmt.Sprintf("%v, want an integer", v)
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Sprintf("%T, want a string (%s)", v, typ)
	}
	switch typ {
	case "term":
		if t, err := renewd.ParseTerm(s); err != nil || t.String() != s {
			return fmt.Sprintf("%q is not a term", s)
		}
	case "date":
		if d, err := time.Parse(time.DateOnly, s); err != nil || d.Format(time.DateOnly) != s {
			return fmt.Sprintf("%q is not a date YYYY-MM-DD", s)
		}
	case "time":
		if tt, err := time.Parse(time.RFC3339, s); err != nil || tt.UTC().Format(time.RFC3339) != s || !strings.HasSuffix(s, "Z") {
			return fmt.Sprintf("%q is not RFC 3339 in UTC to the second", s)
		}
	case "amount":
		if !amountShape.MatchString(s) {
			return fmt.Sprintf("%q is not an amount such as \"12.99 EUR\"", s)
		}
	}
	return ""
}

// flagNames are the names of the flags of fs.
func flagNames(fs *pflag.FlagSet) map[string]bool {
	names := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
	return names
}
