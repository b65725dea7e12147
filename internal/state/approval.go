package state

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// approvalEncoding writes ids in lower-case base32 without padding: 26
// characters for 128 bits, safe in a Slack button value and a shell.
var approvalEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewApprovalID returns a new opaque approval id: 128 random bits from
// crypto/rand, in lower-case base32 (26 characters).
func NewApprovalID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new approval id: %w", err)
	}
	return strings.ToLower(approvalEncoding.EncodeToString(b[:])), nil
}

// ApprovalByID returns the record the approval id was issued for, or
// ErrNotFound when the id is unknown (never issued, or pruned). The
// record's current Approval may be a newer one when id was superseded by a
// re-ask; compare Record.Approval.ID.
func (l *Ledger) ApprovalByID(id string) (Record, error) {
	var rec Record
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, _, err = approvalRecord(tx, id)
		return err
	})
	if err != nil {
		return Record{}, err
	}
	return rec, nil
}

// approvalRecord loads the record an approval id belongs to.
func approvalRecord(tx *bolt.Tx, id string) (Record, renewd.Term, error) {
	key := tx.Bucket(bucketApprovals).Get([]byte(id))
	if key == nil {
		return Record{}, renewd.Term{}, fmt.Errorf("approval %q: %w", id, ErrNotFound)
	}
	rec, found, err := loadRecord(tx, string(key))
	if err != nil {
		return Record{}, renewd.Term{}, fmt.Errorf("approval %q: %w", id, err)
	}
	if !found {
		return Record{}, renewd.Term{}, fmt.Errorf("approval %q: term %s: %w", id, key, ErrNotFound)
	}
	return rec, rec.Term, nil
}

// Decide records a human decision on an approval, in one committed
// transaction, and moves the term to approved or denied with an Event
// whose Actor is actor; the reports, computed from the record as stored,
// go to the outbox in the same transaction (reports may be nil). decision is DecisionApproved or DecisionDenied; actor names
// who decided ("slack:U0123", "cli:alice") and is checked against no list
// here: the caller checks its allow-list first.
//
// Errors: ErrNotFound when the id is unknown; ErrSuperseded (which is also
// ErrAlreadyDecided) when the term was re-asked with a newer approval;
// ErrAlreadyDecided when the approval is not pending any more (a replayed
// click, or the term moved on); ErrApprovalExpired when now is past
// ExpiresAt. Nothing is written on error.
func (l *Ledger) Decide(approvalID string, decision Decision, actor string, reports Reports) (Record, error) {
	var to Status
	switch decision {
	case DecisionApproved:
		to = StatusApproved
	case DecisionDenied:
		to = StatusDenied
	default:
		return Record{}, fmt.Errorf("decide approval %q: decision %q is neither %q nor %q", approvalID, decision, DecisionApproved, DecisionDenied)
	}
	if actor == "" {
		return Record{}, fmt.Errorf("decide approval %q: no actor", approvalID)
	}
	var out Record
	err := l.db.Update(func(tx *bolt.Tx) error {
		rec, term, err := approvalRecord(tx, approvalID)
		if err != nil {
			return err
		}
		a := rec.Approval
		switch {
		case a == nil && rec.Status == StatusDelivered:
			// A settled record (compact.go) keeps no approval: the id was
			// decided long ago, and the term is delivered.
			return fmt.Errorf("decide approval %q for %s: the term is %s: %w", approvalID, term, rec.Status, ErrAlreadyDecided)
		case a == nil || a.ID != approvalID:
			return fmt.Errorf("decide approval %q for %s: newer approval %q: %w", approvalID, term, approvalIDOf(a), ErrSuperseded)
		case rec.Status != StatusAwaitingApproval || a.Decision != "":
			return fmt.Errorf("decide approval %q for %s: status %s, decision %q by %q: %w",
				approvalID, term, rec.Status, a.Decision, a.DecidedBy, ErrAlreadyDecided)
		}
		now := l.nowUTC()
		if !a.ExpiresAt.IsZero() && now.After(a.ExpiresAt) {
			return fmt.Errorf("decide approval %q for %s: expired at %s: %w", approvalID, term, a.ExpiresAt.Format("2006-01-02 15:04:05Z07:00"), ErrApprovalExpired)
		}
		reason := fmt.Sprintf("%s by %s", decision, actor)
		out, err = l.transition(tx, transitionArgs{
			actor: actor, term: term, to: to, reason: reason, reports: reports, viaDecide: true,
			mutate: func(r *Record) error {
				r.Approval.Decision = decision
				r.Approval.DecidedBy = actor
				r.Approval.DecidedAt = now
				return nil
			},
		})
		return err
	})
	if err != nil {
		return Record{}, err
	}
	return out, nil
}
