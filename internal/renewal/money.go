package renewal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/state"
)

// The two calls that move money. Each is made once per intent this walk
// wrote, runs to its own timeout even when renewd is stopping (so that its
// answer is recorded), and is recorded at once: the answer (ordered, paid),
// a refusal (failed: OVH did nothing), or, when the outcome is unknown, the
// call's end on OVH's clock, from which the settle delay counts before the
// next step reconciles it against OVH. Neither is ever retried blind.

// create makes the create-order call for the term's ordering intent.
func (c *cycle) create(ctx context.Context, t *term) {
	t.called = true
	r := t.rec
	period, err := renewd.ParsePeriod(r.Period)
	if err != nil {
		c.applyOrFail(t, c.failure(t, "create the renewal order", fmt.Errorf("the record's period %q: %w", r.Period, err)))
		return
	}
	t.log.Info("creating renewal order", "period", r.Period, "price", renewd.Money{Ucents: r.QuoteUcents, Currency: r.Currency}.String(), "services", r.Services)
	// The duration sent is the text OVH offered (the record keeps it), not
	// renewd's own spelling of the period: OVH may take only its own.
	strat := ovh.Strategy{Period: period, PeriodText: r.Period, Services: r.Services}
	order, err := c.ovh.CreateRenewOrder(context.WithoutCancel(ctx), t.key.ServiceID, strat)
	end := c.clockNow()
	switch {
	case err == nil:
		record := c.recordOrder(t, order, false)
		c.applyOrFail(t, write(state.StatusOrdered, fmt.Sprintf("order %d created at %s", order.ID, order.WithoutTax),
			func(rec *state.Record) error {
				rec.CallEndOVH = end
				return record(rec)
			}, nil))
	case errors.Is(err, ovh.ErrRejected):
		c.applyOrFail(t, c.failure(t, "create the renewal order", err))
	default:
		// The order may exist all the same: reconcile, never retry blind.
		t.log.Warn("renewal order outcome unknown; reconciling", "err", err)
		c.book.fetched = false // the order, if any, is newer than the list
		c.noteCallEnd(t, end, fmt.Sprintf("create order: outcome unknown: %v", err))
	}
}

// pay makes the payment call for the term's paying intent.
func (c *cycle) pay(ctx context.Context, t *term) {
	t.called = true
	r := t.rec
	t.log.Info("paying renewal order", "order_id", r.OrderID, "price", renewd.Money{Ucents: r.OrderUcents, Currency: r.Currency}.String(),
		"payment", r.Payment.String())
	err := c.ovh.Pay(context.WithoutCancel(ctx), r.OrderID, r.Payment)
	end := c.clockNow()
	delete(t.statuses, r.OrderID) // read before the call: it says nothing of what the call did
	switch {
	case err == nil:
		m := write(state.StatusPaid, fmt.Sprintf("paid order %d: %s with %s", r.OrderID,
			renewd.Money{Ucents: r.OrderUcents, Currency: r.Currency}, r.Payment),
			func(rec *state.Record) error { rec.CallEndOVH, rec.LastError = end, ""; return nil },
			c.outcomeReports(renewd.ReportRenewed, "paid"))
		m.then = c.paidThen
		if err := c.apply(t, m); err != nil {
			// OVH has the money; the term stays paying, and reconciliation
			// reads the order's status and records it as paid.
			t.log.Error("payment taken but not recorded; reconciliation will record it", "order_id", r.OrderID, "err", err)
			t.noteErr, t.stopPending = fmt.Sprintf("order %d was paid, but the ledger write failed (%v)", r.OrderID, err), true
		}
	case errors.Is(err, ovh.ErrRejected):
		c.applyOrFail(t, c.failure(t, fmt.Sprintf("pay order %d", r.OrderID), err))
	default:
		t.log.Warn("payment outcome unknown; reconciling", "order_id", r.OrderID, "err", err)
		c.noteCallEnd(t, end, fmt.Sprintf("pay order %d: outcome unknown: %v", r.OrderID, err))
	}
}

// applyOrFail applies a write; a ledger error becomes the walk's next
// failure (or, for a failure that cannot be recorded, is reported as is).
func (c *cycle) applyOrFail(t *term, m move) {
	if err := c.apply(t, m); err != nil {
		if m.to == state.StatusFailed {
			c.reportUnrecorded(t, m.reason, err)
			t.noteErr, t.stopPending = fmt.Sprintf("%s (not recorded in the ledger: %v)", m.reason, err), true
			return
		}
		t.writeErr = fmt.Errorf("record %s: %w", stepName(m), err)
	}
}

// noteCallEnd records when a money call with an unknown outcome returned,
// on OVH's clock, and its error.
func (c *cycle) noteCallEnd(t *term, end time.Time, text string) {
	m := move{kind: mvWrite, touch: true, mutate: func(r *state.Record) error {
		r.CallEndOVH, r.LastError = end, text
		return nil
	}}
	if err := c.apply(t, m); err != nil {
		t.log.Error("could not note the unknown outcome in the ledger", "err", err)
	}
}

// recordOrder sets an order on the term's record (the order created by its
// intent, or one found at OVH and adopted).
func (c *cycle) recordOrder(t *term, o ovh.Order, adopted bool) func(*state.Record) error {
	return func(r *state.Record) error {
		if t.rule != nil && r.Rule == "" {
			fillTerm(r, t.svc, *t.rule)
		}
		if len(r.Services) == 0 {
			r.Services = []int64{t.key.ServiceID}
		}
		r.OrderID = o.ID
		r.OrderUcents, r.OrderWithTaxUcents = o.WithoutTax.Ucents, o.WithTax.Ucents
		if o.WithoutTax.Currency != "" {
			r.Currency = o.WithoutTax.Currency
		}
		r.OrderExpires = o.Expires
		r.Adopted = adopted
		return nil
	}
}

// paidThen runs after a payment is recorded.
func (c *cycle) paidThen(t *term) {
	t.paidNow = true
	t.log.Info("renewal paid", "order_id", t.rec.OrderID, "price", renewd.Money{Ucents: t.rec.OrderUcents, Currency: t.rec.Currency}.String())
	if c.e.onPaid != nil && !c.dry {
		c.e.onPaid(t.key.Account, t.rec.Currency, t.rec.OrderUcents)
	}
}
