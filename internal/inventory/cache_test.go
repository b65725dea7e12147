package inventory_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/inventory"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// goneReports returns the reports queued under a term/<term>/gone key.
func goneReports(t *testing.T, l *state.Ledger) []renewd.Report {
	t.Helper()
	items, err := l.Outbox(0)
	if err != nil {
		t.Fatal(err)
	}
	var out []renewd.Report
	for _, it := range items {
		if strings.HasSuffix(it.Key, "/gone") {
			var r renewd.Report
			if err := json.Unmarshal(it.Body, &r); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
	}
	return out
}

func TestDeletedServiceWithATermInFlightIsReportedOnce(t *testing.T) {
	due := vps(50, 5*day)
	r := newRig(t, append(farServices(10), due), renewVPS(14*day))
	r.cycle() // pays 50; its delivery is seen on the next cycle
	if rec, ok, _ := r.ledger.Get(renewd.Term{Account: "main", ServiceID: 50, Expiration: due.Expiration}); !ok || rec.Status != state.StatusPaid {
		t.Fatalf("set-up: term of 50 is %+v, want paid", rec)
	}
	r.fake.RemoveService(50)   // terminated at OVH before the delivery was seen
	r.fake.RemoveService(1003) // and a far one with nothing in flight
	for range 3 {
		r.clock.Advance(6 * time.Hour)
		r.cycle()
	}
	reps := goneReports(t, r.ledger)
	if len(reps) != 1 {
		t.Fatalf("%d gone reports, want one: %+v", len(reps), reps)
	}
	rep := reps[0]
	if rep.Kind != renewd.ReportFailed || rep.ServiceID != 50 || rep.OrderID == 0 ||
		!strings.Contains(rep.Reason, "no longer lists service 50") || !strings.Contains(rep.Reason, "paid") {
		t.Errorf("gone report: %+v", rep)
	}
	for _, id := range []int64{50, 1003} {
		if _, ok := r.cached(id); ok {
			t.Errorf("service %d, gone at OVH, is still in the cache", id)
		}
	}
	if st := r.stats[1]; st.Gone != 2 || st.Listed != 9 {
		t.Errorf("inventory after the deletions: %+v, want 2 gone of 11", st)
	}
}

func TestUnreadableServiceIsReadAgainEveryCycle(t *testing.T) {
	r := newRig(t, farServices(10), renewVPS(14*day))
	r.Opts.Refresh = 3650 * day
	r.cycle()
	r.fake.AddService(vps(60, 300*day))
	r.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Body: "{not json"})
	r.takeReads()
	r.clock.Advance(6 * time.Hour)
	if o := outcome(t, r.cycle(), 60); o.Service.Problem == "" {
		t.Fatalf("set-up: service 60 read as %+v, want a Problem", o.Service)
	}
	if c, _ := r.cached(60); c.Service.Problem == "" {
		t.Fatalf("the cache lost the Problem: %+v", c)
	}
	r.takeReads()
	r.clock.Advance(6 * time.Hour)
	sum := r.cycle()
	if reads := r.takeReads(); len(reads) != 1 || reads[60] != 1 {
		t.Errorf("reads %v: want the unreadable service read again, alone", reads)
	}
	if st := r.last(); st.ByReason[inventory.ReadProblem] != 1 {
		t.Errorf("stats %+v: want one read for a problem", st)
	}
	if o := outcome(t, sum, 60); o.Service.Problem != "" || o.Service.Expiration.IsZero() {
		t.Errorf("read again: %+v", o.Service)
	}
	r.clock.Advance(6 * time.Hour)
	r.cycle()
	if reads := r.takeReads(); reads[60] != 0 {
		t.Errorf("read %d times once readable and far: want the cache", reads[60])
	}
}

func TestRefreshIsEvenAndReadsEachServiceOnceAnInterval(t *testing.T) {
	const n = 280 // 10 a cycle at @every 6h and a 7-day refresh
	r := newRig(t, farServices(n), renewVPS(14*day))
	r.cycle()
	r.takeReads()
	total := map[int64]int{}
	most := 0
	for range 28 {
		r.clock.Advance(6 * time.Hour)
		r.cycle()
		reads := r.takeReads()
		most = max(most, len(reads))
		for id, k := range reads {
			total[id] += k
		}
		if st := r.last(); st.Refresh.Deferred != 0 || st.ByReason[inventory.ReadRefresh] != 10 {
			t.Errorf("at %s: refresh %+v, %d refresh reads; want 10, none deferred", r.clock.Now(), st.Refresh, st.ByReason[inventory.ReadRefresh])
		}
	}
	for i := int64(1001); i <= 1000+n; i++ {
		if total[i] != 1 {
			t.Errorf("service %d read %d times in one refresh interval, want once", i, total[i])
		}
	}
	if most != 10 {
		t.Errorf("a cycle read %d services, want the even share of 10 every cycle", most)
	}
	// A cycle asked for a minute later (run-now) has a minute's share: none.
	r.clock.Advance(time.Minute)
	r.cycle()
	if n := r.last().ByReason[inventory.ReadRefresh]; n != 0 {
		t.Errorf("a cycle a minute after the last read %d for the refresh, want 0", n)
	}
}

func TestRefreshBacklogIsReadOldestFirstAtTwiceThePace(t *testing.T) {
	const n = 280
	r := newRig(t, farServices(n), renewVPS(14*day))
	r.cycle()
	r.takeReads()
	r.clock.Advance(10 * day) // renewd was stopped: every slot has passed
	r.cycle()
	if reads := r.takeReads(); len(reads) != 20 {
		t.Errorf("the first cycle back read %d services, want the cap of 20", len(reads))
	}
	if st := r.last(); st.Refresh.Deferred != n-20 || st.ByReason[inventory.ReadRefresh] != 20 {
		t.Errorf("stats %+v: want 20 refresh reads, %d deferred", st, n-20)
	}
	total := map[int64]int{}
	for range 13 {
		r.clock.Advance(6 * time.Hour)
		r.cycle()
		for id, k := range r.takeReads() {
			total[id] += k
		}
	}
	if len(total) != n-20 {
		t.Errorf("the backlog took more than 14 cycles: %d of %d read", len(total), n-20)
	}
}

func TestCutShortFirstReadKeepsWhatItRead(t *testing.T) {
	const n, flushEvery = 600, 500
	r := newRig(t, farServices(n), renewVPS(14*day))
	r.Opts.Refresh = 3650 * day // no refresh read in the next cycle
	r.failAfter = 550
	midway := -1
	r.probe = func(served int) {
		if served == 540 {
			c, err := r.ledger.ServiceCache("main")
			if err != nil {
				t.Error(err)
			}
			midway = len(c.Services)
		}
	}
	sum := r.engine.Cycle(context.Background(), r.settings())
	if len(sum.Errors) == 0 {
		t.Fatal("the first inventory did not fail")
	}
	c, err := r.ledger.ServiceCache("main")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Services) < 500 || !c.LastFull.IsZero() {
		t.Fatalf("after a read cut short: %d cached, last full %v; want the reads kept, no full read", len(c.Services), c.LastFull)
	}
	if midway < flushEvery {
		t.Errorf("%d services in the cache after 540 reads: a crash then would lose them all", midway)
	}
	kept := len(c.Services)
	// Reads answered as the inventory failed may be dropped: the client
	// stops waiting for them (at most the concurrency, 4).
	if read := len(r.takeReads()); kept < read-4 || kept > read {
		t.Errorf("%d services read before the failure, %d kept in the cache", read, kept)
	}
	r.failAfter = 0
	r.clock.Advance(6 * time.Hour)
	r.cycle()
	if reads := r.takeReads(); len(reads) != n-kept {
		t.Errorf("the next cycle read %d services, want the %d not yet read", len(reads), n-kept)
	}
	if st := r.last(); st.LastFull.IsZero() {
		t.Errorf("the cache is complete, but no full read is recorded: %+v", st)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	r := newRig(t, farServices(5), renewVPS(14*day))
	r.Opts.DryRun = true
	got, err := r.account().Services(context.Background())
	if err != nil || len(got) != 5 {
		t.Fatalf("Services: %d, %v", len(got), err)
	}
	if c, _ := r.ledger.ServiceCache("main"); len(c.Services) != 0 || !c.LastFull.IsZero() {
		t.Errorf("a dry run wrote the cache: %+v", c)
	}
}

// A term renewd follows is read on every cycle even when its service is
// outside every horizon: here a reload narrowed the window between the
// payment and the delivery. Decided from the cache, the delivery would
// never be seen, and a day later the term reported undelivered.
func TestTermInFlightIsReadOutsideEveryHorizon(t *testing.T) {
	s := vps(8, 40*day)
	r := newRigDelivering(t, 2*time.Hour, append(farServices(5), s), renewVPS(45*day))
	r.Opts.Refresh = 3650 * day
	if o := outcome(t, r.cycle(), 8); o.Action != renewal.ActPaid {
		t.Fatalf("set-up: %s (%s), want paid", o.Action, o.Reason)
	}
	r.Policy.Rules = []policy.Rule{renewVPS(7 * day)} // reloaded: 40 days is outside every horizon now
	r.clock.Advance(3 * time.Hour)                    // OVH has delivered
	r.cycle()
	if st := r.last(); st.ByReason[inventory.ReadOpen] != 1 {
		t.Errorf("stats %+v: want service 8 read for its term in flight", st)
	}
	rec, _, _ := r.ledger.Get(renewd.Term{Account: "main", ServiceID: 8, Expiration: s.Expiration})
	if rec.Status != state.StatusDelivered {
		t.Errorf("term %s, want delivered: the delivery was not seen", rec.Status)
	}
}

// A service OVH gives no expiration for is read on every cycle: nothing
// says it is far. Here the expiration appears, five days away, and the
// next cycle renews it.
func TestServiceWithoutAnExpirationIsReadEveryCycle(t *testing.T) {
	r := newRig(t, farServices(5), renewVPS(14*day))
	r.Opts.Refresh = 3650 * day
	r.cycle()
	r.fake.AddService(vps(70, 5*day))
	r.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Body: `{"expirationDate":null,"renew":{"mode":"manual"},` +
		`"resource":{"displayName":"vps-70.vps.ovh.net","name":"vps-70.vps.ovh.net","state":"ok"},` +
		`"route":{"path":"/vps/{serviceName}","vars":[{"key":"serviceName","value":"vps-70.vps.ovh.net"}]},"state":"ok"}`})
	r.clock.Advance(time.Hour)
	if o := outcome(t, r.cycle(), 70); o.Verdict != policy.NoExpiration {
		t.Fatalf("set-up: %s (%s), want no-expiration", o.Verdict, o.Reason)
	}
	r.clock.Advance(time.Hour)
	if o := outcome(t, r.cycle(), 70); o.Action != renewal.ActPaid {
		t.Errorf("once OVH gives its expiration: %s %s (%s), want paid", o.Verdict, o.Action, o.Reason)
	}
}

// A term that holds an order (here refused: the created order came above
// the cap) has its service read on every cycle, outside every horizon
// too, until a read shows the service renewed past it; then the term is
// never ordered or paid again, and the service is left to the cache.
func TestTermHoldingAnOrderIsReadUntilTheServiceMovesPastIt(t *testing.T) {
	s := vps(41, 40*day)
	r := newRig(t, append(farServices(5), s), renewVPS(45*day))
	r.Opts.Refresh = 3650 * day
	r.fake.RaiseOrderPrice(41, 50*renewd.UcentsPerUnit)
	r.cycle()
	rec, _, _ := r.ledger.Get(renewd.Term{Account: "main", ServiceID: 41, Expiration: s.Expiration})
	if rec.Status != state.StatusRefused || !rec.HoldsOrder() || rec.MoneyInFlight() {
		t.Fatalf("set-up: term %s holding an order %v, want refused with its order", rec.Status, rec.HoldsOrder())
	}
	r.Policy.Rules = []policy.Rule{renewVPS(7 * day)} // 40 days is outside every horizon now
	for range 2 {
		r.clock.Advance(6 * time.Hour)
		r.cycle()
		if st := r.last(); st.ByReason[inventory.ReadOpen] != 1 {
			t.Fatalf("stats %+v: want service 41 read for the order its term holds", st)
		}
	}
	moved := s
	moved.Expiration = s.Expiration.AddPeriod(renewd.Period{Years: 1})
	r.fake.AddService(moved) // renewed by hand
	r.clock.Advance(6 * time.Hour)
	r.cycle() // read for its term: the cache now holds the new expiration
	r.takeReads()
	r.clock.Advance(6 * time.Hour)
	r.cycle()
	if reads := r.takeReads(); reads[41] != 0 {
		t.Errorf("read %d times after a read showed it renewed past the held term", reads[41])
	}
}
