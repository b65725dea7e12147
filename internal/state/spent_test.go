package state

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/renewd/renewd"
)

// c0 is an OVH time for an intent: the record's last update (the tests'
// clock), which the ledger only needs to be set.
func c0(r *Record) time.Time {
	if r.Updated.IsZero() {
		return t0
	}
	return r.Updated
}

// pay drives a new term to paid at the clock's time, for ucents in currency.
func pay(t *testing.T, l *Ledger, term renewd.Term, ucents int64, currency string) Record {
	t.Helper()
	for _, to := range []Status{StatusOrdering, StatusOrdered, StatusPaying} {
		if _, err := l.Transition(term, to, string(to), func(r *Record) error {
			switch to {
			case StatusOrdering:
				r.IntentOVH = c0(r)
			case StatusOrdered:
				r.OrderID, r.OrderUcents, r.Currency = orderIDOf(term), ucents, currency
			case StatusPaying:
				r.PayIntentOVH = c0(r)
			}
			return nil
		}, nil); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := l.Transition(term, StatusPaid, "paid", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestSpentSince(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openAt(t, path, c)
	eur := func(units int64) int64 { return units * renewd.UcentsPerUnit }

	pay(t, l, termOf(1, 1), eur(10), "EUR") // at t0
	c.Advance(24 * time.Hour)
	pay(t, l, termOf(2, 1), eur(20), "EUR") // t0+1d
	pay(t, l, termOf(3, 1), eur(7), "USD")
	other := renewd.Term{Account: "beta", ServiceID: 1, Expiration: termOf(1, 1).Expiration}
	pay(t, l, other, eur(100), "EUR")
	// Not paid: does not count.
	reach(t, l, termOf(4, 1), StatusOrdered)
	// Delivered and undelivered still count, once.
	if _, err := l.Transition(termOf(2, 1), StatusDelivered, "moved", nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Transition(termOf(3, 1), StatusUndelivered, "not moved", nil, nil); err != nil {
		t.Fatal(err)
	}

	check := func(t *testing.T, l *Ledger) {
		t.Helper()
		for _, tc := range []struct {
			account string
			since   time.Time
			want    map[string]int64
		}{
			{"acme", t0, map[string]int64{"EUR": eur(30), "USD": eur(7)}},
			{"acme", t0.Add(time.Nanosecond), map[string]int64{"EUR": eur(20), "USD": eur(7)}},
			{"acme", t0.Add(24 * time.Hour), map[string]int64{"EUR": eur(20), "USD": eur(7)}},
			{"acme", t0.Add(48 * time.Hour), map[string]int64{}},
			{"beta", t0, map[string]int64{"EUR": eur(100)}},
			{"", t0, map[string]int64{"EUR": eur(130), "USD": eur(7)}},
			{"", t0.Add(time.Hour), map[string]int64{"EUR": eur(120), "USD": eur(7)}},
			{"nobody", time.Time{}, map[string]int64{}},
		} {
			got, err := l.SpentSince(tc.account, tc.since)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("SpentSince(%q, %s) (-want +got):\n%s", tc.account, tc.since, diff)
			}
		}
	}
	check(t, l)

	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openAt(t, path, c)
	check(t, l) // a restart does not reset it

	// A payment's time is the ledger's: Touch may not move it.
	if _, err := l.Touch(termOf(1, 1), func(r *Record) error { r.PaidAt = t0.Add(36 * time.Hour); return nil }); !errors.Is(err, ErrConflict) {
		t.Fatalf("Touch moving PaidAt: err = %v, want ErrConflict", err)
	}
	check(t, l)
}
