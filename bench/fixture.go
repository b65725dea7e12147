package main

import (
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
)

// The fake's credentials. They are test values, not secrets.
const (
	fakeAppKey      = "bench-app-key"
	fakeAppSecret   = "bench-app-secret"
	fakeConsumerKey = "bench-consumer-key"
)

// generated returns n services with ids 1..n: a third each VPS (monthly),
// domains (yearly) and web hostings (yearly), every tenth renewed
// automatically by OVH, expirations spread over the coming year (at least
// one day away).
func generated(n int, now time.Time) ovhfake.Scenario {
	today := renewd.DateOf(now.UTC())
	sc := ovhfake.Scenario{
		Currency: "EUR",
		PaymentMethods: []ovhfake.PaymentMethodFixture{
			{ID: 9001, PaymentType: "CREDIT_CARD", Default: true, Status: "VALID"},
		},
	}
	for i := 1; i <= n; i++ {
		id := int64(i)
		s := ovhfake.ServiceFixture{
			ID:         id,
			Expiration: today.AddDays(1 + (i*37)%365),
			RenewMode:  "manual",
			State:      "ok",
		}
		switch i % 3 {
		case 0:
			s.Type, s.Name = "vps", fmt.Sprintf("vps-%06d.vps.ovh.net", i)
			s.Strategies = []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{id}, PriceUcents: 7 * renewd.UcentsPerUnit}}
		case 1:
			s.Type, s.Name = "domain", fmt.Sprintf("example-%06d.com", i)
			s.Strategies = []ovhfake.StrategyFixture{{Period: "P1Y", Services: []int64{id}, PriceUcents: 9 * renewd.UcentsPerUnit}}
		default:
			s.Type, s.Name = "hosting/web", fmt.Sprintf("site-%06d.example.net", i)
			s.Strategies = []ovhfake.StrategyFixture{{Period: "P1Y", Services: []int64{id}, PriceUcents: 39 * renewd.UcentsPerUnit}}
		}
		if i%10 == 0 {
			s.RenewMode = "automaticV2016"
		}
		sc.Services = append(sc.Services, s)
	}
	return sc
}

// fakeServer serves a fresh fake of n generated services, with latency
// added to every request but GET /auth/time.
func fakeServer(n int, latency time.Duration) (*ovhfake.Fake, *httptest.Server) {
	fake := ovhfake.New(generated(n, time.Now()), ovhfake.Options{
		AppKey: fakeAppKey, AppSecret: fakeAppSecret, ConsumerKey: fakeConsumerKey,
	})
	if latency > 0 {
		fake.Inject(ovhfake.Fault{Route: "*", Times: -1, Latency: latency})
	}
	return fake, httptest.NewServer(fake)
}
