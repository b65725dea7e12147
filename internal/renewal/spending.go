package renewal

import (
	"fmt"
	"time"
)

// MonthSpent returns what the ledger records as paid to the settings'
// accounts since the first of now's month (UTC), in micro-cents by
// currency: the payments the budget counts, without the orders in flight.
// With a budget, its currency is always in the map, at 0 when nothing was
// spent in it. A sum that does not fit an int64 is an error.
func MonthSpent(l Ledger, s Settings, now time.Time) (map[string]int64, error) {
	now = now.UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := map[string]int64{}
	if s.Budget != nil {
		out[s.Budget.Currency] = 0
	}
	for _, a := range s.Accounts {
		m, err := l.SpentSince(a.Account(), month)
		if err != nil {
			return nil, fmt.Errorf("this month's spending of account %s: %w", a.Account(), err)
		}
		for cur, v := range m {
			if v < 0 || out[cur] > (1<<62)-v {
				return nil, fmt.Errorf("this month's spending in %s does not add up to a usable amount", cur)
			}
			out[cur] += v
		}
	}
	return out, nil
}
