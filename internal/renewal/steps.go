package renewal

import (
	"fmt"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// next is the machine: the one move to make now for the term. It reads the
// term's record and facts and, for the budget and the term's siblings, the
// ledger; it makes no OVH call and writes nothing.
//
//	status                     step                           moves
//	(none), due, refused,      start                          adopt (-> ordered) | hold (-> awaiting_approval,
//	approval_expired,                                         refused) | order intent (-> ordering) | stop
//	approved, failed
//	ordering                   ordering: make the call, or    create | -> ordered (the order found) |
//	                           find what it created           -> due (nothing, settled) | stop
//	ordered, and any status    withOrder, then                -> paid | -> due (gone, expired) | hold |
//	that holds an order        decideWithOrder: WHEN TO PAY   -> ordered (resume) | -> paying | stop
//	paying                     paying: make the call, or      pay | -> paid | -> due | -> ordered (still
//	                           read what it did               unpaid, settled) | stop
//	paid, undelivered          followDelivery                 -> delivered | -> undelivered | stop
//	delivered, denied          final for the term             stop
func (c *cycle) next(t *term) move {
	switch {
	case t.failedNow:
		return stop(ActFailed, "%s; %s", t.rec.LastError, c.retryText(t.rec))
	case t.stopPending:
		return stop(ActPending, "%s; renewd reads OVH again on the next cycle, before anything is retried", t.noteErr)
	case t.writeErr != nil:
		err := t.writeErr
		t.writeErr = nil
		return c.failure(t, "record the step", err)
	case t.fetchErr != nil:
		return c.afterFetchError(t)
	case !t.found:
		return c.start(t)
	}
	r := t.rec
	switch r.Status {
	case state.StatusDelivered:
		return stop(ActDelivered, "renewed: the expiration moved to %s", r.NewExpiration)
	case state.StatusDenied:
		return stop(ActDenied, "denied by %s", decidedBy(r))
	case state.StatusPaid, state.StatusUndelivered:
		if t.paidNow {
			return stop(ActPaid, "%s", r.Reason)
		}
		return c.followDelivery(t)
	case state.StatusOrdering:
		return c.ordering(t)
	case state.StatusPaying:
		return c.paying(t)
	}
	if r.HoldsOrder() {
		return c.withOrder(t)
	}
	if r.MoneyInFlight() { // failed after an order call whose outcome was never known
		return c.ordering(t)
	}
	return c.start(t)
}

// start handles a term that holds no live order: adopt one OVH holds, or
// price, gate, re-read and write the order intent.
func (c *cycle) start(t *term) move {
	r := t.rec
	if !t.listedAsThisTerm() {
		return c.notActing(t)
	}
	if t.found && r.Status == state.StatusAwaitingApproval && r.Approval.Pending() {
		return stop(ActAwaiting, "waiting for approval until %s", stamp(r.Approval.ExpiresAt))
	}
	if t.found && (r.Status == state.StatusFailed || r.Status == state.StatusDue) {
		// A failed term reconciled back to due still waits for its next
		// attempt.
		if m, wait := c.retryWait(t); wait {
			return m
		}
	}
	if why, blocked, err := c.earlierInFlight(t); err != nil {
		return c.failure(t, "read the service's other terms", err)
	} else if blocked {
		return stop(ActPending, "%s", why)
	}
	if !c.haveClock {
		return fetch(factClock, 0)
	}
	held, need := c.lookBook(t, t.svc.Name, t.rule.Period, c.clockNow().Add(-adoptWindow))
	if need != nil {
		return *need
	}
	if held != nil {
		switch {
		case held.status.Unpaid() && held.alive(c.clockNow()):
			return write(state.StatusOrdered,
				fmt.Sprintf("adopted unpaid order %d that OVH already held for this service", held.order.ID),
				c.recordOrder(t, held.order, true), nil)
		case held.status == ovh.StatusDelivered:
			// It renewed an earlier term: not this one's, ignored.
		case held.status.Paid():
			return stop(ActPending, "OVH is delivering a paid renewal order (%d, %s) for this service; waiting for the new expiration", held.order.ID, held.status)
		case !held.status.Unpaid():
			return stop(ActPending, "OVH holds renewal order %d for this service in status %q; renewd orders nothing beside it", held.order.ID, held.status)
		}
	}
	if !t.haveStrat {
		return fetch(factStrategies, 0)
	}
	strat, ok := ovh.ChooseStrategy(t.strategies, t.svc.ID, t.rule.Period, t.rule.AllowBundle)
	if !ok {
		return c.failure(t, "choose a renewal strategy",
			fmt.Errorf("OVH offers no %s renewal of this service alone (offered: %s)", t.rule.Period, offered(t.strategies)))
	}
	if strat.PriceErr != nil {
		return c.failure(t, "read the renewal's price", fmt.Errorf("OVH's price for %s cannot be used: %w", strat.PeriodText, strat.PriceErr))
	}
	price := strat.Price
	t.price = price
	if g := c.gate(*t.rule, price, t); g.kind != gateOpen {
		return c.hold(t, g, price, strat.Services)
	}
	// Check again just before the irreversible step: the service may have
	// been renewed (by hand, or by OVH) since the inventory.
	if t.fresh == nil {
		return fetch(factFresh, 0)
	}
	switch f := t.fresh; {
	case f.Problem != "":
		return c.failure(t, "re-read the service before ordering", fmt.Errorf("OVH's answer cannot be read: %s", f.Problem))
	case f.Expiration.IsZero():
		return c.failure(t, "re-read the service before ordering", fmt.Errorf("OVH gives no expiration for it now"))
	case f.Expiration.After(t.key.Expiration):
		return stop(ActRenewedElsewhere, "the re-read shows the expiration moved to %s: renewed by other means; the next cycle sees the new term", f.Expiration)
	case f.Expiration.Before(t.key.Expiration):
		return c.failure(t, "re-read the service before ordering",
			fmt.Errorf("OVH now gives an earlier expiration (%s) than the inventory did (%s)", f.Expiration, t.key.Expiration))
	case f.RenewMode != renewd.RenewManual:
		return stop(ActPending, "the re-read says OVH renews it %s now (%s); nothing ordered", f.RenewMode, f.RawRenewMode)
	}
	if c.stopping() {
		return stop(ActPending, "renewd is stopping: nothing new is ordered; the next cycle goes on")
	}
	m := write(state.StatusOrdering, fmt.Sprintf("ordering: %s, %s", t.d.Reason, policy.PriceReason(*t.rule, price.Ucents)),
		func(r *state.Record) error {
			fillTerm(r, t.svc, *t.rule)
			if strat.PeriodText != "" {
				r.Period = strat.PeriodText // what is sent back as the order's duration
			}
			r.Services = append([]int64(nil), strat.Services...)
			r.QuoteUcents, r.Currency = price.Ucents, price.Currency
			r.IntentOVH = c.clockNow()
			r.LastError = ""
			return nil
		}, nil)
	m.then = func(t *term) { t.ownOrdering, t.called = true, false }
	return m
}

// ordering carries out the term's own order intent, or settles one found in
// the ledger: adopt the order it created, or start over once OVH has had
// time to show it and shows nothing.
func (c *cycle) ordering(t *term) move {
	r := t.rec
	if t.ownOrdering && !t.called {
		if c.stopping() {
			return stop(ActPending, "renewd is stopping before the order call; the intent is reconciled on the next cycle")
		}
		return move{kind: mvCreate}
	}
	if !c.haveClock {
		return fetch(factClock, 0)
	}
	period, err := renewd.ParsePeriod(r.Period)
	if err != nil {
		return stop(ActPending, "the ledger's record has a period renewd cannot read (%q); left for an operator", r.Period)
	}
	found, need := c.lookBook(t, r.ServiceName, period, r.IntentOVH.Add(-reconcileMargin))
	if need != nil {
		return *need
	}
	if found != nil {
		return write(state.StatusOrdered,
			fmt.Sprintf("reconciled: OVH holds order %d for this renewal (status %s); recorded", found.order.ID, found.status),
			c.recordOrder(t, found.order, false), nil)
	}
	if !c.settled(r.IntentOVH, r.CallEndOVH) {
		return stop(ActPending, "the order call's outcome is not known yet and OVH shows no order so far; checked again on the next cycle")
	}
	return write(state.StatusDue, fmt.Sprintf("reconciled: OVH shows no order for this renewal since the intent at %s; safe to order again",
		stamp(r.IntentOVH)), nil, nil)
}

// paying carries out the term's own payment intent, or settles one found in
// the ledger by the order's status at OVH.
func (c *cycle) paying(t *term) move {
	r := t.rec
	if t.ownPaying && !t.called {
		if c.stopping() {
			return stop(ActPending, "renewd is stopping before the payment call; the intent is reconciled on the next cycle")
		}
		return move{kind: mvPay}
	}
	st, ok := t.status(r.OrderID)
	if !ok {
		return fetch(factStatus, r.OrderID)
	}
	switch {
	case st.Paid():
		return c.recordPaid(t, r.OrderID, st)
	case st.Gone():
		return write(state.StatusDue, fmt.Sprintf("reconciled: order %d is %s at OVH; nothing was paid", r.OrderID, st), nil, nil)
	case !st.Unpaid():
		return stop(ActPending, "order %d has status %q, which renewd neither pays nor counts as paid", r.OrderID, st)
	}
	if !c.haveClock {
		return fetch(factClock, 0)
	}
	if !c.settled(r.PayIntentOVH, r.CallEndOVH) {
		return stop(ActPending, "the payment of order %d is not visible at OVH yet; its outcome is checked again before anything is retried", r.OrderID)
	}
	return write(state.StatusOrdered, fmt.Sprintf("reconciled: OVH shows order %d still unpaid after the payment call", r.OrderID), nil, nil)
}

// withOrder settles what the order a term holds has become at OVH (paid,
// gone, expired, still unpaid), then decides.
func (c *cycle) withOrder(t *term) move {
	r := t.rec
	for _, id := range r.OtherOrders { // a merged record: one paid pays the term
		st, ok := t.status(id)
		if !ok {
			return fetch(factStatus, id)
		}
		if st.Paid() {
			return c.recordPaid(t, id, st)
		}
	}
	st, ok := t.status(r.OrderID)
	if !ok {
		return fetch(factStatus, r.OrderID)
	}
	switch {
	case st.Paid():
		return c.recordPaid(t, r.OrderID, st)
	case st.Gone():
		return write(state.StatusDue, fmt.Sprintf("order %d is %s at OVH; nothing was paid", r.OrderID, st), nil, nil)
	case !st.Unpaid():
		return stop(ActPending, "order %d is in a state renewd neither pays nor counts as paid (%q)", r.OrderID, st)
	}
	o, ok := t.order(r.OrderID)
	if !ok {
		return fetch(factOrder, r.OrderID)
	}
	if !c.haveClock {
		return fetch(factClock, 0)
	}
	if !o.Expires.IsZero() && !c.clockNow().Before(o.Expires) {
		return write(state.StatusDue, fmt.Sprintf("order %d expired unpaid at %s (OVH's clock)", r.OrderID, stamp(o.Expires)), nil, nil)
	}
	return c.decideWithOrder(t, o)
}

// decideWithOrder is where renewd decides to pay. The term holds order o,
// which OVH shows unpaid and alive now. renewd pays it only when all hold:
// the term waits for no retry, no approval is pending, this cycle's
// inventory lists the service with this term's expiration and a renew rule
// finds it due, the order's own price is readable and passes the cap, the
// approval rule (an approval covers this price exactly or more) and the
// monthly budget, and renewd is not stopping. It then writes the payment
// intent; paying makes the call.
func (c *cycle) decideWithOrder(t *term, o ovh.Order) move {
	r := t.rec
	if r.Status == state.StatusFailed {
		if m, wait := c.retryWait(t); wait {
			return m
		}
	}
	if r.Status == state.StatusAwaitingApproval && r.Approval.Pending() {
		return stop(ActAwaiting, "waiting for approval until %s; order %d is kept", stamp(r.Approval.ExpiresAt), o.ID)
	}
	if !t.listedAsThisTerm() {
		return stop(ActPending, "order %d is kept unpaid: %s", o.ID, c.whyNotNow(t))
	}
	if o.PriceErr != nil {
		return c.failure(t, fmt.Sprintf("read order %d's price", o.ID), fmt.Errorf("it cannot be used, so the order is left unpaid: %w", o.PriceErr))
	}
	price := o.WithoutTax
	t.price = price
	if g := c.gate(*t.rule, price, t); g.kind != gateOpen {
		g.why = fmt.Sprintf("order %d costs %s: %s", o.ID, price, g.why)
		if g.kind == gateRefuse {
			g.why += "; the order is left unpaid and expires by itself"
		}
		return c.hold(t, g, price, r.Services)
	}
	if r.Status != state.StatusOrdered {
		return write(state.StatusOrdered, fmt.Sprintf("order %d goes on to payment (%s)", o.ID, price), nil, nil)
	}
	if c.stopping() {
		return stop(ActPending, "renewd is stopping: order %d is paid on the next cycle", o.ID)
	}
	form := t.rule.Payment
	m := write(state.StatusPaying, fmt.Sprintf("paying order %d (%s) with %s", o.ID, price, form), func(rec *state.Record) error {
		rec.OrderUcents, rec.OrderWithTaxUcents = o.WithoutTax.Ucents, o.WithTax.Ucents
		rec.OrderExpires = o.Expires
		rec.Payment = form
		rec.PayIntentOVH = c.clockNow()
		return nil
	}, nil)
	m.then = func(t *term) { t.ownPaying, t.called = true, false }
	return m
}

// followDelivery checks that a paid term was delivered: the service's
// expiration date moved later. One not delivered within the delivery
// timeout is reported once.
func (c *cycle) followDelivery(t *term) move {
	r := t.rec
	svc := t.svc
	if svc.ID == 0 {
		if t.fresh == nil {
			return fetch(factFresh, 0)
		}
		svc = *t.fresh
	}
	if svc.Problem != "" {
		return stop(ActAlreadyPaid, "order %d paid; the service's expiration cannot be read now: %s", r.OrderID, svc.Problem)
	}
	if svc.Expiration.After(r.Term.Expiration) {
		exp := svc.Expiration
		return write(state.StatusDelivered, fmt.Sprintf("delivered: the expiration moved from %s to %s", r.Term.Expiration, exp),
			func(rec *state.Record) error { rec.NewExpiration = exp; return nil },
			c.termReport(renewd.ReportDelivered, "", ""))
	}
	if r.Status == state.StatusPaid && c.e.now().Sub(r.PaidAt) > c.s.deliveryTimeout() {
		return write(state.StatusUndelivered, fmt.Sprintf("paid order %d at %s, but the expiration has not moved after %s",
			r.OrderID, stamp(r.PaidAt), c.s.deliveryTimeout()), nil,
			c.termReport(renewd.ReportUndelivered, "", "renewd keeps checking; look at the order in the OVH manager"))
	}
	return stop(ActAlreadyPaid, "order %d paid; waiting for OVH to deliver", r.OrderID)
}

// recordPaid records that OVH shows one of the term's orders paid.
func (c *cycle) recordPaid(t *term, orderID int64, status ovh.OrderStatus) move {
	reason := fmt.Sprintf("reconciled: OVH shows order %d paid (status %s)", orderID, status)
	m := write(state.StatusPaid, reason, func(r *state.Record) error {
		if orderID != r.OrderID { // one of a merged record's other orders
			others := []int64{}
			for _, id := range r.OtherOrders {
				if id != orderID {
					others = append(others, id)
				}
			}
			r.OtherOrders = append(others, r.OrderID)
			r.OrderID = orderID
			if o, ok := t.order(orderID); ok {
				r.OrderUcents, r.OrderWithTaxUcents = o.WithoutTax.Ucents, o.WithTax.Ucents
			}
		}
		return nil
	}, c.outcomeReports(renewd.ReportRenewed, "paid"))
	m.then = func(t *term) {
		t.log.Info("payment confirmed by OVH", "order_id", orderID, "order_status", status)
		c.paidThen(t)
	}
	return m
}

// notActing is the outcome of a term renewd may not act on now.
func (c *cycle) notActing(t *term) move {
	if t.found && t.rec.Status == state.StatusAwaitingApproval && t.rec.Approval.Pending() {
		return stop(ActAwaiting, "waiting for approval until %s", stamp(t.rec.Approval.ExpiresAt))
	}
	return stop(ActNothing, "%s", c.whyNotNow(t))
}

func (c *cycle) whyNotNow(t *term) string {
	switch {
	case t.svc.ID == 0:
		return "the service is not in this cycle's inventory"
	case t.svc.Term() != t.key:
		return fmt.Sprintf("the service's expiration is %s now, not this term's %s", t.svc.Expiration, t.key.Expiration)
	case t.d.Verdict != policy.Renew:
		return fmt.Sprintf("no renew rule finds it due now (%s: %s)", t.d.Verdict, t.d.Reason)
	}
	return "renewd does not act on it now"
}

// earlierInFlight reports whether another term of the service has money in
// flight: two terms must never both be ordered.
func (c *cycle) earlierInFlight(t *term) (string, bool, error) {
	recs, err := c.e.ledger.ForService(t.key.Account, t.key.ServiceID)
	if err != nil {
		return "", false, err
	}
	for _, r := range recs {
		if r.Term != t.key && r.MoneyInFlight() {
			return fmt.Sprintf("an earlier order for this service (term %s, %s) is still being reconciled", r.Term, r.Status), true, nil
		}
	}
	return "", false, nil
}

// retryWait stops a failed term until its next attempt. A next attempt
// further away than the schedule allows, or a record updated in the future,
// means the local clock went back: the wait is rescheduled from now (a
// Touch) and reported, so a backward jump cannot leave a due service
// waiting for days.
func (c *cycle) retryWait(t *term) (move, bool) {
	r := t.rec
	now := c.e.now()
	if r.NextAttempt.IsZero() || !now.Before(r.NextAttempt) {
		return move{}, false
	}
	if r.Updated.After(now.Add(clockSlack)) || r.NextAttempt.Sub(now) > c.s.maxRetryAfter()+clockSlack {
		wait := min(max(r.NextAttempt.Sub(r.Updated), 0), c.s.maxRetryAfter())
		next := now.Add(wait)
		m := move{kind: mvWrite, touch: true, mutate: func(rec *state.Record) error {
			rec.NextAttempt = next
			return nil
		}}
		m.then = func(t *term) { c.clockWentBack(t, r.NextAttempt, next) }
		return m, true
	}
	return stop(ActFailed, "%s; %s", r.LastError, c.retryText(r)), true
}

// clockSlack is how far in the future a stored time may be before it
// counts as a sign that the clock went back: the ledger's clock and the
// cycle's are read a moment apart.
const clockSlack = time.Minute

func (c *cycle) retryText(r state.Record) string {
	s := "renewd tries again after " + stamp(r.NextAttempt)
	if r.OrderID != 0 && r.PaidAt.IsZero() {
		s += fmt.Sprintf("; order %d stays unpaid until then, and its status is read at OVH first", r.OrderID)
	}
	return s
}

// afterFetchError decides what a failed read means: a term with money in
// flight waits (nothing is retried blind, and reconciliation tries again on
// the next cycle); a paid term goes on waiting for delivery; any other
// failure is recorded and reported.
func (c *cycle) afterFetchError(t *term) move {
	fe := t.fetchErr
	t.fetchErr = nil
	switch {
	case t.found && t.rec.Paid():
		return stop(ActAlreadyPaid, "order %d paid; %s failed: %v", t.rec.OrderID, fe.what, fe.err)
	case t.found && (t.rec.MoneyInFlight() || t.rec.HoldsOrder()):
		t.noteErr = fmt.Sprintf("%s: %v", fe.what, fe.err)
		return move{kind: mvWrite, touch: true, mutate: func(r *state.Record) error { r.LastError = t.noteErr; return nil },
			then: func(t *term) { t.stopPending = true }}
	}
	return c.failure(t, fe.what, fe.err)
}
