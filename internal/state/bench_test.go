package state

import (
	"testing"
	"time"

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkTransition measures one committed, fsynced transition.
func BenchmarkTransition(b *testing.B) {
	l := openTemp(b, nil)
	i := int64(0)
	for b.Loop() {
		i++
		if _, err := l.Transition(termOf(i, 1), StatusDue, "in window", nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpentSince sums a month of payments in a ledger holding 10k
// paid records over ten years.
func BenchmarkSpentSince(b *testing.B) {
	c := newClock()
	l := openTemp(b, c)
	const records = 10_000
	start := t0.AddDate(-10, 0, 0)
	step := 10 * 365 * 24 * time.Hour / records
	// Build inside one transaction, through the same code as Transition.
	err := l.db.Update(func(tx *bolt.Tx) error {
		for i := range records {
			c.Set(start.Add(time.Duration(i) * step))
			term := renewd.Term{Account: "acme", ServiceID: int64(i + 1), Expiration: renewd.DateOf(t0)}
			for _, to := range []Status{StatusOrdering, StatusOrdered, StatusPaying, StatusPaid} {
				if _, err := l.transition(tx, transitionArgs{term: term, to: to, mutate: func(r *Record) error {
					r.OrderID, r.OrderUcents, r.Currency = int64(i+1), 5*renewd.UcentsPerUnit, "EUR"
					return nil
				}}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	since := t0.AddDate(0, -1, 0)
	for b.Loop() {
		sums, err := l.SpentSince("acme", since)
		if err != nil {
			b.Fatal(err)
		}
		if sums["EUR"] == 0 {
			b.Fatal("nothing spent in the last month")
		}
	}
}
