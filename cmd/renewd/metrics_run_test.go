package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd/internal/metrics"
)

// sample is one line of the Prometheus text format.
type sample struct {
	labels map[string]string
	value  float64
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// scrape reads /metrics and returns its samples by metric name.
func scrape(t *testing.T, url string) map[string][]sample {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v\n%s", url, resp.StatusCode, err, body)
	}
	out := map[string][]sample{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unparsable /metrics line %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		s := sample{labels: map[string]string{}, value: v}
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			s.labels[p[1]] = p[2]
		}
		out[m[1]] = append(out[m[1]], s)
	}
	return out
}

// find returns the samples of name whose labels include want.
func find(all map[string][]sample, name string, want map[string]string) []sample {
	var out []sample
	for _, s := range all[name] {
		ok := true
		for k, v := range want {
			ok = ok && s.labels[k] == v
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// freeAddr returns a loopback address nothing listens on (just now).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestRunExposesMetricsOfARealCycle runs `renewd run` in-process against the
// sample account, scrapes /metrics after the first cycle and checks every
// metric against the fake OVH's own record; then a service leaves the
// inventory and its series go.
func TestRunExposesMetricsOfARealCycle(t *testing.T) {
	r := newDaemonRig(t)
	addr := freeAddr(t)
	body := fmt.Sprintf("listen: %s\ncontrol_socket: %s\n", addr, r.socket) + fmt.Sprintf(demoConfig, r.dir, r.endpoint)
	if err := os.WriteFile(r.cfgPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	expiration := map[int64]time.Time{}
	for _, id := range []int64{1001, 1002, 2002, 4001, 5001} {
		s, ok := r.fake.Service(id)
		if !ok {
			t.Fatalf("no service %d in the sample", id)
		}
		expiration[id] = s.Expiration.Start()
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stderr := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"run", "--config", r.cfgPath}, func(string) string { return "" }, &bytes.Buffer{}, stderr)
	}()
	cycles := func() int { return strings.Count(stderr.String(), "msg=\"cycle done") }
	waitFor(t, "the first cycle", func() bool { return cycles() >= 1 }, stderr.String)
	url := "http://" + addr + "/metrics"
	m := scrape(t, url)

	// The fake's record: what was paid, without tax.
	paidOrders := map[int64]bool{}
	for _, p := range r.fake.Payments() {
		paidOrders[p.OrderID] = true
	}
	var spent int64
	for _, o := range r.fake.Orders() {
		if paidOrders[o.ID] {
			spent += o.PriceUcents
		}
	}
	if len(paidOrders) == 0 {
		t.Fatal("the first cycle paid nothing")
	}

	svc := func(id int64) map[string]string {
		return map[string]string{"account": "default", "service_id": strconv.FormatInt(id, 10)}
	}
	one := func(name string, labels map[string]string) float64 {
		t.Helper()
		got := find(m, name, labels)
		if len(got) != 1 {
			t.Fatalf("%s%v: %d samples, want 1", name, labels, len(got))
		}
		return got[0].value
	}
	for id, exp := range expiration {
		if got := one(metrics.NameExpiration, svc(id)); got != float64(exp.Unix()) {
			t.Errorf("expiration of %d = %v, want %d", id, got, exp.Unix())
		}
	}
	if s := find(m, metrics.NameExpiration, svc(1001)); s[0].labels["type"] != "vps" || s[0].labels["name"] != "vps-alpha.vps.ovh.net" {
		t.Errorf("expiration labels of 1001 = %v", s[0].labels)
	}
	for id, before := range map[int64]time.Duration{1001: 14 * 24 * time.Hour, 2002: 30 * 24 * time.Hour} {
		if got, want := one(metrics.NameRenewalDue, svc(id)), float64(expiration[id].Add(-before).Unix()); got != want {
			t.Errorf("renewal due of %d = %v, want %v", id, got, want)
		}
	}
	if got := find(m, metrics.NameRenewalDue, svc(5001)); len(got) != 0 {
		t.Errorf("renewal due of 5001 (no rule covers it) = %v, want absent", got)
	}
	for id, want := range map[int64][]string{1001: {"paid", "delivered"}, 2002: {"awaiting_approval"},
		4001: {"refused"}, 1002: {metrics.StateNone}} {
		states := find(m, metrics.NameServiceState, svc(id))
		if len(states) != 1 {
			t.Errorf("service %d has %d state series, want 1 (its current state)", id, len(states))
		}
		var on []string
		for _, s := range states {
			switch s.value {
			case 1:
				on = append(on, s.labels["state"])
			case 0:
			default:
				t.Errorf("service %d state %s = %v, want 0 or 1", id, s.labels["state"], s.value)
			}
		}
		if len(on) != 1 || !strings.Contains(strings.Join(want, " "), on[0]) {
			t.Errorf("service %d states at 1: %v, want one of %v", id, on, want)
		}
	}
	if got := one(metrics.NameRenewals, map[string]string{"result": "paid"}); got != float64(len(paidOrders)) {
		t.Errorf("renewals paid = %v, want %d (the fake's payments)", got, len(paidOrders))
	}
	if got, want := one(metrics.NameSpent, map[string]string{"currency": "EUR"}), float64(spent)/1e8; math.Abs(got-want) > 1e-6 {
		t.Errorf("spent EUR = %v, want %v (the paid orders without tax)", got, want)
	}
	var gets, pays float64
	for _, s := range m[metrics.NameOVHRequests] {
		if s.labels["account"] != "default" || strings.Contains(s.labels["route"], "1001") {
			t.Errorf("OVH request series with an unexpected label: %v", s.labels)
		}
		if strings.HasPrefix(s.labels["route"], "GET ") && s.labels["code"] == "200" {
			gets += s.value
		}
		if strings.HasPrefix(s.labels["route"], "POST /me/order/{id}/pay") {
			pays += s.value
		}
	}
	if gets == 0 || pays < float64(len(paidOrders)) {
		t.Errorf("OVH requests: %v GET 200, %v pay calls; want some and at least %d", gets, pays, len(paidOrders))
	}
	if got := one(metrics.NameLastCycleSuccess, nil); got <= 0 {
		t.Errorf("last cycle success = %v, want > 0", got)
	}
	if got := one(metrics.NameBuildInfo, nil); got != 1 {
		t.Errorf("build info = %v, want 1", got)
	}

	// vps-beta leaves the account: the next cycle drops its series, and
	// counts no payment again.
	if !r.fake.RemoveService(1002) {
		t.Fatal("RemoveService(1002) = false")
	}
	if code, out, errs := r.cli(t, "run-now"); code != 0 {
		t.Fatalf("run-now: exit %d\n%s%s", code, out, errs)
	}
	waitFor(t, "the second cycle", func() bool { return cycles() >= 2 }, stderr.String)
	m = scrape(t, url)
	for _, name := range []string{metrics.NameExpiration, metrics.NameRenewalDue, metrics.NameServiceState} {
		if got := find(m, name, svc(1002)); len(got) != 0 {
			t.Errorf("%s of the removed service 1002 still exposed: %v", name, got)
		}
	}
	if got := find(m, metrics.NameExpiration, svc(1001)); len(got) != 1 {
		t.Errorf("expiration of 1001 after the second cycle: %v, want it still there", got)
	}
	if got := one(metrics.NameRenewals, map[string]string{"result": "paid"}); got != float64(len(paidOrders)) {
		t.Errorf("renewals paid after a second cycle = %v, want still %d", got, len(paidOrders))
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("renewd run: %v", err)
	}
}
