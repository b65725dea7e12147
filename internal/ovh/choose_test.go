package ovh

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
)

func TestChooseStrategy(t *testing.T) {
	p1m, p1y := renewd.Period{Months: 1}, renewd.Period{Years: 1}
	eur := func(u int64) renewd.Money { return renewd.Money{Ucents: u, Currency: "EUR"} }
	alone := Strategy{Period: p1y, Services: []int64{2001}, Price: eur(999)}
	bundle := Strategy{Period: p1y, Services: []int64{2001, 3001}, Price: eur(4999)}
	cheapBundle := Strategy{Period: p1y, Services: []int64{3001, 2001, 4001}, Price: eur(3000)}
	monthly := Strategy{Period: p1m, Services: []int64{2001}, Price: eur(100)}
	twelveMonths := Strategy{Period: renewd.Period{Months: 12}, Services: []int64{2001}, Price: eur(998)}
	tests := []struct {
		name        string
		strategies  []Strategy
		period      renewd.Period
		allowBundle bool
		want        Strategy
		wantOK      bool
	}{
		{"exact single", []Strategy{bundle, alone, monthly}, p1y, false, alone, true},
		{"exact single preferred over a cheaper bundle", []Strategy{cheapBundle, alone}, p1y, true, alone, true},
		{"P12M is P1Y, cheapest single wins", []Strategy{alone, twelveMonths}, p1y, false, twelveMonths, true},
		{"bundle refused when not allowed", []Strategy{bundle, monthly}, p1y, false, Strategy{}, false},
		{"bundle when allowed, the cheapest", []Strategy{bundle, cheapBundle, monthly}, p1y, true, cheapBundle, true},
		{"no strategy for the period", []Strategy{alone, bundle}, renewd.Period{Months: 3}, true, Strategy{}, false},
		{"another service's strategy", []Strategy{{Period: p1y, Services: []int64{9}, Price: eur(1)}}, p1y, true, Strategy{}, false},
		{"nothing at all", nil, p1y, true, Strategy{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ChooseStrategy(tt.strategies, 2001, tt.period, tt.allowBundle)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("strategy (-want +got):\n%s", diff)
			}
		})
	}
}
