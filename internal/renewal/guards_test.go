package renewal_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// Each test here holds one guard of the money path: it fails when the
// guard is removed (docs/design.md lists them with the mutation run).

// The re-read before ordering: the service is renewed by hand at OVH
// between the inventory and the order. renewd sees the later date and
// orders nothing.
func TestRereadBeforeOrderingSeesARenewalByHand(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	f := e.fake()
	o := outcome(t, cycleChangingBeforeReread(e, 1001, func(svc *ovhfake.ServiceFixture) {
		svc.Expiration = svc.Expiration.AddDays(30) // renewed in the OVH manager
	}), 1001)
	if o.Action != renewal.ActRenewedElsewhere {
		t.Fatalf("outcome %s (%s), want renewed-elsewhere", o.Action, o.Reason)
	}
	if n := requests(f, routeRenew); n != 0 {
		t.Fatalf("renewd ordered a service renewed since the inventory (%d order calls)", n)
	}
}

// The hold while an earlier term of the same service has money in flight:
// the inventory shows a later expiration (renewed some other way) while
// the earlier term's order call has an unknown outcome. The later term
// waits.
func TestEarlierTermInFlightHoldsTheNextOne(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	f := e.fake()
	earlier := term("main", 1001, 5)
	if _, err := e.ledger.Transition(earlier, state.StatusOrdering, "an order call, then a crash", func(r *state.Record) error {
		r.ServiceName, r.Period, r.Services, r.IntentOVH = "vps-alpha.vps.ovh.net", "P3M", []int64{1001}, e.clock.Now()
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	svc, _ := f.Service(1001)
	svc.Expiration = svc.Expiration.AddDays(1)
	f.AddService(svc)

	o := outcome(t, e.cycle(), 1001)
	if o.Action != renewal.ActPending {
		t.Fatalf("the later term: %s (%s), want pending behind the earlier one", o.Action, o.Reason)
	}
	if n := requests(f, routeRenew); n != 0 {
		t.Fatalf("renewd ordered the later term while the earlier one's order may exist (%d order calls)", n)
	}
}

// The in-flight sum in the budget check: the first renewal's payment has an
// unknown outcome, so its money is committed; the second, which the budget
// cannot also hold, is refused.
func TestBudgetCountsOrdersInFlight(t *testing.T) {
	alpha := rule(t, "alpha", "P1M", "10.00", 1001)
	org := rule(t, "org", "P1Y", "15.00", 2002)
	e := newEnv(t, []policy.Rule{alpha, org}, envOptions{})
	e.Settings.Budget = &renewal.Budget{MonthlyUcents: eur(t, "12.00"), Currency: "EUR", Over: policy.OverCapRefuse}
	f := e.fake()
	f.Inject(ovhfake.Fault{Route: routePay, Status: http.StatusGatewayTimeout}) // 1001's payment: unknown
	sum := e.cycle()
	if o := outcome(t, sum, 1001); o.Status != state.StatusPaying {
		t.Fatalf("1001: %s %s (%s), want paying", o.Action, o.Status, o.Reason)
	}
	if o := outcome(t, sum, 2002); o.Action != renewal.ActRefused {
		t.Fatalf("2002: %s (%s), want refused: 7.00 in flight + 9.99 > 12.00", o.Action, o.Reason)
	}
	if n := len(ordersFor(f, 2002)); n != 0 {
		t.Fatalf("2002 ordered over the budget (%d orders)", n)
	}
}

// The exact comparison of the order's price with the approved one: an
// order one micro-cent above the approved price asks again.
func TestApprovalBindsToTheExactPrice(t *testing.T) {
	r := rule(t, "org", "P1Y", "15.00", 2002)
	r.Approval = policy.Approval{Mode: policy.ApprovalAlways}
	e := newEnv(t, []policy.Rule{r}, envOptions{})
	f := e.fake()
	tm := term("main", 2002, 12)
	if o := outcome(t, e.cycle(), 2002); o.Action != renewal.ActAwaiting {
		t.Fatalf("first cycle: %s (%s), want awaiting approval", o.Action, o.Reason)
	}
	first := e.record(tm).Approval
	if _, err := renewal.Decide(e.ledger, first.ID, state.DecisionApproved, "cli:alice"); err != nil {
		t.Fatal(err)
	}
	f.RaiseOrderPrice(2002, first.PriceUcents+1)
	e.advance(time.Minute)
	if o := outcome(t, e.cycle(), 2002); o.Action != renewal.ActAwaiting {
		t.Fatalf("order 1 micro-cent above the approved price: %s (%s), want asked again", o.Action, o.Reason)
	}
	if n := requests(f, routePay); n != 0 {
		t.Fatalf("paid above the approved price (%d payment calls)", n)
	}
	second := e.record(tm).Approval
	if second.ID == first.ID || second.PriceUcents != first.PriceUcents+1 {
		t.Fatalf("second approval %+v, want a new one at %d", second, first.PriceUcents+1)
	}
	if _, err := renewal.Decide(e.ledger, second.ID, state.DecisionApproved, "cli:alice"); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)
	if o := outcome(t, e.cycle(), 2002); o.Action != renewal.ActPaid {
		t.Fatalf("after the new approval: %s (%s), want paid", o.Action, o.Reason)
	}
	wantRecord(t, f, 2002, 1, 1)
}

// A service whose rule stops covering it keeps its order unpaid: renewd
// never acts on a service no policy covers.
func TestUncoveredServiceOrderIsNotPaid(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	f := e.fake()
	f.Inject(ovhfake.Fault{Route: routePay, Status: http.StatusBadRequest}) // refused: the term keeps its order
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActFailed {
		t.Fatalf("first cycle: %s (%s), want failed", o.Action, o.Reason)
	}
	e.Settings.Policy.Rules = nil // the operator removes the rule
	e.advance(time.Hour)
	if o := outcome(t, e.cycle(), 1001); o.Verdict != policy.Uncovered {
		t.Fatalf("after the rule went: %s %s (%s), want uncovered", o.Verdict, o.Action, o.Reason)
	}
	if n := requests(f, routePay); n != 1 {
		t.Fatalf("paid an order of a service no rule covers (%d payment calls)", n)
	}
	if rec := e.record(term("main", 1001, 5)); rec.OrderID == 0 || rec.Paid() {
		t.Fatalf("the term %s with order %d, want its order kept unpaid", rec.Status, rec.OrderID)
	}
}

// The date comparison of the re-read: the inventory reads /services
// (Paris-time datetimes, times of day) and the re-read /service/{id}
// (dates). Every due service is renewed; none is taken for renewed since.
func TestRereadComparesDatesNotInstants(t *testing.T) {
	rules := []policy.Rule{
		rule(t, "alpha", "P1M", "10.00", 1001),
		rule(t, "domains", "P1Y", "15.00", 2001, 2002),
	}
	e := newEnv(t, rules, envOptions{})
	sum := e.cycle()
	for _, id := range []int64{1001, 2001, 2002} {
		if o := outcome(t, sum, id); o.Action != renewal.ActPaid {
			t.Errorf("service %d: %s (%s), want paid", id, o.Action, o.Reason)
		}
	}
	// 1001 expires at 19:56:28 Paris time, 2002 at 12:30:24, 2001 at
	// 00:41:07 (the day before in UTC): as instants they differ from the
	// dates /service/{id} gives; as dates they agree.
	for _, id := range []int64{1001, 2001, 2002} {
		if svc, _ := e.fake().Service(id); svc.ExpirationTime == 0 {
			t.Fatalf("service %d has no time of day: the test would not test the comparison", id)
		}
	}
}

// cycleChangingBeforeReread runs a cycle and, when it re-reads service id
// before ordering, changes the service at OVH first: what someone does in
// the manager between the inventory and the order.
func cycleChangingBeforeReread(e *env, id int64, change func(*ovhfake.ServiceFixture)) renewal.Summary {
	f := e.fake()
	hold := f.Hold(routeReread, false)
	done := make(chan renewal.Summary, 1)
	go func() { done <- e.cycle() }()
	<-hold.Reached()
	svc, _ := f.Service(id)
	change(&svc)
	f.AddService(svc)
	hold.Release()
	return <-done
}
