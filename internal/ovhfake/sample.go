package ovhfake

import (
	"time"

	"github.com/renewd/renewd"
)

// SampleScenario is the account `renewd demo` runs against, with
// expirations relative to now (now's UTC date plus N days; on /services at
// the Paris time of day given, midnight where none is):
//
//	1001 vps-alpha.vps.ovh.net   vps                     manual          +5d 19:56:28  P1M 7.00, P3M 19.50, P1Y 70.00  due, renewed
//	1002 vps-beta.vps.ovh.net    vps                     manual          +90d          P3M 19.50                       not yet due
//	1003 vps-gamma.vps.ovh.net   vps                     automaticV2016  +3d           P1M 7.00                        OVH renews it
//	2001 example.com             domain                  manual          +10d 00:41:07 P1Y 9.99; bundle with 3001 49.99
//	2002 example.org             domain                  manual          +12d 12:30:24 P1Y 9.99
//	3001 example.com             hosting/web             manual          +10d 00:41:07 P1Y 39.99; bundle with 2001 49.99
//	4001 ns123456.ip-1-2-3.eu    dedicated/server        manual          +6d 09:15:00  P1M 89.00, engaged until +6d   over its cap
//	5001 legacy-db.example.net   hosting/privateDatabase manual          +4d           P1M 15.00                       no rule covers it
//
// A time of day shortly after midnight (2001, 3001), and midnight itself,
// is the day before in UTC: a client that reads /services as UTC instants
// gets those expirations a day early.
//
// Payment methods: 9001 CREDIT_CARD (default), 9002 PAYPAL with mean id 777;
// all VALID. Currency EUR. Prices are without tax. Wire is the default.
func SampleScenario(now time.Time) Scenario {
	today := renewd.DateOf(now.UTC())
	eur := func(s string) int64 {
		v, err := renewd.ParseAmount(s)
		if err != nil {
			panic(err) // a typo in the literals below
		}
		return v
	}
	tod := func(s string) time.Duration {
		d, err := ParseTimeOfDay(s)
		if err != nil {
			panic(err) // a typo in the literals below
		}
		return d
	}
	alone := func(id int64, period, amount string) StrategyFixture {
		return StrategyFixture{Period: period, Services: []int64{id}, PriceUcents: eur(amount)}
	}
	bundle := StrategyFixture{Period: "P1Y", Services: []int64{2001, 3001}, PriceUcents: eur("49.99")}
	manual := func(id int64, name, typ string, days int, at string, st ...StrategyFixture) ServiceFixture {
		return ServiceFixture{ID: id, Name: name, Type: typ, Expiration: today.AddDays(days), ExpirationTime: tod(at),
			RenewMode: "manual", State: "ok", Strategies: st}
	}
	gamma := manual(1003, "vps-gamma.vps.ovh.net", "vps", 3, "00:00", alone(1003, "P1M", "7.00"))
	gamma.RenewMode = "automaticV2016"
	dedicated := manual(4001, "ns123456.ip-1-2-3.eu", "dedicated/server", 6, "09:15:00", alone(4001, "P1M", "89.00"))
	dedicated.EngagedUntil = today.AddDays(6)
	return Scenario{
		Currency: "EUR",
		Services: []ServiceFixture{
			manual(1001, "vps-alpha.vps.ovh.net", "vps", 5, "19:56:28",
				alone(1001, "P1M", "7.00"), alone(1001, "P3M", "19.50"), alone(1001, "P1Y", "70.00")),
			manual(1002, "vps-beta.vps.ovh.net", "vps", 90, "00:00", alone(1002, "P3M", "19.50")),
			gamma,
			manual(2001, "example.com", "domain", 10, "00:41:07", alone(2001, "P1Y", "9.99"), cloneStrategy(bundle)),
			manual(2002, "example.org", "domain", 12, "12:30:24", alone(2002, "P1Y", "9.99")),
			manual(3001, "example.com", "hosting/web", 10, "00:41:07", alone(3001, "P1Y", "39.99"), cloneStrategy(bundle)),
			dedicated,
			manual(5001, "legacy-db.example.net", "hosting/privateDatabase", 4, "00:00", alone(5001, "P1M", "15.00")),
		},
		PaymentMethods: []PaymentMethodFixture{
			{ID: 9001, PaymentType: "CREDIT_CARD", Default: true, Status: "VALID"},
			{ID: 9002, PaymentType: "PAYPAL", Status: "VALID", MeanID: 777},
		},
	}
}

func cloneStrategy(s StrategyFixture) StrategyFixture {
	s.Services = append([]int64(nil), s.Services...)
	return s
}
