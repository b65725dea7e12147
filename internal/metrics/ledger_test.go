package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/renewd/renewd/internal/renewal"
)

func TestBudgetAndSpentThisMonth(t *testing.T) {
	tests := []struct {
		name   string
		budget *renewal.Budget
		spent  []map[string]int64 // successive MonthSpent calls
		want   string
	}{
		{"no budget, nothing spent", nil, []map[string]int64{{}}, `
`},
		{"a budget and this month's spending", &renewal.Budget{MonthlyUcents: 50_000_000_000, Currency: "EUR"},
			[]map[string]int64{{"EUR": 1_299_000_000, "CAD": 250_000_000}}, `
# HELP renewd_budget_monthly The monthly budget of the config, without tax, in units of its currency. Absent without a budget.
# TYPE renewd_budget_monthly gauge
renewd_budget_monthly{currency="EUR"} 500
# HELP renewd_spent_this_month Money paid to OVH for renewals since the first of the month (UTC), without tax, in units of the currency, as the ledger records it at the end of the last cycle: what the budget counts, orders in flight aside.
# TYPE renewd_spent_this_month gauge
renewd_spent_this_month{currency="CAD"} 2.5
renewd_spent_this_month{currency="EUR"} 12.99
`},
		{"a new month drops last month's currencies", &renewal.Budget{MonthlyUcents: 100_000_000, Currency: "EUR"},
			[]map[string]int64{{"EUR": 1_299_000_000, "CAD": 250_000_000}, {"EUR": 0}}, `
# HELP renewd_budget_monthly The monthly budget of the config, without tax, in units of its currency. Absent without a budget.
# TYPE renewd_budget_monthly gauge
renewd_budget_monthly{currency="EUR"} 1
# HELP renewd_spent_this_month Money paid to OVH for renewals since the first of the month (UTC), without tax, in units of the currency, as the ledger records it at the end of the last cycle: what the budget counts, orders in flight aside.
# TYPE renewd_spent_this_month gauge
renewd_spent_this_month{currency="EUR"} 0
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New("dev")
			m.SetBudget(&renewal.Budget{MonthlyUcents: 1, Currency: "USD"}) // replaced below
			m.SetBudget(tt.budget)
			for _, s := range tt.spent {
				m.MonthSpent(s)
			}
			if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(tt.want), NameBudget, NameSpentThisMonth); err != nil {
				t.Error(err)
			}
		})
	}
}
