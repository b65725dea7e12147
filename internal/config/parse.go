package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads and validates the config file at path. getenv is as for Parse.
func Load(path string, getenv func(string) string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	return Parse(f, path, getenv)
}

// Parse reads a config file from r, starting from Default(): it decodes it
// strictly (unknown keys, duplicate keys and values of the wrong kind are
// errors), resolves relative paths against the directory of path and bare
// credential file names in $CREDENTIALS_DIRECTORY (read through getenv; nil
// means no environment), then validates the result as Validate does,
// including the credential files' presence and permissions (never their
// content). On any problem it returns a nil Config and Errors listing every
// problem found, sorted by line.
//
// A key given with no value (`key:` or `key: ~`) counts as absent.
func Parse(r io.Reader, path string, getenv func(string) string) (*Config, error) {
	return parse(r, path, getenv, false)
}

// parse is Parse; pendingKey is LoadForAuth's leniency about the consumer
// key files (auth.go).
func parse(r io.Reader, path string, getenv func(string) string, pendingKey bool) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	d := &decoder{path: path, dir: dir, getenv: getenv, pos: positions{}, failed: map[string]bool{}, pendingKey: pendingKey}
	root, cerr := readRoot(r)
	if cerr != nil {
		cerr.Path = path
		return nil, Errors{cerr}
	}
	c := Default()
	c.Path = path
	d.pos[""] = root.Line
	d.config(root, &c)
	v := &validator{c: &c, pos: d.pos, failed: d.failed}
	v.validate()
	errs := append(d.errs, v.errs...)
	if pendingKey {
		errs = dropPendingKeyErrors(errs)
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	return &c, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// readRoot reads the one YAML document and returns its top mapping.
func readRoot(r io.Reader) (*yaml.Node, *ConfigError) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &ConfigError{Err: fmt.Errorf("read: %w", err)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ConfigError{Err: errors.New("the file is empty")}
		}
		return nil, syntaxError(err, data)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, syntaxError(err, data)
		}
		return nil, &ConfigError{Line: next.Line, Err: errors.New("more than one YAML document; the config is one")}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, &ConfigError{Err: errors.New("the file is empty")}
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, &ConfigError{Line: root.Line, Err: fmt.Errorf("the config must be a mapping of settings (key: value), not %s", describe(root))}
	}
	return root, nil
}

// parserProblems are the problems yaml.v3's parser (as opposed to its
// scanner) reports. yaml.v3 gives their line 0-based, and leaves it out
// for the first line; syntaxError adds the missing one.
var parserProblems = []string{
	"did not find expected ",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// syntaxError turns a yaml.v3 error into a ConfigError with its line: the
// line of the problem, or where the construct it breaks starts; the last
// line for a problem found at the end of the file.
func syntaxError(err error, data []byte) *ConfigError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	for _, p := range parserProblems {
		if strings.HasPrefix(msg, p) {
			line++
			break
		}
	}
	lines := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++
	}
	line = min(line, lines)
	return &ConfigError{Line: line, Err: fmt.Errorf("bad YAML: %s", msg)}
}

// positions maps a field path to the line that gives it: a scalar's own
// line, or the key's line for a mapping or a list.
type positions map[string]int

// line returns the line of the field, or of its nearest ancestor that the
// file gives (the mapping a missing key belongs in); the top mapping is
// field "". 0 when unknown.
func (p positions) line(field string) int {
	for ; field != ""; field = parentField(field) {
		if l, ok := p[field]; ok {
			return l
		}
	}
	return p[""]
}

// parentField strips the last component: policies[0].payment -> policies[0] -> policies.
func parentField(f string) string {
	if i := strings.LastIndexAny(f, ".["); i >= 0 {
		return f[:i]
	}
	return ""
}

// related reports whether a and b are the same field or one contains the other.
func related(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return b == a || strings.HasPrefix(b, a) && (b[len(a)] == '.' || b[len(a)] == '[')
}
