package inventory_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
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
	"github.com/renewd/renewd/internal/inventory"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/state"
)

const (
	testAppKey      = "ak-inventory-test"
	testAppSecret   = "as-inventory-test-secret"
	testConsumerKey = "ck-inventory-test-consumer"
	day             = 24 * time.Hour
)

var t0 = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

// rig is one OVH account on real parts: the fake served over HTTP, the
// real client, a bbolt ledger in a temporary directory and the renewal
// engine, on one clock moved by hand. By default the fake honours neither
// the expanded listing nor batches: one read per service, the case the
// incremental inventory is for.
type rig struct {
	t      *testing.T
	clock  *ovhfake.Clock
	fake   *ovhfake.Fake
	client *ovh.Client
	ledger *state.Ledger
	engine *renewal.Engine
	Policy policy.Policy
	// Opts is the template of every Account the rig builds (Client,
	// Ledger, Policy, Now and Logger are filled in).
	Opts  inventory.Options
	logs  *syncBuffer
	stats []inventory.Stats

	mu    sync.Mutex
	reads map[int64]int // GET /service/{id} per id, since the last resetReads
	// perRequest, when set, is added to the clock at each request.
	perRequest time.Duration
	// failAfter, when positive, makes every read of /service/{id} after
	// that many answer 500.
	failAfter int
	served    int
	// probe, when set, is called before each read of /service/{id} is
	// served, with how many were served before it.
	probe func(served int)
}

func newRig(t *testing.T, services []ovhfake.ServiceFixture, rules ...policy.Rule) *rig {
	t.Helper()
	return newRigDelivering(t, -1, services, rules...)
}

// newRigDelivering is newRig with the fake delivering a paid renewal
// after deliveryAfter (negative: at once, within the payment).
func newRigDelivering(t *testing.T, deliveryAfter time.Duration, services []ovhfake.ServiceFixture, rules ...policy.Rule) *rig {
	t.Helper()
	ovhfake.IsolateEnv(t)
	r := &rig{t: t, clock: ovhfake.NewClock(t0), reads: map[int64]int{}, logs: &syncBuffer{}}
	sc := ovhfake.Scenario{
		PaymentMethods: []ovhfake.PaymentMethodFixture{{ID: 9001, PaymentType: "CREDIT_CARD", Default: true}},
		Services:       services,
		Wire:           ovhfake.Wire{Expanded: ovhfake.ExpandedRefused, Batch: ovhfake.BatchRefused},
	}
	r.fake = ovhfake.New(sc, ovhfake.Options{AppKey: testAppKey, AppSecret: testAppSecret, ConsumerKey: testConsumerKey,
		Now: r.clock.Now, MaxSkew: -1, DeliveryAfter: deliveryAfter})
	srv := httptest.NewServer(r.countReads(r.fake))
	t.Cleanup(srv.Close)
	c, err := ovh.New(ovh.Options{Account: "main", Endpoint: srv.URL + "/1.0",
		AppKey: testAppKey, AppSecret: testAppSecret, ConsumerKey: testConsumerKey,
		CallTimeout: 10 * time.Second, RateLimit: rate.Inf, Concurrency: 4, Now: r.clock.Now,
		Retry: []time.Duration{time.Millisecond},
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	r.client = c
	l, err := state.Open(filepath.Join(t.TempDir(), "renewd.db"), state.Options{Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	r.ledger = l
	r.engine = renewal.New(renewal.Options{Ledger: l, Now: r.clock.Now})
	r.Policy = policy.Policy{Rules: rules, ReportWithin: 30 * day}
	return r
}

// countReads counts the reads of each service that OVH answered (a
// refused batch reads nothing), moves the clock by perRequest at each
// request, and fails reads past failAfter.
func (r *rig) countReads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var ids []int64
		if rest, ok := strings.CutPrefix(req.URL.Path, "/1.0/service/"); ok && req.Method == http.MethodGet && !strings.Contains(rest, "/") {
			for _, part := range strings.Split(rest, ",") {
				if id, err := strconv.ParseInt(part, 10, 64); err == nil {
					ids = append(ids, id)
				}
			}
		}
		r.mu.Lock()
		d := r.perRequest
		fail, probe, served := false, r.probe, r.served
		if len(ids) > 0 {
			r.served++
			fail = r.failAfter > 0 && r.served > r.failAfter
		}
		r.mu.Unlock()
		if probe != nil && len(ids) > 0 {
			probe(served)
		}
		if d > 0 {
			r.clock.Advance(d)
		}
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"class":"Server::InternalServerError","message":"Internal server error"}`)
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, req)
		if sw.status == http.StatusOK {
			r.mu.Lock()
			for _, id := range ids {
				r.reads[id]++
			}
			r.mu.Unlock()
		}
	})
}

// statusWriter remembers the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Hijack lets the fake drop a connection through the wrapper.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("not a hijacker")
	}
	return hj.Hijack()
}

// takeReads returns the reads per id since the last call, and starts
// counting afresh.
func (r *rig) takeReads() map[int64]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reads
	r.reads = map[int64]int{}
	return out
}

// account builds an Account from Opts and the rig's policy, as wiring does
// on start and on every reload.
func (r *rig) account() *inventory.Account {
	r.t.Helper()
	o := r.Opts
	o.Client, o.Ledger, o.Policy, o.Now = r.client, r.ledger, r.Policy, r.clock.Now
	o.Logger = slog.New(slog.NewTextHandler(r.logs, nil))
	o.OnDone = func(s inventory.Stats) { r.stats = append(r.stats, s) }
	a, err := inventory.New(o)
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

// cycle runs one renewal cycle with the incremental inventory and fails
// the test on an error of the cycle.
func (r *rig) cycle() renewal.Summary {
	r.t.Helper()
	sum := r.engine.Cycle(context.Background(), r.settings())
	for _, err := range sum.Errors {
		r.t.Errorf("cycle at %s: %v", r.clock.Now().Format(time.RFC3339), err)
	}
	return sum
}

// last is the Stats of the last inventory.
func (r *rig) last() inventory.Stats {
	r.t.Helper()
	if len(r.stats) == 0 {
		r.t.Fatal("no inventory ran")
	}
	return r.stats[len(r.stats)-1]
}

// cached returns the cache's entry for the service.
func (r *rig) cached(id int64) (state.CachedService, bool) {
	r.t.Helper()
	c, err := r.ledger.ServiceCache("main")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, s := range c.Services {
		if s.Service.ID == id {
			return s, true
		}
	}
	return state.CachedService{}, false
}

// outcome returns the cycle's outcome for the service.
func outcome(t *testing.T, sum renewal.Summary, id int64) renewal.Outcome {
	t.Helper()
	for _, o := range sum.Outcomes {
		if o.Service.ID == id {
			return o
		}
	}
	t.Fatalf("no outcome for service %d", id)
	return renewal.Outcome{}
}

// vps is a manual VPS renewed monthly at 5.00, expiring in `in`.
func vps(id int64, in time.Duration) ovhfake.ServiceFixture {
	return ovhfake.ServiceFixture{ID: id, Name: fmt.Sprintf("vps-%d.vps.ovh.net", id), Type: "vps",
		Expiration: renewd.DateOf(t0.Add(in)),
		Strategies: []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{id}, PriceUcents: 5 * renewd.UcentsPerUnit}}}
}

// renewVPS renews every VPS monthly, renew_before long before expiry.
func renewVPS(before time.Duration) policy.Rule {
	return policy.Rule{Name: "vps", Match: policy.Match{Type: "vps"}, Action: policy.ActionRenew,
		RenewBefore: before, Period: renewd.Period{Months: 1}, MaxPrice: 10 * renewd.UcentsPerUnit,
		Payment: renewd.PaymentForm{Default: true}}
}

// ordersFor counts the orders the fake created for the service.
func (r *rig) ordersFor(id int64) int {
	n := 0
	for _, o := range r.fake.Orders() {
		if o.ServiceID == id {
			n++
		}
	}
	return n
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// settings are the cycle's settings with a fresh Account.
func (r *rig) settings() renewal.Settings {
	return renewal.Settings{Policy: r.Policy, Accounts: []renewal.OVH{r.account()}}
}
