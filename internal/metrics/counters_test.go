package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/renewd/renewd/internal/renewal"
)

func TestRenewalsCountChangesNotStandingStates(t *testing.T) {
	type step struct {
		action renewal.Action
		exp    time.Time
	}
	tests := []struct {
		name  string
		steps []step
		want  map[renewal.Action]float64
	}{
		{"paid once, then already-paid", []step{{renewal.ActPaid, expVPS}, {renewal.ActAlreadyPaid, expVPS}, {renewal.ActAlreadyPaid, expVPS}},
			map[renewal.Action]float64{renewal.ActPaid: 1}},
		{"refused every cycle counts once", []step{{renewal.ActRefused, expVPS}, {renewal.ActRefused, expVPS}, {renewal.ActRefused, expVPS}},
			map[renewal.Action]float64{renewal.ActRefused: 1}},
		{"awaiting, then paid", []step{{renewal.ActAwaiting, expVPS}, {renewal.ActAwaiting, expVPS}, {renewal.ActPaid, expVPS}},
			map[renewal.Action]float64{renewal.ActAwaiting: 1, renewal.ActPaid: 1}},
		{"failed, pending, failed again", []step{{renewal.ActFailed, expVPS}, {renewal.ActPending, expVPS}, {renewal.ActFailed, expVPS}},
			map[renewal.Action]float64{renewal.ActFailed: 2}},
		{"refused on a new term counts again", []step{{renewal.ActRefused, expVPS}, {renewal.ActRefused, expVPS.AddDate(0, 1, 0)}},
			map[renewal.Action]float64{renewal.ActRefused: 2}},
		{"nothing and reported are not counted", []step{{renewal.ActNothing, expVPS}, {renewal.ActReported, expVPS}},
			map[renewal.Action]float64{}},
		{"delivered and denied", []step{{renewal.ActDelivered, expVPS}, {renewal.ActDenied, expVPS.AddDate(1, 0, 0)}},
			map[renewal.Action]float64{renewal.ActDelivered: 1, renewal.ActDenied: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New("dev")
			for i, s := range tt.steps {
				sum := renewal.Summary{Outcomes: []renewal.Outcome{outcome("default", 101, "vps", "vps-a", s.exp, s.action, "")}}
				m.CycleDone(cycleAt.Add(time.Duration(i)*time.Hour), sum, true)
			}
			for _, r := range CountedResults {
				if got := testutil.ToFloat64(m.renewals.WithLabelValues(string(r))); got != tt.want[r] {
					t.Errorf("renewals{result=%q} = %v, want %v", r, got, tt.want[r])
				}
			}
		})
	}
}

func TestSpentAndOVHRequests(t *testing.T) {
	m := New("dev")
	m.Spent("default", "EUR", 1_299_000_000) // 12.99 EUR
	m.Spent("pro", "EUR", 100_000_000)       // 1.00 EUR
	m.Spent("pro", "CAD", 250_000_000)
	m.Spent("pro", "CAD", -5) // ignored, not a panic
	m.OVHRequest("default", "GET /service/{id}", 200)
	m.OVHRequest("default", "GET /service/{id}", 200)
	m.OVHRequest("default", "GET /service/{id}", 0)
	m.OVHRequest("pro", "POST /service/{id}/renew", 429)

	floats := []struct {
		name string
		got  float64
		want float64
	}{
		{"spent EUR", testutil.ToFloat64(m.spent.WithLabelValues("EUR")), 13.99},
		{"spent CAD", testutil.ToFloat64(m.spent.WithLabelValues("CAD")), 2.5},
		{"GET 200", testutil.ToFloat64(m.requests.WithLabelValues("default", "GET /service/{id}", "200")), 2},
		{"GET error", testutil.ToFloat64(m.requests.WithLabelValues("default", "GET /service/{id}", "error")), 1},
		{"POST 429", testutil.ToFloat64(m.requests.WithLabelValues("pro", "POST /service/{id}/renew", "429")), 1},
	}
	for _, f := range floats {
		if diff := f.got - f.want; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
	if n := testutil.CollectAndCount(m.requests); n != 3 {
		t.Errorf("%d request series, want 3", n)
	}
}

// The unreadable-records gauge is there at 0 from the start, so that the
// RenewdLedgerUnreadable alert has a series, and follows what it is told.
func TestLedgerUnreadableGauge(t *testing.T) {
	m := New("dev")
	for _, tc := range []struct {
		set  int
		want float64
	}{{-1, 0}, {2, 2}, {0, 0}} {
		if tc.set >= 0 {
			m.LedgerUnreadable(tc.set)
		}
		series := gatherFamily(t, m, NameLedgerUnreadable)
		if len(series) != 1 || series[0].GetGauge().GetValue() != tc.want {
			t.Fatalf("after LedgerUnreadable(%d): %s = %v, want one series at %v", tc.set, NameLedgerUnreadable, series, tc.want)
		}
	}
}
