package renewal

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

type gateKind int

const (
	gateOpen     gateKind = iota // go on and pay
	gateApproval                 // hold for a person's approval
	gateRefuse                   // refuse and report
)

// gate applies the cap, the approval rule and the monthly budget to a price.
// An approval binds to the price it was given for: a higher price asks again.
func (c *cycle) gate(rule policy.Rule, price renewd.Money, rec state.Record, exists bool) (gateKind, string) {
	approved := int64(-1)
	if exists && rec.Approval != nil && rec.Approval.Decision == "approved" {
		approved = rec.Approval.PriceUcents
	}
	covered := price.Ucents <= approved
	switch policy.CheckPrice(rule, price.Ucents) {
	case policy.OverCapRefused:
		return gateRefuse, "over the cap: " + policy.PriceReason(rule, price.Ucents)
	case policy.OverCapHold:
		if !covered {
			return gateApproval, "over the cap, held for approval: " + policy.PriceReason(rule, price.Ucents)
		}
	case policy.NeedsApproval:
		if !covered {
			return gateApproval, "the rule asks for approval: " + policy.PriceReason(rule, price.Ucents)
		}
	}
	if over, why := c.overBudget(price, rec.Term); over {
		if c.s.Budget.Over == policy.OverCapApprove {
			if covered {
				return gateOpen, ""
			}
			return gateApproval, why + "; held for approval"
		}
		return gateRefuse, why
	}
	return gateOpen, ""
}

// overBudget reports whether paying price would take this month's spending
// over the budget. Spending is what the ledger records as paid since the
// first of the month (UTC), plus orders in flight, so a restart resets
// nothing and two renewals cannot both squeeze under the limit.
func (c *cycle) overBudget(price renewd.Money, self renewd.Term) (bool, string) {
	b := c.s.Budget
	if b == nil {
		return false, ""
	}
	if price.Currency != "" && b.Currency != "" && price.Currency != b.Currency {
		return true, fmt.Sprintf("the price is in %s but the budget is in %s", price.Currency, b.Currency)
	}
	month := time.Date(c.now.Year(), c.now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var spent int64
	for _, a := range c.s.Accounts {
		m, err := c.e.ledger.SpentSince(a.Account(), month)
		if err != nil {
			return true, fmt.Sprintf("the month's spending cannot be read: %v", err)
		}
		spent += m[b.Currency]
		if b.Currency == "" {
			for _, v := range m {
				spent += v
			}
		}
	}
	inflight, err := c.e.ledger.List(state.Filter{Statuses: []state.Status{stOrdering, stOrdered, stPaying}})
	if err != nil {
		return true, fmt.Sprintf("orders in flight cannot be read: %v", err)
	}
	for _, r := range inflight {
		if r.Term == self {
			continue
		}
		spent += max(r.OrderUcents, r.QuoteUcents)
	}
	if spent+price.Ucents > b.MonthlyUcents {
		return true, fmt.Sprintf("over the monthly budget: %s spent or committed + %s > %s",
			renewd.FormatAmount(spent), renewd.FormatAmount(price.Ucents), renewd.Money{Ucents: b.MonthlyUcents, Currency: b.Currency})
	}
	return false, ""
}

// hold refuses the term or asks for approval, unless the ledger already says
// so for the same price (nothing new to report).
func (c *cycle) hold(log *slog.Logger, gate gateKind, why string, svc renewd.Service, rule policy.Rule, strat ovh.Strategy, price renewd.Money, rec state.Record, exists bool, out Outcome) Outcome {
	term := svc.Term()
	fill := func(r *state.Record) {
		fillTerm(r, svc, rule)
		r.Services = append([]int64(nil), strat.Services...)
		r.QuoteUcents, r.Currency = price.Ucents, price.Currency
	}
	out.Price = price
	if gate == gateRefuse {
		out.Action, out.Reason = ActRefused, why
		if exists && rec.Status == stRefused && rec.QuoteUcents == price.Ucents {
			out.Status = string(rec.Status)
			return out
		}
		tmp := rec
		tmp.Term = term
		fill(&tmp)
		rec, err := c.e.ledger.Transition(term, stRefused, why, func(r *state.Record) error {
			fill(r)
			return nil
		}, c.termReport(renewd.ReportRefused, tmp, why, "renewd checks the price again on every cycle while the service is due"))
		if err != nil {
			return c.fail(out, term, svc, rule, "record the refusal", err)
		}
		log.Warn("renewal refused", "reason", why)
		out.Status = string(rec.Status)
		return out
	}

	out.Action, out.Reason = ActAwaiting, why
	if exists && rec.Status == stAwaitingApproval && rec.Approval != nil && rec.Approval.Decision == "" &&
		rec.Approval.PriceUcents == price.Ucents {
		out.Status = string(rec.Status)
		return out
	}
	if exists && rec.Status == stApprovalExpired && rec.Approval != nil && !rec.Approval.DecidedAt.Before(c.now) {
		out.Status = string(rec.Status)
		out.Reason = "the approval request expired without an answer; asked again on the next cycle"
		return out
	}
	id, err := state.NewApprovalID()
	if err != nil {
		return c.fail(out, term, svc, rule, "make an approval id", err)
	}
	// A request answered after the service expired would come too late:
	// it ends at the expiration when that comes first, and is asked again
	// on the next cycle while the service is still due.
	deadline := c.now.Add(c.s.approvalTimeout())
	if svc.Expiration.After(c.now) && svc.Expiration.Before(deadline) {
		deadline = svc.Expiration
	}
	approval := &state.Approval{ID: id, PriceUcents: price.Ucents, RequestedAt: c.now, ExpiresAt: deadline}
	tmp := rec
	tmp.Term = term
	fill(&tmp)
	tmp.Approval = approval
	rec, err = c.e.ledger.Transition(term, stAwaitingApproval, why, func(r *state.Record) error {
		fill(r)
		a := *approval
		r.Approval = &a
		return nil
	}, approvalReport(c.now, renewd.ReportApprovalRequest, tmp, why))
	if err != nil {
		return c.fail(out, term, svc, rule, "record the approval request", err)
	}
	log.Info("renewal held for approval", "approval_id", id, "reason", why, "expires", approval.ExpiresAt)
	out.Status = string(rec.Status)
	return out
}
