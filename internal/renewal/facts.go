package renewal

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/renewd/renewd/internal/ovh"
)

// fetch makes the one read a move asks for and keeps its answer: on the
// term, or on the cycle for what every term of the account shares (OVH's
// clock, the order book).
func (c *cycle) fetch(ctx context.Context, t *term, m move) error {
	switch m.fact {
	case factClock:
		return c.readClock(ctx)
	case factFresh:
		s, err := c.ovh.Service(ctx, t.key.ServiceID)
		if err != nil {
			return err
		}
		t.fresh = &s
	case factStrategies:
		ss, err := c.ovh.RenewStrategies(ctx, t.key.ServiceID)
		if err != nil {
			return err
		}
		t.strategies, t.haveStrat = ss, true
	case factBook:
		ids, err := c.ovh.OrdersSince(ctx, c.book.want)
		if err != nil {
			return err
		}
		slices.SortFunc(ids, func(a, b int64) int { return cmp.Compare(b, a) })
		c.book.ids, c.book.since, c.book.fetched = ids, c.book.want, true
		if c.book.lines == nil {
			c.book.lines = map[int64][]ovh.OrderItem{}
		}
	case factLines:
		items, err := c.ovh.OrderItems(ctx, m.orderID)
		if err != nil {
			return err
		}
		c.book.lines[m.orderID] = items
	case factStatus:
		st, err := c.ovh.OrderStatus(ctx, m.orderID)
		if ovh.IsNotFound(err) {
			st, err = ovh.StatusCancelled, nil // OVH deleted it: it will never be paid
		}
		if err != nil {
			return err
		}
		if t.statuses == nil {
			t.statuses = map[int64]ovh.OrderStatus{}
		}
		t.statuses[m.orderID] = st
	case factOrder:
		o, err := c.ovh.Order(ctx, m.orderID) // an answer without its id carries the asked one
		if err != nil {
			return err
		}
		if t.orders == nil {
			t.orders = map[int64]ovh.Order{}
		}
		t.orders[m.orderID] = o
	default:
		return fmt.Errorf("unknown fact %d", m.fact)
	}
	return nil
}

// factName says what a fetch was, for an error.
func factName(m move) string {
	switch m.fact {
	case factClock:
		return "read OVH's clock"
	case factFresh:
		return "re-read the service"
	case factStrategies:
		return "read the renewal strategies"
	case factBook:
		return "list the account's recent orders"
	case factLines:
		return fmt.Sprintf("read the lines of order %d", m.orderID)
	case factStatus:
		return fmt.Sprintf("read the status of order %d", m.orderID)
	case factOrder:
		return fmt.Sprintf("read order %d", m.orderID)
	}
	return "read OVH"
}

// readClock measures OVH's clock for the account, once a cycle.
func (c *cycle) readClock(ctx context.Context) error {
	at, err := c.ovh.ServerTime(ctx)
	if err != nil {
		return err
	}
	c.haveClock, c.clockAt, c.clockMono = true, at, c.e.now()
	return nil
}

// clockNow is OVH's time now: the cycle's reading of OVH's clock plus the
// time elapsed since on the engine's clock. With the real clock (time.Now,
// never converted, so it keeps its monotonic reading) that is monotonic
// time, which no jump of the wall clock moves; tests inject their own.
func (c *cycle) clockNow() time.Time { return c.clockAt.Add(c.e.now().Sub(c.clockMono)) }

// settled reports whether, on OVH's clock, the settle delay has passed
// since a money call returned, or since its intent plus the longest a call
// can take when its end is not known (a crash during the call). A missing
// intent time is never settled: the term waits for an operator rather than
// risk a second order.
func (c *cycle) settled(intent, callEnd time.Time) bool {
	from := callEnd
	if from.IsZero() {
		if intent.IsZero() {
			return false
		}
		from = intent.Add(c.s.callTimeout())
	}
	return !c.clockNow().Before(from.Add(c.s.settle()))
}

func offered(ss []ovh.Strategy) string {
	if len(ss) == 0 {
		return "none"
	}
	s := ""
	for i, st := range ss {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s for %v at %s", st.Period, st.Services, st.Price)
	}
	return s
}
