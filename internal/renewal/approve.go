package renewal

import (
	"fmt"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// Decider is what Decide needs from the ledger. *state.Ledger provides it.
type Decider interface {
	ApprovalByID(id string) (state.Record, error)
	Decide(approvalID, decision, actor string, reports ...state.Report) (state.Record, error)
}

// Decide records a person's decision ("approved" or "denied") on a pending
// approval and, in the same transaction, queues the update of the approval's
// message. The ledger refuses an unknown, already decided, superseded or
// expired approval. The payment itself happens in the next cycle, which
// checks the price against the approved one first.
func Decide(l Decider, approvalID, decision, actor string, now time.Time) (state.Record, error) {
	if decision != "approved" && decision != "denied" {
		return state.Record{}, fmt.Errorf("decision %q: want approved or denied", decision)
	}
	rec, err := l.ApprovalByID(approvalID)
	if err != nil {
		return state.Record{}, fmt.Errorf("approval %s: %w", approvalID, err)
	}
	tmp := rec
	if rec.Approval != nil {
		a := *rec.Approval
		a.Decision, a.DecidedBy, a.DecidedAt = decision, actor, now
		tmp.Approval = &a
	}
	reason := fmt.Sprintf("%s by %s", decision, actor)
	out, err := l.Decide(approvalID, decision, actor, approvalReport(now, renewd.ReportApprovalUpdate, tmp, reason))
	if err != nil {
		return state.Record{}, fmt.Errorf("record the decision on approval %s: %w", approvalID, err)
	}
	return out, nil
}
