package state

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/renewd/renewd"
)

func TestApprovedAndDeniedOnlyThroughDecide(t *testing.T) {
	l := openTemp(t, newClock())
	term := termOf(1, 1)
	reach(t, l, term, StatusAwaitingApproval)
	for _, to := range []Status{StatusApproved, StatusDenied} {
		_, err := l.Transition(term, to, "sneaky", nil, nil)
		wantErrIs(t, err, ErrConflict)
	}
	if got := mustGet(t, l, term).Status; got != StatusAwaitingApproval {
		t.Fatalf("status = %s, want awaiting_approval", got)
	}
}

func TestMutateErrorWritesNothing(t *testing.T) {
	l := openTemp(t, newClock())
	boom := errors.New("boom")
	failing := func(r *Record) error {
		r.OrderID = 99 // a change that must not be stored
		return boom
	}
	report := Report{Key: "k", Kind: "x"}

	fresh := termOf(1, 1)
	_, err := l.Transition(fresh, StatusOrdering, "intent", failing, queue(report))
	wantErrIs(t, err, boom)
	if _, found, _ := l.Get(fresh); found {
		t.Fatal("a failing mutate created a record")
	}

	existing := termOf(2, 1)
	before := reach(t, l, existing, StatusDue)
	_, err = l.Transition(existing, StatusOrdering, "intent", failing, queue(report))
	wantErrIs(t, err, boom)
	if diff := cmp.Diff(before, mustGet(t, l, existing)); diff != "" {
		t.Fatalf("a failing mutate changed the record:\n%s", diff)
	}
	if evs := historyOf(t, l, existing); len(evs) != 1 {
		t.Fatalf("history has %d events, want 1: %+v", len(evs), evs)
	}
	if items, _ := l.Outbox(0); len(items) != 0 {
		t.Fatalf("a failing mutate enqueued %d reports", len(items))
	}
}

func TestLedgerOwnedFields(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	term := termOf(1, 1)

	due := reach(t, l, term, StatusDue)
	if !due.Created.Equal(t0) || !due.Updated.Equal(t0) {
		t.Fatalf("created/updated = %s/%s, want %s", due.Created, due.Updated, t0)
	}

	c.Advance(time.Minute)
	ordering, err := l.Transition(term, StatusOrdering, "intent", intent, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ordering.IntentAt.Equal(c.Now()) || ordering.LastMoneyStep != StatusOrdering || !ordering.Created.Equal(t0) {
		t.Fatalf("ordering: IntentAt %s, LastMoneyStep %q, Created %s", ordering.IntentAt, ordering.LastMoneyStep, ordering.Created)
	}

	c.Advance(time.Minute)
	failed, err := l.Transition(term, StatusFailed, "POST /service/1/renew: timeout", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if failed.Attempts != 1 || failed.LastError != "POST /service/1/renew: timeout" || failed.LastMoneyStep != StatusOrdering {
		t.Fatalf("failed: attempts %d, last error %q, last step %q", failed.Attempts, failed.LastError, failed.LastMoneyStep)
	}
	if !failed.MoneyInFlight() {
		t.Fatal("a failure after the ordering intent must count as money in flight")
	}
	// Not back to ordering, nor parked, while an order may exist.
	for _, to := range []Status{StatusOrdering, StatusRefused, StatusAwaitingApproval} {
		_, err := step(l, term, to)
		wantErrIs(t, err, ErrConflict)
	}

	// Reconciled: OVH shows no order. Due clears the order fields.
	c.Advance(time.Minute)
	due, err = l.Transition(term, StatusDue, "reconciled: no order since intent", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if due.MoneyInFlight() || !due.IntentAt.IsZero() || due.LastMoneyStep != "" || due.Attempts != 1 {
		t.Fatalf("due after reconcile: %+v", due)
	}
	if _, err := l.Transition(term, StatusOrdering, "intent again", intent, nil); err != nil {
		t.Fatal(err)
	}
	ordered, err := l.Transition(term, StatusOrdered, "order created", func(r *Record) error {
		r.OrderID, r.CallEndOVH = 4242, c.Now() // the order call's end, from which the settle delay counts
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ordered.CallEndOVH.Equal(c.Now()) {
		t.Fatalf("ordered: CallEndOVH %s, want the order call's end kept", ordered.CallEndOVH)
	}
	c.Advance(time.Minute)
	paying, err := l.Transition(term, StatusPaying, "pay intent", func(r *Record) error {
		r.Created = time.Time{} // the ledger owns Created
		r.PayIntentAt = t0      // and PayIntentAt
		r.PayIntentOVH = c.Now()
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !paying.Created.Equal(t0) {
		t.Fatalf("Created = %s, want %s", paying.Created, t0)
	}
	if !paying.PayIntentAt.Equal(c.Now()) {
		t.Fatalf("PayIntentAt = %s, want %s", paying.PayIntentAt, c.Now())
	}
	if !paying.CallEndOVH.IsZero() {
		t.Fatalf("paying: CallEndOVH %s kept from the order call: a crash in the payment call would settle from it", paying.CallEndOVH)
	}
	failed, err = l.Transition(term, StatusFailed, "pay: connection reset", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !failed.MoneyInFlight() || failed.OrderID != 4242 || failed.Attempts != 2 {
		t.Fatalf("failed while paying: in flight %v, order %d, attempts %d", failed.MoneyInFlight(), failed.OrderID, failed.Attempts)
	}
	c.Advance(time.Minute)
	paid, err := l.Transition(term, StatusPaid, "reconciled: OVH says paid", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !paid.Paid() || paid.MoneyInFlight() || !paid.PaidAt.Equal(c.Now()) || paid.LastMoneyStep != "" {
		t.Fatalf("paid: %+v", paid)
	}
	delivered, err := l.Transition(term, StatusDelivered, "expiration moved", func(r *Record) error {
		r.NewExpiration = renewd.DateOf(term.Expiration.Start().AddDate(1, 0, 0))
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !delivered.DeliveredAt.Equal(c.Now()) || !delivered.PaidAt.Equal(paid.PaidAt) {
		t.Fatalf("delivered: DeliveredAt %s, PaidAt %s", delivered.DeliveredAt, delivered.PaidAt)
	}
}

func TestReAskNeedsNewApprovalID(t *testing.T) {
	l := openTemp(t, newClock())
	term := termOf(1, 1)
	first := reach(t, l, term, StatusAwaitingApproval)
	_, err := l.Transition(term, StatusAwaitingApproval, "re-ask", func(r *Record) error {
		r.Approval.PriceUcents = 20 * renewd.UcentsPerUnit // same id, new price
		return nil
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "new id") {
		t.Fatalf("re-ask with the same approval id: err = %v", err)
	}
	_, err = l.Transition(termOf(2, 1), StatusAwaitingApproval, "ask", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "no approval id") {
		t.Fatalf("ask without approval: err = %v", err)
	}
	_, err = l.Transition(termOf(3, 1), StatusAwaitingApproval, "ask", func(r *Record) error {
		r.Approval = &Approval{ID: first.Approval.ID} // another term's id
		return nil
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "already belongs") {
		t.Fatalf("ask with another term's approval id: err = %v", err)
	}
	// An approval that arrives decided would pay without anyone deciding.
	_, err = l.Transition(termOf(4, 1), StatusAwaitingApproval, "ask", func(r *Record) error {
		r.Approval = &Approval{ID: "decided-already", Decision: DecisionApproved, DecidedBy: "cli:mallory"}
		return nil
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "already approved") {
		t.Fatalf("ask with a decided approval: err = %v", err)
	}
	if _, ok, _ := l.Get(termOf(4, 1)); ok {
		t.Fatal("the refused ask wrote a record")
	}
}

func TestApprovalExpiredMarksDecision(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	term := termOf(1, 1)
	reach(t, l, term, StatusAwaitingApproval)
	c.Advance(73 * time.Hour)
	rec, err := l.Transition(term, StatusApprovalExpired, "no answer in 72h", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Approval.Decision != DecisionExpired || rec.Approval.DecidedBy != SystemActor || !rec.Approval.DecidedAt.Equal(c.Now()) {
		t.Fatalf("approval after expiry: %+v", rec.Approval)
	}
}

func TestHistoryRecordsReasonAndActor(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	term := termOf(7, 1)
	if _, err := l.Transition(term, StatusDue, "in window: 20 days left", nil, nil); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	if _, err := l.TransitionAs("cli:alice", term, StatusOrdering, "renew now", intent, nil); err != nil {
		t.Fatal(err)
	}
	got := historyOf(t, l, term)
	want := []Event{
		{Seq: got[0].Seq, Term: term.String(), At: t0, From: StatusNone, To: StatusDue, Reason: "in window: 20 days left", Actor: SystemActor},
		{Seq: got[0].Seq + 1, Term: term.String(), At: t0.Add(time.Hour), From: StatusDue, To: StatusOrdering, Reason: "renew now", Actor: "cli:alice"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("history (-want +got):\n%s", diff)
	}
}

func TestTouch(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	term := termOf(1, 1)
	asked := reach(t, l, term, StatusAwaitingApproval)
	c.Advance(time.Second)

	rec, err := l.Touch(term, func(r *Record) error {
		r.Approval.SlackChannel, r.Approval.SlackTS = "C123", "1700000000.000100"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Approval.SlackTS != "1700000000.000100" || rec.Status != StatusAwaitingApproval || !rec.Updated.Equal(c.Now()) {
		t.Fatalf("touched: %+v", rec)
	}
	if diff := cmp.Diff(rec, mustGet(t, l, term)); diff != "" {
		t.Fatalf("returned differs from stored:\n%s", diff)
	}
	if evs := historyOf(t, l, term); len(evs) != 1 {
		t.Fatalf("Touch added history events: %+v", evs)
	}

	for name, tt := range map[string]struct {
		mutate func(*Record) error
		want   error
	}{
		"status":       {func(r *Record) error { r.Status = StatusOrdering; return nil }, ErrConflict},
		"approval":     {func(r *Record) error { r.Approval = &Approval{ID: "other"}; return nil }, ErrConflict},
		"decision":     {func(r *Record) error { r.Approval.Decision = DecisionApproved; return nil }, ErrConflict},
		"decided by":   {func(r *Record) error { r.Approval.DecidedBy = "slack:U0BOSS"; return nil }, ErrConflict},
		"price":        {func(r *Record) error { r.Approval.PriceUcents++; return nil }, ErrConflict},
		"term":         {func(r *Record) error { r.Term.ServiceID = 2; return nil }, ErrConflict},
		"order":        {func(r *Record) error { r.OrderID = 4242; return nil }, ErrOrderMismatch},
		"other orders": {func(r *Record) error { r.OtherOrders = []int64{4242}; return nil }, ErrOrderMismatch},
		"paid at":      {func(r *Record) error { r.PaidAt = c.Now(); return nil }, ErrConflict},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := l.Touch(term, tt.mutate)
			wantErrIs(t, err, tt.want)
			if got := mustGet(t, l, term); got.Status != StatusAwaitingApproval || got.Approval.ID != asked.Approval.ID || got.Approval.Decision != "" {
				t.Fatalf("refused Touch changed the record: %+v", got)
			}
		})
	}
	_, err = l.Touch(termOf(9, 1), func(*Record) error { return nil })
	wantErrIs(t, err, ErrNotFound)
}

func TestRejectsBadInput(t *testing.T) {
	l := openTemp(t, newClock())
	for name, term := range map[string]renewd.Term{
		"no account":    {ServiceID: 1, Expiration: renewd.DateOf(t0)},
		"slash account": {Account: "a/b", ServiceID: 1, Expiration: renewd.DateOf(t0)},
		"no service":    {Account: "acme", Expiration: renewd.DateOf(t0)},
		"no expiration": {Account: "acme", ServiceID: 1},
	} {
		if _, err := l.Transition(term, StatusDue, "x", nil, nil); err == nil {
			t.Errorf("%s: Transition accepted term %+v", name, term)
		}
	}
	if _, err := l.Transition(termOf(1, 1), Status("bogus"), "x", nil, nil); err == nil {
		t.Error("Transition accepted an unknown status")
	}
}

// TestDueClearsOrder: going back to due means the order is gone (cancelled,
// expired, never created), so its fields are cleared and a later failure
// is not mistaken for money in flight.
func TestDueClearsOrder(t *testing.T) {
	l := openTemp(t, newClock())
	term := termOf(1, 1)
	reach(t, l, term, StatusPaying)
	rec, err := l.Transition(term, StatusDue, "order 4242 expired unpaid", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.OrderID != 0 || rec.OrderUcents != 0 || !rec.IntentAt.IsZero() || !rec.PayIntentAt.IsZero() || rec.LastMoneyStep != "" {
		t.Fatalf("due kept order fields: %+v", rec)
	}
	rec, err = l.Transition(term, StatusFailed, "GET /service/1/renew: 503", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.MoneyInFlight() {
		t.Fatal("a failure before any new order counts as money in flight")
	}
	if _, err := l.Transition(term, StatusOrdering, "retry", intent, nil); err != nil {
		t.Fatal(err)
	}
}
