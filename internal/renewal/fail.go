package renewal

import (
	"fmt"

	"github.com/renewd/renewd/internal/state"
)

// failure records a failed step on the term, schedules the next try and
// reports it. A failure never loses an order the term holds: the record
// keeps its order id, and reconciliation reads that order before anything
// is retried. The next step stops the walk with the failure.
func (c *cycle) failure(t *term, what string, cause error) move {
	text := fmt.Sprintf("%s: %v", what, cause)
	c.log.Error("renewal step failed", "service_id", t.key.ServiceID, "service", orText(t.svc.Name, t.rec.ServiceName),
		"step", what, "err", cause)
	attempts := t.rec.Attempts + 1
	next := c.e.now().UTC().Add(c.s.retryAfter(attempts))
	nextText := "renewd tries again after " + stamp(next)
	if t.rec.OrderID != 0 && t.rec.PaidAt.IsZero() {
		nextText += fmt.Sprintf("; order %d stays unpaid until then, and its status is read at OVH first", t.rec.OrderID)
	}
	m := write(state.StatusFailed, text, func(r *state.Record) error {
		if t.rule != nil && r.Rule == "" {
			fillTerm(r, t.svc, *t.rule)
		}
		r.NextAttempt = next
		r.LastError = text
		return nil
	}, failureReports(nextText))
	m.then = func(t *term) { t.failedNow = true }
	return m
}
