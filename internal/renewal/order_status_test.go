package renewal_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// TestOrderInAnUnknownStateIsNeitherPaidNorCounted: a term holds an order
// that OVH shows in a status renewd does not act on (documents requested).
// renewd sends no payment for it and does not record it as paid: the term
// is reported pending until OVH moves the order on.
func TestOrderInAnUnknownStateIsNeitherPaidNorCounted(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	payRoute := "POST /me/order/{id}/pay"
	e.fake().Inject(ovhfake.Fault{Route: payRoute, Status: http.StatusBadRequest, Times: 1})
	if o := outcomeOf(e.cycle(), 1001); o.Action != renewal.ActFailed || o.OrderID == 0 {
		t.Fatalf("first cycle: %s with order %d, want failed holding its order", o.Action, o.OrderID)
	}
	e.fake().Inject(ovhfake.Fault{Route: "GET /me/order/{id}/status", Status: http.StatusOK,
		Body: `"documentsRequested"`, Times: -1})
	tries := e.fake().Requests()[payRoute]

	e.clock.Advance(20 * time.Minute) // past the retry delay (15 min), within the order's life
	o := outcomeOf(e.cycle(), 1001)
	if o.Action != renewal.ActPending {
		t.Errorf("with documents requested: %s (%s), want pending", o.Action, o.Reason)
	}
	if got := e.fake().Requests()[payRoute]; got != tries {
		t.Errorf("%d payment calls after the status read documentsRequested, want none", got-tries)
	}
	if rec := e.record(term("main", 1001, 5)); rec.Paid() {
		t.Errorf("the term is recorded %s; OVH never said it was paid", rec.Status)
	}

	e.fake().ClearFaults()
	e.clock.Advance(time.Minute)
	if o := outcomeOf(e.cycle(), 1001); o.Action != renewal.ActPaid {
		t.Errorf("once OVH shows the order unpaid again: %s (%s), want paid", o.Action, o.Reason)
	}
	if n, m := len(e.fake().Orders()), len(e.fake().Payments()); n != 1 || m != 1 {
		t.Errorf("%d orders and %d payments, want 1 and 1", n, m)
	}
}
