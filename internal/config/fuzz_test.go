package config

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it never panics, it returns a
// config or Errors (never both, never neither), every problem names the
// file and a line within it (0 when the problem has no line), and a config
// it returns passes Validate again.
//
// Seed corpus: testdata/fuzz/FuzzParse (the example config, the full
// fixture, and broken ones). Run it long with:
// go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 10m ./internal/config
func FuzzParse(f *testing.F) {
	f.Add([]byte("ovh:\n  endpoint: ovh-eu\n"))
	f.Add([]byte("schedule: \"@every 6h\"\ncontrol_group: ops\novh: {endpoint: ovh-eu}\npolicies:\n  - name: a\n    match: {type: vps}\n    action: notify\n    renew_before: 14d\n"))
	f.Add([]byte("a: &x [*x, *x]\n"))
	f.Add([]byte("ovh:\n  endpoint: ovh-eu\novh:\n  endpoint: ovh-ca\n"))
	const path = "/nonexistent-renewd-fuzz/config.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data), path, nil)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want a config or an error", c, err)
		}
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("Parse error %T is not Errors: %v", err, err)
			}
			lines := yamlLines(data)
			for _, e := range errs {
				if e.Path != path || e.Line < 0 || e.Line > lines {
					t.Fatalf("problem %q: path %q, line %d of %d", e, e.Path, e.Line, lines)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("a config Parse accepted fails Validate: %v", err)
		}
	})
}

// yamlLines counts the lines of data as YAML does, and so as the problems
// number them: a line ends at "\r\n", "\n" or a lone "\r".
func yamlLines(data []byte) int {
	crlf := bytes.Count(data, []byte("\r\n"))
	return bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) - crlf + 1
}
