package renewal_test

import (
	"context"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// payByHand orders and pays a P1M renewal of service 1001 outside renewd,
// as an operator would in OVH's manager.
func payByHand(t *testing.T, e *env) int64 {
	t.Helper()
	ctx := context.Background()
	p1m, _ := renewd.ParsePeriod("P1M")
	o, err := e.client().CreateRenewOrder(ctx, 1001, ovh.Strategy{Period: p1m, Services: []int64{1001}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client().Pay(ctx, o.ID, renewd.PaymentForm{MethodID: 9001}); err != nil {
		t.Fatal(err)
	}
	return o.ID
}

// TestPaidOrderBeingDeliveredHoldsTheRenewal: a renewal someone paid by hand
// and OVH is still delivering is neither adopted as this term's payment nor
// doubled by a new order; renewd waits for the new expiration.
func TestPaidOrderBeingDeliveredHoldsTheRenewal(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{deliveryAfter: 6 * time.Hour})
	payByHand(t, e)

	sum := e.cycle()
	if o := outcomeOf(sum, 1001); o.Action != renewal.ActPending {
		t.Errorf("while OVH delivers a paid order: action %s (%s), want pending", o.Action, o.Reason)
	}
	if n := len(e.fake().Orders()); n != 1 {
		t.Fatalf("%d orders at OVH, want only the one paid by hand", n)
	}
	if _, ok, _ := e.ledger.Get(term("main", 1001, 5)); ok {
		t.Errorf("the term was recorded although renewd paid nothing")
	}

	e.clock.Advance(7 * time.Hour) // delivered: the expiration moved a month
	sum = e.cycle()
	if o := outcomeOf(sum, 1001); o.Verdict != policy.NotDue {
		t.Errorf("after delivery: verdict %s, want not-due (new term)", o.Verdict)
	}
	if n, m := len(e.fake().Orders()), len(e.fake().Payments()); n != 1 || m != 1 {
		t.Errorf("%d orders and %d payments, want 1 and 1", n, m)
	}
}

// TestDeliveredOrderOfAnEarlierTermIsIgnored: with a window longer than the
// period, the term after a hand renewal is due at once; the delivered hand
// order renewed the earlier term and must not count as this one's payment.
func TestDeliveredOrderOfAnEarlierTermIsIgnored(t *testing.T) {
	r := rule(t, "alpha", "P1M", "10.00", 1001)
	r.RenewBefore = 45 * day
	e := newEnv(t, []policy.Rule{r}, envOptions{deliveryAfter: -1})
	payByHand(t, e) // delivered at once: expires t0+5d+1 month, still within 45 days

	sum := e.cycle()
	if o := outcomeOf(sum, 1001); o.Action != renewal.ActPaid {
		t.Fatalf("action %s (%s), want the new term paid", o.Action, o.Reason)
	}
	if n, m := len(e.fake().Orders()), len(e.fake().Payments()); n != 2 || m != 2 {
		t.Errorf("%d orders and %d payments, want 2 and 2 (the hand one and renewd's)", n, m)
	}
}

func outcomeOf(sum renewal.Summary, id int64) renewal.Outcome {
	for _, o := range sum.Outcomes {
		if o.Service.ID == id {
			return o
		}
	}
	return renewal.Outcome{}
}

// TestNoticeQueuedOnceAcrossRestarts: an uncovered due service is reported
// once, even when renewd restarts before the report could be delivered (a
// Slack outage): the outbox still holds it, so it is not queued again.
func TestNoticeQueuedOnceAcrossRestarts(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	e.Settings.Policy.ReportWithin = 30 * day
	for range 3 {
		e.cycle()
		e.reopen() // a new engine on the same ledger: its memory of notices is gone
	}
	n := 0
	for _, r := range e.outbox() {
		if r.Kind == renewd.ReportUncovered && r.ServiceID == 5001 {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the uncovered service 5001 is queued %d times over three restarts, want once", n)
	}
}
