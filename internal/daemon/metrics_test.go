package daemon

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/metrics"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/renewal"
)

// downSender fails every send while down is set, then delivers.
type downSender struct {
	down atomic.Bool
	sent atomic.Int64
}

func (s *downSender) Send(_ context.Context, key string, _ notify.Ref, _ renewd.Report) (notify.Ref, error) {
	if s.down.Load() {
		return notify.Ref{}, errors.New("slack is down")
	}
	s.sent.Add(1)
	return notify.Ref{Channel: "test", TS: key}, nil
}

// gauge returns the value of a metric's series with the given label (or
// the unlabelled one), and whether it is there.
func gauge(t *testing.T, m *metrics.Metrics, name, label, value string) (float64, bool) {
	t.Helper()
	mfs, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, s := range mf.GetMetric() {
			if label == "" || hasLabel(s, label, value) {
				return s.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

func hasLabel(s *dto.Metric, name, value string) bool {
	for _, l := range s.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// TestMetricsFollowTheLedger runs the daemon with the real metrics and a
// budget through a cycle that pays while Slack is down, then Slack comes
// back: the month's spending is what the fake OVH was paid, the budget is
// the config's, and the outbox gauge counts the waiting reports down to 0.
func TestMetricsFollowTheLedger(t *testing.T) {
	e := newEnv(t)
	m := metrics.New("test")
	m.WatchOutbox(e.ledger.OutboxCounts) // as renewd run wires it
	sender := &downSender{}
	sender.down.Store(true)
	opts := e.options(t)
	opts.Metrics, opts.MetricsHandler = m, m.Handler()
	opts.Sender = sender
	opts.ReportBackoff = []time.Duration{20 * time.Millisecond}
	opts.Settings = func(cfg *config.Config) (renewal.Settings, error) {
		s, err := settingsFor(cfg)
		s.Budget = &renewal.Budget{MonthlyUcents: 50_000_000_000, Currency: "EUR"}
		m.SetBudget(s.Budget)
		return s, err
	}
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	start(t, d)
	waitUntil(t, "the first cycle's metrics", func() bool {
		_, ok := gauge(t, m, metrics.NameSpentThisMonth, "currency", "EUR")
		return ok
	})

	var paid int64
	payments := map[int64]bool{}
	for _, p := range e.fake.Payments() {
		payments[p.OrderID] = true
	}
	for _, o := range e.fake.Orders() {
		if payments[o.ID] {
			paid += o.PriceUcents
		}
	}
	if paid == 0 {
		t.Fatal("the cycle paid nothing")
	}
	// A payment made at the end of a month counts in that month only: the
	// test compares against the fake when both sides are in one month.
	if now := time.Now().UTC(); now.Day() != 1 || now.Hour() != 0 {
		if got, _ := gauge(t, m, metrics.NameSpentThisMonth, "currency", "EUR"); math.Abs(got-float64(paid)/1e8) > 1e-9 {
			t.Errorf("spent this month = %v EUR, want %v (the fake's paid orders)", got, float64(paid)/1e8)
		}
	}
	if got, ok := gauge(t, m, metrics.NameBudget, "currency", "EUR"); !ok || got != 500 {
		t.Errorf("budget = %v (present %v), want 500", got, ok)
	}

	waiting, err := e.ledger.OutboxLen()
	if err != nil || waiting == 0 {
		t.Fatalf("outbox after a cycle with Slack down: %d, %v; want reports waiting", waiting, err)
	}
	waitUntil(t, "the outbox gauge to count the waiting reports", func() bool {
		got, _ := gauge(t, m, metrics.NameOutboxReports, "", "")
		n, _ := e.ledger.OutboxLen()
		return got == float64(n) && n > 0
	})
	sender.down.Store(false)
	waitUntil(t, "the outbox gauge to reach 0", func() bool {
		got, _ := gauge(t, m, metrics.NameOutboxReports, "", "")
		return got == 0
	})
	if n, _ := e.ledger.OutboxLen(); n != 0 || sender.sent.Load() == 0 {
		t.Errorf("outbox %d, sent %d: want everything delivered", n, sender.sent.Load())
	}
}

// waitUntil polls cond for at most 15 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 15 s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
