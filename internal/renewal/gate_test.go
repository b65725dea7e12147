package renewal_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// The budget's edges, each a guard a mutation run found unheld.
func TestBudgetEdges(t *testing.T) {
	budget := func(amount, currency string) *renewal.Budget {
		return &renewal.Budget{MonthlyUcents: eur(t, amount), Currency: currency, Over: policy.OverCapRefuse}
	}
	// record writes a record as the ledger would hold it after a cycle.
	record := func(e *env, tm renewd.Term, to []state.Status, mutate func(*state.Record)) {
		t.Helper()
		for _, s := range to {
			if _, err := e.ledger.Transition(tm, s, "set-up", func(r *state.Record) error {
				r.IntentOVH, r.PayIntentOVH = e.clock.Now(), e.clock.Now()
				if s == state.StatusOrdered {
					r.OrderID = 77
				}
				mutate(r)
				return nil
			}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	other := renewd.Term{Account: "main", ServiceID: 9999, Expiration: renewd.MustDate("2026-05-20")}
	tests := []struct {
		name   string
		budget *renewal.Budget
		setup  func(e *env)
		want   renewal.Action
		reason string
	}{
		{"a price exactly at the budget passes", budget("7.00", "EUR"), nil, renewal.ActPaid, ""},
		{"one micro-cent over does not", &renewal.Budget{MonthlyUcents: eur(t, "7.00") - 1, Currency: "EUR"}, nil, renewal.ActRefused,
			"over the monthly budget: 0.00 spent or committed + 7.00 > 6.99999999 EUR"},
		{"a budget in another currency refuses", budget("100.00", "USD"), nil, renewal.ActRefused, "the price is in EUR but the budget is in USD"},
		{"spending in another currency does not count", budget("10.00", "EUR"), func(e *env) {
			record(e, other, []state.Status{state.StatusOrdering, state.StatusOrdered, state.StatusPaying, state.StatusPaid},
				func(r *state.Record) { r.Currency, r.OrderUcents = "CAD", eur(t, "500.00") })
		}, renewal.ActPaid, ""},
		{"an order in flight with a negative amount refuses", budget("5.00", "EUR"), func(e *env) {
			record(e, other, []state.Status{state.StatusOrdering},
				func(r *state.Record) { r.QuoteUcents, r.OrderUcents = -eur(t, "500.00"), -eur(t, "500.00") })
		}, renewal.ActRefused, "do not add up"},
		{"an order in flight that does not add up refuses", budget("10.00", "EUR"), func(e *env) {
			record(e, other, []state.Status{state.StatusOrdering},
				func(r *state.Record) { r.QuoteUcents = 1<<63 - 1 })
		}, renewal.ActRefused, "do not add up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
			e.Settings.Budget = tt.budget
			if tt.setup != nil {
				tt.setup(e)
			}
			o := outcome(t, e.cycle(), 1001)
			if o.Action != tt.want || !strings.Contains(o.Reason, tt.reason) {
				t.Fatalf("outcome %s (%s), want %s (%q)", o.Action, o.Reason, tt.want, tt.reason)
			}
		})
	}
}

// An approval request waiting at the same price is not asked again: the
// same id (its buttons stay valid), one request in the outbox.
func TestPendingApprovalIsNotAskedAgain(t *testing.T) {
	r := rule(t, "org", "P1Y", "15.00", 2002)
	r.Approval = policy.Approval{Mode: policy.ApprovalAlways}
	e := newEnv(t, []policy.Rule{r}, envOptions{})
	tm := term("main", 2002, 12)
	e.cycle()
	first := e.record(tm).Approval.ID
	for range 3 {
		e.advance(time.Hour)
		if o := outcome(t, e.cycle(), 2002); o.Action != renewal.ActAwaiting {
			t.Fatalf("%s (%s), want awaiting", o.Action, o.Reason)
		}
	}
	if id := e.record(tm).Approval.ID; id != first {
		t.Errorf("approval %s replaced by %s at the same price", first, id)
	}
	if n := len(e.reportsOf(renewd.ReportApprovalRequest, 2002)); n != 1 {
		t.Errorf("%d approval requests queued, want 1", n)
	}
}

// The retry schedule is followed in order: the n-th failure waits the n-th
// entry. The first failure of a term records the service, for its reports.
func TestRetryScheduleIsFollowedInOrder(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	e.Settings.RetryAfter = []time.Duration{10 * time.Minute, 2 * time.Hour, 5 * time.Hour}
	f := e.fake()
	f.Inject(ovhfake.Fault{Route: "GET /service/{id}/renew", Status: http.StatusInternalServerError, Times: -1})
	tm := term("main", 1001, 5)
	for i, wait := range []time.Duration{10 * time.Minute, 2 * time.Hour, 5 * time.Hour, 5 * time.Hour} {
		e.cycle()
		rec := e.record(tm)
		if got := rec.NextAttempt.Sub(e.local.Now()); got != wait || rec.Attempts != i+1 {
			t.Fatalf("failure %d: next attempt in %s after %d attempts, want %s after %d", i+1, got, rec.Attempts, wait, i+1)
		}
		if rec.ServiceName != "vps-alpha.vps.ovh.net" || rec.Rule != "alpha" {
			t.Fatalf("failure %d: the record names %q under rule %q", i+1, rec.ServiceName, rec.Rule)
		}
		e.advance(wait)
	}
}

// One list of OVH's orders per cycle, also when a term's order intent is
// reconciled and other services look for an order to adopt.
func TestOneOrderListWithAnIntentToReconcile(t *testing.T) {
	e := wireEnv(t, t0, ovhfake.Wire{})
	f := e.fake()
	if _, err := e.ledger.Transition(e.termOf(1001), state.StatusOrdering, "an intent, then a crash", func(r *state.Record) error {
		r.ServiceName, r.Period, r.Services, r.IntentOVH = "vps-alpha.vps.ovh.net", "P1M", []int64{1001}, e.clock.Now()
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	e.advance(10 * time.Minute)
	e.cycle()
	if n := requests(f, "GET /me/order"); n != 1 {
		t.Errorf("GET /me/order called %d times, want 1", n)
	}
	for _, id := range wireDue {
		wantRecord(t, f, id, 1, 1)
	}
}
