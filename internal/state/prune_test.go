package state

import (
	"errors"
	"testing"
	"time"

	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

func TestPrune(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)

	// Old records, one per situation; id -> whether Prune may delete it.
	old := map[Status]bool{
		StatusDue: false, StatusAwaitingApproval: false, StatusApproved: false,
		StatusOrdering: false, StatusOrdered: false, StatusPaying: false,
		StatusPaid: false, StatusUndelivered: false,
		StatusDelivered: true, StatusDenied: true, StatusApprovalExpired: true,
		StatusRefused: true, StatusFailed: true,
	}
	ids := map[Status]int64{}
	for i, s := range Statuses {
		ids[s] = int64(i + 1)
		reach(t, l, termOf(ids[s], 1), s)
	}
	// A failure with money in flight is kept.
	inFlight := termOf(100, 1)
	reach(t, l, inFlight, StatusOrdered)
	if _, err := l.Transition(inFlight, StatusFailed, "pay: timeout", nil, nil); err != nil {
		t.Fatal(err)
	}
	for s := range old {
		key := "term/" + termOf(ids[s], 1).String()
		if err := l.Enqueue(Report{Key: key}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Enqueue(Report{Key: "cycle/1"}); err != nil {
		t.Fatal(err)
	}
	items, _ := l.Outbox(0)
	for _, it := range items {
		if err := l.OutboxDone(it.Seq, it.Key, "C1", "1.1"); err != nil {
			t.Fatal(err)
		}
	}
	deniedApproval := mustGet(t, l, termOf(ids[StatusDenied], 1)).Approval.ID
	delivered := mustGet(t, l, termOf(ids[StatusDelivered], 1))

	// Newer records are kept whatever their status.
	c.Advance(30 * 24 * time.Hour)
	cutoff := c.Now()
	c.Advance(time.Hour)
	recent := termOf(200, 1)
	reach(t, l, recent, StatusDelivered)
	if err := l.Enqueue(Report{Key: "cycle/2"}); err != nil {
		t.Fatal(err)
	}
	items, _ = l.Outbox(0)
	if err := l.OutboxDone(items[0].Seq, "cycle/2", "C1", "2.2"); err != nil {
		t.Fatal(err)
	}
	spentBefore, _ := l.SpentSince("acme", time.Time{})

	n, err := l.Prune(cutoff)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for s, deletable := range old {
		_, found, err := l.Get(termOf(ids[s], 1))
		if err != nil {
			t.Fatal(err)
		}
		if found == deletable {
			t.Errorf("%s: found after Prune = %v, want %v", s, found, !deletable)
		}
		if deletable {
			want++
		}
		hist := historyOf(t, l, termOf(ids[s], 1))
		if deletable != (len(hist) == 0) {
			t.Errorf("%s: %d history events left after Prune", s, len(hist))
		}
		_, _, ok, _ := l.MessageRef("term/" + termOf(ids[s], 1).String())
		if ok == deletable {
			t.Errorf("%s: message ref kept = %v, want %v", s, ok, !deletable)
		}
	}
	if n != want {
		t.Errorf("Prune = %d, want %d", n, want)
	}
	for _, term := range []renewd.Term{inFlight, recent} {
		if _, found, _ := l.Get(term); !found {
			t.Errorf("Prune deleted %s", term)
		}
	}
	// The orders index forgets the pruned records' orders, and only theirs:
	// the money path asks it whose an order is before adopting one.
	for _, tc := range []struct {
		term   renewd.Term
		pruned bool
	}{{delivered.Term, true}, {inFlight, false}, {recent, false}} {
		owner, ok, err := l.OrderOwner(tc.term.Account, orderIDOf(tc.term))
		if err != nil || ok == tc.pruned || (ok && owner != tc.term) {
			t.Errorf("OrderOwner of %s's order after Prune = %s, %v, %v; want it known: %v", tc.term, owner, ok, err, !tc.pruned)
		}
	}
	if _, err := l.ApprovalByID(deniedApproval); !errors.Is(err, ErrNotFound) {
		t.Errorf("approval of a pruned record: err = %v, want ErrNotFound", err)
	}
	if err := l.db.View(func(tx *bolt.Tx) error {
		if owner := tx.Bucket(bucketApprovals).Get([]byte(deniedApproval)); owner != nil {
			t.Errorf("approval index still maps %s to %s", deniedApproval, owner)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := l.MessageRef("cycle/1"); ok {
		t.Error("old cycle message ref kept")
	}
	if _, _, ok, _ := l.MessageRef("cycle/2"); !ok {
		t.Error("recent cycle message ref pruned")
	}
	spentAfter, _ := l.SpentSince("acme", time.Time{})
	if got, want := spentAfter["EUR"], spentBefore["EUR"]-delivered.OrderUcents; got != want {
		t.Errorf("spent after Prune = %d, want %d (the pruned delivered record's spend removed)", got, want)
	}

	// Idempotent.
	if n, err := l.Prune(cutoff); err != nil || n != 0 {
		t.Fatalf("second Prune = %d, %v", n, err)
	}
}
