package renewal_test

import (
	"strings"
	"testing"

	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// TestUnusableStrategyPriceOrdersNothing: OVH offers the renewal at a price
// that is not one (1e300). It is never compared with the cap: the term
// fails with the reason and nothing is ordered.
func TestUnusableStrategyPriceOrdersNothing(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	f := e.fake()
	f.Inject(ovhfake.Fault{Route: "GET /service/{id}/renew", Times: -1,
		Body: `[{"renewPeriod":"P1M","strategies":[{"services":[1001],"price":{"value":1e300,"currencyCode":"EUR"}}]}]`})
	o := outcome(t, e.cycle(), 1001)
	if o.Action != renewal.ActFailed || !strings.Contains(o.Reason, "not a usable price") {
		t.Fatalf("outcome %s (%s), want failed on an unusable price", o.Action, o.Reason)
	}
	if n := len(f.Orders()); n != 0 {
		t.Errorf("%d orders created at an unusable price", n)
	}
}

// TestUnusableOrderPriceIsNeverPaid: the created order's prices, as OVH
// then shows them, disagree with themselves. The order is recorded (it
// exists) and never paid.
func TestUnusableOrderPriceIsNeverPaid(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	f := e.fake()
	hold := f.Hold("POST /service/{id}/renew", true)
	done := make(chan renewal.Summary, 1)
	go func() { done <- e.cycle() }()
	<-hold.Reached()
	order := ordersFor(f, 1001)[0]
	f.SetOrderPriceForm(order.ID, ovhfake.PriceUcentsDisagree)
	hold.Release()
	o := outcome(t, <-done, 1001)
	if o.Action != renewal.ActFailed || !strings.Contains(o.Reason, "cannot be used") {
		t.Fatalf("outcome %s (%s), want failed on an unusable price", o.Action, o.Reason)
	}
	if rec := e.record(term("main", 1001, 5)); rec.OrderID != order.ID {
		t.Errorf("ledger order %d, want the created order %d recorded", rec.OrderID, order.ID)
	}
	if n := f.Requests()["POST /me/order/{id}/pay"] + f.Requests()["POST /me/order/{id}/payWithRegisteredPaymentMean"]; n != 0 || len(f.Payments()) != 0 {
		t.Errorf("%d payment requests for an order whose price is unusable", n)
	}
}
