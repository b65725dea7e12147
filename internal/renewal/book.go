package renewal

import (
	"slices"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
)

// adoptWindow is how far back, on OVH's clock, renewd looks for an unpaid
// renewal order that OVH already holds for a service before it creates
// one. OVH lets an unpaid order live about a day; twice that leaves a
// margin.
const adoptWindow = 48 * time.Hour

// reconcileMargin widens the order search before an intent: the intent is
// stamped with OVH's clock as the cycle measured it (whole seconds, read
// once a cycle), and OVH dates the order a moment later, on its own
// servers.
const reconcileMargin = 10 * time.Minute

// orderBook is one look at OVH's orders per account and cycle: the ids
// GET /me/order?date.from= lists once, and the lines of each order, read
// once (their lines never change; the client caches them across cycles
// too). Statuses and orders are read per term, when a match needs them.
type orderBook struct {
	fetched bool
	since   time.Time // what date.from the list was asked with
	want    time.Time // the date.from the next list asks with
	ids     []int64   // newest first
	lines   map[int64][]ovh.OrderItem
}

// bookMatch is an order OVH holds that renews a service, with its status.
type bookMatch struct {
	order  ovh.Order
	status ovh.OrderStatus
}

// alive reports whether an unpaid order can still be paid at now (OVH's
// clock): OVH cancels it at its expiration date.
func (m *bookMatch) alive(now time.Time) bool {
	return m.order.Expires.IsZero() || now.Before(m.order.Expires)
}

// lookBook finds, among the account's recent orders, the newest one dated
// at or after since that renews the named service for the period, is not
// cancelled, and belongs to no other term in the ledger (two services may
// share a name: a domain and the hosting sold with it). It returns the
// match (nil when none), or the one read or failure to make first. The list
// covers since: the first lookup of the cycle asks for the earliest window
// any term of the account needs (floor), so it is listed once.
func (c *cycle) lookBook(t *term, name string, period renewd.Period, since time.Time) (*bookMatch, *move) {
	if !c.book.fetched || since.Before(c.book.since) {
		// One list for the cycle: from the earliest date any term of the
		// account needs, the adoption window or an intent to reconcile.
		want := minTime(since, c.clockNow().Add(-adoptWindow), c.bookFloor)
		c.book.want = want
		m := fetch(factBook, 0)
		return nil, &m
	}
	for _, id := range c.book.ids {
		owner, claimed, err := c.e.ledger.OrderOwner(c.account, id)
		if err != nil {
			m := c.failure(t, "read the ledger's orders", err)
			return nil, &m
		}
		if claimed && owner != t.key {
			continue
		}
		lines, ok := c.book.lines[id]
		if !ok {
			m := fetch(factLines, id)
			return nil, &m
		}
		if !slices.ContainsFunc(lines, func(it ovh.OrderItem) bool { return it.Renews(name, period) }) {
			continue
		}
		st, ok := t.status(id)
		if !ok {
			m := fetch(factStatus, id)
			return nil, &m
		}
		if st.Gone() {
			continue
		}
		o, ok := t.order(id)
		if !ok {
			m := fetch(factOrder, id)
			return nil, &m
		}
		if !o.Date.IsZero() && o.Date.Before(since) {
			continue
		}
		return &bookMatch{order: o, status: st}, nil
	}
	return nil, nil
}

// minTime is the earliest of the non-zero times.
func minTime(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if !t.IsZero() && (out.IsZero() || t.Before(out)) {
			out = t
		}
	}
	return out
}
