package renewal

import (
	"fmt"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// fail records a failed step on a term, schedules the next try and reports
// it. A failure never loses an order the term holds: the record keeps its
// order id, and reconciliation reads that order before anything is retried.
func (c *cycle) fail(out Outcome, term renewd.Term, svc renewd.Service, rule policy.Rule, what string, cause error) Outcome {
	text := fmt.Sprintf("%s: %v", what, cause)
	c.log.Error("renewal step failed", "service_id", svc.ID, "service", svc.Name, "step", what, "err", cause)
	out.Action, out.Reason = ActFailed, text

	prev, exists, err := c.e.ledger.Get(term)
	if err != nil {
		c.log.Error("ledger unreadable while recording a failure", "service_id", svc.ID, "service", svc.Name, "err", err)
		return out
	}
	if !exists {
		prev.Term = term
		fillTerm(&prev, svc, rule)
	}
	attempts := prev.Attempts + 1
	next := c.now.Add(c.s.retryAfter(attempts))
	nextText := "renewd tries again after " + next.Format("2006-01-02 15:04 MST")
	if prev.OrderID != 0 && prev.PaidAt.IsZero() {
		nextText += fmt.Sprintf("; order %d stays unpaid until then, and its status is read at OVH first", prev.OrderID)
	}
	report := prev
	report.Attempts = attempts
	rec, err := c.e.ledger.Transition(term, stFailed, text, func(r *state.Record) error {
		if !exists {
			fillTerm(r, svc, rule)
		}
		r.Attempts = attempts
		r.NextAttempt = next
		r.LastError = text
		return nil
	}, c.failureReports(report, text, nextText)...)
	if err != nil {
		// The ledger refused the transition (the term moved on meanwhile).
		// Report the failure all the same: nothing may fail silently.
		c.log.Error("failure not recorded in the ledger", "service_id", svc.ID, "service", svc.Name, "err", err)
		c.enqueue(c.failureReport(report, text, "renewd tries again on the next cycle"))
		return out
	}
	out.Status, out.OrderID = string(rec.Status), rec.OrderID
	return out
}

// note keeps the latest error on a term without changing its status; name
// is the service's, for the log.
func (c *cycle) note(term renewd.Term, name, text string) {
	if _, err := c.e.ledger.Touch(term, func(r *state.Record) error {
		r.LastError = text
		return nil
	}); err != nil {
		c.log.Error("could not note an error in the ledger", "service_id", term.ServiceID, "service", name,
			"term", term.String(), "err", err)
	}
}
