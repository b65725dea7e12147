package renewal_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// More guards of the money path the mutation run found unheld; each test
// names the one it holds.

// The re-read before ordering says OVH renews the service automatically
// now (someone switched it in the manager): nothing is ordered.
func TestRereadSeesTheServiceTurnedAutomatic(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	f := e.fake()
	sum := cycleChangingBeforeReread(e, 1001, func(svc *ovhfake.ServiceFixture) { svc.RenewMode = "automaticV2016" })
	if o := outcome(t, sum, 1001); o.Action != renewal.ActPending || !strings.Contains(o.Reason, "automatic") {
		t.Fatalf("outcome %s (%s), want pending: OVH renews it now", o.Action, o.Reason)
	}
	if n := requests(f, routeRenew); n != 0 {
		t.Fatalf("renewd ordered a service OVH renews automatically (%d order calls)", n)
	}
}

// The re-read answers an expiration renewd cannot read: the term fails,
// nothing is ordered.
func TestUnreadableRereadOrdersNothing(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	f := e.fake()
	f.Inject(ovhfake.Fault{Route: routeReread, Times: -1,
		Body: `{"expirationDate":"05/06/2026","renew":{"mode":"manual"},"resource":{"displayName":"x","name":"vps-alpha.vps.ovh.net"},"route":{"path":"/vps/{serviceName}","vars":[]},"state":"ok"}`})
	o := outcome(t, e.cycle(), 1001)
	if o.Action != renewal.ActFailed || !strings.Contains(o.Reason, "re-read") {
		t.Fatalf("outcome %s (%s), want failed on the re-read", o.Action, o.Reason)
	}
	if n := requests(f, routeRenew); n != 0 {
		t.Fatalf("renewd ordered on an unreadable re-read (%d order calls)", n)
	}
}

// A renewal someone made by hand, already delivered, renewed an earlier
// term: it is not taken for this one's, and does not hold it back.
func TestDeliveredHandRenewalDoesNotHoldTheNextTerm(t *testing.T) {
	r := rule(t, "alpha", "P1M", "10.00", 1001)
	r.RenewBefore = 60 * day // the next term is due too
	e := newEnv(t, []policy.Rule{r}, envOptions{deliveryAfter: -1})
	f := e.fake()
	behind := e.accounts[0].behind(t)
	o, err := behind.CreateRenewOrder(context.Background(), 1001, ovh.Strategy{Period: renewd.Period{Months: 1}, PeriodText: "P1M", Services: []int64{1001}})
	if err != nil {
		t.Fatal(err)
	}
	if err := behind.Pay(context.Background(), o.ID, renewd.PaymentForm{Default: true}); err != nil {
		t.Fatal(err)
	}
	got := outcome(t, e.cycle(), 1001)
	if got.Action != renewal.ActPaid || got.OrderID == o.ID {
		t.Fatalf("outcome %s (%s) with order %d, want the new term paid with an order of its own", got.Action, got.Reason, got.OrderID)
	}
	if n := len(paymentsOf(f, o.ID)); n != 1 {
		t.Errorf("the hand-made order was paid %d times", n)
	}
}

// A created order over the cap, held for approval: later cycles keep that
// request (same id, its buttons valid) while nobody answers.
func TestHeldOrderKeepsItsApprovalRequest(t *testing.T) {
	r := rule(t, "alpha", "P1M", "10.00", 1001)
	r.OverCap = policy.OverCapApprove
	e := newEnv(t, []policy.Rule{r}, envOptions{})
	f := e.fake()
	f.RaiseOrderPrice(1001, eur(t, "12.00"))
	tm := term("main", 1001, 5)
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActAwaiting {
		t.Fatalf("first cycle: %s (%s), want held for approval", o.Action, o.Reason)
	}
	rec := e.record(tm)
	if rec.OrderID == 0 {
		t.Fatal("the held term kept no order")
	}
	for range 3 {
		e.advance(time.Hour)
		e.cycle()
	}
	if now := e.record(tm); now.Approval.ID != rec.Approval.ID || now.OrderID != rec.OrderID {
		t.Errorf("approval %s with order %d became %s with order %d", rec.Approval.ID, rec.OrderID, now.Approval.ID, now.OrderID)
	}
	if n := requests(f, routePay); n != 0 {
		t.Errorf("a held order was paid (%d payment calls)", n)
	}
}

// A failed payment keeps its order and waits for its next attempt: the
// same order is not paid again before it.
func TestFailedPaymentWaitsForItsNextAttempt(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	e.Settings.RetryAfter = []time.Duration{time.Hour}
	f := e.fake()
	f.Inject(ovhfake.Fault{Route: routePay, Status: http.StatusBadRequest})
	e.cycle()
	for range 3 {
		e.advance(10 * time.Minute)
		if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActFailed {
			t.Fatalf("before the next attempt: %s (%s), want failed, waiting", o.Action, o.Reason)
		}
	}
	if n := requests(f, routePay); n != 1 {
		t.Fatalf("%d payment calls before the next attempt, want 1", n)
	}
	e.advance(time.Hour)
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPaid {
		t.Fatalf("after the next attempt: %s (%s), want paid", o.Action, o.Reason)
	}
	wantRecord(t, f, 1001, 1, 1)
}

// A paid term OVH does not deliver within the delivery timeout is reported
// undelivered once, not before.
func TestUndeliveredAfterTheTimeout(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{deliveryAfter: 72 * time.Hour})
	e.Settings.DeliveryTimeout = 24 * time.Hour
	tm := term("main", 1001, 5)
	e.cycle()
	e.advance(23 * time.Hour)
	e.cycle()
	if rec := e.record(tm); rec.Status != state.StatusPaid {
		t.Fatalf("within the timeout: %s, want paid", rec.Status)
	}
	e.advance(2 * time.Hour)
	e.cycle()
	if rec := e.record(tm); rec.Status != state.StatusUndelivered {
		t.Fatalf("past the timeout: %s, want undelivered", rec.Status)
	}
	if n := len(e.reportsOf(renewd.ReportUndelivered, 1001)); n != 1 {
		t.Errorf("%d undelivered reports, want 1", n)
	}
	e.advance(72 * time.Hour)
	e.cycle()
	if rec := e.record(tm); rec.Status != state.StatusDelivered {
		t.Errorf("once OVH delivers: %s, want delivered", rec.Status)
	}
}

// OVH offers a period in its own spelling (P12M); the order is made with
// that text, which OVH may insist on.
func TestOfferedPeriodTextIsSentBack(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "org", "P1Y", "15.00", 2002)}, envOptions{scenario: func(now time.Time) ovhfake.Scenario {
		sc := ovhfake.SampleScenario(now)
		for i := range sc.Services {
			if sc.Services[i].ID == 2002 {
				sc.Services[i].Strategies[0].Period = "P12M"
			}
		}
		sc.Wire.StrictDuration = true
		return sc
	}})
	if o := outcome(t, e.cycle(), 2002); o.Action != renewal.ActPaid {
		t.Fatalf("outcome %s (%s), want paid", o.Action, o.Reason)
	}
	wantRecord(t, e.fake(), 2002, 1, 1)
}

// A next attempt stored days ahead, on a record touched since (so that its
// update time is not in the future), still reads as a clock that went
// back: rescheduled from now.
func TestFarNextAttemptIsRescheduled(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	tm := term("main", 1001, 5)
	if _, err := e.ledger.Transition(tm, state.StatusFailed, "read the renewal strategies: 500", func(r *state.Record) error {
		r.ServiceName, r.Rule, r.NextAttempt = "vps-alpha.vps.ovh.net", "alpha", e.local.Now().Add(4*day)
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	e.cycle()
	if wait := e.record(tm).NextAttempt.Sub(e.local.Now()); wait > 13*time.Hour {
		t.Fatalf("next attempt still %s away, want it rescheduled within the schedule", wait)
	}
}

// A clean cycle is not a failed one; a service OVH's answer cannot be read
// makes the cycle's outcome a failure.
func TestSummaryFailedOnlyWhenSomethingIs(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{deliveryAfter: -1})
	if sum := e.cycle(); sum.Failed() {
		t.Fatalf("a cycle that paid the one due service is failed: %+v", sum)
	}
	e.advance(time.Hour)
	f := e.fake()
	f.Inject(ovhfake.Fault{Route: "GET /services", Times: -1, Body: `[{"serviceId":1001,"resource":{"displayName":"x","name":"vps-alpha.vps.ovh.net","state":"active"},` +
		`"billing":{"expirationDate":"next tuesday","renew":{"current":{"mode":"manual"}},"lifecycle":{"current":{"state":"active"}}}}]`})
	sum := e.cycle()
	if o := outcome(t, sum, 1001); o.Verdict != policy.Unreadable || !sum.Failed() {
		t.Fatalf("an unreadable service: verdict %s, failed %v; want unreadable, failed", o.Verdict, sum.Failed())
	}
}

// A crash while the payment call is in flight at OVH: the pay intent is
// recorded, its end never is, and OVH has not taken the money yet. The
// settle delay then counts from the intent plus the call timeout, not
// from the end of the order call just before it (which the ledger clears
// when the pay intent is written): a restart a settle delay after the
// order was created still waits, and pays nothing a second time.
func TestCrashDuringPaymentWaitsFromThePayIntent(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	f := e.fake()
	hold := f.Hold(routePay, false) // OVH is still working on the payment
	done := make(chan renewal.Summary, 1)
	go func() { done <- e.cycle() }()
	<-hold.Reached()
	e.reopen() // the crash: what the first cycle writes from now on is lost

	e.advance(2*time.Minute + time.Second) // the settle delay after the order call, well within the call timeout after the pay intent
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPending {
		t.Fatalf("after the restart: %s %s (%s), want pending: the payment may still land", o.Action, o.Status, o.Reason)
	}
	if n := requests(f, routePay); n != 1 {
		t.Fatalf("pay called %d times while the first payment's outcome was unknown, want 1", n)
	}

	hold.Release() // the first payment lands
	<-done         // its writes fail on the closed ledger
	e.advance(ovh.DefaultCallTimeout + 3*time.Minute)
	if o := outcome(t, e.cycle(), 1001); o.Status != state.StatusPaid {
		t.Fatalf("once the payment landed: %s %s (%s), want paid", o.Action, o.Status, o.Reason)
	}
	wantRecord(t, f, 1001, 1, 1)
}

// An order another term holds is never adopted: the domain and the hosting
// share a name, so the domain's paid order reads as a renewal of the
// hosting too. When the hosting, held for approval, is approved the next
// cycle, its search for an order OVH already holds finds the domain's and
// must pass it by: the hosting orders and pays for itself.
func TestAnotherTermsOrderIsNeverAdopted(t *testing.T) {
	hosting := rule(t, "hosting", "P1Y", "50.00", 3001)
	hosting.Approval = policy.Approval{Mode: policy.ApprovalAlways}
	e := newEnv(t, []policy.Rule{rule(t, "domain", "P1Y", "15.00", 2001), hosting}, envOptions{deliveryAfter: time.Hour})
	f := e.fake()
	sum := e.cycle()
	if o := outcome(t, sum, 2001); o.Action != renewal.ActPaid {
		t.Fatalf("domain: %s (%s), want paid", o.Action, o.Reason)
	}
	if o := outcome(t, sum, 3001); o.Action != renewal.ActAwaiting {
		t.Fatalf("hosting: %s (%s), want awaiting approval", o.Action, o.Reason)
	}
	tm := term("main", 3001, 10)
	if _, err := renewal.Decide(e.ledger, e.record(tm).Approval.ID, state.DecisionApproved, "cli:alice"); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)
	if o := outcome(t, e.cycle(), 3001); o.Action != renewal.ActPaid {
		t.Fatalf("hosting after approval: %s (%s), want paid", o.Action, o.Reason)
	}
	wantRecord(t, f, 2001, 1, 1)
	wantRecord(t, f, 3001, 1, 1)
	if own := ordersFor(f, 3001); e.record(tm).OrderID != own[0].ID {
		t.Fatalf("hosting's ledger record holds order %d, want its own %d", e.record(tm).OrderID, own[0].ID)
	}
}
