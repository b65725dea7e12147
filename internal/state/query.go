package state

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// Get returns the term's record; found is false (and err nil) when the
// ledger has none.
func (l *Ledger) Get(term renewd.Term) (rec Record, found bool, err error) {
	key, err := termKey(term)
	if err != nil {
		return Record{}, false, err
	}
	err = l.db.View(func(tx *bolt.Tx) error {
		rec, found, err = loadRecord(tx, key)
		return err
	})
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
// an empty slice when there is none.
func (l *Ledger) ForService(account string, serviceID int64) ([]Record, error) {
	return l.List(Filter{Account: account, ServiceID: serviceID})
}

// List returns the records the filter selects, ordered by account, service
// id, then expiration (oldest first). With an account it reads only that
// account's keys (and with a service id too, only that service's); otherwise
// it reads every record.
func (l *Ledger) List(filter Filter) ([]Record, error) {
	prefix := ""
	if filter.Account != "" {
		prefix = filter.Account + "/"
		if filter.ServiceID != 0 {
			prefix += strconv.FormatInt(filter.ServiceID, 10) + "/"
		}
	}
	out := []Record{}
	err := l.db.View(func(tx *bolt.Tx) error {
		return scanRecords(tx, prefix, func(r Record) error {
			if filter.match(r) {
				out = append(out, r)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list records: %w", err)
	}
	sortRecords(out)
	return out, nil
}

// InFlight returns the records a restarted renewd must look at before
// anything else: money in flight (Record.MoneyInFlight) and paid records
// whose delivery is still followed (paid, undelivered). Ordered as List.
func (l *Ledger) InFlight() ([]Record, error) {
	out := []Record{}
	err := l.db.View(func(tx *bolt.Tx) error {
		return scanRecords(tx, "", func(r Record) error {
			if r.MoneyInFlight() || r.Status == StatusPaid || r.Status == StatusUndelivered {
				out = append(out, r)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list in-flight records: %w", err)
	}
	sortRecords(out)
	return out, nil
}

// scanRecords calls fn for each record whose key starts with prefix.
func scanRecords(tx *bolt.Tx, prefix string, fn func(Record) error) error {
	c := tx.Bucket(bucketTerms).Cursor()
	p := []byte(prefix)
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		r, err := decodeRecord(string(k), v)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
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
