package state

import (
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
)

// settle drives a new term through approval, order, payment and delivery.
func settle(t *testing.T, l *Ledger, term renewd.Term) Record {
	t.Helper()
	reach(t, l, term, StatusApproved)
	if _, err := l.Touch(term, func(r *Record) error { r.Payment = renewd.PaymentForm{Default: true}; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, to := range []Status{StatusOrdering, StatusOrdered, StatusPaying, StatusPaid, StatusDelivered} {
		if _, err := step(l, term, to); err != nil {
			t.Fatalf("settle %s: step to %s: %v", term, to, err)
		}
	}
	return mustGet(t, l, term)
}

func TestPruneFoldsSettledHistory(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	term := termOf(1, 1)
	rec := settle(t, l, term)
	before := historyOf(t, l, term)
	if len(before) != 7 {
		t.Fatalf("%d events before folding, want 7", len(before))
	}
	longAgo := t0.AddDate(-1, 0, 0)

	// Inside the detail window nothing is folded.
	c.Advance(DefaultFoldAfter - time.Hour)
	if _, err := l.Prune(longAgo); err != nil {
		t.Fatal(err)
	}
	if got := historyOf(t, l, term); len(got) != len(before) {
		t.Fatalf("folded inside the detail window: %d events", len(got))
	}

	c.Advance(2 * time.Hour)
	if n, err := l.Prune(longAgo); err != nil || n != 0 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	got := historyOf(t, l, term)
	if len(got) != 1 {
		t.Fatalf("%d events after folding, want 1: %+v", len(got), got)
	}
	sum := got[0]
	last := before[len(before)-1]
	if sum.Folded != 7 || sum.To != StatusDelivered || sum.Seq != last.Seq || !sum.At.Equal(last.At) || sum.Term != term.String() {
		t.Errorf("summary = %+v, want 7 folded, to delivered, seq and time of the last event %+v", sum, last)
	}
	for _, want := range []string{
		"ordered " + rec.IntentAt.Format(time.RFC3339), "order 4242", "12.00 EUR",
		"approved by cli:test", "paid " + rec.PaidAt.Format(time.RFC3339), "with default payment method",
		"delivered " + rec.DeliveredAt.Format(time.RFC3339),
	} {
		if !strings.Contains(sum.Reason, want) {
			t.Errorf("summary reason %q lacks %q", sum.Reason, want)
		}
	}
	// The service's history shows the summary; the record is untouched.
	if evs, _ := l.History(HistoryFilter{ServiceID: 1}); len(evs) != 1 || evs[0].Folded != 7 {
		t.Errorf("History(service 1) = %+v", evs)
	}
	if after := mustGet(t, l, term); !after.Updated.Equal(rec.Updated) {
		t.Errorf("folding changed the record: %+v", after)
	}

	// Folding again decodes nothing and changes nothing.
	decoded := l.eventsDecoded.Load()
	if _, err := l.Prune(longAgo); err != nil {
		t.Fatal(err)
	}
	if n := l.eventsDecoded.Load() - decoded; n != 0 {
		t.Errorf("second Prune decoded %d events", n)
	}
	if got := historyOf(t, l, term); len(got) != 1 || got[0].Folded != 7 {
		t.Errorf("history after a second Prune = %+v", got)
	}
}

func TestPruneNeverFoldsUnsettledTerms(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	kept := map[Status]renewd.Term{}
	for i, s := range []Status{StatusPaid, StatusUndelivered, StatusDenied, StatusOrdered} {
		kept[s] = termOf(int64(i+1), 1)
		reach(t, l, kept[s], s)
	}
	c.Advance(2 * DefaultFoldAfter)
	if _, err := l.Prune(t0.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	for s, term := range kept {
		for _, ev := range historyOf(t, l, term) {
			if ev.Folded != 0 {
				t.Errorf("%s: folded %+v", s, ev)
			}
		}
	}
}

func TestFoldAfterNegativeNeverFolds(t *testing.T) {
	c := newClock()
	l, err := Open(t.TempDir()+"/l.db", Options{Now: c.Now, FoldAfter: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	term := termOf(1, 1)
	settle(t, l, term)
	c.Advance(365 * 24 * time.Hour)
	if _, err := l.Prune(t0.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if got := historyOf(t, l, term); len(got) != 7 {
		t.Errorf("%d events with folding off, want 7", len(got))
	}
}

// Prune reads no event of a term it neither deletes nor folds: its cost does
// not grow with unrelated history.
func TestPruneCostIgnoresUnrelatedHistory(t *testing.T) {
	for _, unrelated := range []int{10, 200} {
		c := newClock()
		l := openTemp(t, c)
		doomed := termOf(1, 1)
		reach(t, l, doomed, StatusDelivered)
		c.Advance(48 * time.Hour)
		cutoff := c.Now()
		for i := range unrelated {
			reach(t, l, termOf(int64(100+i), 2), StatusDelivered) // recent: neither pruned nor folded
		}
		start := l.eventsDecoded.Load()
		if n, err := l.Prune(cutoff); err != nil || n != 1 {
			t.Fatalf("Prune = %d, %v", n, err)
		}
		if got := l.eventsDecoded.Load() - start; got != 0 {
			t.Errorf("with %d unrelated terms, Prune decoded %d events, want 0", unrelated, got)
		}
		if evs := historyOf(t, l, doomed); len(evs) != 0 {
			t.Errorf("pruned term keeps %d events", len(evs))
		}
		if evs, _ := l.History(HistoryFilter{}); len(evs) != 5*unrelated {
			t.Errorf("history holds %d events, want %d", len(evs), 5*unrelated)
		}
	}
}
