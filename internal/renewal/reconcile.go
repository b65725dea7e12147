package renewal

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/state"
)

// reconcileMargin widens the order search before an intent, for clocks
// that disagree a little between renewd and OVH.
const reconcileMargin = 10 * time.Minute

// reconcileInFlight settles, against OVH, every term of this account whose
// last money-moving call has an unknown outcome, and follows paid terms to
// delivery. It runs at the start of every cycle, so a restart after a crash
// reconciles before it does anything else.
func (c *cycle) reconcileInFlight(ctx context.Context) {
	recs, err := c.e.ledger.InFlight()
	if err != nil {
		c.log.Error("cannot list in-flight terms", "err", err)
		return
	}
	for _, r := range recs {
		if r.Term.Account != c.account {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		c.reconcile(ctx, r)
	}
}

// reconcile brings one term in line with what OVH shows and returns the
// record as it then stands. It never creates an order and never pays: it
// only reads OVH and records. When OVH cannot be read, the record is left as
// it is, to be reconciled again later.
func (c *cycle) reconcile(ctx context.Context, rec state.Record) state.Record {
	log := c.log.With("service_id", rec.Term.ServiceID, "service", rec.ServiceName, "term", rec.Term.String())
	switch {
	case rec.Status == stOrdering, rec.Status == stFailed && rec.MoneyInFlight() && rec.OrderID == 0:
		return c.reconcileOrdering(ctx, log, rec)
	case rec.Status == stPaying, rec.Status == stOrdered, rec.Status == stFailed && rec.OrderID != 0 && rec.PaidAt.IsZero():
		return c.reconcileOrder(ctx, log, rec)
	case rec.Status == stPaid, rec.Status == stUndelivered:
		return c.followDelivery(ctx, log, rec)
	}
	return rec
}

// reconcileOrdering settles an order intent whose call may or may not have
// created an order: adopt the order OVH shows, or, once the intent is old
// enough for the order to have appeared, start the term over.
func (c *cycle) reconcileOrdering(ctx context.Context, log *slog.Logger, rec state.Record) state.Record {
	period, err := renewd.ParsePeriod(rec.Period)
	if err != nil {
		log.Error("ledger record has a bad period; left for an operator", "period", rec.Period, "err", err)
		return rec
	}
	order, status, found, err := c.ovh.FindRenewOrder(ctx, rec.IntentAt.Add(-reconcileMargin), rec.ServiceName, period, c.claimedElsewhere(rec.Term))
	if err != nil {
		log.Warn("cannot reconcile the order intent yet", "err", err)
		c.note(rec.Term, rec.ServiceName, fmt.Sprintf("reconcile order intent: %v", err))
		return rec
	}
	if found && !orderGone(status) {
		reason := fmt.Sprintf("reconciled: OVH holds order %d for this renewal (status %s); adopted", order.ID, status)
		log.Info("adopting the order an unknown outcome created", "order_id", order.ID, "order_status", status)
		next, err := c.e.ledger.Transition(rec.Term, stOrdered, reason, func(r *state.Record) error {
			c.setOrder(r, order)
			return nil
		})
		if err != nil {
			log.Error("cannot record the adopted order", "err", err)
			return rec
		}
		return c.reconcileOrder(ctx, log, next)
	}
	if c.now.Sub(rec.IntentAt) < c.s.settle() {
		log.Info("no order found yet for a recent intent; checking again later", "intent_at", rec.IntentAt)
		return rec
	}
	reason := fmt.Sprintf("reconciled: OVH shows no order for this renewal since the intent at %s; safe to order again",
		rec.IntentAt.Format(time.RFC3339))
	log.Info("order intent had created nothing", "intent_at", rec.IntentAt)
	return c.startOver(log, rec, reason)
}

// reconcileOrder reads the status of the order a term holds and records
// what it means: paid, gone (start over), or still payable (left for the
// pay step, which checks the price first).
func (c *cycle) reconcileOrder(ctx context.Context, log *slog.Logger, rec state.Record) state.Record {
	rec, _ = c.orderStanding(ctx, log, rec)
	return rec
}

// orderStanding is reconcileOrder that also says whether OVH shows the
// order unpaid and alive, the one status in which renewd may pay it.
func (c *cycle) orderStanding(ctx context.Context, log *slog.Logger, rec state.Record) (state.Record, bool) {
	status, err := c.ovh.OrderStatus(ctx, rec.OrderID)
	if ovh.IsNotFound(err) {
		status, err = "cancelled", nil
	}
	if err != nil {
		log.Warn("cannot read the order status yet", "order_id", rec.OrderID, "err", err)
		c.note(rec.Term, rec.ServiceName, fmt.Sprintf("read status of order %d: %v", rec.OrderID, err))
		return rec, false
	}
	switch {
	case orderPaid(status):
		reason := fmt.Sprintf("reconciled: OVH shows order %d paid (status %s)", rec.OrderID, status)
		next, err := c.e.ledger.Transition(rec.Term, stPaid, reason, func(r *state.Record) error {
			if r.PaidAt.IsZero() {
				r.PaidAt = c.now
			}
			return nil
		}, c.termReport(renewd.ReportRenewed, rec, reason, ""))
		if err != nil {
			log.Error("cannot record the payment OVH shows", "err", err)
			return rec, false
		}
		log.Info("payment confirmed by OVH", "order_id", rec.OrderID, "order_status", status)
		if c.e.onPaid != nil {
			c.e.onPaid(rec.Term.Account, rec.Currency, rec.OrderUcents)
		}
		return next, false
	case orderGone(status):
		return c.startOver(log, rec, fmt.Sprintf("reconciled: order %d is %s at OVH; nothing was paid", rec.OrderID, status)), false
	case status == "notPaid":
		if !rec.OrderExpires.IsZero() && !c.now.Before(rec.OrderExpires) {
			return c.startOver(log, rec, fmt.Sprintf("reconciled: order %d expired unpaid at %s", rec.OrderID, rec.OrderExpires.Format(time.RFC3339))), false
		}
		if rec.Status != stPaying {
			return rec, true // payable; the pay step checks the price again first
		}
		if c.now.Sub(rec.PayIntentAt) < c.s.settle() {
			log.Info("payment not visible yet at OVH; checking again later", "order_id", rec.OrderID)
			return rec, false
		}
		next, err := c.e.ledger.Transition(rec.Term, stOrdered,
			fmt.Sprintf("reconciled: OVH shows order %d still unpaid after the payment call", rec.OrderID), keep)
		if err != nil {
			log.Error("cannot record the unpaid order", "err", err)
			return rec, false
		}
		return next, true
	}
	log.Warn("order in a status renewd does not act on; checking again later", "order_id", rec.OrderID, "order_status", status)
	c.note(rec.Term, rec.ServiceName, fmt.Sprintf("order %d has status %q", rec.OrderID, status))
	return rec, false
}

// startOver returns a term whose order is known not to exist, or never to be
// paid, to `due`, so that a later step may order again.
func (c *cycle) startOver(log *slog.Logger, rec state.Record, reason string) state.Record {
	next, err := c.e.ledger.Transition(rec.Term, stDue, reason, func(r *state.Record) error {
		r.OrderID, r.OrderUcents, r.OrderWithTaxUcents = 0, 0, 0
		r.OrderExpires = time.Time{}
		return nil
	})
	if err != nil {
		log.Error("cannot start the term over", "err", err)
		return rec
	}
	return next
}

// followDelivery checks that a paid term was delivered: the service's
// expiration moved. One not delivered within the delivery timeout is
// reported once.
func (c *cycle) followDelivery(ctx context.Context, log *slog.Logger, rec state.Record) state.Record {
	svc, ok := c.services[rec.Term.ServiceID]
	if !ok {
		var err error
		if svc, err = c.ovh.Service(ctx, rec.Term.ServiceID); err != nil {
			log.Warn("cannot read the service to follow delivery", "err", err)
			return rec
		}
	}
	if svc.Expiration.After(rec.Term.Expiration) {
		reason := fmt.Sprintf("delivered: the expiration moved from %s to %s",
			rec.Term.Expiration, svc.Expiration)
		tmp := rec
		tmp.NewExpiration = svc.Expiration
		next, err := c.e.ledger.Transition(rec.Term, stDelivered, reason, func(r *state.Record) error {
			r.DeliveredAt, r.NewExpiration = c.now, svc.Expiration
			return nil
		}, c.termReport(renewd.ReportDelivered, tmp, reason, ""))
		if err != nil {
			log.Error("cannot record the delivery", "err", err)
			return rec
		}
		log.Info("renewal delivered", "new_expiration", svc.Expiration)
		return next
	}
	if rec.Status == stPaid && c.now.Sub(rec.PaidAt) > c.s.deliveryTimeout() {
		reason := fmt.Sprintf("paid order %d at %s, but the expiration has not moved after %s",
			rec.OrderID, rec.PaidAt.Format(time.RFC3339), c.s.deliveryTimeout())
		next, err := c.e.ledger.Transition(rec.Term, stUndelivered, reason, keep,
			c.termReport(renewd.ReportUndelivered, rec, reason, "renewd keeps checking; look at the order in the OVH manager"))
		if err != nil {
			log.Error("cannot record the missing delivery", "err", err)
			return rec
		}
		log.Error("renewal paid but not delivered", "order_id", rec.OrderID)
		return next
	}
	return rec
}

// expireApprovals turns approval requests past their deadline into
// approval_expired, and reports it. An expired request is never a yes.
func (c *cycle) expireApprovals() {
	recs, err := c.e.ledger.List(state.Filter{Statuses: []state.Status{stAwaitingApproval}, Account: c.account})
	if err != nil {
		c.log.Error("cannot list pending approvals", "err", err)
		return
	}
	for _, r := range recs {
		if r.Approval == nil || r.Approval.Decision != "" || c.now.Before(r.Approval.ExpiresAt) {
			continue
		}
		reason := fmt.Sprintf("approval request %s expired at %s without an answer; nothing was paid",
			r.Approval.ID, r.Approval.ExpiresAt.Format(time.RFC3339))
		tmp := r
		a := *r.Approval
		a.Decision, a.DecidedAt = "expired", c.now
		tmp.Approval = &a
		if _, err := c.e.ledger.Transition(r.Term, stApprovalExpired, reason, func(rec *state.Record) error {
			rec.Approval = &a
			return nil
		}, approvalReport(c.now, renewd.ReportApprovalUpdate, tmp, reason)); err != nil {
			c.log.Error("cannot expire an approval", "service_id", r.Term.ServiceID, "service", r.ServiceName,
				"term", r.Term.String(), "err", err)
			continue
		}
		c.log.Warn("approval request expired", "service_id", r.Term.ServiceID, "service", r.ServiceName, "approval_id", a.ID)
	}
}

// claimedElsewhere returns a test for orders the ledger already records for
// another term. Such an order is never adopted for this one: two services
// may share a name (a domain and the hosting sold with it), and an order
// matched by name alone could be the other's. The ledger is read once per
// cycle; orders recorded during the cycle are added as they are recorded.
// When the ledger cannot be read, every order counts as claimed, so nothing
// is adopted by mistake (the term then waits or fails, and is reported).
func (c *cycle) claimedElsewhere(term renewd.Term) func(orderID int64) bool {
	if c.claimed == nil {
		recs, err := c.e.ledger.List(state.Filter{})
		if err != nil {
			c.log.Error("cannot read the ledger's orders; adopting none", "err", err)
			return func(int64) bool { return true }
		}
		c.claimed = map[int64]renewd.Term{}
		for _, r := range recs {
			if r.OrderID != 0 {
				c.claimed[r.OrderID] = r.Term
			}
		}
	}
	return func(id int64) bool {
		t, ok := c.claimed[id]
		return ok && t != term
	}
}

// setOrder records an order on a term's record, and notes it as that
// term's for the rest of the cycle.
func (c *cycle) setOrder(r *state.Record, o ovh.Order) {
	r.OrderID = o.ID
	r.OrderUcents, r.OrderWithTaxUcents = o.WithoutTax.Ucents, o.WithTax.Ucents
	if o.WithoutTax.Currency != "" {
		r.Currency = o.WithoutTax.Currency
	}
	r.OrderExpires = o.Expires
	if c.claimed != nil {
		c.claimed[o.ID] = r.Term
	}
}
