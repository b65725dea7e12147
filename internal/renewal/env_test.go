package renewal_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
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

const (
	testAppKey      = "ak-renewal-test"
	testAppSecret   = "as-renewal-test-secret"
	testConsumerKey = "ck-renewal-test-consumer"
	day             = 24 * time.Hour
)

// t0 is where every test clock starts: the first of a month, so a monthly
// budget counts from the start of the test.
var t0 = time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)

// account is one fake OVH account served over HTTP, with the real client.
type account struct {
	name   string
	fake   *ovhfake.Fake
	client *ovh.Client
	url    string // the fake's base URL, .../1.0
}

// env is a renewd money path on real parts: fake OVH accounts on httptest
// servers, real ovh.Clients, a bbolt ledger in a temporary directory and an
// engine, all on one movable clock.
type env struct {
	t *testing.T
	// clock is OVH's (the fakes'); local is renewd's own wall clock (the
	// engine's and the ledger's). They are one clock unless the test splits
	// them (envOptions.splitClocks) to jump the local one alone.
	clock      *ovhfake.Clock
	local      *ovhfake.Clock
	start      time.Time // where both clocks started
	accounts   []*account
	ledgerPath string
	ledger     *state.Ledger
	engine     *renewal.Engine

	// Settings are what cycle runs with; tests edit them freely.
	Settings renewal.Settings
}

// envOptions adjust newEnv.
type envOptions struct {
	start         time.Time // where the clocks start; zero is t0
	splitClocks   bool
	deliveryAfter time.Duration                        // ovhfake.Options.DeliveryAfter: 0 its default, negative at once
	scenario      func(now time.Time) ovhfake.Scenario // nil = SampleScenario
}

// newEnv builds an env with one account, "main", serving the scenario
// (SampleScenario unless opts say otherwise), and the given rules.
func newEnv(t *testing.T, rules []policy.Rule, opts envOptions) *env {
	t.Helper()
	ovhfake.IsolateEnv(t)

	e := &env{t: t, start: t0, ledgerPath: filepath.Join(t.TempDir(), "renewd.db")}
	if !opts.start.IsZero() {
		e.start = opts.start
	}
	e.clock = ovhfake.NewClock(e.start)
	e.local = e.clock
	if opts.splitClocks {
		e.local = ovhfake.NewClock(e.start)
	}
	e.addAccount("main", opts)
	e.openLedger()
	e.Settings = renewal.Settings{
		Policy:   policy.Policy{Rules: rules, ReportWithin: 30 * day},
		Accounts: []renewal.OVH{e.accounts[0].client},
	}
	return e
}

// addAccount serves one more fake account and returns it; the caller adds
// its client to Settings.Accounts.
func (e *env) addAccount(name string, opts envOptions) *account {
	e.t.Helper()
	scenario := opts.scenario
	if scenario == nil {
		scenario = ovhfake.SampleScenario
	}
	fake := ovhfake.New(scenario(e.start), ovhfake.Options{
		AppKey: testAppKey, AppSecret: testAppSecret, ConsumerKey: testConsumerKey,
		Now: e.clock.Now, MaxSkew: -1, DeliveryAfter: opts.deliveryAfter,
	})
	srv := httptest.NewServer(fake)
	e.t.Cleanup(srv.Close)
	client, err := ovh.New(ovh.Options{
		Account:     name,
		Endpoint:    srv.URL + "/1.0",
		AppKey:      testAppKey,
		AppSecret:   testAppSecret,
		ConsumerKey: testConsumerKey,
		CallTimeout: 10 * time.Second,
		Retry:       []time.Duration{time.Millisecond, time.Millisecond},
		RateLimit:   rate.Inf,
		Now:         e.local.Now,
		Sleep:       func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		e.t.Fatalf("ovh.New: %v", err)
	}
	a := &account{name: name, fake: fake, client: client, url: srv.URL + "/1.0"}
	e.accounts = append(e.accounts, a)
	return a
}

// fake is the first account's fake; client its client.
func (e *env) fake() *ovhfake.Fake { return e.accounts[0].fake }
func (e *env) client() *ovh.Client { return e.accounts[0].client }

// openLedger opens the ledger file and builds a new engine on it.
func (e *env) openLedger() {
	e.t.Helper()
	l, err := state.Open(e.ledgerPath, state.Options{Now: e.local.Now, LockTimeout: time.Second})
	if err != nil {
		e.t.Fatalf("open ledger: %v", err)
	}
	e.t.Cleanup(func() { _ = l.Close() })
	e.ledger = l
	e.engine = renewal.New(renewal.Options{Ledger: l, Now: e.local.Now})
}

// reopen closes the ledger and opens it again with a new engine: what a
// restarted daemon sees.
func (e *env) reopen() {
	e.t.Helper()
	if err := e.ledger.Close(); err != nil {
		e.t.Fatalf("close ledger: %v", err)
	}
	e.openLedger()
}

// cycle runs one cycle with e.Settings.
func (e *env) cycle() renewal.Summary {
	e.t.Helper()
	return e.engine.Cycle(context.Background(), e.Settings)
}

// term is the ledger key of a service's term expiring n days after t0's
// date (SampleScenario's expirations are dates).
func term(account string, serviceID int64, days int) renewd.Term {
	return renewd.Term{Account: account, ServiceID: serviceID, Expiration: renewd.DateOf(t0.Truncate(day).AddDate(0, 0, days))}
}

// record reads a term's record; it fails the test when there is none.
func (e *env) record(tm renewd.Term) state.Record {
	e.t.Helper()
	rec, ok, err := e.ledger.Get(tm)
	if err != nil {
		e.t.Fatalf("ledger.Get(%s): %v", tm, err)
	}
	if !ok {
		e.t.Fatalf("ledger.Get(%s): no record", tm)
	}
	return rec
}

// outcome returns the cycle's outcome for the service; it fails the test
// when the cycle has none.
func outcome(t *testing.T, sum renewal.Summary, serviceID int64) renewal.Outcome {
	t.Helper()
	for _, o := range sum.Outcomes {
		if o.Service.ID == serviceID {
			return o
		}
	}
	t.Fatalf("no outcome for service %d in %+v", serviceID, sum.Outcomes)
	return renewal.Outcome{}
}

// ordersFor returns the fake's orders created through POST /service/{id}/renew.
func ordersFor(f *ovhfake.Fake, serviceID int64) []ovhfake.OrderRecord {
	var out []ovhfake.OrderRecord
	for _, o := range f.Orders() {
		if o.ServiceID == serviceID {
			out = append(out, o)
		}
	}
	return out
}

// paymentsOf returns the fake's successful payments of the order.
func paymentsOf(f *ovhfake.Fake, orderID int64) []ovhfake.PaymentRecord {
	var out []ovhfake.PaymentRecord
	for _, p := range f.Payments() {
		if p.OrderID == orderID {
			out = append(out, p)
		}
	}
	return out
}

// report is one outbox item with its body decoded.
type report struct {
	Key string
	renewd.Report
}

// outbox returns every report queued so far, oldest first.
func (e *env) outbox() []report {
	e.t.Helper()
	items, err := e.ledger.Outbox(0)
	if err != nil {
		e.t.Fatalf("outbox: %v", err)
	}
	out := make([]report, 0, len(items))
	for _, it := range items {
		var r renewd.Report
		if err := json.Unmarshal(it.Body, &r); err != nil {
			e.t.Fatalf("decode report %s: %v", it.Key, err)
		}
		out = append(out, report{Key: it.Key, Report: r})
	}
	return out
}

// reportsOf returns the queued reports of the kind about the service.
func (e *env) reportsOf(kind renewd.ReportKind, serviceID int64) []report {
	e.t.Helper()
	var out []report
	for _, r := range e.outbox() {
		if r.Kind == kind && r.ServiceID == serviceID {
			out = append(out, r)
		}
	}
	return out
}

// eur parses an amount such as "9.99" into micro-cents.
func eur(t *testing.T, s string) int64 {
	t.Helper()
	v, err := renewd.ParseAmount(s)
	if err != nil {
		t.Fatalf("ParseAmount(%q): %v", s, err)
	}
	return v
}

// rule is a renew rule for the listed services: due 14 days before expiry,
// for the period, up to the cap, paid with the account's default method.
func rule(t *testing.T, name, period, maxPrice string, ids ...int64) policy.Rule {
	t.Helper()
	p, err := renewd.ParsePeriod(period)
	if err != nil {
		t.Fatalf("ParsePeriod(%q): %v", period, err)
	}
	return policy.Rule{
		Name: name, Match: policy.Match{ServiceIDs: ids}, Action: policy.ActionRenew,
		RenewBefore: 14 * day, Period: p, MaxPrice: eur(t, maxPrice),
		Payment: renewd.PaymentForm{Default: true},
	}
}

// advance lets d pass on both clocks.
func (e *env) advance(d time.Duration) {
	e.clock.Advance(d)
	if e.local != e.clock {
		e.local.Advance(d)
	}
}

// behind is a second client of the account's fake OVH, for what happens at
// OVH behind renewd's back: a payment a lost call made that lands late, an
// order someone creates by hand.
func (a *account) behind(t *testing.T) *ovh.Client {
	t.Helper()
	c, err := ovh.New(ovh.Options{
		Account: a.name, Endpoint: a.url,
		AppKey: testAppKey, AppSecret: testAppSecret, ConsumerKey: testConsumerKey,
		Retry: []time.Duration{}, RateLimit: rate.Inf,
	})
	if err != nil {
		t.Fatalf("ovh.New: %v", err)
	}
	return c
}

// requests returns how many requests the fake saw on a route.
func requests(f *ovhfake.Fake, route string) int { return f.Requests()[route] }

// termOf is the first account's term of a SampleScenario service as the
// scenario started (its expiration before any renewal).
func (e *env) termOf(id int64) renewd.Term {
	e.t.Helper()
	for _, s := range ovhfake.SampleScenario(e.start).Services {
		if s.ID == id {
			return renewd.Term{Account: e.accounts[0].name, ServiceID: id, Expiration: s.Expiration}
		}
	}
	e.t.Fatalf("SampleScenario has no service %d", id)
	return renewd.Term{}
}
