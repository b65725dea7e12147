package renewal_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// wireRules cover every due, manually renewed service of SampleScenario,
// each under its cap: 1001, 2001, 2002, 3001 and 4001.
func wireRules(t *testing.T) []policy.Rule {
	return []policy.Rule{
		rule(t, "alpha", "P1M", "10.00", 1001),
		rule(t, "domains", "P1Y", "15.00", 2001, 2002),
		rule(t, "hosting", "P1Y", "50.00", 3001),
		rule(t, "dedicated", "P1M", "100.00", 4001),
	}
}

var wireDue = []int64{1001, 2001, 2002, 3001, 4001}

func wireEnv(t *testing.T, start time.Time, w ovhfake.Wire) *env {
	t.Helper()
	return newEnv(t, wireRules(t), envOptions{start: start, scenario: func(now time.Time) ovhfake.Scenario {
		sc := ovhfake.SampleScenario(now)
		sc.Wire = w
		return sc
	}})
}

// TestEveryWireFormRenewsEveryDueService runs the cycle against the fake
// in each form the real API may answer in (ovh-api.md's UNCONFIRMED
// items): Paris time in winter and in summer, times of day, UTC and
// date-only datetimes, the expanded listing honoured, ignored or refused,
// pages cut short, batch keys as strings or numbers, batch refused, prices
// with or without priceInUcents, and the offered period text required
// back. Every due, covered, under-cap service is paid exactly once, and a
// second cycle creates nothing.
func TestEveryWireFormRenewsEveryDueService(t *testing.T) {
	winter := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	summer := time.Date(2026, 7, 1, 6, 0, 0, 0, time.UTC)
	type mode struct {
		name  string
		start time.Time
		wire  ovhfake.Wire
	}
	var modes []mode
	for _, start := range []time.Time{winter, summer} {
		season := map[time.Time]string{winter: "winter", summer: "summer"}[start]
		for _, tf := range ovhfake.TimeForms {
			modes = append(modes, mode{fmt.Sprintf("%s/time %s", season, tf), start, ovhfake.Wire{Time: tf}})
		}
	}
	for _, ex := range ovhfake.ExpandedModes {
		for _, b := range ovhfake.BatchModes {
			modes = append(modes, mode{fmt.Sprintf("expanded %s/batch %s", ex, b), winter, ovhfake.Wire{Expanded: ex, Batch: b}})
		}
	}
	modes = append(modes,
		mode{"pages cut short", winter, ovhfake.Wire{MaxPageSize: 2}},
		mode{"price with priceInUcents", summer, ovhfake.Wire{Price: ovhfake.PriceUcents}},
		mode{"price value only", summer, ovhfake.Wire{Price: ovhfake.PriceValue}},
		mode{"priceInUcents null", summer, ovhfake.Wire{Price: ovhfake.PriceUcentsNull}},
		mode{"strict duration", winter, ovhfake.Wire{StrictDuration: true}},
		mode{"everything at once", summer, ovhfake.Wire{Time: ovhfake.TimeUTC, Expanded: ovhfake.ExpandedRefused,
			Batch: ovhfake.BatchRefused, Price: ovhfake.PriceUcents, StrictDuration: true}},
	)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			e := wireEnv(t, m.start, m.wire)
			f := e.fake()
			sum := e.cycle()
			for _, id := range wireDue {
				if o := outcome(t, sum, id); o.Action != renewal.ActPaid {
					t.Errorf("service %d: %s (%s), want paid", id, o.Action, o.Reason)
				}
			}
			if n := len(f.Payments()); n != len(wireDue) {
				t.Errorf("%d payments, want %d", n, len(wireDue))
			}
			orders := len(f.Orders())
			e.advance(time.Hour)
			e.cycle()
			e.advance(6 * time.Hour)
			e.cycle()
			if n := len(f.Orders()); n != orders {
				t.Errorf("later cycles created %d more orders", n-orders)
			}
			for _, id := range wireDue {
				wantRecord(t, f, id, 1, 1)
			}
		})
	}
}

// TestUnusablePricesPayNothing: in every price form renewd cannot trust
// (value and priceInUcents disagreeing, no value, zero, 1e300, negative,
// 18 digits), nothing is ordered or paid, and each due service is reported
// failed with the reason.
func TestUnusablePricesPayNothing(t *testing.T) {
	for _, pf := range []ovhfake.PriceForm{ovhfake.PriceUcentsDisagree, ovhfake.PriceNoValue, ovhfake.PriceZero,
		ovhfake.PriceHuge, ovhfake.PriceNegative, ovhfake.PriceEighteenDigits} {
		t.Run(string(pf), func(t *testing.T) {
			e := wireEnv(t, t0, ovhfake.Wire{Price: pf})
			f := e.fake()
			sum := e.cycle()
			for _, id := range wireDue {
				o := outcome(t, sum, id)
				if o.Action != renewal.ActFailed && o.Action != renewal.ActRefused {
					t.Errorf("service %d: %s (%s), want failed or refused on its price", id, o.Action, o.Reason)
				}
			}
			if n, p := len(f.Orders()), len(f.Payments()); n != 0 || p != 0 {
				t.Errorf("%d orders and %d payments at unusable prices", n, p)
			}
			if len(e.reportsOf("failed", 1001))+len(e.reportsOf("refused", 1001)) == 0 {
				t.Error("the failure was not reported")
			}
		})
	}
}

// TestInventoryFormsSwitchWhileMoneyIsInFlight: the inventory's form
// changes between cycles (expanded, then batch, then one call per service,
// then expanded again, with the datetimes' form changing too) while terms
// are ordering (an order call whose answer was lost), paying (a payment
// that landed but was never recorded) and paid, waiting for delivery. Each
// term gets one order and one payment, and is delivered.
func TestInventoryFormsSwitchWhileMoneyIsInFlight(t *testing.T) {
	e := wireEnv(t, t0, ovhfake.Wire{})
	f := e.fake()
	behind := e.accounts[0].behind(t)
	ctx := context.Background()
	strategy := func(id int64, period string) ovh.Strategy {
		p, _ := renewd.ParsePeriod(period)
		return ovh.Strategy{Period: p, PeriodText: period, Services: []int64{id}}
	}
	at := e.clock.Now()
	intent := func(name, period string, id int64) func(*state.Record) error {
		return func(r *state.Record) error {
			r.ServiceName, r.Period, r.Services, r.Rule, r.IntentOVH = name, period, []int64{id}, "wire", at
			r.Payment = renewd.PaymentForm{Default: true}
			return nil
		}
	}
	step := func(tm renewd.Term, to state.Status, mutate func(*state.Record) error) {
		t.Helper()
		if _, err := e.ledger.Transition(tm, to, "set-up", mutate, nil); err != nil {
			t.Fatalf("%s -> %s: %v", tm, to, err)
		}
	}
	// 1001 ordering: the order exists at OVH, its id never reached the ledger.
	if _, err := behind.CreateRenewOrder(ctx, 1001, strategy(1001, "P1M")); err != nil {
		t.Fatal(err)
	}
	step(e.termOf(1001), state.StatusOrdering, intent("vps-alpha.vps.ovh.net", "P1M", 1001))
	// 2002 paying: the payment went through, the ledger never heard.
	o, err := behind.CreateRenewOrder(ctx, 2002, strategy(2002, "P1Y"))
	if err != nil {
		t.Fatal(err)
	}
	step(e.termOf(2002), state.StatusOrdering, intent("example.org", "P1Y", 2002))
	step(e.termOf(2002), state.StatusOrdered, func(r *state.Record) error { r.OrderID = o.ID; return nil })
	step(e.termOf(2002), state.StatusPaying, func(r *state.Record) error { r.PayIntentOVH = at; return nil })
	if err := behind.Pay(ctx, o.ID, renewd.PaymentForm{Default: true}); err != nil {
		t.Fatal(err)
	}
	// 4001 paid, waiting for OVH to deliver.
	o, err = behind.CreateRenewOrder(ctx, 4001, strategy(4001, "P1M"))
	if err != nil {
		t.Fatal(err)
	}
	step(e.termOf(4001), state.StatusOrdering, intent("ns123456.ip-1-2-3.eu", "P1M", 4001))
	step(e.termOf(4001), state.StatusOrdered, func(r *state.Record) error { r.OrderID = o.ID; return nil })
	step(e.termOf(4001), state.StatusPaying, func(r *state.Record) error { r.PayIntentOVH = at; return nil })
	if err := behind.Pay(ctx, o.ID, renewd.PaymentForm{Default: true}); err != nil {
		t.Fatal(err)
	}
	step(e.termOf(4001), state.StatusPaid, nil)

	for _, w := range []ovhfake.Wire{
		{},
		{Expanded: ovhfake.ExpandedRefused, Time: ovhfake.TimeUTC},
		{Expanded: ovhfake.ExpandedRefused, Batch: ovhfake.BatchRefused, Time: ovhfake.TimeExpirationDate},
		{Expanded: ovhfake.ExpandedIgnored, Batch: ovhfake.BatchNumberKeys},
		{},
	} {
		f.SetWire(w)
		e.cycle()
		e.advance(5 * time.Minute)
	}
	e.advance(48 * time.Hour)
	e.cycle()
	for _, id := range wireDue {
		wantRecord(t, f, id, 1, 1)
		if rec := e.record(e.termOf(id)); rec.Status != state.StatusDelivered {
			t.Errorf("service %d: %s, want delivered", id, rec.Status)
		}
	}
}

// TestOneLookAtTheOrdersPerCycle: however many services are due, the
// account's recent orders are listed once per cycle, and each order's
// lines are read once.
func TestOneLookAtTheOrdersPerCycle(t *testing.T) {
	e := wireEnv(t, t0, ovhfake.Wire{})
	f := e.fake()
	e.cycle()
	if n := requests(f, "GET /me/order"); n != 1 {
		t.Errorf("GET /me/order called %d times in a cycle with %d due services, want 1", n, len(wireDue))
	}
	before := f.Requests()
	e.advance(time.Hour)
	e.cycle()
	after := f.Requests()
	if n := after["GET /me/order"] - before["GET /me/order"]; n > 1 {
		t.Errorf("second cycle: GET /me/order called %d times, want at most 1", n)
	}
	if n := after["GET /me/order/{id}/details"] - before["GET /me/order/{id}/details"]; n != 0 {
		t.Errorf("second cycle read order lines again %d times, want 0 (they never change)", n)
	}
}
