package state

import "slices"

// Status is where a term stands in its renewal. It is stored as its string.
type Status string

// The statuses of a term. See transitions for the edges between them.
const (
	// StatusNone is the status of a term the ledger has no record of. It is
	// never stored; it names the "from" side of a term's first transition.
	StatusNone Status = ""

	StatusDue              Status = "due"               // in its renewal window, nothing ordered
	StatusAwaitingApproval Status = "awaiting_approval" // a Slack/CLI approval is pending
	StatusApproved         Status = "approved"          // approved at Approval.PriceUcents
	StatusDenied           Status = "denied"            // denied; terminal for the term
	StatusApprovalExpired  Status = "approval_expired"  // nobody answered in time
	StatusOrdering         Status = "ordering"          // intent: POST /service/{id}/renew may have happened
	StatusOrdered          Status = "ordered"           // OrderID known, not paid
	StatusPaying           Status = "paying"            // intent: the pay call may have happened
	StatusPaid             Status = "paid"              // OVH took the money
	StatusDelivered        Status = "delivered"         // the service's expiration moved
	StatusUndelivered      Status = "undelivered"       // paid, but not delivered within the bound
	StatusFailed           Status = "failed"            // a step failed; see Attempts, NextAttempt, LastMoneyStep
	StatusRefused          Status = "refused"           // over the cap or the budget, by policy
)

// Statuses lists every storable status, in the order of the happy path.
var Statuses = []Status{
	StatusDue, StatusAwaitingApproval, StatusApproved, StatusDenied, StatusApprovalExpired,
	StatusOrdering, StatusOrdered, StatusPaying, StatusPaid, StatusDelivered,
	StatusUndelivered, StatusFailed, StatusRefused,
}

// transitions is the state machine of a term, the one place it is written
// down: transitions[from] lists the statuses a record in status from may
// move to. A transition that is not listed fails with ErrConflict and
// writes nothing.
//
//	(none)            -> due | refused | awaiting_approval | ordering | ordered (an order OVH holds, adopted) | failed
//	due               -> awaiting_approval | ordering | ordered (adopted) | refused | failed
//	awaiting_approval -> approved | denied | approval_expired
//	                     | awaiting_approval (re-asked at a new price, with a new approval id)
//	                     | refused | failed | due (the order it was held with is gone)
//	                     | ordering (the rule no longer asks: price down, or the config changed)
//	                     | ordered (the order it was held with, or one adopted, goes on to payment)
//	                     | paid (OVH shows the order it was held with paid)
//	approved          -> ordering | ordered | awaiting_approval (price above the approved one)
//	                     | refused | failed | due (the order it was approved with is gone) | paid (OVH shows it paid)
//	approval_expired  -> awaiting_approval (re-asked) | failed | ordering | ordered | refused | due | paid
//	denied            -> nothing: terminal for this term
//	ordering          -> ordered | due (reconciled: OVH shows no order, safe to start over) | failed
//	ordered           -> paying | refused (created order above the cap, left unpaid)
//	                     | awaiting_approval | due (order cancelled or expired unpaid) | failed
//	                     | paid (reconciled: OVH shows the order paid)
//	paying            -> paid | ordered (reconciled: OVH says still notPaid) | due (order cancelled or expired) | failed
//	paid              -> delivered | undelivered
//	delivered         -> nothing: the service has a new expiration, so a new term
//	undelivered       -> delivered
//	failed            -> due | ordering | ordered | paying | paid | awaiting_approval | refused | failed
//	refused           -> due | awaiting_approval | refused (a later cycle, at another price)
//	                     | ordering | ordered | failed | paid (OVH shows its unpaid order paid after all)
//
// The money rules sit on top of the table (checkTransition, checkMoney in
// transition.go): a failed record with money in flight may only go where
// reconciliation leads (failedWithMoneyInFlight); ordering needs a record
// that holds no live order; ordered, paying and paid name the term's own
// order; nothing leaves a paid status but delivery; approved and denied
// are reached only through Ledger.Decide.
var transitions = map[Status][]Status{
	StatusNone:             {StatusDue, StatusRefused, StatusAwaitingApproval, StatusOrdering, StatusOrdered, StatusFailed},
	StatusDue:              {StatusAwaitingApproval, StatusOrdering, StatusOrdered, StatusRefused, StatusFailed},
	StatusAwaitingApproval: {StatusApproved, StatusDenied, StatusApprovalExpired, StatusAwaitingApproval, StatusRefused, StatusFailed, StatusOrdering, StatusOrdered, StatusDue, StatusPaid},
	StatusApproved:         {StatusOrdering, StatusOrdered, StatusAwaitingApproval, StatusRefused, StatusFailed, StatusDue, StatusPaid},
	StatusApprovalExpired:  {StatusAwaitingApproval, StatusFailed, StatusOrdering, StatusOrdered, StatusRefused, StatusDue, StatusPaid},
	StatusDenied:           {},
	StatusOrdering:         {StatusOrdered, StatusDue, StatusFailed},
	StatusOrdered:          {StatusPaying, StatusRefused, StatusAwaitingApproval, StatusDue, StatusFailed, StatusPaid},
	StatusPaying:           {StatusPaid, StatusOrdered, StatusDue, StatusFailed},
	StatusPaid:             {StatusDelivered, StatusUndelivered},
	StatusDelivered:        {},
	StatusUndelivered:      {StatusDelivered},
	StatusFailed:           {StatusDue, StatusOrdering, StatusOrdered, StatusPaying, StatusPaid, StatusAwaitingApproval, StatusRefused, StatusFailed},
	StatusRefused:          {StatusDue, StatusAwaitingApproval, StatusRefused, StatusOrdering, StatusOrdered, StatusFailed, StatusPaid},
}

// failedWithMoneyInFlight narrows the failed row of the table while an order
// or a payment may exist at OVH: the caller must reconcile first, and the
// outcome of reconciliation is one of these. In particular a failed record
// cannot go back to ordering (a second order) or be parked as refused or
// awaiting approval (and later re-ordered) while an earlier order or payment
// is unaccounted for.
var failedWithMoneyInFlight = []Status{
	StatusDue,     // OVH shows no order, or the order was cancelled or expired unpaid
	StatusOrdered, // an order was found (adopted) and is not paid
	StatusPaying,  // the order is confirmed unpaid and not expired: pay it
	StatusPaid,    // OVH says the order is paid
	StatusFailed,  // reconciliation itself failed
}

// decideOnly are the statuses only Ledger.Decide may write.
var decideOnly = []Status{StatusApproved, StatusDenied}

// moneySteps are the statuses written around a money-moving call.
var moneySteps = []Status{StatusOrdering, StatusOrdered, StatusPaying}

// Valid reports whether s is a storable status.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// String returns the status, or "(none)" for StatusNone.
func (s Status) String() string {
	if s == StatusNone {
		return "(none)"
	}
	return string(s)
}

// Allowed reports whether the table lets a record move from one status to
// another, before the rules that depend on the record itself (money in
// flight, Decide-only statuses).
func Allowed(from, to Status) bool {
	return slices.Contains(transitions[from], to)
}

// MoneyInFlight reports whether an order or a payment may exist at OVH whose
// outcome the ledger does not know: the record is ordering, ordered or
// paying, or it failed after a money-moving step (it holds an OrderID, or its
// LastMoneyStep is set) and is not paid, or it holds other orders (a merged
// record). The caller reconciles such a record with OVH before anything
// else is done for its term, and holds back every other term of the service.
func (r Record) MoneyInFlight() bool {
	if r.Paid() {
		return false
	}
	if slices.Contains(moneySteps, r.Status) || len(r.OtherOrders) > 0 {
		return true
	}
	return r.Status == StatusFailed && r.PaidAt.IsZero() && (r.OrderID != 0 || r.LastMoneyStep != StatusNone)
}

// HoldsOrder reports whether the record holds an order that is not paid
// and not known to be dead: an order renewd may still have to pay or
// settle (a held, refused or approved term keeps its order).
func (r Record) HoldsOrder() bool { return !r.Paid() && (r.OrderID != 0 || len(r.OtherOrders) > 0) }

// Paid reports whether OVH took the money for this term: paid, delivered or
// undelivered.
func (r Record) Paid() bool {
	return r.Status == StatusPaid || r.Status == StatusDelivered || r.Status == StatusUndelivered
}

// Open reports whether the term may still move in this cycle or a later
// one: every status but the final ones (delivered, denied). The list of
// open statuses is derived from the table, so it cannot drift from it.
func (s Status) Open() bool { return len(transitions[s]) > 0 }

// OpenStatuses lists the storable statuses a term can still leave, in
// the order of Statuses.
func OpenStatuses() []Status {
	var out []Status
	for _, s := range Statuses {
		if s.Open() {
			out = append(out, s)
		}
	}
	return out
}

// terminal reports whether Prune may delete the record once it is old enough.
func (r Record) terminal() bool {
	switch r.Status {
	case StatusDelivered, StatusDenied, StatusApprovalExpired, StatusRefused:
		return true
	case StatusFailed:
		return !r.MoneyInFlight()
	}
	return false
}
