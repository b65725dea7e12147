package renewal_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// TestMigratedLedgerFinishesWhatWasInFlight opens a schema-2 ledger that
// renewd of that schema left with terms in every in-flight status (the
// committed fixture), against an OVH that holds the orders it made, and
// runs cycles: every term finishes with one order and one payment, none
// twice.
func TestMigratedLedgerFinishesWhatWasInFlight(t *testing.T) {
	fixture, err := filepath.Abs(filepath.Join("..", "state", "testdata", "schema2", "inflight.db"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	ids := []int64{1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008}
	expires := map[int64]string{1001: "2026-12-05", 1002: "2026-12-05", 1003: "2026-07-15", 1004: "2026-12-10",
		1005: "2026-12-15", 1006: "2026-12-16", 1007: "2026-12-01", 1008: "2026-12-21"}
	var svcs []ovhfake.ServiceFixture
	for _, id := range ids {
		svcs = append(svcs, ovhfake.ServiceFixture{
			ID: id, Name: "vps-" + itoa(id) + ".vps.ovh.net", Type: "vps", Expiration: renewd.MustDate(expires[id]),
			Strategies: []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{id}, PriceUcents: 599_000_000}},
		})
	}
	r := rule(t, "vps-monthly", "P1M", "10.00", ids...) // 1005's pending approval and 1006's given one come with the ledger
	r.RenewBefore = 30 * day
	e := newEnv(t, []policy.Rule{r}, envOptions{start: start, scenario: func(time.Time) ovhfake.Scenario {
		sc := ovhfake.SampleScenario(start)
		sc.Services = svcs
		return sc
	}})
	e.reopenFrom(t, fixture) // newEnv moved into a directory of its own
	f := e.fake()

	// OVH holds the orders that renewd made (ids in the order it made them).
	behind := e.accounts[0].behind(t)
	ctx := context.Background()
	for _, id := range []int64{1002, 1003, 1004, 1008, 1007} {
		if _, err := behind.CreateRenewOrder(ctx, id, ovh.Strategy{Period: renewd.Period{Months: 1}, PeriodText: "P1M", Services: []int64{id}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, order := range []int64{100000003, 100000005} { // 1004 paid, 1007 paid and delivered
		if err := behind.Pay(ctx, order, renewd.PaymentForm{Default: true}); err != nil {
			t.Fatal(err)
		}
	}
	e.advance(time.Hour) // 1007 delivered at OVH
	for range 3 {
		e.cycle()
		e.advance(time.Hour)
	}
	want := map[int64]state.Status{
		1001: state.StatusDelivered, 1002: state.StatusDelivered, 1003: state.StatusDelivered, 1004: state.StatusDelivered,
		1005: state.StatusAwaitingApproval, 1006: state.StatusDelivered, 1007: state.StatusDelivered, 1008: state.StatusDelivered,
	}
	for _, id := range ids {
		tm := renewd.Term{Account: "main", ServiceID: id, Expiration: renewd.MustDate(expires[id])}
		rec := e.record(tm)
		if rec.Status != want[id] {
			t.Errorf("service %d: %s, want %s", id, rec.Status, want[id])
		}
		switch id {
		case 1005: // still waiting for a person
			wantRecord(t, f, id, 0, 0)
		case 1003:
			// Expired since July: each renewal OVH delivers moves it one
			// month, still in the past, so each cycle renews the next
			// term. The migrated term was paid once, with its own order,
			// and every later order is a later term's, paid once.
			if rec.OrderID != 100000002 || len(paymentsOf(f, rec.OrderID)) != 1 {
				t.Errorf("the migrated paying term: order %d paid %d times, want order 100000002 paid once", rec.OrderID, len(paymentsOf(f, rec.OrderID)))
			}
			terms := map[int64]renewd.Term{}
			recs, err := e.ledger.ForService("main", id)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if r.OrderID != 0 {
					terms[r.OrderID] = r.Term
				}
			}
			for _, o := range ordersFor(f, id) {
				if _, ok := terms[o.ID]; !ok || len(paymentsOf(f, o.ID)) > 1 {
					t.Errorf("order %d of service 1003: term %v, %d payments", o.ID, terms[o.ID], len(paymentsOf(f, o.ID)))
				}
			}
			if len(terms) != len(ordersFor(f, id)) {
				t.Errorf("%d orders for %d terms", len(ordersFor(f, id)), len(terms))
			}
		default:
			wantRecord(t, f, id, 1, 1)
		}
	}
}

// reopenFrom replaces the env's ledger with a copy of a committed file.
func (e *env) reopenFrom(t *testing.T, fixture string) {
	t.Helper()
	if err := e.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(fixture)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(e.ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	e.openLedger()
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// TestMergedRecordIsPaidThroughItsOtherOrder: the migration merged two
// records of one term, one paying order 100000013, the other holding order
// 100000012; OVH shows 100000012 paid. The term is paid through that order,
// and 100000013 is never paid.
func TestMergedRecordIsPaidThroughItsOtherOrder(t *testing.T) {
	fixture, err := filepath.Abs(filepath.Join("..", "state", "testdata", "schema2", "collision.db"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	var svcs []ovhfake.ServiceFixture
	for _, id := range []int64{2001, 2002, 2003, 2999} {
		svcs = append(svcs, ovhfake.ServiceFixture{
			ID: id, Name: "vps-" + itoa(id) + ".vps.ovh.net", Type: "vps", Expiration: renewd.MustDate("2026-12-05"),
			Strategies: []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{id}, PriceUcents: 599_000_000}},
		})
	}
	r := rule(t, "vps-monthly", "P1M", "10.00", 2001, 2002, 2003)
	e := newEnv(t, []policy.Rule{r}, envOptions{start: start, scenario: func(time.Time) ovhfake.Scenario {
		sc := ovhfake.SampleScenario(start)
		sc.Services = svcs
		return sc
	}})
	e.reopenFrom(t, fixture)
	f := e.fake()
	behind := e.accounts[0].behind(t)
	ctx := context.Background()
	order := func(id int64) int64 {
		o, err := behind.CreateRenewOrder(ctx, id, ovh.Strategy{Period: renewd.Period{Months: 1}, PeriodText: "P1M", Services: []int64{id}})
		if err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	for range 10 { // the fake numbers from 100000001; the fixture's orders are 100000011 to 15
		order(2999)
	}
	for i, id := range []int64{2001, 2002, 2002, 2003, 2003} {
		if got := order(id); got != 100000011+int64(i) {
			t.Fatalf("set-up: order %d, want %d", got, 100000011+int64(i))
		}
	}
	for _, paid := range []int64{100000011, 100000012, 100000014, 100000015} {
		if err := behind.Pay(ctx, paid, renewd.PaymentForm{Default: true}); err != nil {
			t.Fatal(err)
		}
	}
	e.cycle()
	tm := renewd.Term{Account: "main", ServiceID: 2002, Expiration: renewd.MustDate("2026-12-05")}
	rec := e.record(tm)
	if !rec.Paid() || rec.OrderID != 100000012 {
		t.Fatalf("the merged term is %s with order %d, want paid with order 100000012", rec.Status, rec.OrderID)
	}
	if n := len(paymentsOf(f, 100000013)); n != 0 {
		t.Errorf("order 100000013 paid %d times, want never: the term was paid through 100000012", n)
	}
	if n := requests(f, routePay); n != 4 { // the four set-up payments
		t.Errorf("%d payment calls, want renewd to have made none", n-4)
	}
}
