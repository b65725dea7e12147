package state

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The outbox is a transactional outbox for Slack reports: a report is put
// in the `outbox` bucket in the same transaction as the state change it
// tells about, so a crash or a Slack outage delays it but never loses it. A
// sender drains it (Outbox), and marks each item done (OutboxDone) with the
// channel and ts of the message it posted, or schedules a retry
// (OutboxRetry). Delivery is at least once: a crash between posting and
// OutboxDone posts again.
//
// The `messages` bucket remembers, per report Key, the Slack message that
// Key last posted or updated, so a later report with the same Key updates
// that message (chat.update) instead of posting a new one.

// Report is a message to post or update in Slack.
type Report struct {
	// Key is the stable identity of the Slack message the report posts or
	// updates: "approval/<id>", "term/<term>", "cycle/<n>".
	Key string `json:"key"`
	// Kind tells the sender how to render Body.
	Kind string `json:"kind"`
	// Body is JSON, opaque to the ledger.
	Body []byte `json:"body,omitempty"`
}

// OutboxItem is a report waiting to be sent.
type OutboxItem struct {
	Seq uint64 `json:"seq"` // position in the outbox, from bucket.NextSequence
	Report
	Enqueued    time.Time `json:"enqueued"`
	Attempts    int       `json:"attempts,omitempty"` // failed sends so far
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
	LastError   string    `json:"lastError,omitempty"`
}

type messageRef struct {
	Channel string    `json:"channel"`
	TS      string    `json:"ts"`
	At      time.Time `json:"at"` // when the message was last posted or updated
}

// Enqueue puts reports in the outbox in one committed transaction, outside
// any transition. Reports that go with a transition are passed to
// Transition or Decide instead, so they commit with it.
func (l *Ledger) Enqueue(reports ...Report) error {
	if len(reports) == 0 {
		return nil
	}
	err := l.db.Update(func(tx *bolt.Tx) error { return enqueue(tx, l.nowUTC(), reports) })
	if err != nil {
		return fmt.Errorf("enqueue %d reports: %w", len(reports), err)
	}
	return nil
}

// EnqueueOnce puts a report in the outbox unless a report with the same
// key is already waiting there, is parked, or was delivered (its message
// ref is kept).
// It reports whether it queued the report. It is for notices that every
// cycle would otherwise repeat, and that a restart during a Slack outage
// would queue twice.
func (l *Ledger) EnqueueOnce(r Report) (bool, error) {
	queued := false
	err := l.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMessages).Get([]byte(r.Key)) != nil {
			return nil
		}
		if parked, err := parkedHas(tx, r.Key); err != nil || parked {
			return err // a parked report is still waiting: RequeueParked
		}
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			item, err := decodeItem(k, v)
			if err != nil {
				return err
			}
			if item.Key == r.Key {
				return nil
			}
		}
		queued = true
		return enqueue(tx, l.nowUTC(), []Report{r})
	})
	if err != nil {
		return false, fmt.Errorf("enqueue report %s once: %w", r.Key, err)
	}
	return queued, nil
}

func enqueue(tx *bolt.Tx, now time.Time, reports []Report) error {
	outbox := packed(tx.Bucket(bucketOutbox))
	for _, r := range reports {
		seq, err := outbox.NextSequence()
		if err != nil {
			return fmt.Errorf("outbox sequence: %w", err)
		}
		raw, err := json.Marshal(OutboxItem{Seq: seq, Report: r, Enqueued: now})
		if err != nil {
			return fmt.Errorf("encode report %s: %w", r.Key, err)
		}
		if err := outbox.Put(seqKey(seq), raw); err != nil {
			return fmt.Errorf("store report %s: %w", r.Key, err)
		}
	}
	return nil
}

// Outbox returns up to limit items (all when limit <= 0), oldest first.
// Items waiting for their NextAttempt are included: the sender decides
// whether to skip them, and should keep the order of items that share a
// Key (a post before its updates).
func (l *Ledger) Outbox(limit int) ([]OutboxItem, error) {
	out := []OutboxItem{}
	err := l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			item, err := decodeItem(k, v)
			if err != nil {
				return err
			}
			out = append(out, item)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return out, nil
}

// OutboxLen returns how many reports wait in the outbox, those waiting for
// a retry included. It counts keys without decoding them.
func (l *Ledger) OutboxLen() (int, error) {
	n := 0
	err := l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count the outbox: %w", err)
	}
	return n, nil
}

func decodeItem(k, v []byte) (OutboxItem, error) {
	var item OutboxItem
	if err := json.Unmarshal(v, &item); err != nil {
		return OutboxItem{}, fmt.Errorf("decode outbox item %x: %w", k, err)
	}
	seq, err := seqFromKey(k)
	if err != nil {
		return OutboxItem{}, fmt.Errorf("outbox key %x: %w", k, err)
	}
	item.Seq = seq
	return item, nil
}

// OutboxDone removes item seq from the outbox and, when channel and ts are
// not empty, remembers key -> (channel, ts) for MessageRef. key must be the
// item's Key. It returns ErrNotFound when the item is not in the outbox
// (already done); nothing is written then.
func (l *Ledger) OutboxDone(seq uint64, key, channel, ts string) error {
	err := l.db.Update(func(tx *bolt.Tx) error {
		outbox := tx.Bucket(bucketOutbox)
		raw := outbox.Get(seqKey(seq))
		if raw == nil {
			return ErrNotFound
		}
		item, err := decodeItem(seqKey(seq), raw)
		if err != nil {
			return err
		}
		if item.Key != key {
			return fmt.Errorf("item has key %q, not %q", item.Key, key)
		}
		if err := outbox.Delete(seqKey(seq)); err != nil {
			return err
		}
		if key == "" || channel == "" || ts == "" {
			return nil
		}
		ref, err := json.Marshal(messageRef{Channel: channel, TS: ts, At: l.nowUTC()})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketMessages).Put([]byte(key), ref)
	})
	if err != nil {
		return fmt.Errorf("outbox item %d (%s) done: %w", seq, key, err)
	}
	return nil
}

// OutboxRetry records a failed send of item seq: one more attempt, the
// error text (which must hold no secret) and the time before which the
// sender should not try again. ErrNotFound when the item is not in the
// outbox.
func (l *Ledger) OutboxRetry(seq uint64, next time.Time, errText string) error {
	err := l.db.Update(func(tx *bolt.Tx) error {
		return retryItem(tx.Bucket(bucketOutbox), seq, next, errText)
	})
	if err != nil {
		return fmt.Errorf("outbox item %d retry: %w", seq, err)
	}
	return nil
}

// retryItem counts a failed send of item seq in the outbox bucket;
// ErrNotFound when the item is not there.
func retryItem(outbox *bolt.Bucket, seq uint64, next time.Time, errText string) error {
	raw := outbox.Get(seqKey(seq))
	if raw == nil {
		return ErrNotFound
	}
	item, err := decodeItem(seqKey(seq), raw)
	if err != nil {
		return err
	}
	item.Attempts++
	item.NextAttempt = next.UTC().Round(0)
	item.LastError = errText
	raw, err = json.Marshal(item)
	if err != nil {
		return err
	}
	return outbox.Put(seqKey(seq), raw)
}

// MessageRef returns the Slack message a report Key last posted; ok is
// false when none is known.
func (l *Ledger) MessageRef(key string) (channel, ts string, ok bool, err error) {
	var ref messageRef
	err = l.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketMessages).Get([]byte(key))
		if raw == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(raw, &ref)
	})
	if err != nil {
		return "", "", false, fmt.Errorf("message ref %s: %w", key, err)
	}
	return ref.Channel, ref.TS, ok, nil
}
