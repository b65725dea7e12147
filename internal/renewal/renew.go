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
			// The term holds an order: pay it only when OVH shows it unpaid
			// and alive, right now.
			rec, payable := c.orderStanding(ctx, log, rec)
			out.Status = string(rec.Status)
			switch {
			case rec.Paid():
				out.Action, out.Reason = ActAlreadyPaid, fmt.Sprintf("OVH shows order %d paid", rec.OrderID)
				return out
			case payable:
				return c.payExisting(ctx, log, svc, rule, rec, out)
			case rec.OrderID != 0:
				out.Action = ActPending
				out.Reason = fmt.Sprintf("order %d is in a state renewd neither pays nor counts as paid; %s", rec.OrderID, rec.LastError)
				return out
			}
			return c.start(ctx, log, svc, rule, rec, true, out)
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
	if strat.PriceErr != nil {
		// Never compared with the cap: the price OVH sent is not one.
		return c.fail(out, term, svc, rule, "read the renewal price", strat.PriceErr)
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
	if fresh.Expiration != svc.Expiration {
		out.Action = ActNothing
		out.Reason = fmt.Sprintf("the expiration moved to %s since the inventory; the next cycle sees the new term", fresh.Expiration)
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
	order, err := c.ovh.CreateRenewOrder(context.WithoutCancel(ctx), svc.ID, strat)
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
