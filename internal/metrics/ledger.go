package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/renewd/renewd/internal/renewal"
)

// SetBudget sets renewd_budget_monthly to the config's budget: one series,
// for its currency, or none when b is nil (a reload that removes the budget
// removes the series). A scrape never sees the series missing while it is
// replaced.
func (m *Metrics) SetBudget(b *renewal.Budget) {
	want := map[string]int64{}
	if b != nil {
		want[b.Currency] = b.MonthlyUcents
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.budgetCurrencies = setByCurrency(m.budget, m.budgetCurrencies, want)
}

// MonthSpent sets renewd_spent_this_month to spent, micro-cents by currency
// (renewal.MonthSpent's answer). Currencies missing from it lose their
// series, so that last month's do not linger into this one.
func (m *Metrics) MonthSpent(spent map[string]int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.spentCurrencies = setByCurrency(m.monthSpent, m.spentCurrencies, spent)
}

// setByCurrency sets one series per currency of want, in currency units,
// deletes those of had that want lacks, and returns the currencies set.
// Series are set before others are deleted, never reset as a whole.
func setByCurrency(g *prometheus.GaugeVec, had map[string]bool, want map[string]int64) map[string]bool {
	now := make(map[string]bool, len(want))
	for cur, ucents := range want {
		g.WithLabelValues(cur).Set(float64(ucents) / ucentsPerUnit)
		now[cur] = true
	}
	for cur := range had {
		if !now[cur] {
			g.DeleteLabelValues(cur)
		}
	}
	return now
}
