package state

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Parked reports. A report the destination refused for good (Slack's
// invalid_blocks, not_in_channel, a revoked token...) would block every
// report behind it if it stayed at the head of the outbox, and no retry can
// deliver it. The sender parks it instead: the item moves, whole, from the
// `outbox` bucket to the `parked` bucket, under the same 8-byte sequence
// key, with the refusal in LastError. Nothing is lost: RequeueParked puts
// every parked item back in the outbox, in its old place, once the operator
// has fixed the cause.
//
// The bucket is created by the first OutboxPark, so a ledger that never
// parked anything has none, and every reader treats a missing bucket as
// empty (a read-only open cannot create it).

var bucketParked = []byte("parked")

// ParkedItem is a report the sender parked.
type ParkedItem struct {
	OutboxItem
	// ParkedAt is when it was parked; LastError says why.
	ParkedAt time.Time `json:"parkedAt"`
}

// OutboxPark moves the items seqs from the outbox to the parked bucket, in
// one transaction: each counts one more attempt, and errText (which must
// hold no secret) becomes its LastError. It returns ErrNotFound, and writes
// nothing, when one of them is not in the outbox.
func (l *Ledger) OutboxPark(errText string, seqs ...uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	now := l.nowUTC()
	err := l.db.Update(func(tx *bolt.Tx) error {
		parked, err := tx.CreateBucketIfNotExists(bucketParked)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketParked, err)
		}
		outbox := tx.Bucket(bucketOutbox)
		for _, seq := range seqs {
			raw := outbox.Get(seqKey(seq))
			if raw == nil {
				return fmt.Errorf("item %d: %w", seq, ErrNotFound)
			}
			item, err := decodeItem(seqKey(seq), raw)
			if err != nil {
				return err
			}
			item.Attempts++
			item.LastError = errText
			v, err := json.Marshal(ParkedItem{OutboxItem: item, ParkedAt: now})
			if err != nil {
				return fmt.Errorf("encode parked item %d: %w", seq, err)
			}
			if err := packed(parked).Put(seqKey(seq), v); err != nil {
				return fmt.Errorf("park item %d: %w", seq, err)
			}
			if err := outbox.Delete(seqKey(seq)); err != nil {
				return fmt.Errorf("remove item %d from the outbox: %w", seq, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("park %d outbox items: %w", len(seqs), err)
	}
	return nil
}

// Parked returns the parked items, oldest first; an empty slice when none.
func (l *Ledger) Parked() ([]ParkedItem, error) {
	out := []ParkedItem{}
	err := l.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketParked)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			p, err := decodeParked(k, v)
			if err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read parked reports: %w", err)
	}
	return out, nil
}

func decodeParked(k, v []byte) (ParkedItem, error) {
	var p ParkedItem
	if err := json.Unmarshal(v, &p); err != nil {
		return ParkedItem{}, fmt.Errorf("decode parked item %x: %w", k, err)
	}
	seq, err := seqFromKey(k)
	if err != nil {
		return ParkedItem{}, fmt.Errorf("parked key %x: %w", k, err)
	}
	p.Seq = seq
	return p, nil
}

// RequeueParked moves every parked item back to the outbox under its own
// sequence number, so it keeps its place before the reports queued after
// it, with its attempts and next attempt cleared and its last error kept.
// It returns how many it moved.
func (l *Ledger) RequeueParked() (int, error) {
	n := 0
	err := l.db.Update(func(tx *bolt.Tx) error {
		parked := tx.Bucket(bucketParked)
		if parked == nil {
			return nil
		}
		outbox := tx.Bucket(bucketOutbox)
		var keys [][]byte
		err := parked.ForEach(func(k, v []byte) error {
			p, err := decodeParked(k, v)
			if err != nil {
				return err
			}
			item := p.OutboxItem
			item.Attempts, item.NextAttempt = 0, time.Time{}
			raw, err := json.Marshal(item)
			if err != nil {
				return fmt.Errorf("encode outbox item %d: %w", p.Seq, err)
			}
			if err := outbox.Put(seqKey(p.Seq), raw); err != nil {
				return fmt.Errorf("requeue item %d: %w", p.Seq, err)
			}
			keys = append(keys, append([]byte(nil), k...))
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := parked.Delete(k); err != nil {
				return fmt.Errorf("unpark %x: %w", k, err)
			}
		}
		n = len(keys)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("requeue parked reports: %w", err)
	}
	return n, nil
}

// OutboxCounts returns how many reports wait in the outbox and how many
// are parked. It reads no value, only counts keys.
func (l *Ledger) OutboxCounts() (waiting, parked int, err error) {
	err = l.db.View(func(tx *bolt.Tx) error {
		waiting = tx.Bucket(bucketOutbox).Stats().KeyN
		if b := tx.Bucket(bucketParked); b != nil {
			parked = b.Stats().KeyN
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("count outbox items: %w", err)
	}
	return waiting, parked, nil
}

// parkedHas reports whether a parked item has the key. It decodes every
// parked item: there are few.
func parkedHas(tx *bolt.Tx, key string) (bool, error) {
	b := tx.Bucket(bucketParked)
	if b == nil {
		return false, nil
	}
	found := false
	err := b.ForEach(func(k, v []byte) error {
		p, err := decodeParked(k, v)
		if err != nil {
			return err
		}
		if p.Key == key {
			found = true
		}
		return nil
	})
	return found, err
}
