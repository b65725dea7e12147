package renewal

import (
	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// Action says what a cycle did with one service.
type Action string

const (
	ActNothing          Action = "nothing"           // not due, ignored, or nothing new
	ActReported         Action = "reported"          // due but not renewed by renewd (notify, automatic, uncovered...)
	ActPaid             Action = "paid"              // ordered (or adopted) and paid in this cycle
	ActAlreadyPaid      Action = "already-paid"      // paid earlier; following delivery
	ActDelivered        Action = "delivered"         // OVH moved the expiration after renewd's payment
	ActRenewedElsewhere Action = "renewed-elsewhere" // the re-read shows a later expiration: renewed by other means
	ActAwaiting         Action = "awaiting-approval" // held for a person
	ActDenied           Action = "denied"            // a person said no
	ActRefused          Action = "refused"           // over the cap or the budget
	ActPending          Action = "pending"           // an order or payment waits: an unknown outcome, an earlier term, OVH delivering
	ActFailed           Action = "failed"            // a step failed; retried later
)

// accounted reports whether a due, covered renewal may end a cycle with
// this action: each is a state the operator is told about (or renewd's own
// success). Anything else is a silent no-op, which the cycle reports as a
// failure (noSilentNoOp).
func (a Action) accounted() bool {
	switch a {
	case ActPaid, ActAlreadyPaid, ActDelivered, ActRenewedElsewhere, ActAwaiting, ActDenied,
		ActRefused, ActPending, ActFailed:
		return true
	}
	return false
}

// Outcome is what happened to one service in a cycle.
type Outcome struct {
	Service renewd.Service
	Verdict policy.Verdict
	Rule    string
	Action  Action
	// Status is the term's ledger status after the cycle (StatusNone when
	// there is no record).
	Status  state.Status
	Reason  string
	Price   renewd.Money
	OrderID int64
}

// NotRenewed reports whether the outcome is a due, covered renewal that did
// not get paid: the cases `renewd once` exits 1 for.
func (o Outcome) NotRenewed() bool {
	if o.Verdict == policy.Unreadable {
		return true // it may be due: renewd cannot tell, and did nothing
	}
	if o.Verdict != policy.Renew {
		return false
	}
	switch o.Action {
	case ActPaid, ActAlreadyPaid, ActDelivered, ActRenewedElsewhere:
		return false
	}
	return true
}

// Summary is what one cycle did.
type Summary struct {
	Outcomes []Outcome
	// Errors are failures that stopped part of the cycle (an account whose
	// inventory failed, a ledger record that cannot be read). Each was
	// reported.
	Errors []error
}

// Failed reports whether anything due was left unrenewed or part of the
// cycle failed.
func (s Summary) Failed() bool {
	if len(s.Errors) > 0 {
		return true
	}
	for _, o := range s.Outcomes {
		if o.NotRenewed() {
			return true
		}
	}
	return false
}

// Count returns how many outcomes took each action.
func (s Summary) Count() map[string]int {
	c := map[string]int{}
	for _, o := range s.Outcomes {
		c[string(o.Action)]++
	}
	return c
}
