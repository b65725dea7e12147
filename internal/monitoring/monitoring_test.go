package monitoring

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// families is a registry with a few of renewd's shapes: a labelled gauge, a
// counter, an unlabelled gauge and a histogram.
func families(t *testing.T) Families {
	t.Helper()
	reg := prometheus.NewRegistry()
	state := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "renewd_service_state"}, []string{"account", "service_id", "state"})
	exp := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "renewd_service_expiration_timestamp_seconds"}, []string{"account", "service_id", "type", "name"})
	req := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "renewd_ovh_requests_total"}, []string{"account", "route", "code"})
	out := prometheus.NewGauge(prometheus.GaugeOpts{Name: "renewd_outbox_reports"})
	hist := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "renewd_cycle_seconds"})
	reg.MustRegister(state, exp, req, out, hist)
	state.WithLabelValues("default", "1", "due").Set(1)
	exp.WithLabelValues("default", "1", "vps", "a").Set(1)
	req.WithLabelValues("default", "GET /service", "200").Inc()
	hist.Observe(1)
	fs, err := FromGatherer(reg)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestCheck(t *testing.T) {
	fs := families(t)
	tests := []struct {
		name string
		expr string
		want []string // substrings of the errors, in order; none for a good query
	}{
		{"a counter rate by a label", `sum by (route) (rate(renewd_ovh_requests_total{code!~"2.."}[5m]))`, nil},
		{"a join adding a label", `(renewd_service_expiration_timestamp_seconds - time()) * on (account, service_id) group_left (state) (renewd_service_state == 1)`, nil},
		{"target labels", `renewd_outbox_reports{instance=~".*", job="renewd"}`, nil},
		{"histogram series", `histogram_quantile(0.9, sum by (le) (rate(renewd_cycle_seconds_bucket[1h])))`, nil},
		{"absent of a known metric", `absent(renewd_outbox_reports)`, nil},
		{"label_replace makes a label", `sum by (svc) (label_replace(renewd_service_state, "svc", "$1", "service_id", "(.*)"))`, nil},
		{"a numeric comparison", `time() - renewd_outbox_reports > 7 * 86400`, nil},
		{"unknown metric", `rate(renewd_ovh_request_total[5m])`, []string{"uses renewd_ovh_request_total, which is not exposed"}},
		{"absent of an unknown metric", `absent(renewd_build_inf)`, []string{"uses renewd_build_inf"}},
		{"unknown label in a matcher", `renewd_ovh_requests_total{status="500"}`, []string{`matches renewd_ovh_requests_total on label "status", which it does not have (it has account, code, route)`}},
		{"unknown grouping label", `sum by (status) (renewd_ovh_requests_total)`, []string{`sum by (status): no metric it aggregates has label "status"`}},
		{"on a label one side lacks", `renewd_outbox_reports * on (account) renewd_service_state`, []string{`on(account): a side has no label "account"`}},
		{"group_left of a label the right lacks", `renewd_service_state * on (account, service_id) group_left (type) renewd_service_state`, []string{`group_left(type): the side it copies from has no label "type"`}},
		{"selector by labels only", `{account="default"}`, []string{"selects by labels alone"}},
		{"name by a pattern", `{__name__=~"renewd_.*"}`, []string{"matches the metric name by a pattern"}},
		{"no metric at all", `time() - 3600`, []string{"selects no metric"}},
		{"not PromQL", `sum by (route (renewd_ovh_requests_total)`, []string{"parse"}},
		{"metric names in strings are not selectors", `label_replace(renewd_outbox_reports, "x", "renewd_nope", "", "")`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := Check([]Query{{Where: "q", Expr: tt.expr}}, fs)
			if len(errs) != len(tt.want) {
				t.Fatalf("Check(%s) = %v, want %d errors %v", tt.expr, errs, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(errs[i].Error(), "q: ") || !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d = %q, want it to name the query and say %q", i, errs[i], w)
				}
			}
		})
	}
}

func TestGrafanaVariables(t *testing.T) {
	tests := []struct{ in, want string }{
		{`rate(x{instance=~"$instance"}[$__rate_interval])`, `rate(x{instance=~".*"}[5m])`},
		{`increase(x{job="${job}"}[${__interval}])`, `increase(x{job=".*"}[5m])`},
		{`x{a=~"${a:regex}", b="[[b]]"}[$__range]`, `x{a=~".*", b=".*"}[5m]`},
		{`renewd_outbox_reports`, `renewd_outbox_reports`},
	}
	for _, tt := range tests {
		if got := Grafana(tt.in); got != tt.want {
			t.Errorf("Grafana(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestRecordedFamilies(t *testing.T) {
	fs := families(t)
	rf := &RuleFile{Groups: []RuleGroup{{Name: "g", Rules: []Rule{
		{Record: "renewd:ovh_requests:increase6h", Expr: `increase(renewd_ovh_requests_total[6h])`},
		{Record: "renewd:ovh_errors:by_account", Expr: `sum by (account) (renewd:ovh_requests:increase6h{code="500"})`},
		{Alert: "A", Expr: `renewd:ovh_errors:by_account > 0`},
	}}}}
	rec, err := rf.Recorded(fs)
	if err != nil {
		t.Fatal(err)
	}
	all := fs.With(rec)
	if errs := Check(rf.Queries(), all); len(errs) != 0 {
		t.Errorf("Check of rules over their own recordings: %v", errs)
	}
	if got := strings.Join(sortedKeys(rec["renewd:ovh_errors:by_account"]), ","); got != "account" {
		t.Errorf("labels of a sum by (account) = %s, want account", got)
	}
	bad := Check([]Query{{Where: "q", Expr: `renewd:ovh_errors:by_account{route="x"}`}}, all)
	if len(bad) != 1 {
		t.Errorf("a label the recording dropped: %v, want one error", bad)
	}
	if len(fs["renewd:ovh_requests:increase6h"]) != 0 {
		t.Error("With changed the families it was called on")
	}
}

func TestMetrics(t *testing.T) {
	got, err := Metrics(`sum by (x) (rate(b_total{code="renewd_not_a_metric"}[5m])) / on (x) a or absent(b_total) + time()`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "a b_total" {
		t.Errorf("Metrics = %v, want [a b_total]", got)
	}
	if _, err := Metrics(`sum(`); err == nil {
		t.Error("Metrics of a broken expression: no error")
	}
}
