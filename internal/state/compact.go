package state

import (
	"fmt"
	"reflect"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A delivered term whose history Prune has folded keeps the record fields
// that later code reads and those an audit needs, as structured fields (the
// settled form): the term, status, service name and type, rule, period, the
// services when they are more than the service itself (a bundle), the order
// id (and a merged record's other orders), its amounts and currency, whether
// it was adopted, the payment form that paid it, who decided its approval,
// at which price and when, PaidAt, DeliveredAt, NewExpiration and Updated
// (which retention counts from). The working fields (cap and quote,
// intents, order expiry, the approval's request times and Slack message,
// attempts, next attempt, last error, reason, Created) are dropped; the
// summary event (summarize) says in words what happened. The spent index
// entry is left as it is (same PaidAt, amount and currency), and so are the
// term's approval and order ids: Decide on an approval is refused with
// ErrAlreadyDecided.

// settledForm returns the settled form of a delivered record.
func settledForm(r Record) Record {
	s := Record{
		Term: r.Term, ServiceName: r.ServiceName, ServiceType: r.ServiceType, Rule: r.Rule,
		Status: r.Status, Period: r.Period,
		Currency: r.Currency, OrderID: r.OrderID, OrderUcents: r.OrderUcents, OrderWithTaxUcents: r.OrderWithTaxUcents,
		OtherOrders: r.OtherOrders, Adopted: r.Adopted, Payment: r.Payment,
		PaidAt: r.PaidAt, DeliveredAt: r.DeliveredAt, NewExpiration: r.NewExpiration,
		Updated: r.Updated,
	}
	if a := r.Approval; a != nil && a.Decision != "" {
		s.Approval = &Approval{ID: a.ID, PriceUcents: a.PriceUcents, Decision: a.Decision, DecidedBy: a.DecidedBy, DecidedAt: a.DecidedAt}
	}
	if !(len(r.Services) == 1 && r.Services[0] == r.Term.ServiceID) {
		s.Services = r.Services
	}
	return s
}

// settle replaces a delivered record by its settled form, once its history
// is one summary event (folded now, or by an earlier Prune). It reports
// false, writing nothing, when the record is settled already or its history
// is not folded (then the record is the only audit left and is kept whole).
// It decodes at most one event, and only for a record not yet settled.
func (l *Ledger) settle(tx *bolt.Tx, rec Record, justFolded bool) (bool, error) {
	s := settledForm(rec)
	if reflect.DeepEqual(s, rec) {
		return false, nil
	}
	key := rec.Term.String()
	if !justFolded {
		ok, err := l.historyIsSummary(tx.Bucket(bucketHistory), key)
		if err != nil || !ok {
			return false, err
		}
	}
	raw, err := encodeRecord(s)
	if err != nil {
		return false, fmt.Errorf("encode settled record %s: %w", key, err)
	}
	// The spent index and the approvals index keep their entries: the
	// fields they derive from (PaidAt, OrderUcents, Currency) are kept.
	if err := packed(tx.Bucket(bucketTerms)).Put([]byte(key), raw); err != nil {
		return false, fmt.Errorf("store settled record %s: %w", key, err)
	}
	return true, nil
}

// historyIsSummary reports whether the term's history is exactly one
// summary event.
func (l *Ledger) historyIsSummary(history *bolt.Bucket, term string) (bool, error) {
	keys := termHistoryKeys(history, term)
	if len(keys) != 1 {
		return false, nil
	}
	ev, err := l.decodeEvent(keys[0], history.Get(keys[0]))
	if err != nil {
		return false, err
	}
	return ev.Folded > 0, nil
}

// spentKeepFrom is the oldest payment time the spent index keeps at now:
// the first day of the previous calendar month (UTC). SpentSince is asked
// for the current month (the budget); one more month covers a clock or
// time zone at a month's edge. Prune drops older entries.
func spentKeepFrom(now time.Time) time.Time {
	now = now.UTC()
	return time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, time.UTC)
}

// pruneSpent deletes the spent index entries of payments before keepFrom,
// reading keys only. It returns how many it deleted.
func pruneSpent(spent *bolt.Bucket, keepFrom time.Time) (int, error) {
	limit := keepFrom.UnixMicro()
	var keys [][]byte
	c := spent.Cursor()
	for k, _ := c.First(); k != nil; {
		account, micros, err := splitSpentKey(k)
		if err != nil {
			return 0, err
		}
		if micros >= limit {
			// This account's entries are in time order: skip to the next
			// account.
			k, _ = c.Seek(append([]byte(account), 1))
			continue
		}
		keys = append(keys, append([]byte(nil), k...))
		k, _ = c.Next()
	}
	for _, k := range keys {
		if err := spent.Delete(k); err != nil {
			return 0, fmt.Errorf("delete spent entry %q: %w", k, err)
		}
	}
	return len(keys), nil
}
