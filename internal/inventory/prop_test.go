package inventory_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// The property: over random histories of an account (services added,
// terminated, renewed by hand, switched between automatic and manual
// renewal, the policy reloaded with other windows, time passing by hours,
// days and, now and then, a downtime of over a week), driven through the
// real engine, client, fake and ledger on one clock, no cycle decides a
// service within its window from anything but a read of that cycle, no
// order is made for a service that was not due, and every due, covered,
// manual service ends the cycle paid. A service terminated with a term in
// flight is reported once.

func TestPropertyNoDecisionWithinItsWindowFromAStaleRead(t *testing.T) {
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { newHistory(t, seed).run(140) })
	}
}

type history struct {
	t     *testing.T
	seed  uint64
	rng   *rand.Rand
	r     *rig
	ids   []int64 // the account's services now
	next  int64
	steps []string
	// goneInFlight are the terms in flight of the services terminated.
	goneInFlight map[string]bool
}

func newHistory(t *testing.T, seed uint64) *history {
	h := &history{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x5bd1e995)), next: 1, goneInFlight: map[string]bool{}}
	var services []ovhfake.ServiceFixture
	for range 24 {
		services = append(services, h.newService())
	}
	delivery := []time.Duration{-1, 2 * time.Hour}[h.rng.IntN(2)] // at once, or seen a cycle later
	h.r = newRigDelivering(t, delivery, services)
	h.r.Opts.Refresh = []time.Duration{3 * day, 7 * day}[h.rng.IntN(2)]
	h.reload()
	return h
}

// newService is a random service: a monthly VPS, a yearly domain, a web
// hosting (notify only) or a dedicated server (no rule); mostly manual.
func (h *history) newService() ovhfake.ServiceFixture {
	id := h.next
	h.next++
	h.ids = append(h.ids, id)
	s := vps(id, time.Duration(1+h.rng.IntN(300))*day+h.since())
	switch h.rng.IntN(6) {
	case 0, 1:
		s.Type, s.Name = "domain", fmt.Sprintf("example-%d.com", id)
		s.Strategies = []ovhfake.StrategyFixture{{Period: "P1Y", Services: []int64{id}, PriceUcents: 9 * renewd.UcentsPerUnit}}
	case 2:
		s.Type, s.Name = "hosting/web", fmt.Sprintf("site-%d.example.net", id)
	case 3:
		s.Type, s.Name = "dedicated/server", fmt.Sprintf("ns%d.ip-1-2-3.eu", id)
	}
	switch h.rng.IntN(10) {
	case 0, 1:
		s.RenewMode = "automaticV2016"
	case 2:
		s.RenewMode = "option"
	}
	return s
}

func (h *history) since() time.Duration {
	if h.r == nil {
		return 0
	}
	return h.r.clock.Now().Sub(t0)
}

// reload puts a new policy in force, as a SIGHUP does: the next cycle
// builds its Account with it.
func (h *history) reload() {
	pick := func(ds ...int) time.Duration { return time.Duration(ds[h.rng.IntN(len(ds))]) * day }
	domains := renewVPS(pick(20, 30, 45))
	domains.Name, domains.Match, domains.Period, domains.MaxPrice = "domains", policy.Match{Type: "domain"}, renewd.Period{Years: 1}, 15*renewd.UcentsPerUnit
	h.r.Policy = policy.Policy{ReportWithin: pick(15, 30), Rules: []policy.Rule{
		renewVPS(pick(7, 14, 21)), domains,
		{Name: "hosting", Match: policy.Match{Type: "hosting/web"}, Action: policy.ActionNotify, RenewBefore: pick(10, 21)},
	}}
}

func (h *history) logf(format string, args ...any) {
	h.steps = append(h.steps, fmt.Sprintf(format, args...))
}

func (h *history) fatalf(format string, args ...any) {
	h.t.Helper()
	tail := h.steps[max(0, len(h.steps)-25):]
	h.t.Fatalf("seed %d: %s\nlast steps:\n  %s", h.seed, fmt.Sprintf(format, args...), strings.Join(tail, "\n  "))
}

// event changes the account or the policy at random.
func (h *history) event() {
	f := h.r.fake
	switch k := h.rng.IntN(20); {
	case k < 2:
		s := h.newService()
		f.AddService(s)
		h.logf("add %d %s expiring %s", s.ID, s.Type, s.Expiration)
	case k < 3 && len(h.ids) > 5:
		id := h.ids[h.rng.IntN(len(h.ids))]
		if inFlight := h.inFlight(); len(inFlight) > 0 && h.rng.IntN(2) == 0 {
			id = inFlight[h.rng.IntN(len(inFlight))] // the case that must be reported
		}
		recs, _ := h.r.ledger.ForService("main", id)
		for _, rec := range recs {
			if rec.MoneyInFlight() || rec.Status == state.StatusPaid || rec.Status == state.StatusUndelivered || rec.HoldsOrder() {
				h.goneInFlight[rec.Term.String()] = true
			}
		}
		f.RemoveService(id)
		h.ids = slices.DeleteFunc(h.ids, func(x int64) bool { return x == id })
		h.logf("terminate %d", id)
	case k < 6:
		id := h.ids[h.rng.IntN(len(h.ids))]
		s, _ := f.Service(id)
		s.Expiration = s.Expiration.AddPeriod(renewd.Period{Months: 1 + h.rng.IntN(12)})
		f.AddService(s)
		h.logf("renew %d by hand to %s", id, s.Expiration)
	case k < 9:
		id := h.ids[h.rng.IntN(len(h.ids))]
		s, _ := f.Service(id)
		s.RenewMode = map[bool]string{true: "manual", false: "automaticV2016"}[s.RenewMode != "manual"]
		f.AddService(s)
		h.logf("switch %d to %s", id, s.RenewMode)
	case k < 10:
		h.reload()
		h.logf("reload: %s %s, %s %s, report_within %s", h.r.Policy.Rules[0].Name, h.r.Policy.Rules[0].RenewBefore,
			h.r.Policy.Rules[1].Name, h.r.Policy.Rules[1].RenewBefore, h.r.Policy.ReportWithin)
	}
}

// inFlight lists the services with a term renewd still follows.
func (h *history) inFlight() []int64 {
	recs, err := h.r.ledger.InFlight()
	if err != nil {
		h.fatalf("%v", err)
	}
	var out []int64
	for _, rec := range recs {
		if slices.Contains(h.ids, rec.Term.ServiceID) {
			out = append(out, rec.Term.ServiceID)
		}
	}
	return out
}

func (h *history) advance() {
	d := []time.Duration{6 * time.Hour, 6 * time.Hour, 6 * time.Hour, 12 * time.Hour, day, 3 * day}[h.rng.IntN(6)]
	if h.rng.IntN(40) == 0 {
		d = 9 * day // renewd was down
	}
	h.r.clock.Advance(d)
	h.logf("advance %s to %s", d, h.r.clock.Now().Format(time.RFC3339))
}

// truth is the service as OVH holds it, as renewd reads it.
func truth(s ovhfake.ServiceFixture) renewd.Service {
	mode := s.RenewMode
	if mode == "" {
		mode = "manual"
	}
	return renewd.Service{Account: "main", ID: s.ID, Name: s.Name, Type: s.Type, Expiration: s.Expiration,
		RenewMode: renewd.ParseRenewMode(mode), RawRenewMode: mode, State: "ok"}
}

func inWindow(v policy.Verdict) bool {
	return v != policy.NotDue && v != policy.Unwatched && v != policy.Ignored
}

func (h *history) run(cycles int) {
	r := h.r
	for i := range cycles {
		if i > 0 {
			for range h.rng.IntN(3) {
				h.event()
			}
			h.advance()
		}
		now := r.clock.Now()
		before := map[int64]renewd.Service{}
		for _, id := range h.ids {
			fx, _ := r.fake.Service(id)
			before[id] = truth(fx)
		}
		orders := len(r.fake.Orders())
		sum := r.cycle()
		acts := []string{}
		for _, o := range sum.Outcomes {
			acts = append(acts, fmt.Sprintf("%d:%s", o.Service.ID, o.Action))
		}
		h.logf("cycle %d: %s; %+v", i, strings.Join(acts, " "), r.last().ByReason)
		h.check(sum, before, now, orders)
	}
	h.checkEnd()
	h.t.Logf("seed %d: %d orders, %d terms gone in flight, now %s", h.seed, len(r.fake.Orders()), len(h.goneInFlight), r.clock.Now().Format(time.DateOnly))
}

func (h *history) check(sum renewal.Summary, before map[int64]renewd.Service, now time.Time, orders int) {
	r := h.r
	if len(sum.Outcomes) != len(before) {
		h.fatalf("%d outcomes for %d services", len(sum.Outcomes), len(before))
	}
	for _, o := range sum.Outcomes {
		want := before[o.Service.ID]
		d := policy.Decide(now, want, r.Policy)
		if !inWindow(d.Verdict) && !inWindow(o.Verdict) {
			continue
		}
		got := o.Service
		got.Problem = ""
		if got != want {
			h.fatalf("at %s service %d (%s by OVH's state, %s as decided) was decided from %+v, OVH holds %+v",
				now, want.ID, d.Verdict, o.Verdict, o.Service, want)
		}
		if c, _ := r.cached(want.ID); !c.ReadAt.Equal(now) {
			h.fatalf("at %s service %d, %s, was decided from a read of %s, not this cycle's", now, want.ID, d.Verdict, c.ReadAt)
		}
		if d.Verdict != policy.Renew {
			continue
		}
		rec, ok, err := r.ledger.Get(want.Term())
		if err != nil || !ok || !rec.Paid() {
			h.fatalf("at %s service %d is due and covered, but its term %s ends the cycle %s (%s: %s)",
				now, want.ID, want.Term(), rec.Status, o.Action, o.Reason)
		}
	}
	for _, ord := range r.fake.Orders()[orders:] {
		if d := policy.Decide(now, before[ord.ServiceID], r.Policy); d.Verdict != policy.Renew {
			h.fatalf("at %s an order was made for service %d, which OVH's state says is %s (%s)", now, ord.ServiceID, d.Verdict, d.Reason)
		}
	}
}

func (h *history) checkEnd() {
	r := h.r
	c, err := r.ledger.ServiceCache("main")
	if err != nil {
		h.fatalf("%v", err)
	}
	var cachedIDs []int64
	for _, s := range c.Services {
		cachedIDs = append(cachedIDs, s.Service.ID)
	}
	ids := slices.Sorted(slices.Values(h.ids))
	if !slices.Equal(cachedIDs, ids) {
		h.fatalf("the cache holds %v, the account %v", cachedIDs, ids)
	}
	reported := map[string]int{}
	for _, rep := range goneReports(h.t, r.ledger) {
		reported[rep.Term]++
	}
	for term := range h.goneInFlight {
		if reported[term] != 1 {
			h.fatalf("term %s of a terminated service was reported %d times, want once", term, reported[term])
		}
	}
}
