package state

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/renewd/renewd"
)

// TestTransitionTable tries every (from, to) pair: an edge of the table
// succeeds and lands on `to`, unless it pays or pays for an order the record
// does not hold (refused with ErrOrderMismatch); any other pair fails with
// ErrConflict. A refusal leaves the record, its history and the outbox as
// they were.
func TestTransitionTable(t *testing.T) {
	l := openTemp(t, newClock())
	froms := append([]Status{StatusNone}, Statuses...)
	id := int64(0)
	for _, from := range froms {
		for _, to := range Statuses {
			id++
			term := termOf(id, 1)
			t.Run(fmt.Sprintf("%s->%s", from, to), func(t *testing.T) {
				before := reach(t, l, term, from)
				histBefore := historyOf(t, l, term)
				outboxBefore, err := l.Outbox(0)
				if err != nil {
					t.Fatal(err)
				}
				report := Report{Key: "term/" + term.String(), Kind: "transition"}
				got, err := step(l, term, to, report)

				needsOrder := to == StatusPaying || to == StatusPaid
				if Allowed(from, to) && needsOrder && before.OrderID == 0 {
					wantErrIs(t, err, ErrOrderMismatch)
				} else if Allowed(from, to) {
					if err != nil {
						t.Fatalf("allowed edge failed: %v", err)
					}
					if got.Status != to {
						t.Fatalf("status = %s, want %s", got.Status, to)
					}
					if diff := cmp.Diff(got, mustGet(t, l, term)); diff != "" {
						t.Fatalf("returned record differs from stored (-returned +stored):\n%s", diff)
					}
					hist := historyOf(t, l, term)
					if len(hist) != len(histBefore)+1 || hist[len(hist)-1].From != from || hist[len(hist)-1].To != to {
						t.Fatalf("history = %+v, want one more event %s->%s", hist, from, to)
					}
					return
				}

				if (to == StatusApproved || to == StatusDenied) && before.Approval != nil {
					// Went through Decide, which refuses a decided approval.
					wantErrIs(t, err, ErrAlreadyDecided)
				} else {
					wantErrIs(t, err, ErrConflict)
					for _, word := range []string{term.String(), from.String(), string(to)} {
						if !strings.Contains(err.Error(), word) {
							t.Errorf("error %q does not name %q", err, word)
						}
					}
				}
				after, found, gerr := l.Get(term)
				if gerr != nil {
					t.Fatal(gerr)
				}
				if from == StatusNone {
					if found {
						t.Fatalf("refused first transition created a record: %+v", after)
					}
				} else if diff := cmp.Diff(before, after); diff != "" {
					t.Fatalf("refused transition changed the record (-before +after):\n%s", diff)
				}
				if diff := cmp.Diff(histBefore, historyOf(t, l, term)); diff != "" {
					t.Fatalf("refused transition changed the history:\n%s", diff)
				}
				outboxAfter, err := l.Outbox(0)
				if err != nil {
					t.Fatal(err)
				}
				if len(outboxAfter) != len(outboxBefore) {
					t.Fatalf("refused transition enqueued a report: %d -> %d items", len(outboxBefore), len(outboxAfter))
				}
			})
		}
	}
}

func historyOf(t testing.TB, l *Ledger, term renewd.Term) []Event {
	t.Helper()
	evs, err := l.History(HistoryFilter{Term: term.String()})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestTransitionTableIsComplete(t *testing.T) {
	for _, s := range append([]Status{StatusNone}, Statuses...) {
		if _, ok := transitions[s]; !ok {
			t.Errorf("status %s has no row in the transition table", s)
		}
		for _, to := range transitions[s] {
			if !to.Valid() {
				t.Errorf("row %s lists unknown status %q", s, to)
			}
		}
	}
	if len(transitions[StatusDenied]) != 0 {
		t.Errorf("denied must be terminal, has %v", transitions[StatusDenied])
	}
	for _, from := range []Status{StatusPaid, StatusDelivered, StatusUndelivered} {
		for _, to := range []Status{StatusOrdering, StatusPaying, StatusDue, StatusFailed} {
			if Allowed(from, to) {
				t.Errorf("a paid term may go %s -> %s: a second payment would become possible", from, to)
			}
		}
	}
}

func TestMoneyInFlightAndPaid(t *testing.T) {
	paidAt := t0
	for _, tc := range []struct {
		rec            Record
		inFlight, paid bool
	}{
		{Record{Status: StatusDue}, false, false},
		{Record{Status: StatusOrdering}, true, false},
		{Record{Status: StatusOrdered, OrderID: 1}, true, false},
		{Record{Status: StatusPaying, OrderID: 1}, true, false},
		{Record{Status: StatusPaid, OrderID: 1, PaidAt: paidAt}, false, true},
		{Record{Status: StatusDelivered, PaidAt: paidAt}, false, true},
		{Record{Status: StatusUndelivered, PaidAt: paidAt}, false, true},
		{Record{Status: StatusFailed}, false, false},
		{Record{Status: StatusFailed, OrderID: 1}, true, false},
		{Record{Status: StatusFailed, LastMoneyStep: StatusOrdering}, true, false},
		{Record{Status: StatusFailed, OrderID: 1, PaidAt: paidAt}, false, false},
		{Record{Status: StatusRefused, OrderID: 1}, false, false},
	} {
		if got := tc.rec.MoneyInFlight(); got != tc.inFlight {
			t.Errorf("%+v MoneyInFlight = %v, want %v", tc.rec, got, tc.inFlight)
		}
		if got := tc.rec.Paid(); got != tc.paid {
			t.Errorf("%+v Paid = %v, want %v", tc.rec, got, tc.paid)
		}
	}
}
