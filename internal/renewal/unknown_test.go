package renewal_test

import (
	"testing"
	"time"

	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// TestUnknownOutcomes: a money-moving call whose answer is lost, or an
// error after (or instead of) its work, is reconciled against OVH: the
// service ends paid exactly once, with exactly one order, however many
// cycles run.
func TestUnknownOutcomes(t *testing.T) {
	const settle = 2 * time.Minute
	tests := []struct {
		name  string
		fault ovhfake.Fault
		// firstAction and firstStatus are the first cycle's outcome.
		firstAction renewal.Action
		firstStatus string
		// ordersAfterFirst is how many orders OVH holds after the first cycle.
		ordersAfterFirst int
	}{
		{
			name:        "create: order made, connection dropped",
			fault:       ovhfake.Fault{Route: "POST /service/{id}/renew", DropAfterWork: true},
			firstAction: renewal.ActPaid, firstStatus: "paid", ordersAfterFirst: 1,
		},
		{
			name:        "create: order made, then 500",
			fault:       ovhfake.Fault{Route: "POST /service/{id}/renew", StatusAfterWork: 500},
			firstAction: renewal.ActPaid, firstStatus: "paid", ordersAfterFirst: 1,
		},
		{
			name:        "create: 500 without an order",
			fault:       ovhfake.Fault{Route: "POST /service/{id}/renew", Status: 500},
			firstAction: renewal.ActPending, firstStatus: "ordering", ordersAfterFirst: 0,
		},
		{
			name:        "pay: payment taken, then 500",
			fault:       ovhfake.Fault{Route: "POST /me/order/{id}/pay", StatusAfterWork: 500},
			firstAction: renewal.ActPaid, firstStatus: "paid", ordersAfterFirst: 1,
		},
		{
			name:        "pay: payment taken, connection dropped",
			fault:       ovhfake.Fault{Route: "POST /me/order/{id}/pay", DropAfterWork: true},
			firstAction: renewal.ActPaid, firstStatus: "paid", ordersAfterFirst: 1,
		},
		{
			name:        "pay: 500 without a payment",
			fault:       ovhfake.Fault{Route: "POST /me/order/{id}/pay", Status: 500},
			firstAction: renewal.ActPending, firstStatus: "paying", ordersAfterFirst: 1,
		},
		{
			name:        "pay: 503 twice without a payment",
			fault:       ovhfake.Fault{Route: "POST /me/order/{id}/pay", Status: 503, Times: 2},
			firstAction: renewal.ActPending, firstStatus: "paying", ordersAfterFirst: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rule(t, "alpha", "P1M", "10.00", 1001)
			r.Payment.Default, r.Payment.MethodID = false, 9001
			e := newEnv(t, []policy.Rule{r}, envOptions{deliveryAfter: time.Hour})
			e.Settings.Settle = settle
			f := e.fake()
			tm := term("main", 1001, 5)
			f.Inject(tt.fault)

			o := outcome(t, e.cycle(), 1001)
			if o.Action != tt.firstAction || string(o.Status) != tt.firstStatus {
				t.Fatalf("first cycle: %s %s (%s), want %s %s", o.Action, o.Status, o.Reason, tt.firstAction, tt.firstStatus)
			}
			if n := len(f.Orders()); n != tt.ordersAfterFirst {
				t.Fatalf("after the first cycle OVH holds %d orders, want %d", n, tt.ordersAfterFirst)
			}

			// A cycle within the settle delay must not act on a belief that
			// nothing happened.
			e.clock.Advance(settle / 4)
			if o := outcome(t, e.cycle(), 1001); o.Action != tt.firstAction && o.Action != renewal.ActAlreadyPaid {
				t.Fatalf("cycle within settle: %s %s (%s), want %s", o.Action, o.Status, o.Reason, tt.firstAction)
			}
			if n := len(f.Orders()); n != tt.ordersAfterFirst {
				t.Fatalf("cycle within settle made an order: %d orders, want %d", n, tt.ordersAfterFirst)
			}

			// Past the settle delay, and several cycles more: one order,
			// paid once, recorded paid.
			// (A fault applying twice makes the first retry fail too.)
			var last renewal.Outcome
			for range 4 {
				e.clock.Advance(settle + time.Second)
				last = outcome(t, e.cycle(), 1001)
			}
			if last.Action != renewal.ActAlreadyPaid {
				t.Fatalf("last cycle: %s %s (%s), want already-paid", last.Action, last.Status, last.Reason)
			}
			orders := f.Orders()
			if len(orders) != 1 {
				t.Fatalf("OVH holds %d orders, want exactly 1: %+v", len(orders), orders)
			}
			if p := f.Payments(); len(p) != 1 || p[0].OrderID != orders[0].ID || p[0].PaymentMethodID != 9001 {
				t.Fatalf("payments %+v, want exactly one of order %d with method 9001", p, orders[0].ID)
			}
			rec := e.record(tm)
			if rec.Status != "paid" || rec.OrderID != orders[0].ID {
				t.Errorf("ledger: %s order %d, want paid order %d", rec.Status, rec.OrderID, orders[0].ID)
			}
			if got := f.Requests()["POST /service/{id}/renew"]; got > 2 {
				t.Errorf("%d order calls, want at most 2 (one failed without work, one that worked)", got)
			}
		})
	}
}

// TestUnknownOutcomeAcrossRestart: an order created while the daemon died
// (the order call's answer lost, the ledger left at ordering) is adopted
// after a restart, not ordered again.
func TestUnknownOutcomeAcrossRestart(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	f := e.fake()
	f.Inject(ovhfake.Fault{Route: "POST /service/{id}/renew", DropAfterWork: true})
	// Once the order exists, the reconciliation inside the cycle cannot
	// read the orders either (every attempt of the client's retries).
	held := f.Hold("POST /service/{id}/renew", true)
	go func() {
		<-held.Reached()
		f.Inject(ovhfake.Fault{Route: "GET /me/order", Status: 503, Times: 3})
		held.Release()
	}()

	o := outcome(t, e.cycle(), 1001)
	held.Release()
	if o.Action != renewal.ActPending || o.Status != "ordering" {
		t.Fatalf("first cycle: %s %s (%s), want pending ordering", o.Action, o.Status, o.Reason)
	}
	if n := len(f.Orders()); n != 1 {
		t.Fatalf("OVH holds %d orders after the lost answer, want 1", n)
	}
	e.reopen()
	e.clock.Advance(time.Hour) // well past settle: only OVH's answer decides
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPaid {
		t.Fatalf("cycle after restart: %s %s (%s), want paid", o.Action, o.Status, o.Reason)
	}
	if n, m := len(f.Orders()), len(f.Payments()); n != 1 || m != 1 {
		t.Fatalf("%d orders, %d payments, want 1 and 1", n, m)
	}
	if f.Payments()[0].OrderID != f.Orders()[0].ID {
		t.Errorf("the payment is not for the one order")
	}
}
