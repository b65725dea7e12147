package state

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The `spent` bucket indexes paid records by account and payment time:
//
//	key   = account 0x00 uint64-big-endian(PaidAt in µs since 1970) term-key
//	value = {"c": currency, "u": ucents, "p": paidAt} (spentEntry, codec.go)
//
// putRecord and deleteRecord keep it in step with `terms` in the same
// transaction, so it is never stale; Prune deletes the entries of payments
// before the first day of the previous calendar month (spentKeepFrom). SpentSince seeks straight to `since`
// within each account, so its cost grows with the payments it sums (and the
// number of accounts), not with the size of the history or of the ledger.

// spentKey is the record's key in the spent index; ok is false for a record
// that spent nothing (not paid, or no payment time).
func spentKey(rec Record) (key []byte, ok bool) {
	if !rec.Paid() || rec.PaidAt.IsZero() {
		return nil, false
	}
	key = spentPrefix(rec.Term.Account, rec.PaidAt)
	return append(key, rec.Term.String()...), true
}

// spentPrefix is account 0x00 followed by the time, the seek target for
// payments at or after t.
func spentPrefix(account string, t time.Time) []byte {
	key := append([]byte(account), 0)
	micros := t.UnixMicro()
	if micros < 0 {
		micros = 0
	}
	return binary.BigEndian.AppendUint64(key, uint64(micros))
}

// SpentSince sums, per currency, the OrderUcents of the account's records
// paid at or after since (status paid, delivered or undelivered). An empty
// account sums every account. It reads the ledger, so a restart does not
// reset it. Prune drops the index entries of payments made before the first
// day of the previous calendar month (UTC), so ask only about windows
// starting on or after that day (the budget asks for the current month).
// The map is empty, not nil, when nothing was spent.
func (l *Ledger) SpentSince(account string, since time.Time) (map[string]int64, error) {
	sums := map[string]int64{}
	err := l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketSpent).Cursor()
		if account != "" {
			return sumAccount(c, account, since, sums)
		}
		for k, _ := c.First(); k != nil; {
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				return fmt.Errorf("spent index key %q has no account", k)
			}
			acct := string(k[:i])
			if err := sumAccount(c, acct, since, sums); err != nil {
				return err
			}
			k, _ = c.Seek(append([]byte(acct), 1)) // the next account
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("spent since %s for %q: %w", since.Format(time.RFC3339), account, err)
	}
	return sums, nil
}

func sumAccount(c *bolt.Cursor, account string, since time.Time, sums map[string]int64) error {
	prefix := append([]byte(account), 0)
	for k, v := c.Seek(spentPrefix(account, since)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var e spentEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("decode spent entry %q: %w", k, err)
		}
		if e.PaidAt.Before(since) { // same microsecond, earlier nanoseconds
			continue
		}
		sums[e.Currency] += e.Ucents
	}
	return nil
}

// splitSpentKey returns the account and the payment time (µs since 1970)
// of a spent index key.
func splitSpentKey(k []byte) (account string, micros int64, err error) {
	i := bytes.IndexByte(k, 0)
	if i < 0 || len(k) < i+9 {
		return "", 0, fmt.Errorf("spent index key %q is not account 0x00 time term", k)
	}
	return string(k[:i]), int64(binary.BigEndian.Uint64(k[i+1 : i+9])), nil
}
