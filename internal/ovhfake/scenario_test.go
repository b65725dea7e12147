package ovhfake

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
)

func TestLoadScenario(t *testing.T) {
	fh, err := os.Open("testdata/scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	got, err := LoadScenario(fh)
	if err != nil {
		t.Fatalf("LoadScenario: %v", err)
	}
	dec1 := renewd.Date{Year: 2026, Month: 12, Day: 1}
	want := Scenario{
		Currency: "EUR",
		Wire: Wire{Time: TimeUTC, Price: PriceUcents, Expanded: ExpandedRefused, MaxPageSize: 2, Batch: BatchNumberKeys,
			StrictDuration: true},
		Services: []ServiceFixture{
			{ID: 1001, Name: "vps-alpha.vps.ovh.net", Type: "vps", Expiration: dec1, RenewMode: "manual", State: "ok",
				Strategies: []StrategyFixture{
					{Period: "P1M", Services: []int64{1001}, PriceUcents: 700000000},
					{Period: "P12M", Services: []int64{1001}, PriceUcents: 7000000000, PriceForm: PriceNoValue},
				}},
			{ID: 2001, Name: "example.com", Type: "domain", Expiration: dec1,
				ExpirationTime: 19*time.Hour + 56*time.Minute + 28*time.Second, EngagedUntil: renewd.Date{Year: 2027, Month: 6, Day: 30},
				RenewMode: "automaticV2024", State: "expired",
				Strategies: []StrategyFixture{{Period: "P1Y", Services: []int64{2001, 3001}, PriceUcents: 4999000000}}},
			{ID: 3001, Name: "example.com", Type: "hosting/web", Expiration: dec1, ExpirationTime: 41 * time.Minute,
				RenewMode: "option", State: "ok",
				Strategies: []StrategyFixture{{Period: "P1Y", Services: []int64{3001, 2001}, PriceUcents: 4999000000}}},
		},
		PaymentMethods: []PaymentMethodFixture{
			{ID: 9001, PaymentType: "CREDIT_CARD", Default: true, Status: "VALID"},
			{ID: 9002, PaymentType: "PAYPAL", Status: "VALID", MeanID: 777},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("LoadScenario (-want +got):\n%s", d)
	}
	New(got, Options{AppKey: "a", AppSecret: "b", ConsumerKey: "c"}) // and a fake accepts it
}

func TestLoadScenarioErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // all in the error
	}{
		{"empty", "", []string{"scenario is empty"}},
		{"unknown key", "currency: EUR\nservices:\n  - id: 1\n    nmae: x\n", []string{"line 4", "nmae"}},
		{"wrong type", "services:\n  - id: one\n", []string{"line 2"}},
		{"bad date", "services:\n  - id: 1\n    name: a\n    type: vps\n    expiration: 1st of May\n", []string{"line 5", "calendar date"}},
		{"datetime expiration", "services:\n  - id: 1\n    name: a\n    type: vps\n    expiration: 2026-12-01T00:00:00Z\n",
			[]string{"line 5", "expiration_time"}},
		{"bad time of day", "services:\n  - id: 1\n    name: a\n    type: vps\n    expiration: 2026-12-01\n    expiration_time: 25:00\n",
			[]string{"line 6", "time of day"}},
		{"bad wire", "currency: EUR\nwire:\n  price: cheap\n", []string{"line 3", "price \"cheap\""}},
		{"bad price form", "services:\n  - id: 1\n    name: a\n    type: vps\n    expiration: 2026-12-01\n    strategies:\n      - period: P1M\n        price: 1\n        price_form: free\n",
			[]string{"line 7", "price form \"free\""}},
		{"bad price", "services:\n  - id: 1\n    name: a\n    type: vps\n    expiration: 2026-12-01\n    strategies:\n      - period: P1M\n        price: 7,00\n",
			[]string{"line 8", "price"}},
		{"missing price", "services:\n  - id: 1\n    name: a\n    type: vps\n    expiration: 2026-12-01\n    strategies:\n      - period: P1M\n",
			[]string{"line 7", "no price"}},
		{"bad period", "services:\n  - id: 1\n    name: a\n    type: vps\n    expiration: 2026-12-01\n    strategies:\n      - period: monthly\n        price: 1\n",
			[]string{"line 7", "monthly"}},
		{"bundle names an unknown service",
			"services:\n  - id: 1\n    name: a\n    type: vps\n    expiration: 2026-12-01\n    strategies:\n      - period: P1M\n        price: 1\n      - period: P1Y\n        services: [1, 2]\n        price: 1\n",
			[]string{"line 9", "service 2"}},
		{"strategy without its service",
			"services:\n  - id: 1\n    name: a\n    type: vps\n    expiration: 2026-12-01\n    strategies:\n      - period: P1M\n        services: [2]\n        price: 1\n",
			[]string{"line 7", "leaves out"}},
		{"missing expiration", "services:\n  - id: 1\n    name: a\n    type: vps\n", []string{"line 2", "expiration is missing"}},
		{"duplicate id", "services:\n  - id: 1\n    name: a\n    type: vps\n    expiration: 2026-12-01\n  - id: 1\n    name: b\n    type: vps\n    expiration: 2026-12-01\n",
			[]string{"line 6", "listed twice"}},
		{"same route twice", "services:\n  - id: 1\n    name: a\n    type: vps\n    expiration: 2026-12-01\n  - id: 2\n    name: a\n    type: vps\n    expiration: 2026-12-01\n",
			[]string{"line 6", "both vps a"}},
		{"two defaults", "payment_methods:\n  - id: 1\n    payment_type: PAYPAL\n    default: true\n  - id: 2\n    payment_type: CREDIT_CARD\n    default: true\n",
			[]string{"line 5", "more than one"}},
		{"method without type", "payment_methods:\n  - id: 1\n", []string{"line 2", "payment type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadScenario(strings.NewReader(tt.yaml))
			if err == nil {
				t.Fatal("LoadScenario accepted it")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestSampleScenario(t *testing.T) {
	now := time.Date(2026, 5, 1, 23, 59, 0, 0, time.FixedZone("", -5*3600)) // 2026-05-02 04:59 UTC
	sc := SampleScenario(now)
	if err := sc.Validate(); err != nil {
		t.Fatalf("sample scenario is invalid: %v", err)
	}
	type brief struct {
		Name, Type, Mode string
		Days             int
		Strategies       int
	}
	got := map[int64]brief{}
	day := renewd.Date{Year: 2026, Month: 5, Day: 2} // now's UTC date
	for _, s := range sc.Services {
		days := int(s.Expiration.Start().Sub(day.Start()).Hours() / 24)
		got[s.ID] = brief{s.Name, s.Type, s.RenewMode, days, len(s.Strategies)}
	}
	want := map[int64]brief{
		1001: {"vps-alpha.vps.ovh.net", "vps", "manual", 5, 3},
		1002: {"vps-beta.vps.ovh.net", "vps", "manual", 90, 1},
		1003: {"vps-gamma.vps.ovh.net", "vps", "automaticV2016", 3, 1},
		2001: {"example.com", "domain", "manual", 10, 2},
		2002: {"example.org", "domain", "manual", 12, 1},
		3001: {"example.com", "hosting/web", "manual", 10, 2},
		4001: {"ns123456.ip-1-2-3.eu", "dedicated/server", "manual", 6, 1},
		5001: {"legacy-db.example.net", "hosting/privateDatabase", "manual", 4, 1},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("sample services (-want +got):\n%s", d)
	}
	// Some services carry a time of day on /services, and two of them one
	// that is the day before in UTC.
	if got := sc.Services[0].ExpirationTime; got != 19*time.Hour+56*time.Minute+28*time.Second {
		t.Errorf("vps-alpha's time of day = %s, want 19:56:28", got)
	}
	if got := sc.Services[3].ExpirationTime; got != 41*time.Minute+7*time.Second {
		t.Errorf("example.com's time of day = %s, want 00:41:07", got)
	}
	if sc.Wire != (Wire{}) {
		t.Errorf("sample wire = %+v, want the defaults", sc.Wire)
	}
	if sc.Currency != "EUR" || len(sc.PaymentMethods) != 2 || !sc.PaymentMethods[0].Default || sc.PaymentMethods[1].MeanID != 777 {
		t.Errorf("sample payment setup = %s %+v", sc.Currency, sc.PaymentMethods)
	}
}

func TestNewPanicsOnMisuse(t *testing.T) {
	ok := Options{AppKey: "a", AppSecret: "b", ConsumerKey: "c"}
	bad := SampleScenario(t0)
	bad.Services[0].Strategies[0].Period = "P0M"
	tests := []struct {
		name string
		fn   func()
	}{
		{"no credentials", func() { New(SampleScenario(t0), Options{}) }},
		{"invalid scenario", func() { New(bad, ok) }},
		{"AddService invalid", func() { New(Scenario{}, ok).AddService(ServiceFixture{ID: 1, Name: "x", Type: "vps"}) }},
		{"SetPrice unknown service", func() { New(Scenario{}, ok).SetPrice(1, "P1M", 1) }},
		{"Inject without route", func() { New(Scenario{}, ok).Inject(Fault{Status: 500}) }},
		{"unknown wire form", func() { New(Scenario{Wire: Wire{Batch: "sometimes"}}, ok) }},
		{"SetWire unknown form", func() { New(Scenario{}, ok).SetWire(Wire{Time: "local"}) }},
		{"SetOrderPriceForm unknown form", func() { New(Scenario{}, ok).SetOrderPriceForm(1, "cheap") }},
		{"time of day out of range", func() {
			New(Scenario{Services: []ServiceFixture{{ID: 1, Name: "x", Type: "vps", Expiration: renewd.DateOf(t0), ExpirationTime: 24 * time.Hour}}}, ok)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.fn()
		})
	}
}
