package metrics

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/renewd/renewd/internal/renewal"
)

const alertsFile = "../../deploy/prometheus/alerts.yml"

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

var metricName = regexp.MustCompile(`renewd_[a-z_]+`)

// TestAlertsUseExposedMetrics parses the shipped rule file and checks that
// every alert is complete and names only metrics this package exposes.
func TestAlertsUseExposedMetrics(t *testing.T) {
	data, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(data, &rf); err != nil {
		t.Fatalf("parse %s: %v", alertsFile, err)
	}

	m := New("dev")
	m.SetPolicy(testPolicy())
	m.CycleDone(cycleAt, firstSummary(), true)
	m.Spent("default", "EUR", 1)
	m.OVHRequest("default", "GET /service/{id}", 200)
	m.WatchOutbox(func() (int, int, error) { return 0, 0, nil })
	m.SlackSocketMode(true)
	exposed := registeredNames(t, m)

	alerts := map[string]bool{}
	if len(rf.Groups) == 0 {
		t.Fatal("no rule groups")
	}
	for _, g := range rf.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("group %q: want a name and rules", g.Name)
		}
		for i, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("group %s rule %d: not an alert", g.Name, i)
				continue
			}
			alerts[r.Alert] = true
			if r.Expr == "" {
				t.Errorf("%s: no expr", r.Alert)
			}
			switch r.Labels["severity"] {
			case "critical", "warning", "info":
			default:
				t.Errorf("%s: severity label %q, want critical, warning or info", r.Alert, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s: no summary annotation", r.Alert)
			}
			names := metricName.FindAllString(r.Expr, -1)
			if len(names) == 0 {
				t.Errorf("%s: expr names no renewd metric: %s", r.Alert, r.Expr)
			}
			for _, n := range names {
				if !exposed[n] {
					t.Errorf("%s: expr uses %s, which renewd does not expose", r.Alert, n)
				}
			}
		}
	}
	for _, want := range []string{"RenewdServiceExpiringSoon", "RenewdRenewalFailed", "RenewdRenewalStuck", "RenewdNoSuccessfulCycle"} {
		if !alerts[want] {
			t.Errorf("alert %s missing", want)
		}
	}
	// The states the alerts match on are states the gauge can take.
	for _, s := range []string{"failed", "undelivered", "ordering", "ordered", "paying"} {
		if !slices.Contains(States, s) {
			t.Errorf("alerts match state %q, which is not in States", s)
		}
	}
	if !slices.Contains(resultsOf(CountedResults), "failed") {
		t.Error(`alerts use renewals_total{result="failed"}, which is never counted`)
	}
}

func resultsOf(actions []renewal.Action) []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = string(a)
	}
	return out
}
