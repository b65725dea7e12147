package renewal_test

import (
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// TestMonthlyBudget: a 10.00 EUR monthly budget lets the first renewal
// (7.00) through and refuses, or holds for approval, the next one (9.99)
// that would take the month over. The month's spending is read from the
// ledger file, so it survives a restart.
func TestMonthlyBudget(t *testing.T) {
	tests := []struct {
		name       string
		over       policy.OverCap
		wantAction renewal.Action
		wantStatus string
	}{
		{"refuse", policy.OverCapRefuse, renewal.ActRefused, "refused"},
		{"hold for approval", policy.OverCapApprove, renewal.ActAwaiting, "awaiting_approval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, []policy.Rule{
				rule(t, "alpha", "P1M", "10.00", 1001),
				rule(t, "org", "P1Y", "15.00", 2002),
				rule(t, "late", "P1M", "10.00", 7001, 7002),
			}, envOptions{})
			e.Settings.Budget = &renewal.Budget{MonthlyUcents: eur(t, "10.00"), Currency: "EUR", Over: tt.over}
			f := e.fake()

			sum := e.cycle()
			if o := outcome(t, sum, 1001); o.Action != renewal.ActPaid {
				t.Fatalf("1001: %s (%s), want paid", o.Action, o.Reason)
			}
			o := outcome(t, sum, 2002)
			if o.Action != tt.wantAction || o.Status != tt.wantStatus {
				t.Fatalf("2002: %s %s (%s), want %s %s", o.Action, o.Status, o.Reason, tt.wantAction, tt.wantStatus)
			}
			if n := len(ordersFor(f, 2002)); n != 0 {
				t.Fatalf("2002 over the budget has %d orders, want none", n)
			}
			if m := len(f.Payments()); m != 1 {
				t.Fatalf("%d payments, want 1", m)
			}

			// Restart: close the ledger, reopen it, new engine. Two services
			// become due that the ledger has never seen: 5.00 does not fit
			// in what is left (3.00), 2.50 does.
			e.reopen()
			at := func(id int64, name, price string) ovhfake.ServiceFixture {
				return ovhfake.ServiceFixture{ID: id, Name: name, Type: "vps", RenewMode: "manual",
					Expiration: t0.Truncate(day).AddDate(0, 0, 4),
					Strategies: []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{id}, PriceUcents: eur(t, price)}}}
			}
			f.AddService(at(7001, "vps-late-1.vps.ovh.net", "5.00"))
			f.AddService(at(7002, "vps-late-2.vps.ovh.net", "2.50"))
			e.clock.Advance(time.Hour)

			sum = e.cycle()
			if o := outcome(t, sum, 7001); o.Action != tt.wantAction {
				t.Errorf("7001 after restart: %s (%s), want %s", o.Action, o.Reason, tt.wantAction)
			}
			if o := outcome(t, sum, 7002); o.Action != renewal.ActPaid {
				t.Errorf("7002 after restart: %s (%s), want paid", o.Action, o.Reason)
			}
			if o := outcome(t, sum, 2002); o.Action != tt.wantAction {
				t.Errorf("2002 after restart: %s (%s), want %s", o.Action, o.Reason, tt.wantAction)
			}
			var total int64
			for _, o := range f.Orders() {
				if len(paymentsOf(f, o.ID)) > 0 {
					total += o.PriceUcents
				}
			}
			if total != eur(t, "9.50") || len(f.Payments()) != 2 {
				t.Errorf("paid %s in %d payments, want 9.50 in 2", renewd.FormatAmount(total), len(f.Payments()))
			}
			if n := len(ordersFor(f, 7001)); n != 0 {
				t.Errorf("7001 over the budget has %d orders, want none", n)
			}
		})
	}
}

// TestBudgetApprovalLetsItThrough: a renewal held for the budget and
// approved by a person is paid at the approved price.
func TestBudgetApprovalLetsItThrough(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	e.Settings.Budget = &renewal.Budget{MonthlyUcents: eur(t, "5.00"), Currency: "EUR", Over: policy.OverCapApprove}
	tm := term("main", 1001, 5)
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActAwaiting {
		t.Fatalf("first cycle: %s (%s), want awaiting-approval", o.Action, o.Reason)
	}
	if _, err := renewal.Decide(e.ledger, e.record(tm).Approval.ID, "approved", "cli:alice", e.clock.Now()); err != nil {
		t.Fatalf("Decide: %v", err)
	}
	e.clock.Advance(time.Minute)
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPaid {
		t.Fatalf("cycle after approval: %s (%s), want paid", o.Action, o.Reason)
	}
	if m := len(e.fake().Payments()); m != 1 {
		t.Fatalf("%d payments, want 1", m)
	}
}
