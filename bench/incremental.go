package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/time/rate"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/inventory"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/policy/policytest"
	"github.com/renewd/renewd/internal/state"
)

// The incremental inventory's benchmark (issue #12): only the
// one-call-per-service form honoured, at OVH's fair use (renewd's default
// limit), @every 6h, 1% of the services within their horizon. Wall times
// under the limit are derived from the request counts (fairUse), not
// waited for: 10,000 requests take 3.7 hours at 0.75 a second.

const (
	incCycleGap = 6 * time.Hour // @every 6h
	incRefresh  = inventory.DefaultRefresh
)

// incMeasure is one inventory measured: its requests, as the fake counted
// them, and its wall time without a rate limit.
type incMeasure struct {
	requests int
	wall     time.Duration
	due      int
}

// fairUse is the wall time of n requests under renewd's default limit: a
// token bucket of rate r = ovh.DefaultRateLimit and burst b =
// ovh.DefaultBurst, full at the start of the cycle (six idle hours refill
// it in 20 s), lets request k go at max(0, k-b)/r, so the last of n goes
// at max(0, n-b)/r and is answered one latency later. Below the burst, the
// cycle is as fast as without a limit.
func fairUse(n int, latency, unlimited time.Duration) time.Duration {
	r, b := float64(ovh.DefaultRateLimit), ovh.DefaultBurst
	limited := time.Duration(float64(max(n-b, 0))/r*float64(time.Second)) + latency
	return max(limited, unlimited)
}

// spreadScenario is n services like generated's, but with 1% (ids 1, 101,
// 201...: manual) expiring within 1 to 30 days, inside their horizon (30d
// of report_within + 3d of margin) for as long as the benchmark runs, and
// the rest 45 to 364 days away, beyond it for the week the benchmark
// covers.
func spreadScenario(n int, now time.Time) ovhfake.Scenario {
	sc := generated(n, now)
	today := renewd.DateOf(now.UTC())
	for i := range sc.Services {
		if id := i + 1; id%100 == 1 {
			sc.Services[i].Expiration = today.AddDays(1 + (i/100)%30)
		} else {
			sc.Services[i].Expiration = today.AddDays(45 + (i*37)%320)
		}
	}
	return sc
}

// incRig is one account served by the fake with only the per-service form
// honoured, a client without a rate limit, and a ledger on tmpfs, on a
// clock the benchmark moves by cycles.
type incRig struct {
	clock  *ovhfake.Clock
	fake   *ovhfake.Fake
	srv    *httptest.Server
	client *ovh.Client
	ledger *state.Ledger
	dir    string
	policy policy.Policy
	// routes sums the requests by route of the inventories since the last
	// takeRoutes, as the Account counts them.
	routes map[string]int
}

func newIncRig(n int, o options) (*incRig, error) {
	r := &incRig{clock: ovhfake.NewClock(time.Now().UTC().Truncate(time.Second)), routes: map[string]int{}}
	r.fake = ovhfake.New(spreadScenario(n, r.clock.Now()), ovhfake.Options{
		AppKey: fakeAppKey, AppSecret: fakeAppSecret, ConsumerKey: fakeConsumerKey, Now: r.clock.Now, MaxSkew: -1})
	r.fake.SetWire(ovhfake.Wire{Expanded: ovhfake.ExpandedRefused, Batch: ovhfake.BatchRefused})
	if o.latency > 0 {
		r.fake.Inject(ovhfake.Fault{Route: "*", Times: -1, Latency: o.latency})
	}
	r.srv = httptest.NewServer(r.fake)
	var err error
	if r.client, err = r.newClient(rate.Inf, o.concurrency); err != nil {
		r.close()
		return nil, err
	}
	if r.dir, err = os.MkdirTemp(tempBase(), "renewd-bench-inc-"); err != nil {
		r.close()
		return nil, err
	}
	if r.ledger, err = state.Open(filepath.Join(r.dir, "renewd.db"), state.Options{Now: r.clock.Now}); err != nil {
		r.close()
		return nil, err
	}
	r.policy = policytest.ManyRules(14 * 24 * time.Hour)
	r.policy.ReportWithin = 30 * 24 * time.Hour
	return r, nil
}

func (r *incRig) newClient(limit rate.Limit, concurrency int) (*ovh.Client, error) {
	return ovh.New(ovh.Options{
		Account: "bench", Endpoint: r.srv.URL + "/1.0",
		AppKey: fakeAppKey, AppSecret: fakeAppSecret, ConsumerKey: fakeConsumerKey,
		RateLimit: limit, Concurrency: concurrency, Now: r.clock.Now,
		HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(concurrency, 2)}},
	})
}

func (r *incRig) close() {
	if r.ledger != nil {
		r.ledger.Close()
	}
	if r.dir != "" {
		os.RemoveAll(r.dir)
	}
	r.srv.Close()
}

// measure runs one inventory with list (a Services function) and decides
// every service, as a cycle does before its first money call.
func (r *incRig) measure(ctx context.Context, list func(context.Context) ([]renewd.Service, error), n int) (incMeasure, error) {
	before := r.fake.TotalRequests()
	start := time.Now()
	services, err := list(ctx)
	if err != nil {
		return incMeasure{}, err
	}
	m := incMeasure{}
	now := r.clock.Now()
	for _, s := range services {
		if policy.Decide(now, s, r.policy).Verdict == policy.Renew {
			m.due++
		}
	}
	m.wall = time.Since(start)
	m.requests = r.fake.TotalRequests() - before
	if len(services) != n {
		return m, fmt.Errorf("read %d services, want %d", len(services), n)
	}
	return m, nil
}

// takeRoutes returns the requests by route since the last call.
func (r *incRig) takeRoutes() map[string]int {
	out := r.routes
	r.routes = map[string]int{}
	return out
}

// account is the incremental inventory over the rig's ledger, with c.
func (r *incRig) account(c *ovh.Client) *inventory.Account {
	a, err := inventory.New(inventory.Options{Client: c, Ledger: r.ledger, Policy: r.policy,
		CycleGap: incCycleGap, Refresh: incRefresh, Now: r.clock.Now, Logger: slog.New(slog.DiscardHandler),
		OnDone: func(s inventory.Stats) {
			for route, n := range s.Requests {
				r.routes[route] += n
			}
		}})
	if err != nil {
		panic(err) // a client and a ledger are given
	}
	return a
}
