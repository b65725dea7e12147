package renewal

import (
	"fmt"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

type gateKind int

const (
	gateOpen     gateKind = iota // go on and pay
	gateApproval                 // hold for a person's approval
	gateRefuse                   // refuse and report
)

type gateResult struct {
	kind gateKind
	why  string
}

// gate applies the cap, the approval rule and the monthly budget to a price.
// An approval binds to the price it was given for: a price above it, by even
// one micro-cent, asks again. A price that is not a usable amount
// (policy.PriceUnusable: not positive, or absurd) is refused before anything
// is compared.
func (c *cycle) gate(rule policy.Rule, price renewd.Money, t *term) gateResult {
	covered := t.found && t.rec.Approval.Approved() && price.Ucents <= t.rec.Approval.PriceUcents
	switch policy.CheckPrice(rule, price.Ucents) {
	case policy.PriceUnusable:
		return gateResult{gateRefuse, "the price is not usable: " + policy.PriceReason(rule, price.Ucents)}
	case policy.OverCapRefused:
		return gateResult{gateRefuse, "over the cap: " + policy.PriceReason(rule, price.Ucents)}
	case policy.OverCapHold:
		if !covered {
			return gateResult{gateApproval, "over the cap, held for approval: " + policy.PriceReason(rule, price.Ucents)}
		}
	case policy.NeedsApproval:
		if !covered {
			return gateResult{gateApproval, "the rule asks for approval: " + policy.PriceReason(rule, price.Ucents)}
		}
	}
	if over, why := c.overBudget(price, t.key); over {
		if c.s.Budget.Over == policy.OverCapApprove {
			if covered {
				return gateResult{gateOpen, ""}
			}
			return gateResult{gateApproval, why + "; held for approval"}
		}
		return gateResult{gateRefuse, why}
	}
	return gateResult{gateOpen, ""}
}

// inFlightStatuses are the statuses whose order the budget counts as
// committed (the larger of its order's price and its quote): an order is
// being made, is held for payment, or is being paid.
var inFlightStatuses = []state.Status{state.StatusOrdering, state.StatusOrdered, state.StatusPaying}

// overBudget reports whether paying price would take this month's spending
// over the budget. Spending is what the ledger records as paid since the
// first of the month (UTC), plus orders in flight, so a restart resets
// nothing and two renewals cannot both squeeze under the limit. A sum that
// cannot be read or added up is over the budget: renewd pays nothing it
// cannot count.
func (c *cycle) overBudget(price renewd.Money, self renewd.Term) (bool, string) {
	b := c.s.Budget
	if b == nil {
		return false, ""
	}
	if bad := c.e.ledger.Unreadable(); len(bad) > 0 {
		return true, fmt.Sprintf("the ledger holds %d record(s) renewd cannot read, so the month's spending cannot be counted", len(bad))
	}
	if price.Currency != "" && b.Currency != "" && price.Currency != b.Currency {
		return true, fmt.Sprintf("the price is in %s but the budget is in %s", price.Currency, b.Currency)
	}
	now := c.e.now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var spent int64
	add := func(v int64) bool {
		if v < 0 { // no amount renewd recorded is negative: one that is cannot be counted
			return false
		}
		sum, err := renewd.AddUcents(spent, v)
		spent = sum
		return err == nil
	}
	for _, a := range c.s.Accounts {
		m, err := c.e.ledger.SpentSince(a.Account(), month)
		if err != nil {
			return true, fmt.Sprintf("the month's spending cannot be read: %v", err)
		}
		for cur, v := range m {
			if (b.Currency == "" || cur == b.Currency) && !add(v) {
				return true, "the month's spending does not add up to a usable amount"
			}
		}
	}
	inflight, err := c.e.ledger.List(state.Filter{Statuses: inFlightStatuses})
	if err != nil {
		return true, fmt.Sprintf("orders in flight cannot be read: %v", err)
	}
	for _, r := range inflight {
		if r.Term != self && !add(max(r.OrderUcents, r.QuoteUcents)) {
			return true, "the orders in flight do not add up to a usable amount"
		}
	}
	if !add(c.e.planned.Load()) { // renewd plan: what earlier terms of the plan would commit
		return true, "the plan's renewals do not add up to a usable amount"
	}
	if !add(price.Ucents) {
		return true, "the price and the month's spending do not add up to a usable amount"
	}
	if spent > b.MonthlyUcents {
		return true, fmt.Sprintf("over the monthly budget: %s spent or committed + %s > %s",
			renewd.FormatAmount(spent-price.Ucents), renewd.FormatAmount(price.Ucents), renewd.Money{Ucents: b.MonthlyUcents, Currency: b.Currency})
	}
	return false, ""
}

// hold refuses the term or asks for approval, unless the ledger already says
// so for the same price (nothing new to report). A term that holds an order
// keeps it.
func (c *cycle) hold(t *term, g gateResult, price renewd.Money, services []int64) move {
	r := t.rec
	fill := func(rec *state.Record) {
		fillTerm(rec, t.svc, *t.rule)
		rec.Services = append([]int64(nil), services...)
		rec.QuoteUcents, rec.Currency = price.Ucents, price.Currency
	}
	if g.kind == gateRefuse {
		if t.found && r.Status == state.StatusRefused && r.QuoteUcents == price.Ucents {
			return stop(ActRefused, "%s", g.why)
		}
		m := write(state.StatusRefused, g.why, func(rec *state.Record) error { fill(rec); return nil },
			c.termReport(renewd.ReportRefused, g.why, "renewd checks the price again on every cycle while the service is due"))
		m.then = func(t *term) { t.log.Warn("renewal refused", "reason", g.why) }
		return m
	}
	if t.found && r.Status == state.StatusApprovalExpired && r.Approval != nil && !r.Approval.DecidedAt.Before(c.now) {
		return stop(ActAwaiting, "the approval request expired without an answer; asked again on the next cycle")
	}
	id, err := state.NewApprovalID()
	if err != nil {
		return c.failure(t, "make an approval id", err)
	}
	// A request answered after the service expired would come too late:
	// it ends at the expiration when that comes first, and is asked again
	// on the next cycle while the service is still due.
	now := c.e.now().UTC()
	deadline := now.Add(c.s.approvalTimeout())
	if exp := t.svc.Expiration.Start(); exp.After(now) && exp.Before(deadline) {
		deadline = exp
	}
	m := write(state.StatusAwaitingApproval, g.why, func(rec *state.Record) error {
		fill(rec)
		rec.Approval = &state.Approval{ID: id, PriceUcents: price.Ucents, RequestedAt: now, ExpiresAt: deadline}
		return nil
	}, func(stored state.Record) []state.Report {
		return []state.Report{approvalReport(renewd.ReportApprovalRequest, stored, g.why)}
	})
	m.then = func(t *term) {
		t.log.Info("renewal held for approval", "approval_id", id, "reason", g.why, "expires", deadline)
	}
	return m
}

func fillTerm(r *state.Record, svc renewd.Service, rule policy.Rule) {
	r.ServiceName, r.ServiceType, r.Rule = svc.Name, svc.Type, rule.Name
	r.Period = rule.Period.String()
	r.CapUcents = rule.MaxPrice
	r.Payment = rule.Payment
}

func decidedBy(r state.Record) string {
	if r.Approval != nil && r.Approval.DecidedBy != "" {
		return r.Approval.DecidedBy
	}
	return "an approver"
}
