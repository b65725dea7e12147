package renewal

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// keep is a transition's mutation that changes nothing but the status.
func keep(*state.Record) error { return nil }

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

// fromRecord fills a report's service, price and order fields from a record.
func fromRecord(now time.Time, kind renewd.ReportKind, rec state.Record) renewd.Report {
	price, withTax := rec.QuoteUcents, rec.QuoteWithTaxUcents
	if rec.OrderID != 0 {
		price, withTax = rec.OrderUcents, rec.OrderWithTaxUcents
	}
	return renewd.Report{
		Kind: kind, At: now, Term: rec.Term.String(), Account: rec.Term.Account,
		ServiceID: rec.Term.ServiceID, ServiceName: rec.ServiceName, ServiceType: rec.ServiceType,
		Expiration: rec.Term.Expiration, Rule: rec.Rule, Period: rec.Period, Currency: rec.Currency,
		PriceUcents: price, PriceWithTaxUcents: withTax, CapUcents: rec.CapUcents,
		Payment: rec.Payment.String(), OrderID: rec.OrderID, NewExpiration: rec.NewExpiration,
	}
}

// termReport is the report of a term's progress; renewed, delivered and
// undelivered update one message per term.
func (c *cycle) termReport(kind renewd.ReportKind, rec state.Record, reason, next string) state.Report {
	r := fromRecord(c.now, kind, rec)
	r.Reason, r.Next = reason, next
	key := "term/" + rec.Term.String()
	if kind == renewd.ReportRefused {
		key = fmt.Sprintf("%s/refused/%d", key, r.PriceUcents)
	}
	if rec.Approval != nil && rec.Approval.Decision == "approved" {
		r.ApprovalID, r.DecidedBy = rec.Approval.ID, rec.Approval.DecidedBy
	}
	return newReport(key, r)
}

// outcomeReports is a term report plus, when a person approved the term,
// the update of the approval's message to its final state ("paid").
func (c *cycle) outcomeReports(kind renewd.ReportKind, rec state.Record, reason, decision string) []state.Report {
	return c.withApprovalUpdate(c.termReport(kind, rec, reason, ""), rec, decision, reason)
}

// withApprovalUpdate adds, for a term a person approved, the update of the
// approval's message to its final decision.
func (c *cycle) withApprovalUpdate(first state.Report, rec state.Record, decision, reason string) []state.Report {
	out := []state.Report{first}
	if a := rec.Approval; a != nil && a.Decision == "approved" {
		tmp := rec
		b := *a
		b.Decision = decision
		tmp.Approval = &b
		out = append(out, approvalReport(c.now, renewd.ReportApprovalUpdate, tmp, reason))
	}
	return out
}

// failureReport is a new message per failure, so that each one notifies.
func (c *cycle) failureReport(rec state.Record, reason, next string) state.Report {
	r := fromRecord(c.now, renewd.ReportFailed, rec)
	r.Reason, r.Next = reason, next
	return newReport(fmt.Sprintf("term/%s/failed/%d", rec.Term, rec.Attempts), r)
}

// failureReports is failureReport plus, for an approved term, the update of
// the approval's message.
func (c *cycle) failureReports(rec state.Record, reason, next string) []state.Report {
	return c.withApprovalUpdate(c.failureReport(rec, reason, next), rec, "failed", reason)
}

// approvalReport is an approval request, or an update of its message.
func approvalReport(now time.Time, kind renewd.ReportKind, rec state.Record, reason string) state.Report {
	r := fromRecord(now, kind, rec)
	r.Reason = reason
	if a := rec.Approval; a != nil {
		r.ApprovalID, r.ApprovalExpires = a.ID, a.ExpiresAt
		r.Decision, r.DecidedBy = a.Decision, a.DecidedBy
		r.PriceUcents = a.PriceUcents
		return newReport("approval/"+a.ID, r)
	}
	return newReport("term/"+rec.Term.String()+"/approval", r)
}

// accountFailure reports an account whose inventory failed.
func (c *cycle) accountFailure(err error) state.Report {
	return newReport(fmt.Sprintf("account/%s/failed/%d", c.account, c.now.Unix()), renewd.Report{
		Kind: renewd.ReportFailed, At: c.now, Account: c.account,
		Reason: err.Error(), Next: "renewd tries again on the next cycle; nothing was ordered for this account",
	})
}

// notice reports a due service renewd does not renew (notify rule, OVH
// automatic, uncovered, unknown mode...) once per term and kind.
func (c *cycle) notice(svc renewd.Service, d policy.Decision) {
	kind := renewd.ReportNotice
	switch d.Verdict {
	case policy.Uncovered:
		kind = renewd.ReportUncovered
	case policy.Automatic:
		kind = renewd.ReportAutomatic
	}
	key := fmt.Sprintf("notice/%s/%s", svc.Term(), d.Verdict)
	if c.e.noticed(key) {
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

func (c *cycle) enqueue(r state.Report) {
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
