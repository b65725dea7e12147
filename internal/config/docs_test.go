package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestPolicyDocExamplesAreValid keeps docs/policies.md true: its example
// rules and budget, put in one config, pass validation.
func TestPolicyDocExamplesAreValid(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policies.md")
	if err != nil {
		t.Fatal(err)
	}
	var rules, budget []string
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1) {
		block := m[1]
		switch {
		case strings.HasPrefix(block, "- name"):
			for _, line := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
				rules = append(rules, "  "+line)
			}
		case strings.HasPrefix(block, "budget:"):
			budget = append(budget, strings.TrimRight(block, "\n"))
		}
	}
	if len(rules) == 0 || len(budget) != 1 {
		t.Fatalf("found %d rule lines and %d budget blocks in docs/policies.md", len(rules), len(budget))
	}
	cfg := "ovh:\n  endpoint: ovh-eu\n" + budget[0] + "\npolicies:\n" + strings.Join(rules, "\n") + "\n"
	c, err := Parse(strings.NewReader(cfg), "docs/policies.md", func(string) string { return "" })
	if err != nil {
		t.Fatalf("the examples of docs/policies.md do not validate:\n%v\n%s", err, cfg)
	}
	if len(c.Policy.Rules) < 4 || c.Budget == nil {
		t.Errorf("parsed %d rules and budget %v, want the doc's four rules and its budget", len(c.Policy.Rules), c.Budget)
	}
}
