package renewal_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// TestRejectedStepIsRetriedAfterItsDelay: OVH refuses a step (400). The
// term is failed and reported with its next attempt; no cycle before that
// time calls OVH's money routes again; the first cycle after it orders and
// pays once.
func TestRejectedStepIsRetriedAfterItsDelay(t *testing.T) {
	const retry = 30 * time.Minute
	tests := []struct {
		name  string
		route string
		// orders is how many orders OVH holds after the failure.
		orders int
	}{
		{"create refused", "POST /service/{id}/renew", 0},
		{"payment refused", "POST /me/order/{id}/pay", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
			e.Settings.RetryAfter = []time.Duration{retry}
			f := e.fake()
			tm := term("main", 1001, 5)
			f.Inject(ovhfake.Fault{Route: tt.route, Status: http.StatusBadRequest})

			start := e.clock.Now()
			o := outcome(t, e.cycle(), 1001)
			if o.Action != renewal.ActFailed || o.Status != "failed" {
				t.Fatalf("first cycle: %s %s (%s), want failed", o.Action, o.Status, o.Reason)
			}
			rec := e.record(tm)
			if !rec.NextAttempt.Equal(start.Add(retry)) || rec.Attempts != 1 || rec.LastError == "" {
				t.Fatalf("ledger: next attempt %s attempts %d error %q, want %s, 1, an error",
					rec.NextAttempt, rec.Attempts, rec.LastError, start.Add(retry))
			}
			failed := e.reportsOf(renewd.ReportFailed, 1001)
			if len(failed) != 1 || failed[0].Next == "" {
				t.Fatalf("failure reports %+v, want one saying when it is retried", failed)
			}
			if n, m := len(f.Orders()), len(f.Payments()); n != tt.orders || m != 0 {
				t.Fatalf("after the failure: %d orders, %d payments, want %d and 0", n, m, tt.orders)
			}
			before := f.Requests()

			// Cycles before the next attempt (past the settle delay) leave
			// the money routes alone.
			for _, d := range []time.Duration{5 * time.Minute, 10 * time.Minute, 10 * time.Minute} {
				e.clock.Advance(d)
				o := outcome(t, e.cycle(), 1001)
				if o.Action != renewal.ActFailed {
					t.Fatalf("cycle at +%s: %s %s (%s), want failed until %s",
						e.clock.Now().Sub(start), o.Action, o.Status, o.Reason, rec.NextAttempt)
				}
			}
			after := f.Requests()
			for _, route := range []string{"POST /service/{id}/renew", "POST /me/order/{id}/pay"} {
				if after[route] != before[route] {
					t.Errorf("%s called %d times before the next attempt", route, after[route]-before[route])
				}
			}
			if n, m := len(f.Orders()), len(f.Payments()); n != tt.orders || m != 0 {
				t.Fatalf("before the next attempt: %d orders, %d payments, want %d and 0", n, m, tt.orders)
			}

			e.clock.Advance(retry)
			if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPaid {
				t.Fatalf("cycle after the next attempt: %s %s (%s), want paid", o.Action, o.Status, o.Reason)
			}
			orders, payments := f.Orders(), f.Payments()
			if len(orders) != 1 || len(payments) != 1 || payments[0].OrderID != orders[0].ID {
				t.Fatalf("orders %+v payments %+v, want one order paid once", orders, payments)
			}
		})
	}
}

// TestInventoryFailureOfOneAccount: one account's listing answers 500
// forever. The failure is reported and returned in Summary.Errors; the
// other account is renewed all the same. Once the listing answers again,
// the failed account is renewed too.
func TestInventoryFailureOfOneAccount(t *testing.T) {
	r := rule(t, "alpha", "P1M", "10.00", 1001)
	e := newEnv(t, []policy.Rule{r}, envOptions{})
	good := e.accounts[0]
	bad := e.addAccount("broken", envOptions{})
	e.Settings.Accounts = []renewal.OVH{bad.client, good.client}
	for _, route := range []string{"GET /service", "GET /services"} {
		bad.fake.Inject(ovhfake.Fault{Route: route, Status: http.StatusInternalServerError, Times: -1})
	}

	sum := e.cycle()
	if len(sum.Errors) == 0 || !sum.Failed() {
		t.Fatalf("Summary.Errors = %v, Failed() = %v; want the broken account's error", sum.Errors, sum.Failed())
	}
	var paid []string
	for _, o := range sum.Outcomes {
		if o.Action == renewal.ActPaid {
			paid = append(paid, o.Service.Account)
		}
		if o.Service.Account == "broken" {
			t.Errorf("outcome for the broken account's service %d: %+v", o.Service.ID, o)
		}
	}
	if len(paid) != 1 || paid[0] != "main" {
		t.Fatalf("paid in accounts %v, want [main]", paid)
	}
	if n, m := len(good.fake.Orders()), len(good.fake.Payments()); n != 1 || m != 1 {
		t.Errorf("good account: %d orders, %d payments, want 1 and 1", n, m)
	}
	if n := len(bad.fake.Orders()); n != 0 {
		t.Errorf("broken account: %d orders, want 0", n)
	}
	var reported bool
	for _, rep := range e.outbox() {
		if rep.Kind == renewd.ReportFailed && rep.Account == "broken" && rep.ServiceID == 0 {
			reported = true
		}
	}
	if !reported {
		t.Errorf("no failure report for the broken account in %+v", e.outbox())
	}

	bad.fake.ClearFaults()
	e.clock.Advance(time.Hour)
	sum = e.cycle()
	if len(sum.Errors) != 0 {
		t.Fatalf("Summary.Errors = %v once the listing answers, want none", sum.Errors)
	}
	if n, m := len(bad.fake.Orders()), len(bad.fake.Payments()); n != 1 || m != 1 {
		t.Errorf("broken account once it answers: %d orders, %d payments, want 1 and 1", n, m)
	}
	if n, m := len(good.fake.Orders()), len(good.fake.Payments()); n != 1 || m != 1 {
		t.Errorf("good account after the second cycle: %d orders, %d payments, want 1 and 1", n, m)
	}
}
