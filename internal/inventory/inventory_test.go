package inventory_test

import (
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/inventory"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// farServices is n manual VPSes expiring 200 to 200+n days away, ids
// 1001..1000+n: far beyond any horizon of these tests for months.
func farServices(n int) []ovhfake.ServiceFixture {
	var out []ovhfake.ServiceFixture
	for i := 1; i <= n; i++ {
		out = append(out, vps(int64(1000+i), time.Duration(200+i)*day))
	}
	return out
}

func TestFirstInventoryReadsEverythingThenOnlyWhatMatters(t *testing.T) {
	services := append(farServices(40), vps(100, 10*day)) // 100 is due
	r := newRig(t, services, renewVPS(14*day))
	r.Opts.Refresh = 3650 * day    // no refresh read in this test
	r.perRequest = 5 * time.Second // OVH's fair use, roughly: the read takes minutes
	sum := r.cycle()
	if got := len(r.takeReads()); got != 41 {
		t.Errorf("first cycle read %d services, want all 41", got)
	}
	st := r.last()
	if !st.Full || st.Read != 41 || st.Cached != 0 || st.ByReason[inventory.ReadFull] != 41 || st.LastFull.IsZero() {
		t.Errorf("first inventory's stats: %+v", st)
	}
	if o := outcome(t, sum, 100); o.Action != renewal.ActPaid {
		t.Errorf("due service: %s (%s), want paid", o.Action, o.Reason)
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "reading every service of the account") || !strings.Contains(logs, "inventory progress") ||
		!strings.Contains(logs, "eta=") || !strings.Contains(logs, "per_second=") {
		t.Errorf("a long first read logs no progress (services read, rate, time left):\n%s", logs)
	}
	if c, _ := r.ledger.ServiceCache("main"); len(c.Services) != 41 || c.LastFull.IsZero() {
		t.Errorf("cache after the first read: %d entries, last full %v", len(c.Services), c.LastFull)
	}

	r.perRequest = 0
	r.clock.Advance(6 * time.Hour)
	sum = r.cycle()
	reads := r.takeReads()
	// 100 is paid, its delivery still to be seen: it is read; nothing else
	// is (its new expiration, a month on, is inside its horizon too).
	if len(reads) != 1 || reads[100] != 1 {
		t.Errorf("second cycle read %v, want service 100 alone", reads)
	}
	if len(sum.Outcomes) != 41 {
		t.Errorf("second cycle decided %d services, want every one of the 41", len(sum.Outcomes))
	}
	st = r.last()
	if st.Full || st.Cached != 40 || st.Read != 1 || st.ByReason[inventory.ReadOpen] != 1 {
		t.Errorf("second inventory's stats: %+v", st)
	}
	if n := st.Requests["GET /service"]; n != 1 {
		t.Errorf("listing requests %v, want one GET /service", st.Requests)
	}
}

func TestFarServiceRenewedByHandIsPickedUpByTheRefreshNeverRenewed(t *testing.T) {
	far := vps(7, 90*day)
	r := newRig(t, append(farServices(20), far), renewVPS(14*day))
	r.cycle()
	moved := far
	moved.Expiration = far.Expiration.AddPeriod(renewd.Period{Years: 1})
	r.fake.AddService(moved) // renewed by hand in the OVH manager

	// Within one refresh interval (7d) and a cycle, the refresh reads it.
	seen := time.Time{}
	for range 4 * 8 {
		r.clock.Advance(6 * time.Hour)
		r.cycle()
		if c, _ := r.cached(7); seen.IsZero() && c.Service.Expiration == moved.Expiration {
			seen = r.clock.Now()
		}
	}
	if seen.IsZero() || seen.Sub(t0) > 7*day+6*time.Hour {
		t.Fatalf("the hand renewal was not picked up within the refresh interval (seen at %v)", seen)
	}
	// Where the old expiration's window opens, nothing is ordered.
	r.clock.Set(far.Expiration.Start().Add(-10 * day))
	sum := r.cycle()
	if o := outcome(t, sum, 7); o.Verdict != policy.NotDue || o.Service.Expiration != moved.Expiration {
		t.Errorf("at the old window: %s %s, expiration %s; want not due, %s", o.Verdict, o.Reason, o.Service.Expiration, moved.Expiration)
	}
	if n := r.ordersFor(7); n != 0 {
		t.Errorf("%d orders for a service renewed by hand", n)
	}
}

func TestFarServiceTurnedManualIsSeenBeforeItEntersTheHorizon(t *testing.T) {
	auto := vps(5, 60*day)
	auto.RenewMode = "automaticV2016"
	r := newRig(t, append(farServices(20), auto), renewVPS(14*day))
	r.cycle()
	if c, _ := r.cached(5); c.Service.RenewMode != renewd.RenewAutomatic {
		t.Fatalf("cached mode %v, want automatic", c.Service.RenewMode)
	}
	manual := auto
	manual.RenewMode = "manual"
	r.fake.AddService(manual)
	enters := auto.Expiration.Start().Add(-(30 + 3) * day) // report_within + margin
	for r.clock.Now().Before(enters.Add(-6 * time.Hour)) {
		r.clock.Advance(6 * time.Hour)
		r.cycle()
	}
	c, _ := r.cached(5)
	if c.Service.RenewMode != renewd.RenewManual || !c.ReadAt.Before(enters) {
		t.Errorf("before the horizon: cached mode %v read at %s; want manual, read before %s", c.Service.RenewMode, c.ReadAt, enters)
	}
	// And in its window it is renewed, as any manual service.
	r.clock.Set(auto.Expiration.Start().Add(-13 * day))
	if o := outcome(t, r.cycle(), 5); o.Action != renewal.ActPaid {
		t.Errorf("in its window: %s (%s), want paid", o.Action, o.Reason)
	}
}

func TestNewServiceIsReadOnTheCycleItAppears(t *testing.T) {
	r := newRig(t, farServices(20), renewVPS(14*day))
	r.cycle()
	r.takeReads()
	r.clock.Advance(6 * time.Hour)
	added := vps(500, 300*day)
	added.Name = "vps-new.vps.ovh.net"
	r.fake.AddService(added)
	sum := r.cycle()
	if reads := r.takeReads(); reads[500] != 1 {
		t.Errorf("reads %v: the new service was not read on the cycle it appeared", reads)
	}
	if o := outcome(t, sum, 500); o.Service.Name != "vps-new.vps.ovh.net" || o.Service.Expiration != added.Expiration {
		t.Errorf("new service decided as %+v", o.Service)
	}
	if st := r.last(); st.ByReason[inventory.ReadNew] != 1 {
		t.Errorf("stats %+v: want one read for a new id", st)
	}
	if _, ok := r.cached(500); !ok {
		t.Error("the new service is not in the cache")
	}
}

func TestServiceEnteringTheHorizonIsReadOnThatCycle(t *testing.T) {
	// The horizon is 30d (report_within) + 3d. Service 9 expires on May 5
	// (t0 is April 1, 08:00): it enters its horizon on April 2 at 00:00.
	entering := vps(9, 34*day)
	r := newRig(t, append(farServices(20), entering), renewVPS(14*day))
	r.Opts.Refresh = 3650 * day // no refresh read in the test's hours
	r.cycle()
	r.takeReads()
	r.clock.Advance(10 * time.Hour) // April 1, 18:00
	r.cycle()
	if reads := r.takeReads(); reads[9] != 0 {
		t.Errorf("read %d times while still outside its horizon", reads[9])
	}
	r.clock.Advance(8 * time.Hour) // April 2, 02:00: inside
	r.cycle()
	if reads := r.takeReads(); reads[9] != 1 {
		t.Errorf("read %d times on the cycle it entered its horizon, want 1", reads[9])
	}
	if st := r.last(); st.ByReason[inventory.ReadHorizon] != 1 || st.ByReason[inventory.ReadRefresh] != 0 {
		t.Errorf("stats %+v: want one horizon read, no refresh", st)
	}
}

func TestReloadThatWidensAWindowReadsAtOnce(t *testing.T) {
	s := vps(3, 40*day)
	r := newRig(t, append(farServices(10), s), renewVPS(14*day))
	r.Opts.Refresh = 3650 * day
	r.cycle()
	r.takeReads()
	r.clock.Advance(time.Hour)
	r.cycle()
	if reads := r.takeReads(); reads[3] != 0 {
		t.Fatalf("outside every window, read %d times", reads[3])
	}
	// The operator reloads with a 45-day window: 3 is due now, and the
	// next cycle (a new Account, as on every reload) reads it and renews.
	r.Policy.Rules = []policy.Rule{renewVPS(45 * day)}
	r.clock.Advance(time.Hour)
	sum := r.cycle()
	if st := r.last(); st.ByReason[inventory.ReadHorizon] != 1 || st.Read != 1 {
		t.Errorf("after the reload: stats %+v, want service 3 read for its horizon", st)
	}
	if reads := r.takeReads(); reads[3] != 2 {
		t.Errorf("after the reload, read %d times, want 2 (the inventory, the re-read before ordering)", reads[3])
	}
	if o := outcome(t, sum, 3); o.Action != renewal.ActPaid {
		t.Errorf("after the reload: %s (%s), want paid", o.Action, o.Reason)
	}
}

func TestFullReadsEverythingEveryTime(t *testing.T) {
	r := newRig(t, farServices(15), renewVPS(14*day))
	r.cycle()
	r.takeReads()
	r.Opts.Full = true
	r.clock.Advance(time.Hour)
	r.cycle()
	if reads := r.takeReads(); len(reads) != 15 {
		t.Errorf("--full read %d services, want 15", len(reads))
	}
	if st := r.last(); !st.Full || st.LastFull != t0.Add(time.Hour) {
		t.Errorf("stats %+v: want a full read at t0+1h", st)
	}
}

func TestExpandedListingRefreshesTheWholeCache(t *testing.T) {
	r := newRig(t, farServices(15), renewVPS(14*day))
	r.fake.UpdateWire(func(w *ovhfake.Wire) { w.Expanded = ovhfake.ExpandedHonoured })
	r.cycle()
	r.clock.Advance(time.Hour)
	r.cycle()
	if reads := r.takeReads(); len(reads) != 0 {
		t.Errorf("one read per service with the expanded listing honoured: %v", reads)
	}
	st := r.last()
	if !st.Full || st.Read != 15 || st.Requests["GET /services"] != 1 || st.Requests["GET /service/{id}"] != 0 {
		t.Errorf("stats %+v: want every service from one expanded page", st)
	}
	if c, _ := r.cached(1015); !c.ReadAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("cache entry read at %s, want the second cycle's time", c.ReadAt)
	}
}
