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

const (
	routeRenew  = "POST /service/{id}/renew"
	routePay    = "POST /me/order/{id}/pay"
	routeReread = "GET /service/{id}"
)

// wantRecord fails unless the fake created exactly orders orders for the
// service and took exactly payments payments, none twice for one order.
func wantRecord(t *testing.T, f *ovhfake.Fake, serviceID int64, orders, payments int) {
	t.Helper()
	os := ordersFor(f, serviceID)
	var ps []ovhfake.PaymentRecord
	for _, o := range os {
		got := paymentsOf(f, o.ID)
		if len(got) > 1 {
			t.Errorf("order %d paid %d times", o.ID, len(got))
		}
		ps = append(ps, got...)
	}
	if len(os) != orders || len(ps) != payments {
		t.Fatalf("the fake holds %d order(s) and %d payment(s) for service %d, want %d and %d:\n%+v\n%+v",
			len(os), len(ps), serviceID, orders, payments, os, ps)
	}
}

// A forward jump of the local clock (an NTP step, a VM resumed) while a
// payment's outcome is unknown: the order must not look expired, nor the
// payment settled, by the local clock. The first payment then lands late;
// it is the only one.
func TestForwardClockJumpDoesNotPayTwice(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{splitClocks: true})
	f := e.fake()
	f.Inject(ovhfake.Fault{Route: routePay, Status: http.StatusGatewayTimeout}) // the answer is lost

	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPending || o.Status != state.StatusPaying {
		t.Fatalf("first cycle: %s %s (%s), want pending paying", o.Action, o.Status, o.Reason)
	}
	wantRecord(t, f, 1001, 1, 0)
	order := ordersFor(f, 1001)[0]

	e.local.Advance(3 * 24 * time.Hour) // past the order's expiry and the settle delay, on the local clock only
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPending {
		t.Fatalf("cycle after the jump: %s %s (%s), want pending", o.Action, o.Status, o.Reason)
	}
	if n := requests(f, routeRenew); n != 1 {
		t.Fatalf("after the jump renewd ordered again (%d order calls)", n)
	}
	if n := requests(f, routePay); n != 1 {
		t.Fatalf("after the jump renewd paid again (%d payment calls)", n)
	}

	// The payment the lost call made lands.
	if err := e.accounts[0].behind(t).Pay(context.Background(), order.ID, renewd.PaymentForm{Default: true}); err != nil {
		t.Fatal(err)
	}
	e.advance(5 * time.Minute)
	e.cycle()
	if rec := e.record(term("main", 1001, 5)); !rec.Paid() || rec.OrderID != order.ID {
		t.Fatalf("after the payment landed the term is %s with order %d, want paid with order %d", rec.Status, rec.OrderID, order.ID)
	}
	wantRecord(t, f, 1001, 1, 1)
}

// A cycle that runs longer than the settle delay (OVH answers slowly) must
// count the delay from the money call, not from the cycle's start: the
// next cycle, started at once, must not believe "nothing happened".
func TestSettleDelayCountsFromTheCall(t *testing.T) {
	for _, tt := range []struct {
		name  string
		route string
	}{
		{"payment", routePay},
		{"order", routeRenew},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
			f := e.fake()
			f.Inject(ovhfake.Fault{Route: tt.route, Status: http.StatusGatewayTimeout})
			hold := f.Hold(routeReread, false) // the re-read before ordering takes 3 minutes
			done := make(chan renewal.Summary, 1)
			go func() { done <- e.cycle() }()
			<-hold.Reached()
			e.advance(3 * time.Minute)
			hold.Release()
			if o := outcome(t, <-done, 1001); o.Action != renewal.ActPending {
				t.Fatalf("first cycle: %s %s (%s), want pending", o.Action, o.Status, o.Reason)
			}

			// The next cycle starts at once (an approval, run-now).
			e.advance(time.Second)
			if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPending {
				t.Fatalf("second cycle: %s %s (%s), want pending", o.Action, o.Status, o.Reason)
			}
			if n := requests(f, tt.route); n != 1 {
				t.Fatalf("%s called %d times within the settle delay, want 1", tt.route, n)
			}

			// What the lost call did lands at OVH now.
			behind := e.accounts[0].behind(t)
			if tt.route == routePay {
				if err := behind.Pay(context.Background(), ordersFor(f, 1001)[0].ID, renewd.PaymentForm{Default: true}); err != nil {
					t.Fatal(err)
				}
			} else if _, err := behind.CreateRenewOrder(context.Background(), 1001, ovh.Strategy{Period: renewd.Period{Months: 1}, PeriodText: "P1M", Services: []int64{1001}}); err != nil {
				t.Fatal(err)
			}
			e.advance(5 * time.Minute)
			e.cycle()
			e.advance(time.Hour)
			e.cycle()
			wantRecord(t, f, 1001, 1, 1)
		})
	}
}

// A backward jump of the local clock leaves a failed term's next attempt
// days ahead: it is rescheduled from now, reported, and the service is
// renewed before it expires.
func TestBackwardClockJumpStillRenews(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{splitClocks: true})
	f := e.fake()
	f.Inject(ovhfake.Fault{Route: "GET /service/{id}/renew", Status: http.StatusInternalServerError, Times: -1})
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActFailed {
		t.Fatalf("first cycle: %s (%s), want failed", o.Action, o.Reason)
	}
	f.ClearFaults()

	e.local.Advance(-7 * 24 * time.Hour)
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActFailed {
		t.Fatalf("cycle after the jump: %s (%s), want failed, rescheduled", o.Action, o.Reason)
	}
	rec := e.record(term("main", 1001, 5))
	if wait := rec.NextAttempt.Sub(e.local.Now()); wait <= 0 || wait > time.Hour {
		t.Fatalf("next attempt %s is %s from the local now, want it rescheduled within the schedule", rec.NextAttempt, wait)
	}
	var told bool
	for _, r := range e.outbox() {
		told = told || strings.Contains(r.Reason, "clock went back")
	}
	if !told {
		t.Error("the backward jump was not reported")
	}

	e.advance(20 * time.Minute)
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPaid {
		t.Fatalf("cycle after the rescheduled attempt: %s (%s), want paid", o.Action, o.Reason)
	}
	wantRecord(t, f, 1001, 1, 1)
	e.advance(time.Hour) // OVH delivers
	if svc, _ := f.Service(1001); !svc.Expiration.After(term("main", 1001, 5).Expiration) {
		t.Errorf("the service was not renewed: it expires %s", svc.Expiration)
	}
}

// Once renewd is told to stop, no new money call starts: an order created
// before is recorded, and paid by the next cycle.
func TestStopBetweenOrderAndPay(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	f := e.fake()
	hold := f.Hold(routeRenew, true) // the order is created; its answer waits
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan renewal.Summary, 1)
	go func() { done <- e.engine.Cycle(ctx, e.Settings) }()
	<-hold.Reached()
	cancel() // SIGTERM
	hold.Release()
	<-done

	if rec := e.record(term("main", 1001, 5)); rec.Status != state.StatusOrdered || rec.OrderID == 0 {
		t.Fatalf("after the stop the term is %s with order %d, want ordered with the order recorded", rec.Status, rec.OrderID)
	}
	if n := requests(f, routePay); n != 0 {
		t.Fatalf("renewd paid after it was told to stop (%d payment calls)", n)
	}
	if o := outcome(t, e.cycle(), 1001); o.Action != renewal.ActPaid {
		t.Fatalf("next cycle: %s (%s), want paid", o.Action, o.Reason)
	}
	wantRecord(t, f, 1001, 1, 1)
}
