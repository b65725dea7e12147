package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Digests. When many reports of one kind wait at once (300 uncovered
// services), the sender posts one message that lists them rather than one
// message each. OutboxDigested removes all of them in one transaction and
// remembers, for each of their keys, the digest's message, marked as a
// digest in the `messages` bucket (`{channel, ts, at, digest: true}`): a
// later report under such a key must not edit a message that tells of many
// services, so Message reports Digest and the sender posts anew.

// Sent names one outbox item by its sequence number and key.
type Sent struct {
	Seq uint64
	Key string
}

// MessageInfo is what the ledger remembers of the message a report key last
// posted or updated.
type MessageInfo struct {
	Channel string    `json:"channel"`
	TS      string    `json:"ts"`
	At      time.Time `json:"at"`
	// Digest is true when the message is a digest of many reports: it is
	// not this key's own message, and is not to be edited for it.
	Digest bool `json:"digest,omitempty"`
}

// OutboxDigested removes the items from the outbox and, when channel and ts
// are not empty, remembers each item's key -> the digest message (Digest
// set), in one transaction. An item no longer in the outbox is skipped: the
// digest told of it all the same.
func (l *Ledger) OutboxDigested(items []Sent, channel, ts string) error {
	if len(items) == 0 {
		return nil
	}
	now := l.nowUTC()
	err := l.db.Update(func(tx *bolt.Tx) error {
		outbox := tx.Bucket(bucketOutbox)
		messages := tx.Bucket(bucketMessages)
		ref, err := json.Marshal(MessageInfo{Channel: channel, TS: ts, At: now, Digest: true})
		if err != nil {
			return err
		}
		for _, it := range items {
			raw := outbox.Get(seqKey(it.Seq))
			if raw == nil {
				continue
			}
			item, err := decodeItem(seqKey(it.Seq), raw)
			if err != nil {
				return err
			}
			if item.Key != it.Key {
				return fmt.Errorf("item %d has key %q, not %q", it.Seq, item.Key, it.Key)
			}
			if err := outbox.Delete(seqKey(it.Seq)); err != nil {
				return fmt.Errorf("remove item %d: %w", it.Seq, err)
			}
			if it.Key == "" || channel == "" || ts == "" {
				continue
			}
			if err := messages.Put([]byte(it.Key), ref); err != nil {
				return fmt.Errorf("remember the digest of %s: %w", it.Key, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%d outbox items done in one digest: %w", len(items), err)
	}
	return nil
}

// OutboxRetryMany records a failed send of the items seqs, as OutboxRetry
// does for one, in one transaction. Items no longer in the outbox are
// skipped.
func (l *Ledger) OutboxRetryMany(seqs []uint64, next time.Time, errText string) error {
	if len(seqs) == 0 {
		return nil
	}
	err := l.db.Update(func(tx *bolt.Tx) error {
		outbox := tx.Bucket(bucketOutbox)
		for _, seq := range seqs {
			if err := retryItem(outbox, seq, next, errText); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("retry %d outbox items: %w", len(seqs), err)
	}
	return nil
}

// Message returns what the ledger remembers of the message key last posted
// or updated; ok is false when it remembers none.
func (l *Ledger) Message(key string) (info MessageInfo, ok bool, err error) {
	err = l.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketMessages).Get([]byte(key))
		if raw == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(raw, &info)
	})
	if err != nil {
		return MessageInfo{}, false, fmt.Errorf("message of %s: %w", key, err)
	}
	return info, ok, nil
}
