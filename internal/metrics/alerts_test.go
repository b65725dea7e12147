package metrics

import (
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/renewd/renewd/internal/monitoring"
	"github.com/renewd/renewd/internal/renewal"
)

const (
	alertsFile     = "../../deploy/prometheus/alerts.yml"
	alertTestsFile = "../../deploy/prometheus/alerts_test.yml"
)

// exposedFamilies is every family of a registry that has seen a cycle, a
// payment, an OVH request, a budget and the outbox: each metric renewd can
// expose, with its labels.
func exposedFamilies(t *testing.T) monitoring.Families {
	t.Helper()
	m := New("dev")
	m.SetPolicy(testPolicy())
	m.CycleDone(cycleAt, firstSummary(), true)
	m.Spent("default", "EUR", 1)
	m.OVHRequest("default", "GET /service/{id}", 200)
	m.SetBudget(&renewal.Budget{MonthlyUcents: 1, Currency: "EUR"})
	m.MonthSpent(map[string]int64{"EUR": 1})
	m.WatchOutbox(func() (int, int, error) { return 1, 0, nil })
	m.SlackSocketMode(true)
	fs, err := monitoring.FromGatherer(m.Gatherer())
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestAlertsUseExposedMetrics parses the shipped rule file and checks that
// every alert is complete and that every expression selects only metrics
// this package exposes (or the file records), on labels they have.
func TestAlertsUseExposedMetrics(t *testing.T) {
	rf, err := monitoring.LoadRules(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(rf.Groups) == 0 {
		t.Fatal("no rule groups")
	}
	for _, g := range rf.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("group %q: want a name and rules", g.Name)
		}
	}
	fs := exposedFamilies(t)
	recorded, err := rf.Recorded(fs)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range monitoring.Check(rf.Queries(), fs.With(recorded)) {
		t.Error(err)
	}

	alerts := map[string]bool{}
	for _, r := range rf.Alerts() {
		alerts[r.Alert] = true
		switch r.Labels["severity"] {
		case "critical", "warning", "info":
		default:
			t.Errorf("%s: severity label %q, want critical, warning or info", r.Alert, r.Labels["severity"])
		}
		if r.Annotations["summary"] == "" {
			t.Errorf("%s: no summary annotation", r.Alert)
		}
	}
	for _, want := range []string{"RenewdServiceExpiringSoon", "RenewdDueNotRenewed", "RenewdRenewalFailed",
		"RenewdRenewalUndelivered", "RenewdRenewalStuck", "RenewdNoSuccessfulCycle", "RenewdOVHErrors",
		"RenewdOVHAccessDenied", "RenewdMetricsAbsent", "RenewdLedgerUnreadable"} {
		if !alerts[want] {
			t.Errorf("alert %s missing", want)
		}
	}
	// The states the alerts match on are states the gauge can take.
	for _, s := range []string{"failed", "undelivered", "ordering", "ordered", "paying", "none", "paid", "delivered", "denied"} {
		if !slices.Contains(States, s) {
			t.Errorf("alerts match state %q, which is not in States", s)
		}
	}
	if !slices.Contains(resultsOf(CountedResults), "failed") {
		t.Error(`alerts use renewals_total{result="failed"}, which is never counted`)
	}
}

// TestEveryAlertHasPromtoolTests checks that alerts_test.yml, which
// `promtool test rules` runs in CI, has for every alert a case where it
// fires and one where it must not, and no case for an alert that does not
// exist.
func TestEveryAlertHasPromtoolTests(t *testing.T) {
	rf, err := monitoring.LoadRules(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(alertTestsFile)
	if err != nil {
		t.Fatal(err)
	}
	var tf struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			Name  string `yaml:"name"`
			Cases []struct {
				Alert     string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(data, &tf); err != nil {
		t.Fatalf("parse %s: %v", alertTestsFile, err)
	}
	if !slices.Equal(tf.RuleFiles, []string{"alerts.yml"}) {
		t.Errorf("rule_files = %v, want [alerts.yml]", tf.RuleFiles)
	}
	fires, quiet := map[string]int{}, map[string]int{}
	for _, tc := range tf.Tests {
		for _, c := range tc.Cases {
			if len(c.ExpAlerts) > 0 {
				fires[c.Alert]++
			} else {
				quiet[c.Alert]++
			}
		}
	}
	alerts := map[string]bool{}
	for _, r := range rf.Alerts() {
		alerts[r.Alert] = true
		if fires[r.Alert] == 0 || quiet[r.Alert] == 0 {
			t.Errorf("%s: %d promtool cases where it fires, %d where it does not; want at least one of each", r.Alert, fires[r.Alert], quiet[r.Alert])
		}
	}
	for name := range fires {
		if !alerts[name] {
			t.Errorf("promtool tests alert %s, which alerts.yml does not define", name)
		}
	}
}

func resultsOf(actions []renewal.Action) []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = string(a)
	}
	return out
}
