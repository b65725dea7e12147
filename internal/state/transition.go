package state

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// The refusals Transition makes on top of the table. Each is also an
// ErrConflict, so code that only asks "was it refused?" keeps working; the
// money path matches the precise one.
var (
	// ErrOrderInFlight: entering ordering while the record holds an order
	// (OrderID, or an OtherOrders entry) that is not known to be dead, or
	// while an earlier money call's outcome is unknown. A second order
	// could be paid beside the first.
	ErrOrderInFlight = fmt.Errorf("an order may be in flight for this term: %w", ErrConflict)
	// ErrOrderMismatch: entering paying or ordered for an order other than
	// the one recorded, or recording an order the ledger holds for another
	// term (the orders index).
	ErrOrderMismatch = fmt.Errorf("not the term's recorded order: %w", ErrConflict)
	// ErrAlreadyPaid: a second payment for a term, or any move out of a paid
	// status but delivery.
	ErrAlreadyPaid = fmt.Errorf("the term is already paid: %w", ErrConflict)
	// ErrNoOVHTime: an ordering or paying intent without its time on OVH's
	// clock, from which reconciliation searches and settles.
	ErrNoOVHTime = fmt.Errorf("intent without OVH time: %w", ErrConflict)
)

// Reports computes the outbox reports of a transition from the record as
// it is stored by that transition, inside its write transaction; nil queues
// nothing. It must be quick and make no call.
type Reports func(stored Record) []Report

// Transition moves the term's record to status to, in one read-write
// transaction committed and fsynced before it returns:
//
//  1. load the record, or start a new one when the ledger has none;
//  2. set the fields the ledger owns for the new status (see below);
//  3. call mutate, if not nil, on the record: it sets the caller's fields
//     (order id, prices, approval...); when it returns an error nothing is
//     written and the error is returned wrapped;
//  4. put back the fields mutate may not change, and check the move: the
//     table (transitions), then the money rules (checkMoney); a refused
//     move returns ErrConflict or one of the precise refusals above,
//     wrapped with the term and both statuses, and writes nothing;
//  5. set Status = to, Reason = reason and Updated = now, store the record
//     with its indexes, append an Event to the history and put the reports
//     computed from the stored record in the outbox.
//
// Fields the ledger owns: IntentAt (now, on entering ordering),
// PayIntentAt (now, on entering paying), LastMoneyStep (ordering, ordered
// or paying while in them, kept by failed, cleared by every other status),
// CallEndOVH (cleared by each intent), Attempts (+1 on failed), Created and
// Updated. Entering due clears the order fields (OrderID, order prices,
// OrderExpires, the intents), because `due` means no live order for the
// term; approval_expired marks a pending Approval expired. After mutate,
// paid sets PaidAt and delivered DeliveredAt to now when left zero.
//
// approved and denied are not reachable here (ErrConflict): use Decide.
// Entering awaiting_approval requires mutate to leave a pending Approval with
// a new ID (see NewApprovalID). mutate runs inside the write transaction: it
// must be quick and must not call the network. The event's actor is
// SystemActor; TransitionAs names another.
func (l *Ledger) Transition(term renewd.Term, to Status, reason string, mutate func(*Record) error, reports Reports) (Record, error) {
	return l.TransitionAs(SystemActor, term, to, reason, mutate, reports)
}

// TransitionAs is Transition with the actor recorded in the history event
// (for example "cli:alice" for a transition an operator asked for). An
// empty actor means SystemActor.
func (l *Ledger) TransitionAs(actor string, term renewd.Term, to Status, reason string, mutate func(*Record) error, reports Reports) (Record, error) {
	if actor == "" {
		actor = SystemActor
	}
	var out Record
	err := l.db.Update(func(tx *bolt.Tx) error {
		var err error
		out, err = l.transition(tx, transitionArgs{
			actor: actor, term: term, to: to, reason: reason, mutate: mutate, reports: reports,
		})
		return err
	})
	if err != nil {
		return Record{}, err
	}
	return out, nil
}

type transitionArgs struct {
	actor     string
	term      renewd.Term
	to        Status
	reason    string
	mutate    func(*Record) error
	reports   Reports
	viaDecide bool // Decide has checked the approval; approved/denied allowed
}

// transition is the body of every status change, inside the caller's
// read-write transaction.
func (l *Ledger) transition(tx *bolt.Tx, a transitionArgs) (Record, error) {
	key, err := termKey(a.term)
	if err != nil {
		return Record{}, err
	}
	if !a.to.Valid() {
		return Record{}, fmt.Errorf("transition %s: unknown status %q", key, a.to)
	}
	old, found, err := loadRecord(tx, key)
	if err != nil {
		return Record{}, err
	}
	now := l.nowUTC()
	rec := Record{Term: normalTerm(a.term), Created: now}
	if found {
		rec = old.clone()
	}
	from := rec.Status
	if !found {
		from = StatusNone
	}
	if err := checkTransition(key, rec, found, a.to, a.viaDecide); err != nil {
		return Record{}, err
	}

	enterStatus(&rec, a.to, now, a.reason, a.actor)
	owned := rec // the ledger's fields, as set for the new status
	if a.mutate != nil {
		if err := a.mutate(&rec); err != nil {
			return Record{}, fmt.Errorf("transition %s from %s to %s: %w", key, from, a.to, err)
		}
	}
	rec.Term = normalTerm(a.term)
	rec.Status = a.to
	rec.Reason = a.reason
	rec.Updated = now
	rec.Created = owned.Created
	rec.IntentAt, rec.PayIntentAt = owned.IntentAt, owned.PayIntentAt
	rec.LastMoneyStep = owned.LastMoneyStep
	rec.Attempts = max(rec.Attempts, owned.Attempts)
	if !owned.PaidAt.IsZero() {
		rec.PaidAt = owned.PaidAt // a payment's time never moves
	}
	if a.to == StatusOrdering || a.to == StatusPaying {
		rec.CallEndOVH = time.Time{}
	}
	switch a.to {
	case StatusPaid:
		if rec.PaidAt.IsZero() {
			rec.PaidAt = now
		}
	case StatusDelivered:
		if rec.DeliveredAt.IsZero() {
			rec.DeliveredAt = now
		}
	case StatusAwaitingApproval:
		if err := checkNewApproval(key, old, found, rec); err != nil {
			return Record{}, err
		}
	}
	var prev Record
	if found {
		prev = old
	}
	if err := checkMoney(prev, rec); err != nil {
		return Record{}, fmt.Errorf("transition %s from %s to %s: %w", key, from, a.to, err)
	}

	var oldPtr *Record
	if found {
		oldPtr = &old
	}
	stored, err := putRecord(tx, key, oldPtr, rec)
	if err != nil {
		return Record{}, err
	}
	ev := Event{Term: key, At: now, From: from, To: a.to, Reason: a.reason, Actor: a.actor}
	if err := appendEvent(tx, ev); err != nil {
		return Record{}, err
	}
	if a.reports != nil {
		if err := enqueue(tx, now, a.reports(stored.clone())); err != nil {
			return Record{}, err
		}
	}
	return stored, nil
}

// checkTransition applies the table and the rules on the statuses alone.
func checkTransition(key string, rec Record, found bool, to Status, viaDecide bool) error {
	from := StatusNone
	if found {
		from = rec.Status
	}
	if found && rec.Paid() && to != StatusDelivered && to != StatusUndelivered {
		return fmt.Errorf("transition %s from %s to %s: %w", key, from, to, ErrAlreadyPaid)
	}
	if !Allowed(from, to) {
		return fmt.Errorf("transition %s from %s to %s: %w", key, from, to, ErrConflict)
	}
	if slices.Contains(decideOnly, to) && !viaDecide {
		return fmt.Errorf("transition %s from %s to %s: only Decide records a decision: %w", key, from, to, ErrConflict)
	}
	if from == StatusFailed && rec.MoneyInFlight() && !slices.Contains(failedWithMoneyInFlight, to) {
		return fmt.Errorf("transition %s from %s to %s: money may be in flight (order %d, last step %s), reconcile first: %w",
			key, from, to, rec.OrderID, rec.LastMoneyStep, ErrOrderInFlight)
	}
	return nil
}

// checkMoney refuses the moves that could pay twice or pay the wrong
// order, comparing the record before (old; zero for a new record) and
// after the change.
func checkMoney(old, rec Record) error {
	switch rec.Status {
	case StatusOrdering:
		if old.OrderID != 0 || len(old.OtherOrders) > 0 {
			return fmt.Errorf("the record holds order %d%s, not known to be dead: %w", old.OrderID, otherText(old.OtherOrders), ErrOrderInFlight)
		}
		if rec.OrderID != 0 {
			return fmt.Errorf("an ordering intent records no order (got %d): %w", rec.OrderID, ErrOrderMismatch)
		}
		if rec.IntentOVH.IsZero() {
			return ErrNoOVHTime
		}
	case StatusOrdered:
		// Another order than the recorded one is refused below: it is not
		// among the term's orders.
		if rec.OrderID == 0 {
			return fmt.Errorf("ordered needs an order id: %w", ErrOrderMismatch)
		}
	case StatusPaying:
		if old.OrderID == 0 || rec.OrderID != old.OrderID {
			return fmt.Errorf("paying order %d, but the record holds order %d: %w", rec.OrderID, old.OrderID, ErrOrderMismatch)
		}
		if rec.PayIntentOVH.IsZero() {
			return ErrNoOVHTime
		}
	case StatusPaid:
		// The order paid may be one of a merged record's other orders.
		if rec.OrderID == 0 || rec.OrderID != old.OrderID && !slices.Contains(old.OtherOrders, rec.OrderID) {
			return fmt.Errorf("paid needs one of the term's orders (got %d, recorded %d%s): %w",
				rec.OrderID, old.OrderID, otherText(old.OtherOrders), ErrOrderMismatch)
		}
	case StatusDue:
		// due clears the order: enterStatus did, and mutate may not set one.
		if rec.OrderID != 0 {
			return fmt.Errorf("due records no order (got %d): %w", rec.OrderID, ErrOrderMismatch)
		}
	default:
		if rec.OrderID != old.OrderID {
			return fmt.Errorf("only ordered records an order (%d -> %d): %w", old.OrderID, rec.OrderID, ErrOrderMismatch)
		}
	}
	// A move may settle orders (drop dead ones) but never bring in one the
	// term did not hold, except the one ordered records.
	known := append([]int64{old.OrderID}, old.OtherOrders...)
	if rec.Status == StatusOrdered && old.OrderID == 0 {
		known = append(known, rec.OrderID)
	}
	if held := append([]int64{rec.OrderID}, rec.OtherOrders...); !isSubset(held, append(known, 0)) {
		return fmt.Errorf("orders %v are not the term's (%v): %w", held, known, ErrOrderMismatch)
	}
	// An order another term recorded is refused when the orders index is
	// written (indexOrders), in the same transaction.
	return nil
}

func isSubset(small, big []int64) bool {
	for _, v := range small {
		if !slices.Contains(big, v) {
			return false
		}
	}
	return true
}

func otherText(ids []int64) string {
	if len(ids) == 0 {
		return ""
	}
	return fmt.Sprintf(" (and orders %v)", ids)
}

// enterStatus sets the fields the ledger owns for the status being entered,
// before mutate runs.
func enterStatus(rec *Record, to Status, now time.Time, reason, actor string) {
	switch to {
	case StatusOrdering:
		rec.IntentAt = now
		rec.LastMoneyStep = to
	case StatusOrdered:
		rec.LastMoneyStep = to
	case StatusPaying:
		rec.PayIntentAt = now
		rec.LastMoneyStep = to
	case StatusFailed:
		rec.Attempts++
		rec.LastError = reason
	case StatusDue:
		rec.OrderID = 0
		rec.OrderUcents, rec.OrderWithTaxUcents = 0, 0
		rec.OrderExpires = time.Time{}
		rec.IntentAt, rec.PayIntentAt = time.Time{}, time.Time{}
		rec.IntentOVH, rec.PayIntentOVH, rec.CallEndOVH = time.Time{}, time.Time{}, time.Time{}
		rec.Adopted = false
		rec.LastMoneyStep = StatusNone
	default:
		rec.LastMoneyStep = StatusNone
	}
	if to == StatusApprovalExpired && rec.Approval.Pending() {
		rec.Approval.Decision = DecisionExpired
		rec.Approval.DecidedBy = actor
		rec.Approval.DecidedAt = now
	}
}

// checkNewApproval: entering awaiting_approval needs a pending approval
// whose id differs from the one it replaces, so that buttons showing an old
// price cannot decide the new request.
func checkNewApproval(key string, old Record, found bool, rec Record) error {
	a := rec.Approval
	switch {
	case a == nil || a.ID == "":
		return fmt.Errorf("transition %s to %s: no approval id (set Record.Approval in mutate)", key, StatusAwaitingApproval)
	case a.Decision != "":
		return fmt.Errorf("transition %s to %s: approval %s is already %s", key, StatusAwaitingApproval, a.ID, a.Decision)
	case found && old.Approval != nil && old.Approval.ID == a.ID:
		return fmt.Errorf("transition %s to %s: approval %s was asked before; a new request needs a new id", key, StatusAwaitingApproval, a.ID)
	}
	return nil
}

// Touch updates fields of an existing record without a status change and
// without a history event (for example the Slack channel and ts of the
// approval message, or the end of a money call), in one committed
// transaction. It returns ErrNotFound when the term has no record. mutate
// may not change the status, the term, the order, the approval's id or its
// decision (ErrConflict); Created, the intents and LastMoneyStep are kept;
// Updated is set to now. When mutate returns an error nothing is written.
func (l *Ledger) Touch(term renewd.Term, mutate func(*Record) error) (Record, error) {
	key, err := termKey(term)
	if err != nil {
		return Record{}, err
	}
	var out Record
	err = l.db.Update(func(tx *bolt.Tx) error {
		old, found, err := loadRecord(tx, key)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("touch %s: %w", key, ErrNotFound)
		}
		rec := old.clone()
		if err := mutate(&rec); err != nil {
			return fmt.Errorf("touch %s: %w", key, err)
		}
		if err := checkTouch(key, old, rec); err != nil {
			return err
		}
		rec.Term = old.Term
		rec.Created = old.Created
		rec.LastMoneyStep = old.LastMoneyStep
		rec.IntentAt, rec.PayIntentAt = old.IntentAt, old.PayIntentAt
		rec.IntentOVH, rec.PayIntentOVH = old.IntentOVH, old.PayIntentOVH
		rec.Updated = l.nowUTC()
		out, err = putRecord(tx, key, &old, rec)
		return err
	})
	if err != nil {
		return Record{}, err
	}
	return out, nil
}

func checkTouch(key string, old, rec Record) error {
	switch {
	case rec.Status != old.Status:
		return fmt.Errorf("touch %s: status changed from %s to %s; use Transition: %w", key, old.Status, rec.Status, ErrConflict)
	case rec.Term.String() != old.Term.String():
		return fmt.Errorf("touch %s: term changed to %s: %w", key, rec.Term, ErrConflict)
	case rec.OrderID != old.OrderID || !slices.Equal(rec.OtherOrders, old.OtherOrders):
		return fmt.Errorf("touch %s: order changed from %d to %d; use Transition: %w", key, old.OrderID, rec.OrderID, ErrOrderMismatch)
	case rec.PaidAt != old.PaidAt:
		return fmt.Errorf("touch %s: payment time changed; use Transition: %w", key, ErrConflict)
	case approvalIDOf(rec.Approval) != approvalIDOf(old.Approval):
		return fmt.Errorf("touch %s: approval changed from %q to %q; use Transition: %w", key, approvalIDOf(old.Approval), approvalIDOf(rec.Approval), ErrConflict)
	case old.Approval != nil && (rec.Approval.Decision != old.Approval.Decision ||
		rec.Approval.DecidedBy != old.Approval.DecidedBy || !rec.Approval.DecidedAt.Equal(old.Approval.DecidedAt) ||
		rec.Approval.PriceUcents != old.Approval.PriceUcents):
		return fmt.Errorf("touch %s: approval decision changed; use Decide: %w", key, ErrConflict)
	}
	return nil
}

func approvalIDOf(a *Approval) string {
	if a == nil {
		return ""
	}
	return a.ID
}

// IsRefusal reports whether err is one of the ledger's refusals of a move
// (ErrConflict and the precise errors wrapping it).
func IsRefusal(err error) bool { return errors.Is(err, ErrConflict) }
