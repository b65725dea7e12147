package metrics

import "strconv"

// ucentsPerUnit is how many micro-cents make one unit of a currency.
const ucentsPerUnit = 1e8

// Spent adds a payment of ucents micro-cents in currency to
// renewd_spent_total. The account is not a label: spending is watched per
// currency. A non-positive amount is ignored (a counter only goes up). Its
// signature matches renewal.Options.OnPaid.
func (m *Metrics) Spent(account, currency string, ucents int64) {
	if ucents <= 0 {
		return
	}
	m.spent.WithLabelValues(currency).Add(float64(ucents) / ucentsPerUnit)
}

// NotActed counts a due, covered service a cycle left in no state the
// operator is told of (renewd's no-silent-no-op rule turned it into a
// reported failure). Any increase is a bug in renewd.
func (m *Metrics) NotActed(account string) {
	m.notActed.WithLabelValues(account).Inc()
}

// OVHRequest counts one HTTP attempt against the OVH API. route is the route
// pattern ("GET /service/{id}"), never a concrete path, so the label set stays
// bounded; code is the HTTP status, 0 for a network error (label "error").
func (m *Metrics) OVHRequest(account, route string, code int) {
	c := "error"
	if code != 0 {
		c = strconv.Itoa(code)
	}
	m.requests.WithLabelValues(account, route, c).Inc()
}

// LedgerUnreadable sets renewd_ledger_unreadable_records to n, the number
// of the ledger's records that cannot be decoded (state.Ledger.Unreadable).
func (m *Metrics) LedgerUnreadable(n int) {
	m.unreadable.Set(float64(n))
}
