package config

import (
	"os"
	"strings"
	"testing"
)

// TestExampleSlackSection keeps the commented slack section of
// config.example.yaml valid, and its digest settings the defaults: the
// section is uncommented and parsed after the example's other settings.
func TestExampleSlackSection(t *testing.T) {
	raw, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	i := strings.Index(text, "\n# slack:\n")
	if i < 0 {
		t.Fatal("config.example.yaml has no commented slack section")
	}
	var section []string
	for _, line := range strings.Split(text[i+1:], "\n") {
		if !strings.HasPrefix(line, "#") {
			break
		}
		section = append(section, strings.TrimPrefix(strings.TrimPrefix(line, "#"), " "))
	}
	_, getenv := credentialsDir(t)
	c, err := Parse(strings.NewReader(validBase+strings.Join(section, "\n")+"\n"), "/etc/renewd/config.yaml", getenv)
	if err != nil {
		t.Fatalf("the example's slack section, uncommented:\n%s\n%v", strings.Join(section, "\n"), err)
	}
	def := defaultSlack()
	if s := c.Slack; s == nil || s.DigestThreshold != def.DigestThreshold || s.DigestList != def.DigestList ||
		s.MaxSingleMessages != def.MaxSingleMessages || s.ApprovalTimeout != def.ApprovalTimeout {
		t.Errorf("the example's slack values drifted from the defaults it documents: %+v", c.Slack)
	}
}
