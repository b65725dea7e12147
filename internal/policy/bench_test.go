package policy_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/policy/policytest"
)

// benchServices are n services in three types, every tenth renewed by OVH
// automatically, expirations spread over a year from now.
func benchServices(n int) []renewd.Service {
	out := make([]renewd.Service, n)
	for i := range out {
		id := i + 1
		s := renewd.Service{Account: "default", ID: int64(id), Expiration: renewd.DateOf(now.Add(time.Duration(1+(id*37)%365) * day)),
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

// BenchmarkDecide decides 10,000 services against 50 rules per op; the
// ns/service metric is the cost of one decision.
func BenchmarkDecide(b *testing.B) {
	services := benchServices(10_000)
	p := policytest.ManyRules(30 * day)
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
