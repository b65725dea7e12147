package renewal_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// TestMonthSpent: what two accounts paid this month, by currency, counted
// over the accounts of the settings only, and nothing in the next month
// (with the budget's currency still present, at 0).
func TestMonthSpent(t *testing.T) {
	e := newEnv(t, []policy.Rule{rule(t, "alpha", "P1M", "10.00", 1001)}, envOptions{})
	other := e.addAccount("other", envOptions{})
	e.Settings.Accounts = append(e.Settings.Accounts, other.client)
	paid := 0
	for _, o := range e.cycle().Outcomes {
		if o.Action == renewal.ActPaid {
			paid++
		}
	}
	if paid != 2 {
		t.Fatalf("%d services paid, want 1001 in each account", paid)
	}
	price := ordersFor(e.fake(), 1001)[0].PriceUcents
	now, nextMonth := e.clock.Now(), t0.AddDate(0, 1, 0)
	tests := []struct {
		name string
		s    renewal.Settings
		at   time.Time
		want map[string]int64
	}{
		{"both accounts", e.Settings, now, map[string]int64{"EUR": 2 * price}},
		{"one account configured", renewal.Settings{Accounts: e.Settings.Accounts[:1]}, now, map[string]int64{"EUR": price}},
		{"next month, no budget", e.Settings, nextMonth, map[string]int64{}},
		{"next month, with a budget", renewal.Settings{Accounts: e.Settings.Accounts,
			Budget: &renewal.Budget{MonthlyUcents: eur(t, "500.00"), Currency: "EUR"}}, nextMonth, map[string]int64{"EUR": 0}},
		{"a budget in another currency", renewal.Settings{Accounts: e.Settings.Accounts,
			Budget: &renewal.Budget{MonthlyUcents: 1, Currency: "CAD"}}, now, map[string]int64{"EUR": 2 * price, "CAD": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renewal.MonthSpent(e.ledger, tt.s, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MonthSpent (-want +got):\n%s", diff)
			}
		})
	}
}
