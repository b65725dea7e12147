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

// payExisting pays the order a record already holds, after reading its
// current price from OVH.
func (c *cycle) payExisting(ctx context.Context, log *slog.Logger, svc renewd.Service, rule policy.Rule, rec state.Record, out Outcome) Outcome {
	order, err := c.ovh.Order(ctx, rec.OrderID)
	if err != nil {
		return c.fail(out, rec.Term, svc, rule, fmt.Sprintf("read order %d", rec.OrderID), err)
	}
	if order.ID == 0 {
		order.ID = rec.OrderID
	}
	return c.pay(ctx, log, svc, rule, rec, order, out)
}

// pay checks the created order's own price against the cap and the approved
// price, writes the payment intent, pays, and records the payment.
func (c *cycle) pay(ctx context.Context, log *slog.Logger, svc renewd.Service, rule policy.Rule, rec state.Record, order ovh.Order, out Outcome) Outcome {
	out.OrderID, out.Price = order.ID, order.WithoutTax
	if order.PriceErr != nil {
		// Never compared with the cap, never paid: the price OVH sent is not one.
		return c.fail(out, rec.Term, svc, rule, fmt.Sprintf("read the price of order %d", order.ID), order.PriceErr)
	}
	price := order.WithoutTax
	if gate, why := c.gate(rule, price, rec, true); gate != gateOpen {
		why = fmt.Sprintf("order %d costs %s: %s", order.ID, price, why)
		if gate == gateRefuse {
			why += "; the order is left unpaid and expires by itself"
		}
		return c.hold(log, gate, why, svc, rule, ovh.Strategy{Period: rule.Period, Services: rec.Services, Price: price}, price, rec, true, out)
	}
	if !state.Allowed(rec.Status, stPaying) {
		// A term held for approval or refused keeps its order; the ledger
		// reaches paying only from ordered, so record the order again first.
		var err error
		rec, err = c.adopt(rec.Term, svc, rule, order, "order %d kept while %s; paying it now", order.ID, rec.Status)
		if err != nil {
			return c.fail(out, svc.Term(), svc, rule, "record the kept order", err)
		}
	}
	form := rule.Payment
	rec, err := c.e.ledger.Transition(rec.Term, stPaying, fmt.Sprintf("paying order %d (%s) with %s", order.ID, price, form), func(r *state.Record) error {
		c.setOrder(r, order)
		r.Payment = form
		r.PayIntentAt = c.now
		return nil
	})
	if err != nil {
		return c.fail(out, svc.Term(), svc, rule, "record the payment intent", err)
	}
	log.Info("paying renewal order", "order_id", order.ID, "price", price.String(), "payment", form.String())
	err = c.ovh.Pay(context.WithoutCancel(ctx), order.ID, form)
	switch {
	case err == nil:
		return c.paid(log, svc, rec, fmt.Sprintf("paid order %d: %s with %s", order.ID, price, form), out)
	case errors.Is(err, ovh.ErrRejected):
		return c.fail(out, rec.Term, svc, rule, fmt.Sprintf("pay order %d", order.ID), err)
	}
	log.Warn("payment outcome unknown; reconciling", "order_id", order.ID, "err", err)
	c.note(rec.Term, rec.ServiceName, fmt.Sprintf("pay order %d: outcome unknown: %v", order.ID, err))
	rec = c.reconcile(ctx, rec)
	out.Status = string(rec.Status)
	if rec.Status == stPaid {
		out.Action, out.Reason = ActPaid, fmt.Sprintf("order %d paid (confirmed by OVH after an unknown outcome)", order.ID)
		return out
	}
	out.Action = ActPending
	out.Reason = fmt.Sprintf("the payment of order %d has an unknown outcome; it is reconciled before anything is retried", order.ID)
	return out
}

// paid records a payment that OVH accepted, and reports it.
func (c *cycle) paid(log *slog.Logger, svc renewd.Service, rec state.Record, reason string, out Outcome) Outcome {
	rec, err := c.e.ledger.Transition(rec.Term, stPaid, reason, func(r *state.Record) error {
		r.PaidAt = c.now
		r.LastError = ""
		return nil
	}, c.outcomeReports(renewd.ReportRenewed, rec, reason, "paid")...)
	if err != nil {
		// OVH has the money; the term stays `paying`, and reconciliation
		// reads the order's status and records it as paid.
		log.Error("payment taken but not recorded; reconciliation will record it", "err", err)
		out.Action, out.Reason = ActPending, "paid, but the ledger write failed; reconciled next cycle"
		return out
	}
	log.Info("renewal paid", "order_id", rec.OrderID, "price", renewd.Money{Ucents: rec.OrderUcents, Currency: rec.Currency}.String())
	if c.e.onPaid != nil {
		c.e.onPaid(rec.Term.Account, rec.Currency, rec.OrderUcents)
	}
	out.Action, out.Status, out.Reason, out.OrderID = ActPaid, string(rec.Status), reason, rec.OrderID
	return out
}

// adopt records an order found at OVH as this term's order.
func (c *cycle) adopt(term renewd.Term, svc renewd.Service, rule policy.Rule, order ovh.Order, format string, args ...any) (state.Record, error) {
	reason := fmt.Sprintf(format, args...)
	if _, err := c.e.ledger.Transition(term, stOrdering, reason, func(r *state.Record) error {
		fillTerm(r, svc, rule)
		r.IntentAt = c.now
		return nil
	}); err != nil {
		return state.Record{}, err
	}
	return c.e.ledger.Transition(term, stOrdered, reason, func(r *state.Record) error {
		c.setOrder(r, order)
		return nil
	})
}
