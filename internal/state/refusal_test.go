package state

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
)

// Each refusal the ledger makes by itself, called directly: the money
// path cannot bypass them, whatever it asks.
func TestLedgerRefusesWhatCouldPayTwice(t *testing.T) {
	withOrder := func(id int64) func(*Record) error {
		return func(r *Record) error { r.OrderID = id; return nil }
	}
	payIntent := func(id int64) func(*Record) error {
		return func(r *Record) error { r.OrderID, r.PayIntentOVH = id, t0; return nil }
	}
	tests := []struct {
		name   string
		from   Status
		to     Status
		mutate func(*Record) error
		want   error
	}{
		{"ordering while refused with an order", StatusRefused, StatusOrdering, intent, ErrOrderInFlight},
		{"ordering while awaiting approval with an order", StatusAwaitingApproval, StatusOrdering, intent, ErrOrderInFlight},
		{"ordering while approved with an order", StatusApproved, StatusOrdering, intent, ErrOrderInFlight},
		{"ordering after a failed payment", StatusFailed, StatusOrdering, intent, ErrOrderInFlight},
		{"ordering without OVH time", StatusDue, StatusOrdering, nil, ErrNoOVHTime},
		{"an ordering intent naming an order", StatusDue, StatusOrdering, func(r *Record) error {
			r.IntentOVH, r.OrderID = t0, 99
			return nil
		}, ErrOrderMismatch},
		{"paying another order", StatusOrdered, StatusPaying, payIntent(99), ErrOrderMismatch},
		{"paying without an order", StatusDue, StatusPaying, payIntent(0), ErrConflict},
		{"paying without OVH time", StatusOrdered, StatusPaying, nil, ErrNoOVHTime},
		{"recording another order", StatusOrdered, StatusOrdered, withOrder(99), ErrConflict},
		{"swapping the order on a hold", StatusOrdered, StatusAwaitingApproval, func(r *Record) error {
			r.OrderID = 99
			r.Approval = &Approval{ID: "new-approval-id"}
			return nil
		}, ErrOrderMismatch},
		{"dropping the order on a hold", StatusOrdered, StatusRefused, withOrder(0), ErrOrderMismatch},
		{"bringing in another order", StatusOrdered, StatusRefused, func(r *Record) error {
			r.OtherOrders = []int64{99}
			return nil
		}, ErrOrderMismatch},
		{"another term's order", StatusDue, StatusOrdered, withOrder(orderIDOf(termOf(2, 1))), ErrOrderMismatch},
		{"a second payment", StatusPaid, StatusPaid, nil, ErrAlreadyPaid},
		{"paid back to ordering", StatusPaid, StatusOrdering, intent, ErrAlreadyPaid},
		{"delivered back to paying", StatusDelivered, StatusPaying, payIntent(0), ErrAlreadyPaid},
		{"paid to failed", StatusPaid, StatusFailed, nil, ErrAlreadyPaid},
		{"undelivered to due", StatusUndelivered, StatusDue, nil, ErrAlreadyPaid},
		{"paid for no order", StatusApproved, StatusPaid, withOrder(0), ErrOrderMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTemp(t, newClock())
			term := termOf(1, 1)
			reach(t, l, termOf(2, 1), StatusOrdered) // another term holds its own order
			for _, to := range pathWithOrder(tt.from) {
				if _, err := step(l, term, to); err != nil {
					t.Fatalf("set-up: to %s: %v", to, err)
				}
			}
			before := mustGet(t, l, term)
			_, err := l.Transition(term, tt.to, "try", tt.mutate, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !IsRefusal(err) {
				t.Errorf("a refusal must also be an ErrConflict: %v", err)
			}
			if after := mustGet(t, l, term); !recordsEqual(before, after) {
				t.Errorf("the refused move wrote:\n%+v\n->\n%+v", before, after)
			}
		})
	}
}

// pathWithOrder is a way to each status in which the record holds an
// order where it can (a hold of a created order, a failed payment), as the
// money path leaves them.
func pathWithOrder(s Status) []Status {
	ordered := []Status{StatusOrdering, StatusOrdered}
	switch s {
	case StatusRefused, StatusAwaitingApproval:
		return append(ordered, s)
	case StatusApproved:
		return append(ordered, StatusAwaitingApproval, StatusApproved)
	case StatusFailed:
		return append(ordered, StatusPaying, StatusFailed)
	}
	return pathTo[s]
}

func recordsEqual(a, b Record) bool {
	return a.Status == b.Status && a.OrderID == b.OrderID && a.Updated.Equal(b.Updated) &&
		slices.Equal(a.OtherOrders, b.OtherOrders) && a.PaidAt.Equal(b.PaidAt)
}

// TestNoPathPaysTwice walks terms through random moves (any status, any
// order id, with or without intents' times), many thousand times, and
// checks what the ledger let through: no term is paid twice, nothing
// leaves a paid status but delivery, ordering never starts while an order
// is held, paying is always for the recorded order, and an order belongs
// to one term only. Refused moves write nothing.
func TestNoPathPaysTwice(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 42))
	t.Logf("seed %d", seed)
	c := newClock()
	l := openTemp(t, c)
	terms := []renewd.Term{termOf(1, 1), termOf(1, 2), termOf(2, 1)}
	orders := []int64{0, 11, 12, 13, 21}
	paidEvents := map[renewd.Term]int{}
	owner := map[int64]renewd.Term{}
	for i := range 4000 {
		term := terms[rng.IntN(len(terms))]
		to := Statuses[rng.IntN(len(Statuses))]
		if to == StatusApproved || to == StatusDenied {
			continue // Decide's own rules are tested in approval_test.go
		}
		order := orders[rng.IntN(len(orders))]
		setIntent, setPay := rng.IntN(4) > 0, rng.IntN(4) > 0
		before, found, err := l.Get(term)
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Minute)
		after, err := l.Transition(term, to, fmt.Sprintf("move %d", i), func(r *Record) error {
			if rng.IntN(3) == 0 {
				r.OrderID = order
			}
			if setIntent {
				r.IntentOVH = c.Now()
			}
			if setPay {
				r.PayIntentOVH = c.Now()
			}
			if to == StatusAwaitingApproval {
				id, _ := NewApprovalID()
				r.Approval = &Approval{ID: id}
			}
			return nil
		}, nil)
		if err != nil {
			// A refusal, or a move mutate left incomplete (an approval
			// request without a fresh id): nothing else may fail.
			if !IsRefusal(err) && !strings.Contains(err.Error(), "approval") {
				t.Fatalf("move %d %s -> %s: unexpected error %v", i, before.Status, to, err)
			}
			if now, _, _ := l.Get(term); found && !recordsEqual(before, now) {
				t.Fatalf("move %d: a refused move wrote", i)
			}
			continue
		}
		if found && before.Paid() && to != StatusDelivered && to != StatusUndelivered {
			t.Fatalf("move %d: %s left a paid status for %s", i, before.Status, to)
		}
		if to == StatusPaid {
			if paidEvents[term]++; paidEvents[term] > 1 {
				t.Fatalf("move %d: term %s paid twice", i, term)
			}
		}
		if to == StatusOrdering && found && (before.OrderID != 0 || before.MoneyInFlight()) {
			t.Fatalf("move %d: ordering while %s held order %d (in flight %v)", i, before.Status, before.OrderID, before.MoneyInFlight())
		}
		if to == StatusPaying && (after.OrderID == 0 || after.OrderID != before.OrderID) {
			t.Fatalf("move %d: paying order %d, recorded %d", i, after.OrderID, before.OrderID)
		}
		for _, id := range append([]int64{after.OrderID}, after.OtherOrders...) {
			if id == 0 {
				continue
			}
			if o, ok := owner[id]; ok && o != term {
				t.Fatalf("move %d: order %d recorded for %s and %s", i, id, o, term)
			}
			owner[id] = term
		}
	}
	if len(paidEvents) == 0 {
		t.Fatal("no walk reached paid: the test did not test")
	}
}

// A merged record may be paid through one of its other orders when OVH
// shows that one paid, but never sent to pay it: paying is for the
// recorded order only.
func TestMergedRecordPaysOnlyItsRecordedOrder(t *testing.T) {
	l := openAt(t, copyFixture(t, "collision.db"), newClock())
	term := mterm(2002, "2026-12-05") // paying 100000013, other order 100000012
	if _, err := l.Transition(term, StatusOrdered, "reconciled: still unpaid", nil, nil); err != nil {
		t.Fatal(err)
	}
	_, err := l.Transition(term, StatusPaying, "pay the other order", func(r *Record) error {
		r.OrderID, r.PayIntentOVH = 100000012, t0
		return nil
	}, nil)
	if !errors.Is(err, ErrOrderMismatch) {
		t.Fatalf("paying the other order: err = %v, want ErrOrderMismatch", err)
	}
	rec, err := l.Transition(term, StatusPaid, "reconciled: OVH shows order 100000012 paid", func(r *Record) error {
		r.OrderID, r.OtherOrders = 100000012, []int64{100000013}
		return nil
	}, nil)
	if err != nil || rec.OrderID != 100000012 || !rec.Paid() {
		t.Fatalf("paid through the other order: %+v, %v", rec, err)
	}
}
