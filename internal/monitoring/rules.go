package monitoring

import (
	"bytes"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// RuleFile is a Prometheus rule file, as `rule_files:` loads it.
type RuleFile struct {
	Groups []RuleGroup `yaml:"groups"`
}

// RuleGroup is one group of rules.
type RuleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval"`
	Rules    []Rule `yaml:"rules"`
}

// Rule is an alerting rule (Alert set) or a recording rule (Record set).
type Rule struct {
	Alert         string            `yaml:"alert"`
	Record        string            `yaml:"record"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for"`
	KeepFiringFor string            `yaml:"keep_firing_for"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
}

// LoadRules reads a rule file strictly: a key Prometheus would not know is
// an error.
func LoadRules(path string) (*RuleFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f RuleFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &f, nil
}

// Alerts returns the alerting rules, in file order.
func (f *RuleFile) Alerts() []Rule {
	var out []Rule
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out = append(out, r)
			}
		}
	}
	return out
}

// Queries returns the expression of every rule, named by the rule.
func (f *RuleFile) Queries() []Query {
	var out []Query
	for _, g := range f.Groups {
		for i, r := range g.Rules {
			where := fmt.Sprintf("group %s rule %d", g.Name, i)
			switch {
			case r.Alert != "":
				where = "alert " + r.Alert
			case r.Record != "":
				where = "record " + r.Record
			}
			out = append(out, Query{Where: where, Expr: r.Expr})
		}
	}
	return out
}

// Recorded returns the families the recording rules make from fs, each
// with the labels its expression keeps (see outputLabels); a rule may use
// the ones recorded before it.
func (f *RuleFile) Recorded(fs Families) (Families, error) {
	out := Families{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Record == "" {
				continue
			}
			labels, err := outputLabels(r.Expr, fs.With(out))
			if err != nil {
				return nil, fmt.Errorf("record %s: %w", r.Record, err)
			}
			out[r.Record] = labels
		}
	}
	return out, nil
}
