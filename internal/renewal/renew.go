package renewal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// adoptWindow is how far back renewd looks for an unpaid renewal order that
// OVH already holds for a service before it creates one. OVH lets an unpaid
// order live about a day; twice that leaves a margin.
const adoptWindow = 48 * time.Hour

// renew carries a due, covered, manually renewed service as far as it can go
// in this cycle: from wherever its term stands in the ledger to paid.
func (c *cycle) renew(ctx context.Context, svc renewd.Service, rule policy.Rule, out Outcome) Outcome {
	log := c.log.With("service_id", svc.ID, "service", svc.Name, "rule", rule.Name)
	term := svc.Term()
	out.Price = renewd.Money{}

	// An earlier term of this service with money in flight is settled first:
	// two terms must never both be ordered.
	recs, err := c.e.ledger.ForService(svc.Account, svc.ID)
	if err != nil {
		return c.fail(out, term, svc, rule, "read the ledger", err)
	}
	for _, r := range recs {
		if r.Term != term && r.MoneyInFlight() {
			out.Action, out.Status = ActPending, string(r.Status)
			out.Reason = fmt.Sprintf("an earlier order for this service (term %s, %s) is still being reconciled", r.Term, r.Status)
			log.Warn("renewal held back", "reason", out.Reason)
			return out
		}
	}

	rec, ok, err := c.e.ledger.Get(term)
	if err != nil {
		return c.fail(out, term, svc, rule, "read the ledger", err)
	}
	if ok {
		out.Status, out.OrderID = string(rec.Status), rec.OrderID
		switch rec.Status {
		case stPaid, stUndelivered:
			out.Action, out.Reason = ActAlreadyPaid, fmt.Sprintf("order %d paid; waiting for OVH to deliver", rec.OrderID)
			return out
		case stDelivered:
			out.Action, out.Reason = ActDelivered, "renewed"
			return out
		case stDenied:
			out.Action, out.Reason = ActDenied, "denied by "+decidedBy(rec)
			return out
		case stAwaitingApproval:
			out.Action, out.Reason = ActAwaiting, "waiting for approval"
			if rec.Approval != nil {
				out.Reason = fmt.Sprintf("waiting for approval until %s", rec.Approval.ExpiresAt.Format("2006-01-02 15:04 MST"))
			}
			return out
		case stOrdering, stPaying:
			// Reconciliation at the start of the cycle could not settle it.
			out.Action, out.Reason = ActPending, "the outcome of an earlier call is not known yet; it is reconciled before anything else"
			return out
		}
		if rec.MoneyInFlight() && rec.OrderID == 0 {
			// An order intent whose outcome reconciliation could not settle.
			out.Action, out.Reason = ActPending, "an earlier order call's outcome is not known yet; it is reconciled before anything else"
			return out
		}
		// A failed order call leaves the term failed with an order intent;
		// reconciliation returns it to due once OVH shows no order. It still
		// waits for its next attempt.
		if (rec.Status == stFailed || rec.Status == stDue) && c.now.Before(rec.NextAttempt) {
			out.Action = ActFailed
			out.Reason = fmt.Sprintf("%s; next try after %s", rec.LastError, rec.NextAttempt.Format("2006-01-02 15:04 MST"))
			return out
		}
		if rec.OrderID != 0 && !rec.Paid() {
			// The term holds an order: read what OVH says of it first (the
			// cycle's start did so for ordered and failed terms).
			if rec.Status != stOrdered && rec.Status != stFailed {
				rec = c.reconcileOrder(ctx, log, rec)
			}
			out.Status = string(rec.Status)
			switch {
			case rec.Paid():
				out.Action, out.Reason = ActAlreadyPaid, fmt.Sprintf("OVH shows order %d paid", rec.OrderID)
				return out
			case rec.OrderID != 0:
				return c.payExisting(ctx, log, svc, rule, rec, out)
			}
		}
	}
	return c.start(ctx, log, svc, rule, rec, ok, out)
}

// start prices a term that holds no live order, passes the approval and
// budget gates, and orders.
func (c *cycle) start(ctx context.Context, log *slog.Logger, svc renewd.Service, rule policy.Rule, rec state.Record, exists bool, out Outcome) Outcome {
	term := svc.Term()

	// Adopt an unpaid renewal order that OVH already holds for this service
	// (left by a crash, or ordered by hand) rather than create a second one.
	order, status, found, err := c.ovh.FindRenewOrder(ctx, c.now.Add(-adoptWindow), svc.Name, rule.Period, c.claimedElsewhere(term))
	if err != nil {
		return c.fail(out, term, svc, rule, "look for an existing renewal order", err)
	}
	switch {
	case found && status == "notPaid" && (order.Expires.IsZero() || c.now.Before(order.Expires)):
		log.Info("adopting a renewal order OVH already holds", "order_id", order.ID, "order_status", status)
		rec, err := c.adopt(term, svc, rule, order, "adopted unpaid order %d that OVH already held for this service", order.ID)
		if err != nil {
			return c.fail(out, term, svc, rule, "record the adopted order", err)
		}
		return c.payExisting(ctx, log, svc, rule, rec, out)
	case found && orderPaid(status) && status != "delivered":
		// Someone paid a renewal of this service (by hand, or a renewd that
		// lost its ledger) and OVH is delivering it: the expiration is about
		// to move. Ordering now could pay twice; the next cycle sees the
		// new term. A delivered order renewed an earlier term: ignored.
		out.Action = ActPending
		out.Reason = fmt.Sprintf("OVH is delivering a paid renewal order (%d, %s) for this service; waiting for the new expiration", order.ID, status)
		log.Warn("renewal held back", "order_id", order.ID, "order_status", status, "reason", out.Reason)
		return out
	}

	strategies, err := c.ovh.RenewStrategies(ctx, svc.ID)
	if err != nil {
		return c.fail(out, term, svc, rule, "read the renewal strategies", err)
	}
	strat, ok := ovh.ChooseStrategy(strategies, svc.ID, rule.Period, rule.AllowBundle)
	if !ok {
		return c.fail(out, term, svc, rule, "choose a renewal strategy",
			fmt.Errorf("OVH offers no %s renewal of this service alone (offered: %s)", rule.Period, offered(strategies)))
	}
	price := strat.Price
	out.Price = price

	if gate, why := c.gate(rule, price, rec, exists); gate != gateOpen {
		return c.hold(log, gate, why, svc, rule, strat, price, rec, exists, out)
	}

	// Check again just before the irreversible step: the service may have
	// been renewed (by hand, or by OVH) since the inventory.
	fresh, err := c.ovh.Service(ctx, svc.ID)
	if err != nil {
		return c.fail(out, term, svc, rule, "re-read the service before ordering", err)
	}
	if !fresh.Expiration.Equal(svc.Expiration) {
		out.Action = ActNothing
		out.Reason = fmt.Sprintf("the expiration moved to %s since the inventory; the next cycle sees the new term", fresh.Expiration.Format("2006-01-02"))
		return out
	}
	return c.order(ctx, log, svc, rule, strat, price, out)
}

// order writes the intent, creates the order, records it, and goes on to pay.
func (c *cycle) order(ctx context.Context, log *slog.Logger, svc renewd.Service, rule policy.Rule, strat ovh.Strategy, price renewd.Money, out Outcome) Outcome {
	term := svc.Term()
	reason := fmt.Sprintf("ordering: %s, %s", out.Reason, policy.PriceReason(rule, price.Ucents))
	rec, err := c.e.ledger.Transition(term, stOrdering, reason, func(r *state.Record) error {
		fillTerm(r, svc, rule)
		r.Services = append([]int64(nil), strat.Services...)
		r.QuoteUcents, r.Currency = price.Ucents, price.Currency
		r.IntentAt = c.now
		r.OrderID, r.OrderUcents, r.OrderWithTaxUcents = 0, 0, 0
		r.LastError = ""
		return nil
	})
	if err != nil {
		return c.fail(out, term, svc, rule, "record the order intent", err)
	}
	log.Info("creating renewal order", "period", rule.Period.String(), "price", price.String(), "services", strat.Services)

	// The call runs to its own timeout even when the daemon is stopping, so
	// that its answer is recorded.
	order, err := c.ovh.CreateRenewOrder(context.WithoutCancel(ctx), svc.ID, rule.Period, strat.Services)
	if err != nil {
		if errors.Is(err, ovh.ErrRejected) {
			return c.fail(out, term, svc, rule, "create the renewal order", err)
		}
		// The order may exist all the same: reconcile, never retry blind.
		log.Warn("renewal order outcome unknown; reconciling", "err", err)
		c.note(term, svc.Name, fmt.Sprintf("create order: outcome unknown: %v", err))
		rec = c.reconcile(ctx, rec)
		out.Status, out.OrderID = string(rec.Status), rec.OrderID
		if rec.Status == stOrdered {
			return c.payExisting(ctx, log, svc, rule, rec, out)
		}
		out.Action = ActPending
		out.Reason = "the order call's outcome is unknown; it is reconciled against OVH before anything is retried"
		return out
	}
	rec, err = c.e.ledger.Transition(term, stOrdered, fmt.Sprintf("order %d created at %s", order.ID, order.WithoutTax), func(r *state.Record) error {
		c.setOrder(r, order)
		return nil
	})
	if err != nil {
		// The order exists at OVH but is not recorded: the term stays
		// `ordering`, and reconciliation adopts the order.
		return c.fail(out, term, svc, rule, "record the created order", err)
	}
	return c.pay(ctx, log, svc, rule, rec, order, out)
}

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

func fillTerm(r *state.Record, svc renewd.Service, rule policy.Rule) {
	r.ServiceName, r.ServiceType, r.Rule = svc.Name, svc.Type, rule.Name
	r.Period = rule.Period.String()
	r.CapUcents = rule.MaxPrice
	r.Payment = rule.Payment
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

func decidedBy(r state.Record) string {
	if r.Approval != nil && r.Approval.DecidedBy != "" {
		return r.Approval.DecidedBy
	}
	return "an approver"
}
