package state

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"
)

// ErrUnreadable: a stored record cannot be decoded (its bytes were damaged
// on disk or written by something other than renewd). Match it with
// errors.Is; the error is an *UnreadableError.
var ErrUnreadable = errors.New("ledger record unreadable")

// UnreadableError is ErrUnreadable with the record's key and the decoding
// error.
type UnreadableError struct {
	Key string
	Err error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("ledger record %q cannot be read (%v); renewd does not act on its service until the ledger is restored from a backup",
		e.Key, e.Err)
}

// Is makes errors.Is(err, ErrUnreadable) true.
func (e *UnreadableError) Is(target error) bool { return target == ErrUnreadable }

// Unwrap returns the decoding error.
func (e *UnreadableError) Unwrap() error { return e.Err }

// UnreadableRecord is a stored value the ledger could not decode.
type UnreadableRecord struct {
	// Bucket is "terms" for a term's record, "history" for an event.
	Bucket string `json:"bucket"`
	// Key is the stored key as it is: a term key (account/serviceId/
	// expiration), or for an event its term key, "#" and its sequence
	// number. It may hold any byte, so quote it (%q) to print it.
	Key string `json:"key"`
	// Err is why it could not be decoded, with unprintable characters
	// replaced by '?'.
	Err string `json:"error"`
	// SeenAt is when this Ledger first found it (the ledger's clock).
	SeenAt time.Time `json:"seen_at"`
}

// Unreadable returns the stored values this Ledger found it cannot decode,
// by bucket and key; an empty slice when there are none. It makes no I/O:
//
//   - the terms bucket is complete from Open on, which decodes every
//     record once, and is kept current by every scan of it (List,
//     InFlight, Prune) and by Get;
//   - history events are those that History came across.
//
// Scans skip such a record (with an ERROR log line naming its key, the
// first time this Ledger meets it); lookups that could lead to money moving
// for its service fail instead (Get, ForService, List with a ServiceID).
// A scan that sums or matches across every record (a budget, the orders
// already claimed) does not see the skipped ones, so a caller that must
// not act on a partial view checks Unreadable first and fails closed: the
// renewal cycle makes its outcome an error while this is not empty. Safe
// for concurrent use.
func (l *Ledger) Unreadable() []UnreadableRecord {
	return l.unreadable.list()
}

// badValue is a stored value a scan could not decode.
type badValue struct {
	bucket, key string
	err         error
}

// unreadableSet is what Unreadable returns, keyed by bucket and key.
type unreadableSet struct {
	mu sync.Mutex
	m  map[string]UnreadableRecord
}

func (s *unreadableSet) list() []UnreadableRecord {
	s.mu.Lock()
	out := make([]UnreadableRecord, 0, len(s.m))
	for _, u := range s.m {
		out = append(out, u)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b UnreadableRecord) int {
		return cmp.Or(cmp.Compare(a.Bucket, b.Bucket), cmp.Compare(a.Key, b.Key))
	})
	return out
}

// note records what a scan of bucket over the keys starting with prefix
// found it cannot decode. With complete (the scan read every key of the
// prefix), an entry of that prefix the scan did not find again is
// dropped: the record is readable again, or gone. It returns the entries
// seen for the first time.
func (s *unreadableSet) note(now time.Time, bucket, prefix string, complete bool, bad []badValue) []UnreadableRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]UnreadableRecord{}
	}
	found := map[string]bool{}
	var fresh []UnreadableRecord
	for _, b := range bad {
		id := b.bucket + "\x00" + b.key
		found[id] = true
		text := printable(b.err.Error())
		if old, ok := s.m[id]; ok && old.Err == text {
			continue
		}
		u := UnreadableRecord{Bucket: b.bucket, Key: b.key, Err: text, SeenAt: now}
		s.m[id] = u
		fresh = append(fresh, u)
	}
	if complete {
		for id, u := range s.m {
			if u.Bucket == bucket && strings.HasPrefix(u.Key, prefix) && !found[id] {
				delete(s.m, id)
			}
		}
	}
	return fresh
}

// noteUnreadable records a scan's findings and logs the new ones.
func (l *Ledger) noteUnreadable(bucket, prefix string, complete bool, bad []badValue) {
	for _, u := range l.unreadable.note(l.nowUTC(), bucket, prefix, complete, bad) {
		l.logger.Error("ledger record cannot be read; skipped, and its service is not renewed until the ledger is restored from a backup",
			"path", l.path, "bucket", u.Bucket, "key", u.Key, "err", u.Err)
	}
}

// serviceReadable fails when an unreadable record may be one of the
// service's: its key names that service, or is too damaged to name
// another (account "" matches any account).
func (l *Ledger) serviceReadable(account string, serviceID int64) error {
	for _, u := range l.unreadable.list() {
		if u.Bucket == string(bucketTerms) && mayBelongTo(u.Key, account, serviceID) {
			return &UnreadableError{Key: u.Key, Err: errors.New(u.Err)}
		}
	}
	return nil
}

// mayBelongTo reports whether a damaged term key may be a key of the
// service: false only when it clearly names another account or another
// service id.
func mayBelongTo(key, account string, serviceID int64) bool {
	parts := strings.SplitN(key, "/", 3)
	if len(parts) < 3 {
		return true // not account/id/expiration: it could be anyone's
	}
	if account != "" && parts[0] != account && plainName(parts[0]) {
		return false
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	return err != nil || id <= 0 || id == serviceID
}

// plainName reports whether s looks like an account name as the config
// allows them (letters, digits, - and _): a damaged one does not.
func plainName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// printable replaces what a terminal or a log could misread in s.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsGraphic(r) && r != unicode.ReplacementChar {
			return r
		}
		return '?'
	}, s)
}

// scanAll decodes every record once, so that Unreadable is complete from
// Open on.
func (l *Ledger) scanAll() error {
	var bad []badValue
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		bad, err = scanRecords(tx, "", func(Record) error { return nil })
		return err
	})
	if err != nil {
		return fmt.Errorf("open ledger %s: read the records: %w", l.path, err)
	}
	l.noteUnreadable(string(bucketTerms), "", true, bad)
	return nil
}
