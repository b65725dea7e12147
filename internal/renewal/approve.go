package renewal

import (
	"fmt"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// Decider is what Decide needs from the ledger. *state.Ledger provides it.
type Decider interface {
	Decide(approvalID string, decision state.Decision, actor string, reports state.Reports) (state.Record, error)
}

// Decide records a person's decision (approved or denied) on a pending
// approval and, in the same transaction, queues the update of the
// approval's message, computed from the record as stored. The ledger
// refuses an unknown, already decided, superseded or expired approval. The
// payment itself happens in the next cycle, which checks the price against
// the approved one first.
func Decide(l Decider, approvalID string, decision state.Decision, actor string) (state.Record, error) {
	if decision != state.DecisionApproved && decision != state.DecisionDenied {
		return state.Record{}, fmt.Errorf("decision %q: want %s or %s", decision, state.DecisionApproved, state.DecisionDenied)
	}
	out, err := l.Decide(approvalID, decision, actor, func(stored state.Record) []state.Report {
		return []state.Report{approvalReport(renewd.ReportApprovalUpdate, stored, stored.Reason)}
	})
	if err != nil {
		return state.Record{}, fmt.Errorf("record the decision on approval %s: %w", approvalID, err)
	}
	return out, nil
}
