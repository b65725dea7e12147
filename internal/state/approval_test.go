package state

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/renewd/renewd"
)

func TestNewApprovalID(t *testing.T) {
	seen := map[string]bool{}
	shape := regexp.MustCompile(`^[a-z2-7]{26}$`)
	for range 1000 {
		id, err := NewApprovalID()
		if err != nil {
			t.Fatal(err)
		}
		if !shape.MatchString(id) {
			t.Fatalf("id %q is not 26 lower-case base32 characters", id)
		}
		if seen[id] {
			t.Fatalf("id %q issued twice", id)
		}
		seen[id] = true
	}
}

// ask puts the term in awaiting_approval with a new approval expiring at
// expires, and returns its id.
func ask(t *testing.T, l *Ledger, term renewd.Term, price int64, expires time.Time) string {
	t.Helper()
	id, err := NewApprovalID()
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Transition(term, StatusAwaitingApproval, "over 10.00 EUR", func(r *Record) error {
		r.Approval = &Approval{ID: id, PriceUcents: price, RequestedAt: t0, ExpiresAt: expires}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		decision Decision
		want     Status
	}{
		{DecisionApproved, StatusApproved},
		{DecisionDenied, StatusDenied},
	} {
		t.Run(string(tc.decision), func(t *testing.T) {
			c := newClock()
			l := openTemp(t, c)
			term := termOf(1, 1)
			id := ask(t, l, term, 15*renewd.UcentsPerUnit, t0.Add(24*time.Hour))
			c.Advance(time.Hour)

			rec, err := l.Decide(id, tc.decision, "slack:U0123", queue(Report{Key: "approval/" + id, Kind: "decided"}))
			if err != nil {
				t.Fatal(err)
			}
			want := Approval{
				ID: id, PriceUcents: 15 * renewd.UcentsPerUnit, RequestedAt: t0, ExpiresAt: t0.Add(24 * time.Hour),
				Decision: tc.decision, DecidedBy: "slack:U0123", DecidedAt: c.Now(),
			}
			if rec.Status != tc.want {
				t.Fatalf("status = %s, want %s", rec.Status, tc.want)
			}
			if diff := cmp.Diff(want, *rec.Approval); diff != "" {
				t.Fatalf("approval (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(rec, mustGet(t, l, term)); diff != "" {
				t.Fatalf("returned differs from stored:\n%s", diff)
			}
			evs := historyOf(t, l, term)
			last := evs[len(evs)-1]
			if last.To != tc.want || last.Actor != "slack:U0123" || last.Reason != string(tc.decision)+" by slack:U0123" {
				t.Fatalf("last event = %+v", last)
			}
			items, err := l.Outbox(0)
			if err != nil || len(items) != 1 || items[0].Key != "approval/"+id {
				t.Fatalf("outbox = %+v, err %v", items, err)
			}
			byID, err := l.ApprovalByID(id)
			if err != nil || byID.Term.String() != term.String() {
				t.Fatalf("ApprovalByID = %+v, %v", byID.Term, err)
			}
		})
	}
}

func TestDecideRefusals(t *testing.T) {
	type setup func(t *testing.T, l *Ledger, c *clock) string
	for _, tc := range []struct {
		name    string
		setup   setup
		want    error
		alsoNot error // the error must not also be this one
	}{
		{
			name:  "unknown id",
			setup: func(*testing.T, *Ledger, *clock) string { return "nosuchapprovalid" },
			want:  ErrNotFound,
		},
		{
			name: "replayed click",
			setup: func(t *testing.T, l *Ledger, _ *clock) string {
				id := ask(t, l, termOf(1, 1), 1, t0.Add(time.Hour))
				if _, err := l.Decide(id, DecisionApproved, "slack:U1", nil); err != nil {
					t.Fatal(err)
				}
				return id
			},
			want: ErrAlreadyDecided, alsoNot: ErrSuperseded,
		},
		{
			name: "expired",
			setup: func(t *testing.T, l *Ledger, c *clock) string {
				id := ask(t, l, termOf(1, 1), 1, t0.Add(time.Hour))
				c.Advance(time.Hour + time.Second)
				return id
			},
			want: ErrApprovalExpired,
		},
		{
			name: "expired and marked",
			setup: func(t *testing.T, l *Ledger, c *clock) string {
				id := ask(t, l, termOf(1, 1), 1, t0.Add(time.Hour))
				c.Advance(2 * time.Hour)
				if _, err := l.Transition(termOf(1, 1), StatusApprovalExpired, "no answer", nil, nil); err != nil {
					t.Fatal(err)
				}
				return id
			},
			want: ErrAlreadyDecided,
		},
		{
			name: "superseded by a re-ask at a new price",
			setup: func(t *testing.T, l *Ledger, _ *clock) string {
				old := ask(t, l, termOf(1, 1), 15, t0.Add(time.Hour))
				ask(t, l, termOf(1, 1), 18, t0.Add(time.Hour))
				return old
			},
			want: ErrSuperseded,
		},
		{
			name: "term moved on",
			setup: func(t *testing.T, l *Ledger, _ *clock) string {
				id := ask(t, l, termOf(1, 1), 1, t0.Add(time.Hour))
				if _, err := l.Transition(termOf(1, 1), StatusRefused, "budget exhausted", nil, nil); err != nil {
					t.Fatal(err)
				}
				return id
			},
			want: ErrAlreadyDecided,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			l := openTemp(t, c)
			id := tc.setup(t, l, c)
			before, _, _ := l.Get(termOf(1, 1))
			outboxBefore, _ := l.Outbox(0)

			_, err := l.Decide(id, DecisionApproved, "slack:U2", queue(Report{Key: "approval/" + id}))
			wantErrIs(t, err, tc.want)
			if tc.alsoNot != nil && errors.Is(err, tc.alsoNot) {
				t.Fatalf("err = %v, must not be %v", err, tc.alsoNot)
			}
			after, _, _ := l.Get(termOf(1, 1))
			if diff := cmp.Diff(before, after); diff != "" {
				t.Fatalf("refused decision changed the record:\n%s", diff)
			}
			if outboxAfter, _ := l.Outbox(0); len(outboxAfter) != len(outboxBefore) {
				t.Fatal("refused decision enqueued a report")
			}
		})
	}
}

func TestDecideSupersedingApprovalWorks(t *testing.T) {
	l := openTemp(t, newClock())
	term := termOf(1, 1)
	old := ask(t, l, term, 15, t0.Add(time.Hour))
	current := ask(t, l, term, 18, t0.Add(time.Hour))

	rec, err := l.ApprovalByID(old)
	if err != nil || rec.Approval.ID != current {
		t.Fatalf("ApprovalByID(old) = approval %v, err %v; want the record with the current approval", rec.Approval, err)
	}
	rec, err = l.Decide(current, DecisionApproved, "cli:alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Approval.PriceUcents != 18 || rec.Status != StatusApproved {
		t.Fatalf("decided: %+v", rec)
	}
}

func TestDecideBadArguments(t *testing.T) {
	l := openTemp(t, newClock())
	id := ask(t, l, termOf(1, 1), 1, time.Time{}) // no deadline
	if _, err := l.Decide(id, "maybe", "cli:alice", nil); err == nil {
		t.Fatal("Decide accepted decision \"maybe\"")
	}
	if _, err := l.Decide(id, DecisionApproved, "", nil); err == nil {
		t.Fatal("Decide accepted an empty actor")
	}
	if _, err := l.Decide(id, DecisionApproved, "cli:alice", nil); err != nil {
		t.Fatalf("an approval without deadline: %v", err)
	}
	_, err := l.ApprovalByID("nosuch")
	wantErrIs(t, err, ErrNotFound)
}
