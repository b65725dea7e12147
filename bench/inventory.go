package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	goovh "github.com/ovh/go-ovh/ovh"
	"golang.org/x/time/rate"

	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/policy/policytest"
)

// measurement is one row of the inventory table.
type measurement struct {
	N            int
	Form         string
	Requests     int
	Wall         time.Duration
	Extrapolated bool   // computed from a sample, not measured end to end
	Note         string // how the row was obtained
}

// guideInventory reads the inventory the way OVH's guide does: GET /service,
// then GET /service/{id} for each, one signed call at a time through go-ovh.
// With sample > 0 and n > sample it reads only the first sample services
// and extrapolates: requests N+2 (the listing, N reads, go-ovh's one
// GET /auth/time), time the mean per call of the sample times N+1.
func guideInventory(ctx context.Context, n int, latency time.Duration, sample int) (measurement, error) {
	fake, srv := fakeServer(n, latency)
	defer srv.Close()
	api, err := goovh.NewClient(srv.URL+"/1.0", fakeAppKey, fakeAppSecret, fakeConsumerKey)
	if err != nil {
		return measurement{}, fmt.Errorf("go-ovh client: %w", err)
	}
	if _, err := api.TimeDelta(); err != nil { // the clock read, outside the timing as for every form
		return measurement{}, fmt.Errorf("go-ovh time delta: %w", err)
	}
	start := time.Now()
	var ids []int64
	if err := api.GetWithContext(ctx, "/service", &ids); err != nil {
		return measurement{}, fmt.Errorf("GET /service: %w", err)
	}
	if len(ids) != n {
		return measurement{}, fmt.Errorf("GET /service listed %d services, want %d", len(ids), n)
	}
	read := ids
	extrapolate := sample > 0 && n > sample
	if extrapolate {
		read = ids[:sample]
	}
	for _, id := range read {
		var raw json.RawMessage
		if err := api.GetWithContext(ctx, fmt.Sprintf("/service/%d", id), &raw); err != nil {
			return measurement{}, fmt.Errorf("GET /service/%d: %w", id, err)
		}
	}
	wall := time.Since(start)
	m := measurement{N: n, Form: "(a) guide: sequential go-ovh", Requests: fake.TotalRequests(), Wall: wall, Note: "measured"}
	if calls := len(read) + 1; m.Requests != calls+1 {
		return measurement{}, fmt.Errorf("guide: fake counted %d requests, want %d", m.Requests, calls+1)
	}
	if perCall := wall / time.Duration(len(read)+1); perCall < latency {
		return measurement{}, fmt.Errorf("guide: %s per call is under the injected latency %s: latency is not applied per request", perCall, latency)
	}
	if extrapolate {
		perCall := wall / time.Duration(len(read)+1)
		m.Requests = n + 2
		m.Wall = perCall * time.Duration(n+1)
		m.Extrapolated = true
		m.Note = fmt.Sprintf("extrapolated from %d sequential calls, %s each", len(read)+1, perCall.Round(10*time.Microsecond))
	}
	return m, nil
}

// renewdInventory reads the inventory with ovh.Client.Services and decides
// every service with policy.Decide, as a plan or cycle does before any
// money-moving call. fast false makes the fake refuse the expanded listing
// and batches, so the client falls back to one read per service.
func renewdInventory(ctx context.Context, n int, latency time.Duration, fast bool, limit rate.Limit, burst, concurrency int, form string) (measurement, error) {
	fake, srv := fakeServer(n, latency)
	defer srv.Close()
	fake.SetExpandedListing(fast)
	fake.SetBatch(fast)
	client, err := ovh.New(ovh.Options{
		Account: "bench", Endpoint: srv.URL + "/1.0",
		AppKey: fakeAppKey, AppSecret: fakeAppSecret, ConsumerKey: fakeConsumerKey,
		RateLimit: limit, Burst: burst, Concurrency: concurrency,
		HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(concurrency, 2)}},
	})
	if err != nil {
		return measurement{}, err
	}
	pol := policytest.ManyRules(7 * 24 * time.Hour)
	start := time.Now()
	services, err := client.Services(ctx)
	if err != nil {
		return measurement{}, err
	}
	now := time.Now()
	due := 0
	for _, s := range services {
		if policy.Decide(now, s, pol).Verdict == policy.Renew {
			due++
		}
	}
	wall := time.Since(start)
	if len(services) != n {
		return measurement{}, fmt.Errorf("%s: read %d services, want %d", form, len(services), n)
	}
	return measurement{N: n, Form: form, Requests: fake.TotalRequests(), Wall: wall,
		Note: fmt.Sprintf("measured; %d due", due)}, nil
}

// inventories measures the forms for one N.
func inventories(ctx context.Context, n int, o options) ([]measurement, error) {
	sample := 0
	if o.skipGuideAbove > 0 && n > o.skipGuideAbove {
		sample = o.sample
	}
	var rows []measurement
	guide, err := guideInventory(ctx, n, o.latency, sample)
	if err != nil {
		return nil, err
	}
	rows = append(rows, guide)
	type run struct {
		form        string
		fast        bool
		limit       rate.Limit
		burst       int
		concurrency int
	}
	runs := []run{
		{"(b) renewd expanded, default limit 0.75/s burst 15", true, 0, 0, 0},
		{"(b') renewd expanded, no rate limit", true, rate.Inf, 0, 0},
		{fmt.Sprintf("(c) renewd plain, no rate limit, concurrency %d", o.concurrency), false, rate.Inf, 0, o.concurrency},
	}
	for _, r := range runs {
		m, err := renewdInventory(ctx, n, o.latency, r.fast, r.limit, r.burst, r.concurrency, r.form)
		if err != nil {
			return nil, err
		}
		rows = append(rows, m)
	}
	return rows, nil
}
