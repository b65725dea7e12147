package policy_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
)

// benchServices are n services in three types, every tenth renewed by OVH
// automatically, expirations spread over a year from now.
func benchServices(n int) []renewd.Service {
	out := make([]renewd.Service, n)
	for i := range out {
		id := i + 1
		s := renewd.Service{Account: "default", ID: int64(id), Expiration: now.Add(time.Duration(1+(id*37)%365) * day),
			RawRenewMode: "manual", RenewMode: renewd.RenewManual}
		switch id % 3 {
		case 0:
			s.Type, s.Name = "vps", fmt.Sprintf("vps-%06d.vps.ovh.net", id)
		case 1:
			s.Type, s.Name = "domain", fmt.Sprintf("example-%06d.com", id)
		default:
			s.Type, s.Name = "hosting/web", fmt.Sprintf("site-%06d.example.net", id)
		}
		if id%10 == 0 {
			s.RawRenewMode, s.RenewMode = "automaticV2016", renewd.RenewAutomatic
		}
		out[i] = s
	}
	return out
}

// benchRules are 50 rules: 47 narrow ones (id lists, name globs, types the
// services do not have) that every service is checked against and misses,
// then the three broad rules that cover the services, last.
func benchRules() policy.Policy {
	var rules []policy.Rule
	for i := range 47 {
		r := policy.Rule{Name: fmt.Sprintf("narrow-%02d", i), Action: policy.ActionNotify, RenewBefore: 21 * day}
		switch i % 4 {
		case 0:
			r.Match = policy.Match{ServiceIDs: []int64{int64(1_000_000 + i), int64(2_000_000 + i), int64(3_000_000 + i)}}
		case 1:
			r.Match = policy.Match{Type: "dedicated/server", Name: fmt.Sprintf("ns%d*.ip-*.eu", i)}
		case 2:
			r.Match = policy.Match{Type: "vps", Name: fmt.Sprintf("legacy-%d-*.vps.ovh.net", i)}
		default:
			r.Match = policy.Match{Name: fmt.Sprintf("*.customer-%d.example.org", i)}
			r.Action = policy.ActionIgnore
		}
		rules = append(rules, r)
	}
	rules = append(rules,
		policy.Rule{Name: "vps-monthly", Match: policy.Match{Type: "vps", Name: "vps-*.vps.ovh.net"}, Action: policy.ActionRenew,
			RenewBefore: 7 * day, Period: renewd.Period{Months: 1}, MaxPrice: 10 * renewd.UcentsPerUnit},
		policy.Rule{Name: "domains-yearly", Match: policy.Match{Type: "domain"}, Action: policy.ActionRenew,
			RenewBefore: 30 * day, Period: renewd.Period{Years: 1}, MaxPrice: 15 * renewd.UcentsPerUnit},
		policy.Rule{Name: "hosting-watch", Match: policy.Match{Type: "hosting/web"}, Action: policy.ActionNotify, RenewBefore: 21 * day},
	)
	return policy.Policy{Rules: rules, ReportWithin: 30 * day}
}

// BenchmarkDecide decides 10,000 services against 50 rules per op; the
// ns/service metric is the cost of one decision.
func BenchmarkDecide(b *testing.B) {
	services := benchServices(10_000)
	p := benchRules()
	// The services must reach the rules at the end, or the benchmark
	// measures an early exit.
	if r := p.Covering(services[0]); r == nil || r.Name != "domains-yearly" {
		b.Fatalf("service %s is covered by %v, want the late rule domains-yearly", services[0].Name, r)
	}
	b.ReportAllocs()
	renew := 0
	for b.Loop() {
		renew = 0
		for _, s := range services {
			if policy.Decide(now, s, p).Verdict == policy.Renew {
				renew++
			}
		}
	}
	if renew == 0 {
		b.Fatal("no service was due: the benchmark misses the renew path")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(services)), "ns/service")
}
