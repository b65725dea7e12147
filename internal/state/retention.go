package state

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Prune applies the retention setting, in one committed transaction, and
// returns how many records it deleted. It deletes the records whose
// status is final for the ledger (delivered, denied, approval_expired,
// refused, and failed without money in flight) and whose Updated is before
// the cutoff, together with their history events, their approval ids and
// their entries in the spent index; then the Slack message refs last used
// before the cutoff that no longer name a live term or approval. It never
// deletes a record with money in flight, a paid record whose delivery is
// still followed (paid, undelivered), a record still waiting for a step
// (due, awaiting_approval, approved), or an outbox item.
//
// It also folds the history of every delivered record last updated more
// than Options.FoldAfter ago into one summary event (Event.Folded), so a
// settled term costs one event instead of five until it is pruned, and in
// the same step shrinks the record to its settled form (compact.go: the
// fields the rest of renewd reads of a delivered term; the summary event
// keeps the audit of the dropped ones). A record whose history could not be
// folded is kept whole. Records of other statuses are never shrunk: they can
// still move (denied is final but rare, and keeps who denied it).
//
// A record it cannot decode is kept as it is, with its history, and
// remembered (Unreadable).
//
// Finally it drops the spent index entries of payments made before the
// first day of the previous calendar month (UTC): SpentSince answers only
// for windows starting on or after that day.
//
// Its cost is a scan of the records, approvals and messages, and of the
// spent index's keys up to the kept window (no history event is decoded but
// those of the terms it folds or settles: a term's events are one key
// range, deleted without reading them). Run it once a day, after the
// cycle. bbolt reuses the freed pages, so the file stops growing once the
// retention period is reached, but it never shrinks.
func (l *Ledger) Prune(before time.Time) (int, error) {
	pruned, folded, compacted, spentDropped := 0, 0, 0, 0
	now := l.nowUTC()
	foldBefore := now.Add(-l.foldAfter)
	var bad []badValue // kept: Prune never deletes what it cannot read
	err := l.db.Update(func(tx *bolt.Tx) error {
		terms := tx.Bucket(bucketTerms)
		history := tx.Bucket(bucketHistory)
		var doomed, settled []Record
		var err error
		bad, err = scanRecords(tx, "", func(r Record) error {
			switch {
			case r.terminal() && r.Updated.Before(before):
				doomed = append(doomed, r)
			case l.foldAfter > 0 && r.Status == StatusDelivered && r.Updated.Before(foldBefore):
				settled = append(settled, r)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range doomed {
			key := r.Term.String()
			if err := deleteRecord(tx, key, r); err != nil {
				return err
			}
			if err := deleteTermHistory(history, key); err != nil {
				return err
			}
		}
		pruned = len(doomed)
		for _, r := range settled {
			ok, err := l.foldHistory(history, r)
			if err != nil {
				return err
			}
			if ok {
				folded++
			}
			done, err := l.settle(tx, r, ok)
			if err != nil {
				return err
			}
			if done {
				compacted++
			}
		}
		n, err := pruneSpent(packed(tx.Bucket(bucketSpent)), spentKeepFrom(now))
		if err != nil {
			return fmt.Errorf("prune spent index: %w", err)
		}
		spentDropped = n
		live := func(termKey []byte) bool { return terms.Get(termKey) != nil }

		approvals := tx.Bucket(bucketApprovals)
		if err := deleteWhere(approvals, func(_, v []byte) (bool, error) {
			return !live(v), nil
		}); err != nil {
			return fmt.Errorf("prune approvals: %w", err)
		}

		if err := deleteWhere(tx.Bucket(bucketMessages), func(k, v []byte) (bool, error) {
			var ref messageRef
			if err := json.Unmarshal(v, &ref); err != nil {
				return false, fmt.Errorf("decode message ref %s: %w", k, err)
			}
			if !ref.At.Before(before) {
				return false, nil
			}
			key := string(k)
			if t, ok := strings.CutPrefix(key, "term/"); ok && live([]byte(t)) {
				return false, nil
			}
			if id, ok := strings.CutPrefix(key, "approval/"); ok && approvals.Get([]byte(id)) != nil {
				return false, nil
			}
			return true, nil
		}); err != nil {
			return fmt.Errorf("prune message refs: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune ledger before %s: %w", before.Format(time.RFC3339), err)
	}
	l.noteUnreadable(string(bucketTerms), "", true, bad)
	if pruned > 0 || folded > 0 || compacted > 0 || spentDropped > 0 {
		l.logger.Info("pruned ledger", "records", pruned, "before", before, "folded", folded,
			"settled", compacted, "spent_entries", spentDropped)
	}
	return pruned, nil
}

// deleteWhere deletes the bucket's keys for which doomed says true. Keys are
// collected first and deleted after the scan: deleting under a cursor can
// skip keys (etcd-io/bbolt#611).
func deleteWhere(b *bolt.Bucket, doomed func(k, v []byte) (bool, error)) error {
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		del, err := doomed(k, v)
		if del {
			keys = append(keys, append([]byte(nil), k...))
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
