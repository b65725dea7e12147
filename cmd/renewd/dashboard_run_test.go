package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/renewd/renewd/internal/metrics"
	"github.com/renewd/renewd/internal/monitoring"
)

const (
	dashboardFile  = "../../deploy/grafana/renewd.json"
	alertRulesFile = "../../deploy/prometheus/alerts.yml"
	operationsDoc  = "../../docs/operations.md"
)

// TestDashboardAndAlertsQueryWhatADaemonExposes runs `renewd run`
// in-process against the fake OVH, with a budget and a listener, scrapes
// /metrics after the first cycle, and checks every query of the Grafana
// dashboard and of the alert rules against the scrape: each metric a query
// selects is exposed, and each label it matches, groups or joins on is one
// the metric has.
func TestDashboardAndAlertsQueryWhatADaemonExposes(t *testing.T) {
	d, err := monitoring.LoadDashboard(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	queries, err := d.Queries()
	if err != nil {
		t.Fatal(err)
	}
	rf, err := monitoring.LoadRules(alertRulesFile)
	if err != nil {
		t.Fatal(err)
	}

	r := newDaemonRig(t)
	addr := freeAddr(t)
	body := fmt.Sprintf("listen: %s\ncontrol_socket: %s\nbudget:\n  monthly: 500.00\n  currency: EUR\n", addr, r.socket) +
		fmt.Sprintf(demoConfig, r.dir, r.endpoint)
	if err := os.WriteFile(r.cfgPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"run", "--config", r.cfgPath}, func(string) string { return "" }, &bytes.Buffer{}, stderr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("renewd run: %v", err)
		}
	}()
	waitFor(t, "the first cycle", func() bool { return strings.Contains(stderr.String(), `msg="cycle done`) }, stderr.String)

	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := monitoring.FromText(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The metrics the issue asks the dashboard to show are all in the
	// scrape, so that the check below is not vacuous.
	for _, name := range []string{metrics.NameServiceState, metrics.NameExpiration, metrics.NameRenewals,
		metrics.NameSpentThisMonth, metrics.NameBudget, metrics.NameOVHRequests, metrics.NameLastCycleSuccess,
		metrics.NameLastCycle, metrics.NameOutboxReports, metrics.NameOutboxParked, metrics.NameRenewalDue, metrics.NameBuildInfo, "process_start_time_seconds"} {
		if _, ok := fs[name]; !ok {
			t.Errorf("the scrape has no %s; it has %v", name, fs.Names())
		}
	}
	for _, err := range monitoring.Check(queries, fs) {
		t.Errorf("dashboard: %v", err)
	}
	// renewd_slack_socket_mode_up exists only with Slack approvals, which
	// this daemon runs without: its family is the metrics package's own.
	sm := metrics.New("test")
	sm.SlackSocketMode(true)
	slackOnly, err := monitoring.FromGatherer(sm.Gatherer())
	if err != nil {
		t.Fatal(err)
	}
	fs[metrics.NameSlackSocketMode] = slackOnly[metrics.NameSlackSocketMode]
	recorded, err := rf.Recorded(fs)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range monitoring.Check(rf.Queries(), fs.With(recorded)) {
		t.Errorf("alerts: %v", err)
	}
}

// TestDashboardIsImportableAndDocumented checks the dashboard's shape as
// Grafana's import reads it (a Prometheus datasource input used by every
// panel, target and variable; unique panel ids; panels inside the 24-column
// grid), that its panels show every metric the issue names, and that
// docs/operations.md describes each panel by its title.
func TestDashboardIsImportableAndDocumented(t *testing.T) {
	d, err := monitoring.LoadDashboard(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Inputs) != 1 || d.Inputs[0].Name != "DS_PROMETHEUS" || d.Inputs[0].Type != "datasource" || d.Inputs[0].PluginID != "prometheus" {
		t.Errorf("__inputs = %+v, want one Prometheus datasource input DS_PROMETHEUS", d.Inputs)
	}
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q: want both", d.UID, d.Title)
	}
	ds := func(where string, got *monitoring.Datasource) {
		t.Helper()
		if got == nil || got.Type != "prometheus" || got.UID != "${DS_PROMETHEUS}" {
			t.Errorf("%s: datasource %+v, want the DS_PROMETHEUS input", where, got)
		}
	}
	doc, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]bool{}
	shown := map[string]bool{}
	panels := d.AllPanels()
	if len(panels) < 10 {
		t.Errorf("%d panels, want the issue's dozen", len(panels))
	}
	for _, p := range panels {
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.ID <= 0 || ids[p.ID] {
			t.Errorf("%s: id missing or repeated", where)
		}
		ids[p.ID] = true
		if p.Title == "" || p.Description == "" {
			t.Errorf("%s: want a title and a description", where)
		}
		if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v outside the 24-column grid", where, g)
		}
		ds(where, p.Datasource)
		if len(p.Targets) == 0 {
			t.Errorf("%s: no query", where)
		}
		for _, tg := range p.Targets {
			ds(where+" target "+tg.RefID, tg.Datasource)
			names, err := monitoring.Metrics(monitoring.Grafana(tg.Expr))
			if err != nil {
				t.Errorf("%s: %v", where, err)
			}
			for _, n := range names {
				shown[n] = true
			}
		}
		if !bytes.Contains(doc, []byte("**"+p.Title+"**")) {
			t.Errorf("%s: docs/operations.md does not describe it (as **%s**)", where, p.Title)
		}
	}
	for _, v := range d.Templating.List {
		ds("variable "+v.Name, v.Datasource)
	}
	for _, want := range []string{metrics.NameServiceState, metrics.NameExpiration, metrics.NameRenewals,
		metrics.NameSpentThisMonth, metrics.NameBudget, metrics.NameOVHRequests, metrics.NameLastCycleSuccess, metrics.NameOutboxReports, metrics.NameOutboxParked} {
		if !shown[want] {
			t.Errorf("no panel shows %s", want)
		}
	}
}

// TestDashboardQueriesArePromQL has promtool, Prometheus' own parser, read
// the dashboard's queries (with Grafana's variables replaced) as recording
// rules. metricsql, which the other checks use, accepts more than PromQL.
// promtool comes from PATH or .ci/bin, where .ci/rules-check puts it.
func TestDashboardQueriesArePromQL(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		promtool, _ = filepath.Abs("../../.ci/bin/promtool")
		if _, err := os.Stat(promtool); err != nil {
			t.Skip("no promtool on PATH or in .ci/bin (bash .ci/rules-check installs it)")
		}
	}
	d, err := monitoring.LoadDashboard(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	queries, err := d.Queries()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, q := range queries {
		fmt.Fprintf(&b, "      - record: dashboard:query_%d\n        expr: %q\n", i, q.Expr)
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Errorf("promtool check rules on the dashboard's queries: %v\n%s\n%s", err, out, b.String())
	}
}
