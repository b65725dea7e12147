package config

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/renewd/renewd"
)

// decoder walks the YAML tree into a Config, recording where each field is
// and every problem of shape or syntax. Semantic checks are the validator's.
type decoder struct {
	path   string
	dir    string // absolute directory of the config file
	getenv func(string) string
	errs   Errors
	pos    positions
	// failed holds the fields that could not be decoded, so that the
	// validator does not report them a second time as missing.
	failed map[string]bool
	// pendingKey: LoadForAuth, for which a consumer key file may not exist
	// yet (see pendingKeyFile).
	pendingKey bool
}

func (d *decoder) failf(n *yaml.Node, field, format string, args ...any) {
	d.failed[field] = true
	d.errs = append(d.errs, &ConfigError{Path: d.path, Line: n.Line, Field: field, Err: fmt.Errorf(format, args...)})
}

// fieldFunc decodes the value v of the field (its full path).
type fieldFunc func(field string, v *yaml.Node)

// mapping decodes a mapping node by its known keys, reporting unknown and
// duplicate keys. A key with a null value counts as absent.
func (d *decoder) mapping(n *yaml.Node, field string, known map[string]fieldFunc) {
	if n.Kind != yaml.MappingNode {
		d.failf(n, field, "must be a mapping (key: value), not %s", describe(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		sub := joinField(field, k.Value)
		switch {
		case k.Kind != yaml.ScalarNode:
			d.failf(k, field, "a key must be a plain word, not %s", describe(k))
			continue
		case k.Tag == "!!merge":
			d.failf(k, field, "merge keys (<<) are not supported")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.failf(k, sub, "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		decode, ok := known[k.Value]
		if !ok {
			d.failf(k, sub, "unknown key%s", suggest(k.Value, known))
			continue
		}
		if isNull(v) {
			continue
		}
		if v.Kind == yaml.ScalarNode {
			d.pos[sub] = v.Line
		} else {
			d.pos[sub] = k.Line
		}
		decode(sub, v)
	}
}

// list decodes a sequence node item by item; item gets the field path
// "field[i]". A null value is an empty list.
func (d *decoder) list(n *yaml.Node, field string, item func(i int, field string, v *yaml.Node)) {
	if n.Kind != yaml.SequenceNode {
		d.failf(n, field, "must be a list, not %s", describe(n))
		return
	}
	for i, v := range n.Content {
		v = resolve(v)
		sub := fmt.Sprintf("%s[%d]", field, i)
		d.pos[sub] = v.Line
		item(i, sub, v)
	}
}

// str returns a scalar's text. Numbers and booleans are taken as written.
func (d *decoder) str(v *yaml.Node, field string) (string, bool) {
	if v.Kind != yaml.ScalarNode {
		d.failf(v, field, "must be a single value, not %s", describe(v))
		return "", false
	}
	return v.Value, true
}

func (d *decoder) boolean(v *yaml.Node, field string) (bool, bool) {
	var b bool
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&b) != nil {
		d.failf(v, field, "must be true or false, not %s", describe(v))
		return false, false
	}
	return b, true
}

// id reads a positive integer, as OVH ids are.
func (d *decoder) id(v *yaml.Node, field string) (int64, bool) {
	var n int64
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&n) != nil || n <= 0 {
		d.failf(v, field, "must be a positive whole number, not %s", describe(v))
		return 0, false
	}
	return n, true
}

// integer reads a whole number; the validator checks its range.
func (d *decoder) integer(v *yaml.Node, field string) (int, bool) {
	var n int
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&n) != nil {
		d.failf(v, field, "must be a whole number, not %s", describe(v))
		return 0, false
	}
	return n, true
}

func (d *decoder) number(v *yaml.Node, field string) (float64, bool) {
	var f float64
	if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") || v.Decode(&f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.failf(v, field, "must be a number, not %s", describe(v))
		return 0, false
	}
	return f, true
}

// amount reads a decimal amount exactly, from the scalar's source text:
// never through a float.
func (d *decoder) amount(v *yaml.Node, field string) (int64, bool) {
	if v.Kind != yaml.ScalarNode {
		d.failf(v, field, "must be an amount such as 12.99, not %s", describe(v))
		return 0, false
	}
	u, err := renewd.ParseAmount(v.Value)
	if err != nil {
		d.failf(v, field, "%q is not a decimal amount such as 12.99", v.Value)
		return 0, false
	}
	return u, true
}

func (d *decoder) window(v *yaml.Node, field string) (time.Duration, bool) {
	s, ok := d.str(v, field)
	if !ok {
		return 0, false
	}
	w, err := ParseWindow(s)
	if err != nil {
		d.failf(v, field, "%w", err)
		return 0, false
	}
	return w, true
}

// filePath reads a file path, relative ones against the config's directory.
func (d *decoder) filePath(v *yaml.Node, field string) (string, bool) {
	s, ok := d.str(v, field)
	if !ok || s == "" {
		return s, ok
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(d.dir, s)
	}
	return filepath.Clean(s), true
}

// credentialFile reads the name of a secret file: absolute, a bare name in
// $CREDENTIALS_DIRECTORY, or relative to the config's directory.
func (d *decoder) credentialFile(v *yaml.Node, field string) (string, bool) {
	s, ok := d.str(v, field)
	if !ok {
		return "", false
	}
	if s == "" {
		d.failf(v, field, "must name a file; leave the key out instead")
		return "", false
	}
	if d.pendingKey && strings.HasSuffix(field, ".consumer_key_file") {
		return pendingKeyFile(s, d.dir, d.getenv), true
	}
	return resolveFile(s, d.dir, d.getenv), true
}

// word reads one of a few allowed words.
func (d *decoder) word(v *yaml.Node, field string, allowed ...string) (string, bool) {
	s, ok := d.str(v, field)
	if !ok {
		return "", false
	}
	for _, a := range allowed {
		if s == a {
			return s, true
		}
	}
	d.failf(v, field, "%q is not one of %s", s, strings.Join(allowed, ", "))
	return "", false
}

func joinField(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what a node holds, for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "an unexpected YAML node"
}

// suggest returns "; did you mean X?" for a close known key, or the list
// of known keys.
func suggest(key string, known map[string]fieldFunc) string {
	keys := make([]string, 0, len(known))
	for k := range known {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	best, bestDist := "", 3
	for _, k := range keys {
		if dist := editDistance(key, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		return "; did you mean " + best + "?"
	}
	return " (known keys: " + strings.Join(keys, ", ") + ")"
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
