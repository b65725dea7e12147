package state

import (
	"fmt"
	"slices"
	"time"

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// Transition moves the term's record to status to, in one read-write
// transaction committed and fsynced before it returns:
//
//  1. load the record, or start a new one when the ledger has none;
//  2. check the transition table (transitions) and the money-in-flight
//     rule; a refused transition returns ErrConflict, wrapped with the term
//     and both statuses, and writes nothing;
//  3. set the fields the ledger owns for the new status (see below);
//  4. call mutate, if not nil, on the record: it sets the caller's fields
//     (order id, prices, approval...); when it returns an error nothing is
//     written and the error is returned wrapped;
//  5. set Status = to, Reason = reason and Updated = now, store the record,
//     append an Event to the history and put the reports in the outbox.
//
// Fields the ledger sets before mutate, by new status: ordering: IntentAt =
// now; paying: PayIntentAt = now; ordering, ordered, paying: LastMoneyStep;
// failed: Attempts+1 and LastError = reason (mutate may put a fuller text);
// due: the order fields (OrderID, order prices, OrderExpires, IntentAt,
// PayIntentAt) are cleared, because `due` means no live order for the term;
// approval_expired: a pending Approval gets Decision "expired". After mutate:
// paid sets PaidAt and delivered sets DeliveredAt to now when mutate left
// them zero.
//
// approved and denied are not reachable here (ErrConflict): use Decide.
// Entering awaiting_approval requires mutate to leave a pending Approval with
// a new ID (see NewApprovalID). mutate runs inside the write transaction: it
// must be quick and must not call the network. The event's actor is
// SystemActor; TransitionAs names another.
func (l *Ledger) Transition(term renewd.Term, to Status, reason string, mutate func(*Record) error, reports ...Report) (Record, error) {
	return l.TransitionAs(SystemActor, term, to, reason, mutate, reports...)
}

// TransitionAs is Transition with the actor recorded in the history event
// (for example "cli:alice" for a transition an operator asked for). An
// empty actor means SystemActor.
func (l *Ledger) TransitionAs(actor string, term renewd.Term, to Status, reason string, mutate func(*Record) error, reports ...Report) (Record, error) {
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
	reports   []Report
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
	if err := checkTransition(key, rec, found, a.to, a.viaDecide); err != nil {
		return Record{}, err
	}

	from := rec.Status
	enterStatus(&rec, a.to, now, a.reason, a.actor)
	if a.mutate != nil {
		if err := a.mutate(&rec); err != nil {
			return Record{}, fmt.Errorf("transition %s from %s to %s: %w", key, from, a.to, err)
		}
	}
	rec.Term = normalTerm(a.term)
	rec.Status = a.to
	rec.Reason = a.reason
	rec.Updated = now
	if found {
		rec.Created = old.Created
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
	if err := enqueue(tx, now, a.reports); err != nil {
		return Record{}, err
	}
	return stored, nil
}

// checkTransition applies the table and the rules on top of it.
func checkTransition(key string, rec Record, found bool, to Status, viaDecide bool) error {
	from := StatusNone
	if found {
		from = rec.Status
	}
	if !Allowed(from, to) {
		return fmt.Errorf("transition %s from %s to %s: %w", key, from, to, ErrConflict)
	}
	if slices.Contains(decideOnly, to) && !viaDecide {
		return fmt.Errorf("transition %s from %s to %s: only Decide records a decision: %w", key, from, to, ErrConflict)
	}
	if from == StatusFailed && rec.MoneyInFlight() && !slices.Contains(failedWithMoneyInFlight, to) {
		return fmt.Errorf("transition %s from %s to %s: money may be in flight (order %d, last step %s), reconcile first: %w",
			key, from, to, rec.OrderID, rec.LastMoneyStep, ErrConflict)
	}
	return nil
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
// approval message), in one committed transaction. It returns ErrNotFound
// when the term has no record. mutate may not change the status, the term,
// the approval's id or its decision (ErrConflict); Created and
// LastMoneyStep are kept; Updated is set to now. When mutate returns an
// error nothing is written.
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
	case approvalIDOf(rec.Approval) != approvalIDOf(old.Approval):
		return fmt.Errorf("touch %s: approval changed from %q to %q; use Transition: %w", key, approvalIDOf(old.Approval), approvalIDOf(rec.Approval), ErrConflict)
	case old.Approval != nil && (rec.Approval.Decision != old.Approval.Decision ||
		rec.Approval.DecidedBy != old.Approval.DecidedBy || !rec.Approval.DecidedAt.Equal(old.Approval.DecidedAt)):
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
