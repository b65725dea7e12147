package state

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/renewd/renewd"
)

// t0 is the tests' "now" at start.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// clock is a settable clock for Options.Now, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// openAt opens a ledger at path with the clock and closes it when the test
// ends (closing twice is harmless).
func openAt(t testing.TB, path string, c *clock) *Ledger {
	t.Helper()
	opts := Options{LockTimeout: 60 * time.Millisecond}
	if c != nil {
		opts.Now = c.Now
	}
	l, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// openTemp opens a new ledger in a temporary directory.
func openTemp(t testing.TB, c *clock) *Ledger {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "ledger.db"), c)
}

// termOf returns a term of account "acme" for service id expiring on day.
func termOf(id int64, day int) renewd.Term {
	return renewd.Term{Account: "acme", ServiceID: id, Expiration: renewd.Date{Year: 2026, Month: 4, Day: day}}
}

// queue is a Reports that queues the given reports, whatever the record.
func queue(rs ...Report) Reports {
	if len(rs) == 0 {
		return nil
	}
	return func(Record) []Report { return rs }
}

// intent is the mutate of an ordering or paying transition: the intent's
// time on OVH's clock, which the ledger requires.
func intent(r *Record) error {
	if r.Status == StatusOrdered || r.OrderID != 0 {
		r.PayIntentOVH = t0
	} else {
		r.IntentOVH = t0
	}
	return nil
}

// step moves the term to status to the way the renewal engine would: a new
// approval for awaiting_approval, Decide for approved and denied, an order
// id for ordered, the intent's OVH time for ordering and paying.
func step(l *Ledger, term renewd.Term, to Status, rs ...Report) (Record, error) {
	reports := queue(rs...)
	switch to {
	case StatusApproved, StatusDenied:
		rec, found, err := l.Get(term)
		if err != nil {
			return Record{}, err
		}
		if !found || rec.Approval == nil {
			// No approval to decide: the table must refuse it.
			return l.Transition(term, to, "decided", nil, reports)
		}
		decision := DecisionApproved
		if to == StatusDenied {
			decision = DecisionDenied
		}
		return l.Decide(rec.Approval.ID, decision, "cli:test", reports)
	case StatusAwaitingApproval:
		id, err := NewApprovalID()
		if err != nil {
			return Record{}, err
		}
		return l.Transition(term, to, "ask", func(r *Record) error {
			r.Approval = &Approval{ID: id, PriceUcents: 12 * renewd.UcentsPerUnit, ExpiresAt: t0.Add(72 * time.Hour)}
			return nil
		}, reports)
	case StatusOrdering:
		return l.Transition(term, to, "intent", func(r *Record) error { r.IntentOVH = t0; return nil }, reports)
	case StatusPaying:
		return l.Transition(term, to, "pay intent", func(r *Record) error { r.PayIntentOVH = t0; return nil }, reports)
	case StatusOrdered:
		return l.Transition(term, to, "order created", func(r *Record) error {
			r.OrderID = orderIDOf(term)
			r.OrderUcents = 12 * renewd.UcentsPerUnit
			r.Currency = "EUR"
			return nil
		}, reports)
	default:
		return l.Transition(term, to, "to "+string(to), nil, reports)
	}
}

// orderIDOf is the order id step records for a term: 4242 for acme's first
// term (termOf(1, 1)), a distinct one for every other, since the ledger
// refuses one order for two terms.
func orderIDOf(term renewd.Term) int64 {
	if term == termOf(1, 1) {
		return 4242
	}
	id := 5_000_000 + term.ServiceID*1000 + int64(term.Expiration.Day)
	if term.Account != "acme" {
		id += 500_000_000
	}
	return id
}

// pathTo is a way from no record to each status.
var pathTo = map[Status][]Status{
	StatusNone:             nil,
	StatusDue:              {StatusDue},
	StatusAwaitingApproval: {StatusAwaitingApproval},
	StatusApproved:         {StatusAwaitingApproval, StatusApproved},
	StatusDenied:           {StatusAwaitingApproval, StatusDenied},
	StatusApprovalExpired:  {StatusAwaitingApproval, StatusApprovalExpired},
	StatusOrdering:         {StatusOrdering},
	StatusOrdered:          {StatusOrdering, StatusOrdered},
	StatusPaying:           {StatusOrdering, StatusOrdered, StatusPaying},
	StatusPaid:             {StatusOrdering, StatusOrdered, StatusPaying, StatusPaid},
	StatusDelivered:        {StatusOrdering, StatusOrdered, StatusPaying, StatusPaid, StatusDelivered},
	StatusUndelivered:      {StatusOrdering, StatusOrdered, StatusPaying, StatusPaid, StatusUndelivered},
	StatusFailed:           {StatusFailed},
	StatusRefused:          {StatusRefused},
}

// reach drives a new term to status s along pathTo.
func reach(t testing.TB, l *Ledger, term renewd.Term, s Status) Record {
	t.Helper()
	var rec Record
	for _, to := range pathTo[s] {
		var err error
		if rec, err = step(l, term, to); err != nil {
			t.Fatalf("reach %s: step to %s: %v", s, to, err)
		}
	}
	return rec
}

func mustGet(t testing.TB, l *Ledger, term renewd.Term) Record {
	t.Helper()
	rec, found, err := l.Get(term)
	if err != nil || !found {
		t.Fatalf("Get(%s) = found %v, err %v", term, found, err)
	}
	return rec
}

func wantErrIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want errors.Is %v", err, target)
	}
}
