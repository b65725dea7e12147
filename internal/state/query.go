package state

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// Get returns the term's record; found is false (and err nil) when the
// ledger has none. It fails closed: a record stored for the term that
// cannot be decoded is an error that wraps ErrUnreadable (an
// *UnreadableError), never "not found", so that nothing is ordered for a
// term whose record may say it is already paid.
func (l *Ledger) Get(term renewd.Term) (rec Record, found bool, err error) {
	key, err := termKey(term)
	if err != nil {
		return Record{}, false, err
	}
	err = l.db.View(func(tx *bolt.Tx) error {
		rec, found, err = loadRecord(tx, key)
		return err
	})
	if ue := (*UnreadableError)(nil); errors.As(err, &ue) {
		l.noteUnreadable(string(bucketTerms), key, false, []badValue{{bucket: string(bucketTerms), key: ue.Key, err: ue.Err}})
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("get %s: %w", key, err)
	}
	return rec, found, nil
}

// Filter selects records for List. Zero fields select everything.
type Filter struct {
	Statuses  []Status // any of these
	Account   string
	ServiceID int64
}

func (f Filter) match(r Record) bool {
	return (len(f.Statuses) == 0 || slices.Contains(f.Statuses, r.Status)) &&
		(f.Account == "" || r.Term.Account == f.Account) &&
		(f.ServiceID == 0 || r.Term.ServiceID == f.ServiceID)
}

// ForService returns every term of the service, oldest expiration first;
// an empty slice when there is none. Like List with a ServiceID, it fails
// closed: when a record that may be the service's cannot be decoded, it
// returns an error that wraps ErrUnreadable, so that the caller orders
// nothing for a service whose history it cannot see.
func (l *Ledger) ForService(account string, serviceID int64) ([]Record, error) {
	return l.List(Filter{Account: account, ServiceID: serviceID})
}

// List returns the records the filter selects, ordered by account, service
// id, then expiration (oldest first). With an account it reads only that
// account's keys (and with a service id too, only that service's); otherwise
// it reads every record.
//
// A record that cannot be decoded is skipped, logged (at ERROR, naming its
// key) and remembered (Unreadable), except with a ServiceID: then List
// fails with an error wrapping ErrUnreadable when any unreadable record may
// be that service's (its key names the service, or is too damaged to name
// another), found by this scan or earlier ones.
func (l *Ledger) List(filter Filter) ([]Record, error) {
	prefix := ""
	if filter.Account != "" {
		prefix = filter.Account + "/"
		if filter.ServiceID != 0 {
			prefix += strconv.FormatInt(filter.ServiceID, 10) + "/"
		}
	}
	out := []Record{}
	var bad []badValue
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		bad, err = scanRecords(tx, prefix, func(r Record) error {
			if filter.match(r) {
				out = append(out, r)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	l.noteUnreadable(string(bucketTerms), prefix, true, bad)
	if filter.ServiceID != 0 {
		if err := l.serviceReadable(filter.Account, filter.ServiceID); err != nil {
			return nil, fmt.Errorf("list records of service %d: %w", filter.ServiceID, err)
		}
	}
	sortRecords(out)
	return out, nil
}

// InFlight returns the records a restarted renewd must look at before
// anything else: money in flight (Record.MoneyInFlight) and paid records
// whose delivery is still followed (paid, undelivered). Ordered as List.
// A record that cannot be decoded is skipped and remembered as List does
// without a ServiceID: the caller checks Unreadable, since such a record
// may be one with money in flight.
func (l *Ledger) InFlight() ([]Record, error) {
	out := []Record{}
	var bad []badValue
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		bad, err = scanRecords(tx, "", func(r Record) error {
			if r.MoneyInFlight() || r.Status == StatusPaid || r.Status == StatusUndelivered {
				out = append(out, r)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list in-flight records: %w", err)
	}
	l.noteUnreadable(string(bucketTerms), "", true, bad)
	sortRecords(out)
	return out, nil
}

// scanRecords calls fn for each record whose key starts with prefix, in key
// order, and returns the records it could not decode, which it skips.
func scanRecords(tx *bolt.Tx, prefix string, fn func(Record) error) ([]badValue, error) {
	c := tx.Bucket(bucketTerms).Cursor()
	p := []byte(prefix)
	var bad []badValue
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		r, err := decodeRecord(string(k), v)
		if err != nil {
			bad = append(bad, badValue{bucket: string(bucketTerms), key: string(k), err: err})
			continue
		}
		if err := fn(r); err != nil {
			return bad, err
		}
	}
	return bad, nil
}

func sortRecords(rs []Record) {
	slices.SortFunc(rs, func(a, b Record) int {
		return cmp.Or(
			cmp.Compare(a.Term.Account, b.Term.Account),
			cmp.Compare(a.Term.ServiceID, b.Term.ServiceID),
			a.Term.Expiration.Compare(b.Term.Expiration),
		)
	})
}
