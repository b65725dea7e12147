package state

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The `history` bucket (schema 2) keys each event by its term and its
// sequence number:
//
//	key   = term key 0x00 uint64-big-endian(seq)
//	value = storedEvent (codec.go)
//
// so a term's events are one key range: Prune deletes or folds them
// without reading any other term's events, and History reads a term, a
// service or an account by seeking to its prefix. Sequence numbers come from
// the bucket's NextSequence and give the order across terms.

// historyKey is the key of event seq of the term whose key is term.
func historyKey(term string, seq uint64) []byte {
	k := make([]byte, 0, len(term)+9)
	k = append(k, term...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

// historyPrefix is the prefix of every event of the term.
func historyPrefix(term string) []byte { return append([]byte(term), 0) }

func splitHistoryKey(k []byte) (term string, seq uint64, err error) {
	if len(k) < 10 || k[len(k)-9] != 0 {
		return "", 0, fmt.Errorf("history key %q is not term 0x00 sequence", k)
	}
	return string(k[:len(k)-9]), binary.BigEndian.Uint64(k[len(k)-8:]), nil
}

// HistoryFilter selects events. Zero fields select everything.
type HistoryFilter struct {
	Term      string // a term key (Term.String())
	ServiceID int64
	Account   string
	Since     time.Time // events at or after
	Limit     int       // at most this many, the most recent; 0 = no limit
}

// prefix is the key range the filter can seek to.
func (f HistoryFilter) prefix() []byte {
	switch {
	case f.Term != "":
		return historyPrefix(f.Term)
	case f.Account != "" && f.ServiceID != 0:
		return []byte(f.Account + "/" + strconv.FormatInt(f.ServiceID, 10) + "/")
	case f.Account != "":
		return []byte(f.Account + "/")
	}
	return nil
}

// matchTerm applies the filter's term fields to a term key.
func (f HistoryFilter) matchTerm(term string) bool {
	if f.Term != "" && term != f.Term {
		return false
	}
	account, rest, _ := strings.Cut(term, "/")
	id, _, _ := strings.Cut(rest, "/")
	if f.Account != "" && account != f.Account {
		return false
	}
	return f.ServiceID == 0 || id == strconv.FormatInt(f.ServiceID, 10)
}

// History returns the events the filter selects, oldest first (by Seq).
// With a Limit it returns the most recent Limit of them. A Term, or an
// Account (with or without a ServiceID), reads only that key range; a
// ServiceID alone reads every key but decodes only that service's events;
// no term filter reads and decodes the whole history (bounded by Prune's
// retention and folding). An event that cannot be decoded is skipped,
// logged (at ERROR, naming it) and remembered (Unreadable); the history
// is for people to read, and no money moves on it.
func (l *Ledger) History(filter HistoryFilter) ([]Event, error) {
	out := []Event{}
	var bad []badValue
	err := l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHistory).Cursor()
		prefix := filter.prefix()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			term, seq, err := splitHistoryKey(k)
			if err != nil {
				bad = append(bad, badValue{bucket: string(bucketHistory), key: string(k), err: err})
				continue
			}
			if !filter.matchTerm(term) {
				continue
			}
			ev, err := l.decodeEvent(k, v)
			if err != nil {
				bad = append(bad, badValue{bucket: string(bucketHistory), key: term + "#" + strconv.FormatUint(seq, 10), err: err})
				continue
			}
			if filter.Since.IsZero() || !ev.At.Before(filter.Since) {
				out = append(out, ev)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	l.noteUnreadable(string(bucketHistory), "", false, bad)
	slices.SortFunc(out, func(a, b Event) int { return cmp.Compare(a.Seq, b.Seq) })
	if filter.Limit > 0 && len(out) > filter.Limit {
		out = out[len(out)-filter.Limit:]
	}
	return out, nil
}

// termHistoryKeys returns copies of the keys of the term's events, in
// sequence order, without decoding them.
func termHistoryKeys(history *bolt.Bucket, term string) [][]byte {
	var keys [][]byte
	prefix := historyPrefix(term)
	c := history.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

// deleteTermHistory deletes every event of the term, decoding none.
func deleteTermHistory(history *bolt.Bucket, term string) error {
	for _, k := range termHistoryKeys(history, term) {
		if err := history.Delete(k); err != nil {
			return fmt.Errorf("delete history of %s: %w", term, err)
		}
	}
	return nil
}
