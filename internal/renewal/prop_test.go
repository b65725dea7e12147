package renewal_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

// The property test drives random sequences of cycles, crashes, faults on
// the money routes, clock jumps and price changes against the real fake
// OVH, the real client and the real ledger, and checks after every step,
// on the fake's own record, that no term was paid twice and no payment went
// over its cap; at the end, with the faults gone, every due service is paid
// exactly once.

const (
	propAppKey      = "ak-prop"
	propAppSecret   = "as-prop-secret"
	propConsumerKey = "ck-prop-consumer"

	propCap         = 10 * renewd.UcentsPerUnit // every rule's max_price
	propPrice       = 5 * renewd.UcentsPerUnit  // the normal price, under the cap
	propOverCap     = 12 * renewd.UcentsPerUnit
	propCallTimeout = 500 * time.Millisecond
)

var propStart = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// propRig is one run of the property: a fake OVH account of three due,
// covered, manual services, a client, a ledger and an engine.
type propRig struct {
	t      testing.TB
	seed   uint64
	rng    *rand.Rand
	clock  *ovhfake.Clock // OVH's
	local  *ovhfake.Clock // renewd's own, which jumps now and then
	silent int            // due, covered services left in no accounted state
	fake   *ovhfake.Fake
	client *ovh.Client
	path   string
	ledger *state.Ledger
	engine *renewal.Engine
	policy policy.Policy
	log    []string // the steps taken, for a failure message

	mu sync.Mutex
	// termOf is the service and its expiration when each order was
	// created: the term the order renews.
	termOf map[int64]propTerm
	// crashAt, when set, is the call at which the engine is killed.
	crashAt *propCrash
}

type propTerm struct {
	serviceID  int64
	expiration time.Time
}

var propServices = []int64{201, 202, 203}

func newPropRig(t testing.TB, seed uint64) *propRig {
	t.Helper()
	r := &propRig{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		clock: ovhfake.NewClock(propStart), local: ovhfake.NewClock(propStart), termOf: map[int64]propTerm{}}
	sc := ovhfake.Scenario{PaymentMethods: []ovhfake.PaymentMethodFixture{
		{ID: 9001, PaymentType: "CREDIT_CARD", Default: true},
		{ID: 9002, PaymentType: "PAYPAL", MeanID: 777},
	}}
	payments := []renewd.PaymentForm{{MethodID: 9001}, {Mean: "paypal", MeanID: 777}, {Default: true}}
	for i, id := range propServices {
		exp := propStart.Truncate(24*time.Hour).AddDate(0, 0, 30+r.rng.IntN(15))
		sc.Services = append(sc.Services, ovhfake.ServiceFixture{
			ID: id, Name: fmt.Sprintf("vps-%d.vps.ovh.net", id), Type: "vps", Expiration: renewd.DateOf(exp),
			Strategies: []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{id}, PriceUcents: propPrice}},
		})
		r.policy.Rules = append(r.policy.Rules, policy.Rule{
			Name: fmt.Sprintf("vps-%d", id), Match: policy.Match{ServiceIDs: []int64{id}},
			Action: policy.ActionRenew, RenewBefore: 120 * 24 * time.Hour, Period: renewd.Period{Months: 1},
			MaxPrice: propCap, Payment: payments[i%len(payments)],
		})
	}
	delivery := time.Duration(0)
	if r.rng.IntN(3) == 0 {
		delivery = time.Duration(1+r.rng.IntN(6)) * time.Hour
	}
	r.fake = ovhfake.New(sc, ovhfake.Options{AppKey: propAppKey, AppSecret: propAppSecret, ConsumerKey: propConsumerKey,
		Now: r.clock.Now, MaxSkew: -1, DeliveryAfter: delivery})
	srv := httptest.NewServer(r.recordTerms(r.fake))
	t.Cleanup(srv.Close)

	c, err := ovh.New(ovh.Options{Account: renewd.DefaultAccount, Endpoint: srv.URL + "/1.0",
		AppKey: propAppKey, AppSecret: propAppSecret, ConsumerKey: propConsumerKey,
		CallTimeout: propCallTimeout, RateLimit: rate.Inf, Now: r.local.Now,
		Retry: []time.Duration{time.Second, time.Second},
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	r.client = c
	r.path = filepath.Join(t.TempDir(), "renewd.db")
	r.open()
	t.Cleanup(func() {
		if r.ledger != nil {
			r.ledger.Close()
		}
	})
	r.logf("seed %d: services %v, delivery after %s", seed, propServices, delivery)
	return r
}

// recordTerms wraps the fake: around every order call, it notes the
// service's expiration, so that each order created is tied to its term.
// The money path makes one order call at a time.
func (r *propRig) recordTerms(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if l, after, ok := r.takeCrash(req); ok {
			if err := l.Close(); err != nil {
				r.t.Errorf("seed %d: close the ledger at the crash: %v", r.seed, err)
			}
			if !after {
				propDrop(w)
				return
			}
		}
		rest, ok := strings.CutPrefix(req.URL.Path, "/1.0/service/")
		id, err := strconv.ParseInt(strings.TrimSuffix(rest, "/renew"), 10, 64)
		if req.Method != http.MethodPost || !ok || !strings.HasSuffix(rest, "/renew") || err != nil {
			next.ServeHTTP(w, req)
			return
		}
		svc, _ := r.fake.Service(id)
		before := len(r.fake.Orders())
		next.ServeHTTP(w, req)
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, o := range r.fake.Orders()[before:] {
			r.termOf[o.ID] = propTerm{serviceID: o.ServiceID, expiration: svc.Expiration.Start()}
		}
	})
}

func (r *propRig) open() {
	l, err := state.Open(r.path, state.Options{Now: r.local.Now})
	if err != nil {
		r.t.Fatalf("%s\nopen the ledger: %v", r.history(), err)
	}
	r.mu.Lock()
	r.ledger = l
	r.mu.Unlock()
	r.engine = renewal.New(renewal.Options{Ledger: l, Now: r.local.Now, OnSilent: func(string) { r.silent++ }})
}

func (r *propRig) crash() {
	r.closeLedger()
	r.open()
}

// propDrop closes the client's connection without an answer.
func propDrop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (r *propRig) settings() renewal.Settings {
	return renewal.Settings{Policy: r.policy, Accounts: []renewal.OVH{r.client}}
}

func (r *propRig) cycle() renewal.Summary {
	sum := r.engine.Cycle(context.Background(), r.settings())
	var acts []string
	for _, o := range sum.Outcomes {
		acts = append(acts, fmt.Sprintf("%d:%s/%s", o.Service.ID, o.Action, o.Status))
	}
	r.logf("  -> %s", strings.Join(acts, " "))
	return sum
}

// crashInside runs a cycle and "kills" it at the first call on route:
// before OVH does the work (the call never reaches OVH, and its connection
// drops) or after (OVH does the work and answers). Either way the ledger is
// closed at that moment under the engine's feet, so nothing more is
// recorded, and a new engine opens the ledger again. The clock first moves
// past the settle delay and the first retry wait, so the cycle has work.
func (r *propRig) crashInside(route string, after bool) {
	r.clock.Advance(20 * time.Minute)
	r.mu.Lock()
	r.crashAt = &propCrash{route: route, after: after}
	r.mu.Unlock()
	r.engine.Cycle(context.Background(), r.settings())
	r.mu.Lock()
	fired := r.crashAt == nil
	r.crashAt = nil
	r.mu.Unlock()
	if fired {
		r.logf("  -> killed at %s", route)
	} else {
		r.logf("  -> the cycle ended before %s; killed after it", route)
		r.closeLedger()
	}
	r.open()
}

func (r *propRig) closeLedger() {
	if err := r.ledger.Close(); err != nil {
		r.t.Fatalf("%s\nclose the ledger: %v", r.history(), err)
	}
}

// propCrash is where crashInside kills the engine.
type propCrash struct {
	route string // a propMoneyRoutes key
	after bool
}

// takeCrash returns the ledger to close, once, when req is the call the
// armed crash names.
func (r *propRig) takeCrash(req *http.Request) (l *state.Ledger, after, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.crashAt == nil || propRouteKey(req) != r.crashAt.route {
		return nil, false, false
	}
	after = r.crashAt.after
	r.crashAt = nil
	return r.ledger, after, true
}

// propRouteKey names the money calls the way ovhfake's Requests does.
func propRouteKey(req *http.Request) string {
	if req.Method != http.MethodPost {
		return ""
	}
	parts := strings.Split(strings.TrimPrefix(req.URL.Path, "/1.0/"), "/")
	switch {
	case len(parts) == 3 && parts[0] == "service" && parts[2] == "renew":
		return "POST /service/{id}/renew"
	case len(parts) == 4 && parts[0] == "me" && parts[1] == "order":
		return "POST /me/order/{id}/" + parts[3]
	}
	return ""
}

var propMoneyRoutes = []string{
	"POST /service/{id}/renew",
	"POST /me/order/{id}/pay",
	"POST /me/order/{id}/payWithRegisteredPaymentMean",
	"GET /me/order/{id}/status",
	"GET /me/order",
}

func (r *propRig) fault() ovhfake.Fault {
	fl := ovhfake.Fault{Route: propMoneyRoutes[r.rng.IntN(len(propMoneyRoutes))], Times: 1 + r.rng.IntN(2)}
	switch r.rng.IntN(9) {
	case 0, 1:
		fl.DropAfterWork = true
	case 2, 3:
		fl.StatusAfterWork = http.StatusInternalServerError
	case 4, 5:
		fl.Status = http.StatusInternalServerError
	case 6, 7:
		fl.Status = http.StatusTooManyRequests
		fl.RetryAfter = "1"
	default:
		fl.Latency, fl.Times = 3*propCallTimeout, 1
	}
	return fl
}

func (r *propRig) advance() {
	var d time.Duration
	switch r.rng.IntN(6) {
	case 0, 1, 2:
		d = time.Duration(1+r.rng.IntN(10)) * time.Minute
	case 3, 4:
		d = time.Duration(1+r.rng.IntN(30)) * time.Hour
	default:
		d = time.Duration(24+r.rng.IntN(24)) * time.Hour
	}
	r.clock.Advance(d)
	r.local.Advance(d)
	r.logf("advance %s to %s", d, r.clock.Now().Format(time.RFC3339))
}

// jump moves renewd's own clock alone, as an NTP step or a resumed VM
// does: forward or back by hours or days.
func (r *propRig) jump() {
	d := time.Duration(1+r.rng.IntN(96)) * time.Hour
	if r.rng.IntN(2) == 0 {
		d = -d
	}
	r.local.Advance(d)
	r.logf("the local clock jumps %s to %s (OVH's is %s)", d, r.local.Now().Format(time.RFC3339), r.clock.Now().Format(time.RFC3339))
}

// step takes one random action.
func (r *propRig) step() {
	switch r.rng.IntN(13) {
	case 0, 1, 2:
		r.logf("cycle")
		r.cycle()
	case 3:
		r.logf("crash between transactions")
		r.crash()
	case 4, 5, 6:
		route := propMoneyRoutes[r.rng.IntN(3)]
		after := r.rng.IntN(2) == 0
		r.logf("crash inside %s (after work: %v)", route, after)
		r.crashInside(route, after)
	case 7, 8:
		fl := r.fault()
		r.logf("fault %+v, then cycle", fl)
		r.fake.Inject(fl)
		r.cycle()
	case 9, 10:
		r.advance()
	case 11:
		r.jump()
	default:
		id := propServices[r.rng.IntN(len(propServices))]
		price := int64(propPrice)
		if r.rng.IntN(2) == 0 {
			price = propOverCap
		}
		if r.rng.IntN(2) == 0 {
			r.logf("service %d: strategies and orders at %s", id, renewd.FormatAmount(price))
			r.fake.SetPrice(id, "P1M", price)
		} else {
			r.logf("service %d: orders (not quotes) at %s", id, renewd.FormatAmount(price))
		}
		r.fake.RaiseOrderPrice(id, price)
	}
}

// check verifies, on the fake's record, that no term was paid twice and no
// payment went over its cap, and that every due service ended each cycle
// in a state renewd reports.
func (r *propRig) check() {
	r.t.Helper()
	if r.silent > 0 {
		r.t.Fatalf("%s\n%d due, covered service(s) ended a cycle in no accounted state", r.history(), r.silent)
	}
	orders := map[int64]ovhfake.OrderRecord{}
	for _, o := range r.fake.Orders() {
		orders[o.ID] = o
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	paid := map[propTerm][]int64{}
	for _, p := range r.fake.Payments() {
		o, ok := orders[p.OrderID]
		if !ok {
			r.t.Fatalf("%s\npayment %+v of an order the fake never created", r.history(), p)
		}
		if o.PriceUcents > propCap {
			r.t.Fatalf("%s\norder %d of service %d paid at %s, over its cap %s",
				r.history(), o.ID, o.ServiceID, renewd.FormatAmount(o.PriceUcents), renewd.FormatAmount(propCap))
		}
		tm, ok := r.termOf[o.ID]
		if !ok {
			r.t.Fatalf("%s\norder %d has no recorded term", r.history(), o.ID)
		}
		paid[tm] = append(paid[tm], o.ID)
		if len(paid[tm]) > 1 {
			r.t.Fatalf("%s\nservice %d, term expiring %s, paid twice: orders %v",
				r.history(), tm.serviceID, tm.expiration.Format(time.DateOnly), paid[tm])
		}
	}
}

// settle clears every fault and price change, lets time pass the settle
// delay, the order lifetime and the retry waits, and runs cycles; then
// every service due at its start must have its term paid exactly once.
func (r *propRig) settle() {
	r.t.Helper()
	r.logf("settle: faults cleared, prices back to %s", renewd.FormatAmount(propPrice))
	r.fake.ClearFaults()
	for _, id := range propServices {
		r.fake.SetPrice(id, "P1M", propPrice)
		r.fake.RaiseOrderPrice(id, propPrice)
	}
	r.local.Set(r.clock.Now()) // the local clock is right again
	r.clock.Advance(13 * time.Hour)
	r.local.Advance(13 * time.Hour)
	svcs, err := r.client.Services(context.Background())
	if err != nil {
		r.t.Fatalf("%s\ninventory after clearing the faults: %v", r.history(), err)
	}
	due := map[int64]time.Time{}
	for _, svc := range svcs {
		if d := policy.Decide(r.clock.Now(), svc, r.policy); d.Verdict == policy.Renew {
			due[svc.ID] = svc.Expiration.Start()
		}
	}
	r.logf("due: %v", due)
	for i := range 4 {
		if i > 0 {
			r.clock.Advance(13 * time.Hour)
			r.local.Advance(13 * time.Hour)
		}
		r.logf("at %s: cycle", r.clock.Now().Format(time.RFC3339))
		r.cycle()
		r.check()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	count := map[propTerm]int{}
	for _, p := range r.fake.Payments() {
		count[r.termOf[p.OrderID]]++
	}
	for id, exp := range due {
		tm := propTerm{serviceID: id, expiration: exp}
		if count[tm] != 1 {
			r.t.Fatalf("%s\nservice %d, term expiring %s: paid %d time(s) after settling, want 1\norders %+v\npayments %+v",
				r.history(), id, exp.Format(time.DateOnly), count[tm], r.fake.Orders(), r.fake.Payments())
		}
	}
}

func (r *propRig) logf(format string, args ...any) {
	r.log = append(r.log, fmt.Sprintf(format, args...))
}

func (r *propRig) history() string {
	return fmt.Sprintf("seed %d (replay with propRun(t, %d, steps), or -run 'TestNeverPaysTwiceUnderRandomCrashesAndFaults/seed%d$'); steps:\n  %s",
		r.seed, r.seed, r.seed, strings.Join(r.log, "\n  "))
}

// propRun runs one seeded sequence of steps and checks the property.
func propRun(t testing.TB, seed uint64, steps int) {
	t.Helper()
	r := newPropRig(t, seed)
	for range steps {
		r.step()
		r.check()
	}
	r.settle()
}

func TestNeverPaysTwiceUnderRandomCrashesAndFaults(t *testing.T) {
	seeds := 30
	if testing.Short() {
		seeds = 5
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			propRun(t, seed, 12)
		})
	}
}

// FuzzCycles runs the same property from a fuzzed seed and step count:
// go test -run '^$' -fuzz FuzzCycles ./internal/renewal
func FuzzCycles(f *testing.F) {
	f.Add(uint64(1), uint8(12))
	f.Add(uint64(42), uint8(20))
	f.Fuzz(func(t *testing.T, seed uint64, steps uint8) {
		propRun(t, seed, int(steps%40))
	})
}
