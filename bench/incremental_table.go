package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/time/rate"
)

// incRow is one row of the incremental inventory's table.
type incRow struct {
	N        int
	Form     string
	Requests float64       // per cycle; a mean where Note says so
	Wall     time.Duration // measured, without a rate limit
	Fair     time.Duration // derived: fairUse
	Note     string
}

// incSteadyCycles is how many cycles after the first the steady state is
// measured over: one refresh interval of @every 6h, so that every service
// comes up for its refresh once.
const incSteadyCycles = int(incRefresh / incCycleGap)

// incrementalRows measures, for one N: (a) the guide's inventory, (c)
// today's full plain inventory with the form remembered, (i0) the
// incremental inventory's first cycle on an empty cache, and (i) its
// steady state over incSteadyCycles cycles, mean and worst.
func incrementalRows(ctx context.Context, n int, o options) ([]incRow, error) {
	sample := 0
	if o.skipGuideAbove > 0 && n > o.skipGuideAbove {
		sample = o.sample
	}
	guide, err := guideInventory(ctx, n, o.latency, sample)
	if err != nil {
		return nil, err
	}
	rows := []incRow{{N: n, Form: "(a) guide: GET /service + GET /service/{id} each", Requests: float64(guide.Requests),
		Wall: guide.Wall, Fair: fairUse(guide.Requests, o.latency, guide.Wall), Note: guide.Note + "; sequential"}}

	rig, err := newIncRig(n, o)
	if err != nil {
		return nil, err
	}
	defer rig.close()
	detect, err := rig.measure(ctx, rig.client.Services, n)
	if err != nil {
		return nil, fmt.Errorf("plain inventory: %w", err)
	}
	rig.clock.Advance(incCycleGap)
	plain, err := rig.measure(ctx, rig.client.Services, n)
	if err != nil {
		return nil, fmt.Errorf("plain inventory: %w", err)
	}
	rows = append(rows, incRow{N: n, Form: "(c) today: renewd plain, every service every cycle", Requests: float64(plain.requests),
		Wall: plain.wall, Fair: fairUse(plain.requests, o.latency, plain.wall),
		Note: fmt.Sprintf("measured, form remembered; %d on a cycle that detects the form again (daily)", detect.requests)})

	ic, err := rig.newClient(rate.Inf, o.concurrency)
	if err != nil {
		return nil, err
	}
	acct := rig.account(ic)
	rig.clock.Advance(incCycleGap)
	cold, err := rig.measure(ctx, acct.Services, n)
	if err != nil {
		return nil, fmt.Errorf("incremental, first cycle: %w", err)
	}
	rows = append(rows, incRow{N: n, Form: "(i0) incremental, first cycle (empty cache)", Requests: float64(cold.requests),
		Wall: cold.wall, Fair: fairUse(cold.requests, o.latency, cold.wall), Note: "measured; a full read, once"})

	rig.takeRoutes()
	var sumReq, sumWall, sumFair time.Duration
	worst := incMeasure{}
	due := 0
	for range incSteadyCycles {
		rig.clock.Advance(incCycleGap)
		m, err := rig.measure(ctx, acct.Services, n)
		if err != nil {
			return nil, fmt.Errorf("incremental, steady state: %w", err)
		}
		sumReq += time.Duration(m.requests)
		sumWall += m.wall
		sumFair += fairUse(m.requests, o.latency, m.wall)
		if m.requests > worst.requests {
			worst = m
		}
		due = m.due
	}
	k := time.Duration(incSteadyCycles)
	routes := rig.takeRoutes()
	byRoute := ""
	for _, route := range slices.Sorted(maps.Keys(routes)) {
		byRoute += fmt.Sprintf(", %s %.2f", route, float64(routes[route])/float64(incSteadyCycles))
	}
	rows = append(rows,
		incRow{N: n, Form: "(i) incremental, steady state, mean", Requests: float64(sumReq) / float64(k),
			Wall: sumWall / k, Fair: sumFair / k,
			Note: fmt.Sprintf("measured over %d cycles (one refresh interval); %d due; ledger file with the cache %s; a cycle's requests by route: %s",
				incSteadyCycles, due, fileMB(filepath.Join(rig.dir, "renewd.db")), byRoute[2:])},
		incRow{N: n, Form: "(i) incremental, steady state, worst cycle", Requests: float64(worst.requests),
			Wall: worst.wall, Fair: fairUse(worst.requests, o.latency, worst.wall), Note: "measured; the most requests of those cycles"})
	if n == o.ns[0] && !o.skip["limiter-check"] {
		row, err := limiterCheck(ctx, rig, n, o)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// limiterCheck runs one more steady cycle with renewd's default limit, for
// real, to check fairUse against a measurement. A new client starts with a
// full bucket, as a cycle six hours after the last does.
func limiterCheck(ctx context.Context, rig *incRig, n int, o options) (incRow, error) {
	c, err := rig.newClient(0, 0) // renewd's defaults: 0.75/s, burst 15, concurrency 4
	if err != nil {
		return incRow{}, err
	}
	rig.clock.Advance(incCycleGap)
	fmt.Fprintf(os.Stderr, "incremental N=%d: one steady cycle under the real default limit...\n", n)
	m, err := rig.measure(ctx, rig.account(c).Services, n)
	if err != nil {
		return incRow{}, fmt.Errorf("limiter check: %w", err)
	}
	return incRow{N: n, Form: "(i) check: one steady cycle at the real limit", Requests: float64(m.requests),
		Wall: m.wall, Fair: fairUse(m.requests, o.latency, 0),
		Note: "wall MEASURED under 0.75/s burst 15 (fair use column: the formula); a new client adds its clock read and form detection"}, nil
}

// incrementalTable measures every N and prints the table.
func incrementalTable(ctx context.Context, w io.Writer, o options) error {
	var rows []incRow
	for _, n := range o.ns {
		fmt.Fprintf(os.Stderr, "incremental inventory N=%d...\n", n)
		r, err := incrementalRows(ctx, n, o)
		if err != nil {
			return fmt.Errorf("incremental inventory N=%d: %w", n, err)
		}
		rows = append(rows, r...)
	}
	fmt.Fprintf(w, "Incremental inventory: only one read per service honoured (expanded listing and batch refused), %s per request,\n", o.latency)
	fmt.Fprintf(w, "@every 6h on a simulated clock, refresh_interval 7d, 1%% of the services within their horizon (33d),\n")
	fmt.Fprintf(w, "under renewd's default limit of 0.75 request/s, burst 15 (OVH's fair use: 60 a minute). No-limit walls: concurrency %d.\n", o.concurrency)
	fmt.Fprintf(w, "%6s  %-46s %9s %10s %12s %9s %9s %9s  %s\n", "N", "form", "req/cycle", "wall", "fair-use", "(c)/row", "(c)/row", "(a)/row", "how")
	fmt.Fprintf(w, "%6s  %-46s %9s %10s %12s %9s %9s %9s\n", "", "", "", "no limit", "wall", "requests", "time", "requests")
	var a, c incRow
	for _, r := range rows {
		switch r.Form[:3] {
		case "(a)":
			a = r
		case "(c)":
			c = r
		}
		ratios := [3]string{}
		if r.Form[:3] != "(a)" && r.Form[:3] != "(c)" && c.N == r.N {
			ratios[0] = fmt.Sprintf("%.1fx", c.Requests/r.Requests)
			ratios[1] = fmt.Sprintf("%.1fx", c.Fair.Seconds()/r.Fair.Seconds())
			ratios[2] = fmt.Sprintf("%.1fx", a.Requests/r.Requests)
		}
		fmt.Fprintf(w, "%6d  %-46s %9.1f %10s %12s %9s %9s %9s  %s\n", r.N, r.Form, r.Requests, round(r.Wall),
			hms(r.Fair), ratios[0], ratios[1], ratios[2], r.Note)
	}
	fmt.Fprintln(w, "fair-use wall = max(no-limit wall, (requests - 15) / 0.75 s + latency): a token bucket full at the start of the cycle")
	fmt.Fprintln(w, "requests are counted by the fake, per cycle, all routes (GET /service, GET /service/{id}, the daily GET /services and batch tries)")
	fmt.Fprintln(w)
	return nil
}

// fileMB is a file's size in MB, or "?" when it cannot be read.
func fileMB(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%.1f MB", mb(fi.Size()))
}

// hms writes a long duration as 3h41m6s, a short one as 1.2s.
func hms(d time.Duration) string {
	if d >= time.Minute {
		return d.Round(time.Second).String()
	}
	return round(d).String()
}
