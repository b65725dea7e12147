package ovhfake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// schema is testdata/ovh-schema.txt: OVH's types as the doc gives them.
type schema struct {
	enums  map[string][]string
	models map[string][]field // fields in table order
	routes map[string]string  // route key -> TYPE
}

type field struct {
	name, typ string
	absentOK  bool
}

// loadSchema reads the table and checks that every type it names exists.
func loadSchema(t *testing.T) *schema {
	t.Helper()
	data, err := os.ReadFile("testdata/ovh-schema.txt")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := parseSchema(data)
	if err != nil {
		t.Fatalf("testdata/ovh-schema.txt: %v", err)
	}
	return sc
}

func parseSchema(data []byte) (*schema, error) {
	sc := &schema{enums: map[string][]string{}, models: map[string][]field{}, routes: map[string]string{}}
	var model string
	s := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; s.Scan(); n++ {
		line, _, _ := strings.Cut(s.Text(), "#")
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
			continue
		case f[0] == "enum" && len(f) >= 3:
			sc.enums[f[1]], model = f[2:], ""
		case f[0] == "model" && len(f) == 2:
			model = f[1]
			sc.models[model] = nil
		case f[0] == "route" && len(f) == 4:
			sc.routes[f[1]+" "+f[2]], model = f[3], ""
		case model != "" && (len(f) == 2 || len(f) == 3 && f[2] == "absent-ok") && line[0] == ' ':
			sc.models[model] = append(sc.models[model], field{name: f[0], typ: f[1], absentOK: len(f) == 3})
		default:
			return nil, fmt.Errorf("line %d: cannot read %q", n, s.Text())
		}
	}
	var errs []string
	check := func(where, typ string) {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(typ, "?"), "[]"), "?")
		if _, ok := primitives[base]; !ok && sc.models[base] == nil && sc.enums[base] == nil {
			errs = append(errs, fmt.Sprintf("%s: unknown type %s", where, typ))
		}
	}
	for name, fields := range sc.models {
		for _, fd := range fields {
			check(name+"."+fd.name, fd.typ)
		}
	}
	for key, typ := range sc.routes {
		check(key, typ)
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return sc, nil
}

var primitives = map[string]bool{"date": true, "datetime": true, "long": true, "double": true, "string": true,
	"boolean": true, "duration": true, "void": true, "any": true}

// wireAllow is what a check accepts beyond the table, because the fake was
// told to speak so: the zone of datetimes, alternative types for a field,
// fields left out, enum values the doc does not list.
type wireAllow struct {
	// zone is where datetimes must be written: their offset must be this
	// zone's at that instant (Paris: +01:00 in winter, +02:00 in summer),
	// and "Z" only for UTC.
	zone *time.Location
	// alt gives another TYPE a field ("model.field") may have.
	alt map[string]string
	// absent lists fields ("model.field") that may be missing.
	absent map[string]bool
	// enum lists values an enum may take beyond the doc's.
	enum map[string][]string
}

// checker checks decoded JSON (json.Decoder.UseNumber) against the schema.
type checker struct {
	sc    *schema
	allow wireAllow
	errs  []string
}

func (c *checker) fail(path, format string, args ...any) {
	c.errs = append(c.errs, path+": "+fmt.Sprintf(format, args...))
}

// checkBody decodes an answer generically and checks it against typ.
func (c *checker) checkBody(path, typ string, body []byte) {
	if typ == "void" {
		if b := bytes.TrimSpace(body); len(b) != 0 && string(b) != "null" {
			c.fail(path, "a void answer is %q, want nothing or null", b)
		}
		return
	}
	v, err := decodeGeneric(body)
	if err != nil {
		c.fail(path, "not JSON: %v", err)
		return
	}
	c.check(path, typ, v)
}

func decodeGeneric(body []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("more than one value")
	}
	return v, nil
}

var (
	dateRE     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	datetimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)
	longRE     = regexp.MustCompile(`^-?(0|[1-9]\d*)$`)
	durationRE = regexp.MustCompile(`^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$`)
)

// check checks v against typ at path ("$.billing.expirationDate").
func (c *checker) check(path, typ string, v any) {
	nullable := strings.HasSuffix(typ, "?")
	typ = strings.TrimSuffix(typ, "?")
	if v == nil {
		if !nullable && typ != "any" {
			c.fail(path, "null, but %s is not nullable", typ)
		}
		return
	}
	if elem, isArray := strings.CutSuffix(typ, "[]"); isArray {
		arr, ok := v.([]any)
		if !ok {
			c.fail(path, "%s, want an array of %s", kind(v), elem)
			return
		}
		for i, e := range arr {
			c.check(fmt.Sprintf("%s[%d]", path, i), elem, e)
		}
		return
	}
	s, isString := v.(string)
	num, isNumber := v.(json.Number)
	switch typ {
	case "any":
	case "string":
		if !isString {
			c.fail(path, "%s, want a string", kind(v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.fail(path, "%s, want a boolean", kind(v))
		}
	case "long":
		if _, err := strconv.ParseInt(string(num), 10, 64); !isNumber || !longRE.MatchString(string(num)) || err != nil {
			c.fail(path, "%s, want a long (an integer)", kind(v))
		}
	case "double":
		if _, err := strconv.ParseFloat(string(num), 64); !isNumber || err != nil {
			c.fail(path, "%s, want a double", kind(v))
		}
	case "date":
		if _, err := time.Parse(time.DateOnly, s); !isString || !dateRE.MatchString(s) || err != nil {
			c.fail(path, "%s, want a date (YYYY-MM-DD)", kind(v))
		}
	case "datetime":
		c.checkDatetime(path, v)
	case "duration":
		if !isString || !durationRE.MatchString(s) || s == "P" || strings.HasSuffix(s, "T") {
			c.fail(path, "%s, want an ISO 8601 duration", kind(v))
		}
	default:
		if values, isEnum := c.sc.enums[typ]; isEnum {
			if !isString || !slices.Contains(values, s) && !slices.Contains(c.allow.enum[typ], s) {
				c.fail(path, "%s is not a value of %s", kind(v), typ)
			}
			return
		}
		c.checkModel(path, typ, v)
	}
}

func (c *checker) checkDatetime(path string, v any) {
	s, ok := v.(string)
	t, err := time.Parse(time.RFC3339, s)
	if !ok || !datetimeRE.MatchString(s) || err != nil {
		c.fail(path, "%s, want a datetime (RFC 3339 with an offset)", kind(v))
		return
	}
	_, sent := t.Zone()
	_, want := t.In(c.allow.zone).Zone()
	switch {
	case c.allow.zone == time.UTC && !strings.HasSuffix(s, "Z"):
		c.fail(path, "%q, want UTC written Z", s)
	case sent != want:
		c.fail(path, "%q carries offset %s, but %s is at %s then", s, t.Format("-07:00"),
			c.allow.zone, t.In(c.allow.zone).Format("-07:00"))
	}
}

func (c *checker) checkModel(path, model string, v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "%s, want an object %s", kind(v), model)
		return
	}
	fields := c.sc.models[model]
	for _, fd := range fields {
		key := model + "." + fd.name
		val, present := obj[fd.name]
		switch {
		case !present && !fd.absentOK && !c.allow.absent[key]:
			c.fail(path, "%s has no %s", model, fd.name)
		case !present:
		case c.allow.alt[key] != "":
			alt := &checker{sc: c.sc, allow: c.allow}
			alt.check(path+"."+fd.name, c.allow.alt[key], val)
			if len(alt.errs) == 0 {
				continue
			}
			c.check(path+"."+fd.name, fd.typ, val)
		default:
			c.check(path+"."+fd.name, fd.typ, val)
		}
	}
	for name := range obj {
		if !slices.ContainsFunc(fields, func(fd field) bool { return fd.name == name }) {
			c.fail(path, "%s has no field %q in the doc", model, name)
		}
	}
}

// kind describes a decoded value for an error message.
func kind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case json.Number:
		return "the number " + string(x)
	case bool:
		return "the boolean " + strconv.FormatBool(x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
