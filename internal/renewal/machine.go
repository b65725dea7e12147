package renewal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// The money path of one term is a loop: next (steps.go) looks at the
// term's ledger status and what this cycle has read from OVH, and returns
// one move; walk carries it out and asks again. A move is one of:
//
//	fetch   read one fact from OVH (at most one call)
//	write   one ledger transition, or a Touch
//	create  the create-order call (POST /service/{id}/renew), then its recording
//	pay     the payment call, then its recording
//	stop    the term's outcome for this cycle
//
// next makes no call and writes nothing, so the whole decision is one
// function of the record and the facts, which `renewd plan` runs too
// (dry: it stops at the first write or money call and says what it would
// be). The ledger refuses, by itself, every move that could pay twice
// (state/transition.go), so a wrong move here fails rather than pays.

type moveKind int

const (
	mvStop moveKind = iota
	mvFetch
	mvWrite
	mvCreate
	mvPay
)

// fact is one thing a step may need to read from OVH, at most once a cycle.
type fact int

const (
	factClock      fact = iota + 1 // OVH's clock (GET /auth/time), once per account and cycle
	factFresh                      // the service re-read (GET /service/{id})
	factStrategies                 // its renewal strategies (GET /service/{id}/renew)
	factBook                       // the account's recent orders (GET /me/order?date.from=), once per cycle
	factLines                      // an order's lines (details and extensions), once per order
	factStatus                     // an order's status (GET /me/order/{id}/status)
	factOrder                      // an order's date, prices and expiry (GET /me/order/{id})
)

// move is what next decides.
type move struct {
	kind moveKind

	// stop: the outcome.
	action Action
	reason string

	// fetch: the fact, and the order it is about.
	fact    fact
	orderID int64

	// write: a transition to `to` (or, with touch, a Touch), its reason,
	// the caller's fields and the reports computed from the stored record;
	// then runs after it is stored.
	to      state.Status
	touch   bool
	mutate  func(*state.Record) error
	reports state.Reports
	then    func(t *term)
}

func stop(a Action, format string, args ...any) move {
	return move{kind: mvStop, action: a, reason: fmt.Sprintf(format, args...)}
}

func fetch(f fact, orderID int64) move { return move{kind: mvFetch, fact: f, orderID: orderID} }

func write(to state.Status, reason string, mutate func(*state.Record) error, reports state.Reports) move {
	return move{kind: mvWrite, to: to, reason: reason, mutate: mutate, reports: reports}
}

// term is one term's walk through the machine in this cycle: its record,
// the service and decision it is walked for, and the facts read so far.
type term struct {
	key   renewd.Term
	svc   renewd.Service  // the inventory's service; ID 0 when not listed this cycle
	d     policy.Decision // the decision for svc now; a zero Decision when not listed
	rule  *policy.Rule    // d.Rule when d.Verdict is Renew
	rec   state.Record
	found bool
	log   *slog.Logger

	// What went wrong in this walk: a read that failed (decided on by the
	// next step), a write the ledger refused, a failure just recorded, a
	// note after which the term waits.
	fetchErr    *fetchError
	writeErr    error
	failedNow   bool
	noteErr     string
	stopPending bool

	fresh      *renewd.Service
	strategies []ovh.Strategy
	haveStrat  bool
	statuses   map[int64]ovh.OrderStatus
	orders     map[int64]ovh.Order

	// Calls of this walk: an intent this walk wrote is its own to carry
	// out, once; one found in the ledger is reconciled instead.
	ownOrdering, ownPaying bool
	called                 bool
	paidNow                bool         // this walk recorded the term paid
	price                  renewd.Money // the price the walk checked last (a strategy's, an order's)
	steps                  int
}

func (t *term) status(orderID int64) (ovh.OrderStatus, bool) {
	s, ok := t.statuses[orderID]
	return s, ok
}

func (t *term) order(orderID int64) (ovh.Order, bool) {
	o, ok := t.orders[orderID]
	return o, ok
}

// listedAsThisTerm reports whether this cycle's inventory lists the service
// with this term's expiration, and a renew rule covers it and finds it due:
// the one condition under which renewd may order or pay for the term.
func (t *term) listedAsThisTerm() bool {
	return t.svc.ID != 0 && t.svc.Term() == t.key && t.d.Verdict == policy.Renew && t.rule != nil
}

// maxSteps bounds one walk. The longest legitimate one (adopt or order,
// gate, pay, with every fact read) is about a dozen moves; a loop past this
// is a bug, reported as a failure rather than spun on.
const maxSteps = 40

// walk runs the machine for one term until it stops, and returns its
// outcome. With dry set it writes nothing and makes no money call: it stops
// at the first such move and describes it (renewd plan).
func (c *cycle) walk(ctx context.Context, t *term) Outcome {
	out := Outcome{Service: t.svc, Verdict: t.d.Verdict, Action: ActNothing}
	if t.svc.ID == 0 {
		out.Service = renewd.Service{Account: t.key.Account, ID: t.key.ServiceID, Name: t.rec.ServiceName, Type: t.rec.ServiceType, Expiration: t.key.Expiration}
	}
	if t.d.Rule != nil {
		out.Rule = t.d.Rule.Name
	}
	for ; t.steps < maxSteps; t.steps++ {
		m := c.next(t)
		if c.dry && m.kind != mvStop && m.kind != mvFetch {
			return c.finish(t, out, c.would(t, m))
		}
		switch m.kind {
		case mvStop:
			return c.finish(t, out, m)
		case mvFetch:
			if err := c.fetch(ctx, t, m); err != nil {
				t.fetchErr = &fetchError{what: factName(m), err: err}
			}
		case mvWrite:
			if err := c.apply(t, m); err != nil {
				if m.to == state.StatusFailed && !m.touch {
					// The failure itself could not be recorded: report it
					// all the same, nothing may fail silently.
					c.reportUnrecorded(t, m.reason, err)
					return c.finish(t, out, stop(ActFailed, "%s (not recorded in the ledger: %v)", m.reason, err))
				}
				t.writeErr = fmt.Errorf("record %s: %w", stepName(m), err)
			}
		case mvCreate:
			c.create(ctx, t)
		case mvPay:
			c.pay(ctx, t)
		}
	}
	c.reportUnrecorded(t, "settle the term", errors.New("the money path did not come to rest; this is a bug in renewd"))
	return c.finish(t, out, stop(ActFailed, "renewd's money path did not come to rest for this term (a bug); nothing more was done"))
}

// fetchError is a failed read, for the next step to decide on.
type fetchError struct {
	what string
	err  error
}

// finish fills the outcome from the stop move and the record as it stands.
func (c *cycle) finish(t *term, out Outcome, m move) Outcome {
	out.Action, out.Reason = m.action, m.reason
	if t.found {
		out.Status, out.OrderID = t.rec.Status, t.rec.OrderID
		out.Price = renewd.Money{Ucents: t.rec.QuoteUcents, Currency: t.rec.Currency}
		if t.rec.OrderID != 0 {
			out.Price.Ucents = t.rec.OrderUcents
		}
	}
	if out.Price.Ucents == 0 {
		out.Price = t.price // a plan, which writes nothing, or a stop before the record had one
	}
	return out
}

// apply carries out a write move and takes the stored record.
func (c *cycle) apply(t *term, m move) error {
	var rec state.Record
	var err error
	if m.touch {
		rec, err = c.e.ledger.Touch(t.key, m.mutate)
	} else {
		rec, err = c.e.ledger.Transition(t.key, m.to, m.reason, m.mutate, m.reports)
	}
	if err != nil {
		return err
	}
	t.rec, t.found = rec, true
	if m.then != nil {
		m.then(t)
	}
	return nil
}

func stepName(m move) string {
	if m.touch {
		return "a note on the term"
	}
	return "the move to " + string(m.to)
}
