package renewal_test

import (
	"context"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// TestCreatedOrderAboveCapIsRefused: the order OVH creates costs more than
// the quote and more than the cap. It is never paid, the refusal is
// reported once, and while the order lives no later cycle pays it or orders
// again.
func TestCreatedOrderAboveCapIsRefused(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	f := e.fake()
	tm := term("main", 1001, 5)
	f.RaiseOrderPrice(1001, eur(t, "12.00"))

	o := outcome(t, e.cycle(), 1001)
	if o.Action != renewal.ActRefused || o.Status != "refused" || o.Price.Ucents != eur(t, "12.00") {
		t.Fatalf("first cycle: %s %s at %s (%s), want refused at 12.00", o.Action, o.Status, o.Price, o.Reason)
	}
	orders := f.Orders()
	if len(orders) != 1 || orders[0].PriceUcents != eur(t, "12.00") {
		t.Fatalf("orders %+v, want one at 12.00", orders)
	}
	if p := f.Payments(); len(p) != 0 {
		t.Fatalf("payments %+v, want none", p)
	}
	refused := e.reportsOf(renewd.ReportRefused, 1001)
	if len(refused) != 1 || refused[0].OrderID != orders[0].ID || refused[0].PriceUcents != eur(t, "12.00") {
		t.Fatalf("refused reports %+v, want one for order %d at 12.00", refused, orders[0].ID)
	}

	// Cycles while the unpaid order lives (OVH keeps it 24h).
	for range 5 {
		e.clock.Advance(3 * time.Hour)
		o := outcome(t, e.cycle(), 1001)
		if o.Action != renewal.ActRefused {
			t.Fatalf("later cycle: %s %s (%s), want refused", o.Action, o.Status, o.Reason)
		}
	}
	if n, m := len(f.Orders()), len(f.Payments()); n != 1 || m != 0 {
		t.Fatalf("after later cycles: %d orders, %d payments, want 1 and 0", n, m)
	}
	if n := len(e.reportsOf(renewd.ReportRefused, 1001)); n != 1 {
		t.Errorf("%d refused reports, want 1 (the same refusal is not reported again)", n)
	}
	if rec := e.record(tm); rec.Status != "refused" || rec.OrderID != orders[0].ID {
		t.Errorf("ledger: %s order %d, want refused holding order %d", rec.Status, rec.OrderID, orders[0].ID)
	}

	// Once OVH lets the order lapse, a new one may be made; it costs too
	// much as well and is not paid either.
	e.clock.Advance(12 * time.Hour)
	e.cycle()
	if n, m := len(f.Orders()), len(f.Payments()); n != 2 || m != 0 {
		t.Errorf("after the order lapsed: %d orders, %d payments, want 2 and 0", n, m)
	}
}

// TestCreatedOrderAboveApprovedPriceAsksAgain: a person approved the
// renewal at the quoted price; OVH's order costs more (still under the
// cap). renewd asks again with a new approval id and pays nothing until the
// new price is approved; then it pays that same order, once.
func TestCreatedOrderAboveApprovedPriceAsksAgain(t *testing.T) {
	r := rule(t, "alpha", "P1M", "10.00", 1001)
	r.Approval = policy.Approval{Mode: policy.ApprovalAlways}
	e := newEnv(t, []policy.Rule{r}, envOptions{})
	f := e.fake()
	tm := term("main", 1001, 5)

	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActAwaiting {
		t.Fatalf("first cycle: %s (%s), want awaiting-approval", o.Action, o.Reason)
	}
	first := e.record(tm).Approval
	if first == nil || first.PriceUcents != eur(t, "7.00") {
		t.Fatalf("approval %+v, want one at 7.00", first)
	}
	if _, err := renewal.Decide(e.ledger, first.ID, state.DecisionApproved, "cli:alice"); err != nil {
		t.Fatalf("Decide: %v", err)
	}
	f.RaiseOrderPrice(1001, eur(t, "9.00"))

	e.clock.Advance(time.Minute)
	o := outcome(t, e.cycle(), 1001)
	if o.Action != renewal.ActAwaiting || o.Status != "awaiting_approval" {
		t.Fatalf("cycle after approval: %s %s (%s), want awaiting-approval", o.Action, o.Status, o.Reason)
	}
	second := e.record(tm).Approval
	if second == nil || second.ID == first.ID || second.PriceUcents != eur(t, "9.00") || second.Decision != "" {
		t.Fatalf("approval %+v, want a new pending one at 9.00 (first was %s)", second, first.ID)
	}
	if n, m := len(f.Orders()), len(f.Payments()); n != 1 || m != 0 {
		t.Fatalf("%d orders, %d payments, want 1 and 0", n, m)
	}
	if n := len(e.reportsOf(renewd.ReportApprovalRequest, 1001)); n != 2 {
		t.Errorf("%d approval requests, want 2", n)
	}
	// The old approval cannot decide the new price.
	if _, err := renewal.Decide(e.ledger, first.ID, state.DecisionApproved, "cli:alice"); err == nil {
		t.Errorf("Decide on the superseded approval succeeded")
	}

	e.clock.Advance(time.Minute)
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActAwaiting {
		t.Fatalf("cycle before the new decision: %s (%s), want awaiting-approval", o.Action, o.Reason)
	}
	if m := len(f.Payments()); m != 0 {
		t.Fatalf("%d payments before the new approval, want 0", m)
	}

	if _, err := renewal.Decide(e.ledger, second.ID, state.DecisionApproved, "cli:alice"); err != nil {
		t.Fatalf("Decide: %v", err)
	}
	e.clock.Advance(time.Minute)
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPaid {
		t.Fatalf("cycle after the new approval: %s (%s), want paid", o.Action, o.Reason)
	}
	orders, payments := f.Orders(), f.Payments()
	if len(orders) != 1 || len(payments) != 1 || payments[0].OrderID != orders[0].ID {
		t.Fatalf("orders %+v payments %+v, want the one order paid once", orders, payments)
	}
}

// TestAdoptsExistingOrder: an unpaid renewal order already at OVH for the
// service (a crash before the ledger write, or an order made by hand) is
// adopted and paid; no second order is made. An order for another period
// is not the renewal the rule asks for, and is left alone.
func TestAdoptsExistingOrder(t *testing.T) {
	tests := []struct {
		name       string
		period     string
		wantOrders int
		adopted    bool
	}{
		{"same period is adopted", "P1M", 1, true},
		{"another period is not", "P1Y", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "100.00", 1001)}, envOptions{})
			f := e.fake()
			p, err := renewd.ParsePeriod(tt.period)
			if err != nil {
				t.Fatal(err)
			}
			existing, err := e.client().CreateRenewOrder(context.Background(), 1001, ovh.Strategy{Period: p, Services: []int64{1001}})
			if err != nil {
				t.Fatalf("CreateRenewOrder: %v", err)
			}
			e.clock.Advance(time.Hour)

			o := outcome(t, e.cycle(), 1001)
			if o.Action != renewal.ActPaid {
				t.Fatalf("cycle: %s (%s), want paid", o.Action, o.Reason)
			}
			if (o.OrderID == existing.ID) != tt.adopted {
				t.Errorf("paid order %d, existing %d: adopted = %v, want %v", o.OrderID, existing.ID, !tt.adopted, tt.adopted)
			}
			if n := len(f.Orders()); n != tt.wantOrders {
				t.Errorf("%d orders, want %d", n, tt.wantOrders)
			}
			payments := f.Payments()
			if len(payments) != 1 || payments[0].OrderID != o.OrderID {
				t.Errorf("payments %+v, want one of order %d", payments, o.OrderID)
			}
			e.clock.Advance(time.Hour)
			e.cycle()
			if n, m := len(f.Orders()), len(f.Payments()); n != tt.wantOrders || m != 1 {
				t.Errorf("after another cycle: %d orders, %d payments, want %d and 1", n, m, tt.wantOrders)
			}
		})
	}
}

// TestSameNameServicesKeepTheirOwnOrders: the domain 2001 and the hosting
// 3001 are both named example.com. Both due, both renewed alone for P1Y:
// two distinct orders, each paid once. The hosting never adopts the
// domain's (already paid) order, which its name and period also match.
func TestSameNameServicesKeepTheirOwnOrders(t *testing.T) {
	e := newEnv(t, []policy.Rule{
		rule(t, "domain", "P1Y", "15.00", 2001),
		rule(t, "hosting", "P1Y", "50.00", 3001),
	}, envOptions{deliveryAfter: time.Hour})
	f := e.fake()

	sum := e.cycle()
	for _, id := range []int64{2001, 3001} {
		if o := outcome(t, sum, id); o.Action != renewal.ActPaid {
			t.Fatalf("service %d: %s (%s), want paid", id, o.Action, o.Reason)
		}
	}
	want := map[int64]int64{2001: eur(t, "9.99"), 3001: eur(t, "39.99")}
	orders := f.Orders()
	if len(orders) != 2 || orders[0].ID == orders[1].ID {
		t.Fatalf("orders %+v, want two distinct", orders)
	}
	for _, o := range orders {
		if want[o.ServiceID] != o.PriceUcents || len(o.Services) != 1 || o.Services[0] != o.ServiceID {
			t.Errorf("order %+v, want service %d alone at %d", o, o.ServiceID, want[o.ServiceID])
		}
		if p := paymentsOf(f, o.ID); len(p) != 1 {
			t.Errorf("order %d (service %d) paid %d times, want once", o.ID, o.ServiceID, len(p))
		}
	}
	for _, id := range []int64{2001, 3001} {
		rec := e.record(term("main", id, 10))
		if own := ordersFor(f, id); rec.Status != "paid" || len(own) != 1 || rec.OrderID != own[0].ID {
			t.Errorf("service %d: ledger %s order %d, want paid with its own order %+v", id, rec.Status, rec.OrderID, own)
		}
	}

	for range 3 {
		e.clock.Advance(30 * time.Minute)
		e.cycle()
	}
	if n, m := len(f.Orders()), len(f.Payments()); n != 2 || m != 2 {
		t.Errorf("after more cycles: %d orders, %d payments, want 2 and 2", n, m)
	}
}

// TestRefusedOrderPaidAfterCapRaised: an order refused for its price is
// kept; when the operator raises the cap (a reload), the next cycle pays
// that same order, once, without ordering again.
func TestRefusedOrderPaidAfterCapRaised(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	f := e.fake()
	f.RaiseOrderPrice(1001, eur(t, "12.00"))
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActRefused {
		t.Fatalf("first cycle: %s (%s), want refused", o.Action, o.Reason)
	}
	e.Settings.Policy.Rules[0].MaxPrice = eur(t, "15.00")
	e.clock.Advance(time.Hour)
	o := outcome(t, e.cycle(), 1001)
	if o.Action != renewal.ActPaid {
		t.Fatalf("cycle after the cap was raised: %s %s (%s), want paid", o.Action, o.Status, o.Reason)
	}
	orders, payments := f.Orders(), f.Payments()
	if len(orders) != 1 || len(payments) != 1 || payments[0].OrderID != orders[0].ID {
		t.Fatalf("orders %+v payments %+v, want the one order paid once", orders, payments)
	}
	if n := len(e.reportsOf(renewd.ReportFailed, 1001)); n != 0 {
		t.Errorf("%d failure reports, want none", n)
	}
}
