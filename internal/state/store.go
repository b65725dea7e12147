package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// This file holds the low-level reads and writes every transaction shares:
// records with their indexes, history events.

// termKey checks a term and returns its ledger key.
func termKey(term renewd.Term) (string, error) {
	switch {
	case term.Account == "" || strings.ContainsAny(term.Account, "/\x00"):
		return "", fmt.Errorf("term %s: account %q is empty or holds '/'", term, term.Account)
	case term.ServiceID <= 0:
		return "", fmt.Errorf("term %s: service id %d is not positive", term, term.ServiceID)
	case term.Expiration.IsZero():
		return "", fmt.Errorf("term %s: no expiration", term)
	}
	return term.String(), nil
}

// normalTerm is the term as stored. A term's date needs no normalising;
// the function stays as the one place that would do it.
func normalTerm(term renewd.Term) renewd.Term { return term }

// loadRecord reads the record stored under key; found is false when none
// is. A record that cannot be decoded is an *UnreadableError.
func loadRecord(tx *bolt.Tx, key string) (rec Record, found bool, err error) {
	raw := tx.Bucket(bucketTerms).Get([]byte(key))
	if raw == nil {
		return Record{}, false, nil
	}
	rec, err = decodeRecord(key, raw)
	if err != nil {
		return Record{}, false, &UnreadableError{Key: key, Err: err}
	}
	return rec, true, nil
}

// putRecord stores rec under key and keeps the approvals and spent indexes
// in step with it. old is the record it replaces, nil for a new one. It
// returns the record as stored (what a later Get returns).
func putRecord(tx *bolt.Tx, key string, old *Record, rec Record) (Record, error) {
	raw, err := encodeRecord(rec)
	if err != nil {
		return Record{}, fmt.Errorf("encode record %s: %w", key, err)
	}
	stored, err := decodeRecord(key, raw)
	if err != nil {
		return Record{}, err
	}
	if err := packed(tx.Bucket(bucketTerms)).Put([]byte(key), raw); err != nil {
		return Record{}, fmt.Errorf("store record %s: %w", key, err)
	}

	if a := stored.Approval; a != nil && a.ID != "" {
		approvals := tx.Bucket(bucketApprovals)
		if owner := approvals.Get([]byte(a.ID)); owner != nil && string(owner) != key {
			return Record{}, fmt.Errorf("store record %s: approval id %s already belongs to %s", key, a.ID, owner)
		}
		if err := approvals.Put([]byte(a.ID), []byte(key)); err != nil {
			return Record{}, fmt.Errorf("index approval %s: %w", a.ID, err)
		}
	}

	if err := indexOrders(tx, key, stored); err != nil {
		return Record{}, err
	}

	spent := packed(tx.Bucket(bucketSpent))
	if old != nil {
		if k, ok := spentKey(*old); ok {
			if err := spent.Delete(k); err != nil {
				return Record{}, fmt.Errorf("unindex spend of %s: %w", key, err)
			}
		}
	}
	if k, ok := spentKey(stored); ok {
		v, err := json.Marshal(spentEntry{Currency: stored.Currency, Ucents: stored.OrderUcents, PaidAt: stored.PaidAt})
		if err != nil {
			return Record{}, fmt.Errorf("encode spend of %s: %w", key, err)
		}
		if err := spent.Put(k, v); err != nil {
			return Record{}, fmt.Errorf("index spend of %s: %w", key, err)
		}
	}
	return stored, nil
}

// orderKey is an order's key in the orders index: the account, 0x00, the
// order id big-endian. Order ids are unique within an OVH API, not across
// them (EU, CA and US each number their own), and a ledger may hold
// several accounts.
func orderKey(account string, orderID int64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(account), 0), uint64(orderID))
}

// indexOrders records in the orders index that each order the record
// holds belongs to its term. An entry is never moved to another term; it
// goes only with the record (Prune), so an order stays claimed by the term
// that first recorded it even after the term let it go.
func indexOrders(tx *bolt.Tx, key string, rec Record) error {
	orders := packed(tx.Bucket(bucketOrders))
	for _, id := range append([]int64{rec.OrderID}, rec.OtherOrders...) {
		if id == 0 {
			continue
		}
		k := orderKey(rec.Term.Account, id)
		if owner := orders.Get(k); owner != nil {
			if string(owner) != key {
				return fmt.Errorf("store record %s: order %d already belongs to %s: %w", key, id, owner, ErrOrderMismatch)
			}
			continue
		}
		if err := orders.Put(k, []byte(key)); err != nil {
			return fmt.Errorf("index order %d of %s: %w", id, key, err)
		}
	}
	return nil
}

// orderOwner returns the term key the account's order belongs to, or ""
// when no term recorded it.
func orderOwner(tx *bolt.Tx, account string, orderID int64) (string, error) {
	if orderID <= 0 {
		return "", fmt.Errorf("order id %d is not positive", orderID)
	}
	return string(tx.Bucket(bucketOrders).Get(orderKey(account, orderID))), nil
}

// OrderOwner returns the term that recorded the account's order, and false
// when no term did. The money path uses it not to take one term's order for
// another's: two services may share a name.
func (l *Ledger) OrderOwner(account string, orderID int64) (renewd.Term, bool, error) {
	var key string
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		key, err = orderOwner(tx, account, orderID)
		return err
	})
	if err != nil || key == "" {
		return renewd.Term{}, false, err
	}
	t, err := renewd.ParseTerm(key)
	if err != nil {
		return renewd.Term{}, false, fmt.Errorf("order %d: %w", orderID, err)
	}
	return t, true, nil
}

// deleteRecord removes a record and its spent index entry. Its approvals
// and history are removed by the caller (Prune), which scans for them.
func deleteRecord(tx *bolt.Tx, key string, rec Record) error {
	if k, ok := spentKey(rec); ok {
		if err := tx.Bucket(bucketSpent).Delete(k); err != nil {
			return fmt.Errorf("unindex spend of %s: %w", key, err)
		}
	}
	for _, id := range append([]int64{rec.OrderID}, rec.OtherOrders...) {
		if id == 0 {
			continue
		}
		k := orderKey(rec.Term.Account, id)
		if string(tx.Bucket(bucketOrders).Get(k)) == key {
			if err := tx.Bucket(bucketOrders).Delete(k); err != nil {
				return fmt.Errorf("unindex order %d of %s: %w", id, key, err)
			}
		}
	}
	if err := tx.Bucket(bucketTerms).Delete([]byte(key)); err != nil {
		return fmt.Errorf("delete record %s: %w", key, err)
	}
	return nil
}

// appendEvent adds ev to the history under the term and the next
// sequence number (historyKey).
func appendEvent(tx *bolt.Tx, ev Event) error {
	history := packed(tx.Bucket(bucketHistory))
	seq, err := history.NextSequence()
	if err != nil {
		return fmt.Errorf("history sequence: %w", err)
	}
	raw, err := encodeEvent(ev)
	if err != nil {
		return fmt.Errorf("encode event for %s: %w", ev.Term, err)
	}
	if err := history.Put(historyKey(ev.Term, seq), raw); err != nil {
		return fmt.Errorf("store event for %s: %w", ev.Term, err)
	}
	return nil
}

// packed sets the fill percent of a bucket for the write transaction at
// hand. The outbox and the spent index are appended in increasing key
// order, where bbolt's default of 0.5 leaves every page it splits half
// empty for good; the terms and history buckets grow at many places (one
// key range per service), where 0.9 still saves ~6% of their pages
// (docs/performance.md).
func packed(b *bolt.Bucket) *bolt.Bucket {
	b.FillPercent = packedFillPercent
	return b
}

// packedFillPercent is the fill percent packed sets.
const packedFillPercent = 0.9

// seqKey is the big-endian key of a sequence number, so keys sort by number.
func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}

func seqFromKey(k []byte) (uint64, error) {
	if len(k) != 8 {
		return 0, errors.New("sequence key is not 8 bytes")
	}
	return binary.BigEndian.Uint64(k), nil
}
