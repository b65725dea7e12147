package renewal

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// Reports are computed from the record as a transition stores it, inside
// its write transaction (state.Reports), never from a guessed copy of it:
// what the operator reads is what the ledger holds.

// newReport wraps a report for the outbox. Key names the message it posts or
// updates: reports about the same thing share a key, so the operator sees
// one message change rather than a stream of near-copies.
func newReport(key string, r renewd.Report) state.Report {
	body, err := json.Marshal(r)
	if err != nil {
		// A Report holds only strings, numbers and times: it always marshals.
		panic(fmt.Sprintf("marshal report: %v", err))
	}
	return state.Report{Key: key, Kind: string(r.Kind), Body: body}
}

// fromRecord fills a report's service, price and order fields from a
// stored record; At is when the record was stored.
func fromRecord(kind renewd.ReportKind, rec state.Record) renewd.Report {
	price, withTax := rec.QuoteUcents, rec.QuoteWithTaxUcents
	if rec.OrderID != 0 {
		price, withTax = rec.OrderUcents, rec.OrderWithTaxUcents
	}
	return renewd.Report{
		Kind: kind, At: rec.Updated, Term: rec.Term.String(), Account: rec.Term.Account,
		ServiceID: rec.Term.ServiceID, ServiceName: rec.ServiceName, ServiceType: rec.ServiceType,
		Expiration: rec.Term.Expiration, Rule: rec.Rule, Period: rec.Period, Currency: rec.Currency,
		PriceUcents: price, PriceWithTaxUcents: withTax, CapUcents: rec.CapUcents,
		Payment: rec.Payment.String(), OrderID: rec.OrderID, NewExpiration: rec.NewExpiration,
	}
}

// termReport reports a term's progress from the stored record; renewed,
// delivered and undelivered update one message per term. reason "" takes
// the transition's own reason.
func (c *cycle) termReport(kind renewd.ReportKind, reason, next string) state.Reports {
	return func(stored state.Record) []state.Report {
		return []state.Report{termReportOf(kind, stored, reason, next)}
	}
}

func termReportOf(kind renewd.ReportKind, stored state.Record, reason, next string) state.Report {
	r := fromRecord(kind, stored)
	r.Reason, r.Next = orText(reason, stored.Reason), next
	key := "term/" + stored.Term.String()
	if kind == renewd.ReportRefused {
		key = fmt.Sprintf("%s/refused/%d", key, r.PriceUcents)
	}
	if a := stored.Approval; a.Approved() {
		r.ApprovalID, r.DecidedBy = a.ID, a.DecidedBy
	}
	return newReport(key, r)
}

// outcomeReports is a term report plus, when a person approved the term,
// the update of the approval's message to its final state ("paid").
func (c *cycle) outcomeReports(kind renewd.ReportKind, decision string) state.Reports {
	return func(stored state.Record) []state.Report {
		return withApprovalUpdate(termReportOf(kind, stored, "", ""), stored, decision)
	}
}

// withApprovalUpdate adds, for a term a person approved, the update of the
// approval's message to its final word (paid, failed).
func withApprovalUpdate(first state.Report, stored state.Record, decision string) []state.Report {
	out := []state.Report{first}
	if stored.Approval.Approved() {
		r := approvalBody(renewd.ReportApprovalUpdate, stored, stored.Reason)
		r.Decision = decision
		out = append(out, newReport("approval/"+stored.Approval.ID, r))
	}
	return out
}

// failureReports is a new message per failure, so that each one notifies,
// plus for an approved term the update of the approval's message.
func failureReports(next string) state.Reports {
	return func(stored state.Record) []state.Report {
		r := fromRecord(renewd.ReportFailed, stored)
		r.Reason, r.Next = stored.LastError, next
		first := newReport(fmt.Sprintf("term/%s/failed/%d", stored.Term, stored.Attempts), r)
		return withApprovalUpdate(first, stored, "failed")
	}
}

// approvalBody is an approval request, or an update of its message, from
// the stored record: its approval's id, price, deadline and decision.
func approvalBody(kind renewd.ReportKind, stored state.Record, reason string) renewd.Report {
	r := fromRecord(kind, stored)
	r.Reason = reason
	if a := stored.Approval; a != nil {
		r.ApprovalID, r.ApprovalExpires = a.ID, a.ExpiresAt
		r.Decision, r.DecidedBy = string(a.Decision), a.DecidedBy
		r.PriceUcents = a.PriceUcents
	}
	return r
}

func approvalReport(kind renewd.ReportKind, stored state.Record, reason string) state.Report {
	r := approvalBody(kind, stored, reason)
	if a := stored.Approval; a != nil {
		return newReport("approval/"+a.ID, r)
	}
	return newReport("term/"+stored.Term.String()+"/approval", r)
}

// accountFailure reports an account whose inventory failed.
func (c *cycle) accountFailure(err error) state.Report {
	return newReport(fmt.Sprintf("account/%s/failed/%d", c.account, c.now.Unix()), renewd.Report{
		Kind: renewd.ReportFailed, At: c.now, Account: c.account,
		Reason: err.Error(), Next: "renewd tries again on the next cycle; nothing was ordered for this account",
	})
}

// reportUnrecorded reports a failure the ledger could not record: nothing
// may fail silently.
func (c *cycle) reportUnrecorded(t *term, reason string, err error) {
	if c.dry {
		return
	}
	r := fromRecord(renewd.ReportFailed, t.rec)
	r.At = c.e.now().UTC()
	r.Term, r.Account, r.ServiceID, r.Expiration = t.key.String(), t.key.Account, t.key.ServiceID, t.key.Expiration
	if r.ServiceName == "" {
		r.ServiceName, r.ServiceType = t.svc.Name, t.svc.Type
	}
	r.Reason = fmt.Sprintf("%s (not recorded in the ledger: %v)", reason, err)
	r.Next = "renewd tries again on the next cycle"
	c.log.Error("failure not recorded in the ledger", "service_id", t.key.ServiceID, "service", r.ServiceName, "err", err)
	c.enqueue(newReport(fmt.Sprintf("term/%s/unrecorded/%d", t.key, r.At.UnixNano()), r))
}

// notice reports a due service renewd does not renew (notify rule, OVH
// automatic, uncovered, unknown mode, unreadable...) once per term and kind.
func (c *cycle) notice(svc renewd.Service, d policy.Decision) {
	kind := renewd.ReportNotice
	switch d.Verdict {
	case policy.Uncovered:
		kind = renewd.ReportUncovered
	case policy.Automatic:
		kind = renewd.ReportAutomatic
	case policy.Unreadable:
		kind = renewd.ReportFailed
	}
	key := fmt.Sprintf("notice/%s/%s", svc.Term(), d.Verdict)
	if c.dry || c.e.noticed(key) {
		return
	}
	r := renewd.Report{
		Kind: kind, At: c.now, Term: svc.Term().String(), Account: svc.Account,
		ServiceID: svc.ID, ServiceName: svc.Name, ServiceType: svc.Type, Expiration: svc.Expiration,
		Reason: d.Reason,
	}
	if d.Rule != nil {
		r.Rule = d.Rule.Name
	}
	queued, err := c.e.ledger.EnqueueOnce(newReport(key, r))
	if err != nil {
		c.log.Error("cannot queue a report", "key", key, "service_id", svc.ID, "service", svc.Name, "err", err)
		return
	}
	if queued {
		c.log.Warn("due service not renewed by renewd", "service_id", svc.ID, "service", svc.Name, "verdict", d.Verdict.String(), "reason", d.Reason)
	}
}

// clockWentBack reports, once per term and stored time, that a stored next
// attempt lay in the future beyond what the schedule allows, and was
// rescheduled from now.
func (c *cycle) clockWentBack(t *term, stored, next time.Time) {
	c.log.Warn("the clock went back: a failed term's next attempt was rescheduled from now",
		"service_id", t.key.ServiceID, "term", t.key.String(), "stored_next_attempt", stored, "next_attempt", next)
	r := fromRecord(renewd.ReportNotice, t.rec)
	r.At = c.e.now().UTC()
	r.Reason = fmt.Sprintf("the local clock went back: the next try was stored for %s; rescheduled for %s", stamp(stored), stamp(next))
	c.enqueue(newReport(fmt.Sprintf("term/%s/clock/%d", t.key, stored.Unix()), r))
}

func (c *cycle) enqueue(r state.Report) {
	if c.dry {
		return
	}
	if err := c.e.ledger.Enqueue(r); err != nil {
		c.log.Error("cannot queue a report", "key", r.Key, "err", err)
	}
}

// summarize queues a summary of a cycle that did something worth saying.
func (e *Engine) summarize(now time.Time, sum Summary) {
	counts := sum.Count()
	delete(counts, string(ActNothing))
	if len(counts) == 0 && len(sum.Errors) == 0 {
		return
	}
	if counts[string(ActPaid)] == 0 && counts[string(ActFailed)] == 0 && counts[string(ActRefused)] == 0 &&
		counts[string(ActAwaiting)] == 0 && counts[string(ActDelivered)] == 0 && len(sum.Errors) == 0 {
		return // only standing states (already paid, reported notices): nothing new to sum up
	}
	r := renewd.Report{Kind: renewd.ReportSummary, At: now, Counts: counts,
		Reason: fmt.Sprintf("cycle at %s", now.Format(time.RFC3339))}
	if err := e.ledger.Enqueue(newReport(fmt.Sprintf("cycle/%d", now.UnixNano()), r)); err != nil {
		e.log.Error("cannot queue the cycle summary", "err", err)
	}
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// stamp writes a time for a report or a log line, in UTC to the minute.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "(unknown)"
	}
	return t.UTC().Format("2006-01-02 15:04 MST")
}
