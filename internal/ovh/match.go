package ovh

import "github.com/renewd/renewd"

// Renews reports whether the order line renews the named service for the
// period (see renews): the cycle matches the lines of the account's recent
// orders, read once per cycle, against each service it looks up.
func (it OrderItem) Renews(serviceName string, period renewd.Period) bool {
	return it.renews(serviceName, period)
}
