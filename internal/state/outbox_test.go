package state

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestOutbox(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openAt(t, path, c)
	term := termOf(1, 1)

	// Reports commit with the transition, and not without it.
	r1 := Report{Key: "term/" + term.String(), Kind: "due", Body: []byte(`{"days":20}`)}
	if _, err := l.Transition(term, StatusDue, "in window", nil, r1); err != nil {
		t.Fatal(err)
	}
	_, err := l.Transition(term, StatusOrdering, "intent", func(*Record) error { return errors.New("no") },
		Report{Key: "term/" + term.String(), Kind: "never"})
	if err == nil {
		t.Fatal("failing mutate succeeded")
	}
	c.Advance(time.Second)
	r2 := Report{Key: "cycle/1", Kind: "summary", Body: []byte(`{}`)}
	r3 := Report{Key: "term/" + term.String(), Kind: "update"}
	if err := l.Enqueue(r2, r3); err != nil {
		t.Fatal(err)
	}
	if err := l.Enqueue(); err != nil {
		t.Fatal(err)
	}

	items, err := l.Outbox(0)
	if err != nil {
		t.Fatal(err)
	}
	want := []OutboxItem{
		{Seq: 1, Report: r1, Enqueued: t0},
		{Seq: 2, Report: r2, Enqueued: t0.Add(time.Second)},
		{Seq: 3, Report: r3, Enqueued: t0.Add(time.Second)},
	}
	if diff := cmp.Diff(want, items); diff != "" {
		t.Fatalf("outbox (-want +got):\n%s", diff)
	}
	if got, _ := l.Outbox(2); len(got) != 2 || got[1].Seq != 2 {
		t.Fatalf("Outbox(2) = %+v", got)
	}

	// A failed send is retried later.
	next := t0.Add(time.Minute)
	if err := l.OutboxRetry(2, next, "slack: rate_limited"); err != nil {
		t.Fatal(err)
	}
	if err := l.OutboxRetry(2, next.Add(time.Minute), "slack: rate_limited again"); err != nil {
		t.Fatal(err)
	}
	items, _ = l.Outbox(0)
	if it := items[1]; it.Attempts != 2 || !it.NextAttempt.Equal(next.Add(time.Minute)) || it.LastError != "slack: rate_limited again" {
		t.Fatalf("after retries: %+v", it)
	}

	// Done: the item leaves, the message is remembered for updates.
	if err := l.OutboxDone(1, r1.Key, "C1", "111.222"); err != nil {
		t.Fatal(err)
	}
	wantErrIs(t, l.OutboxDone(1, r1.Key, "C1", "111.222"), ErrNotFound)
	wantErrIs(t, l.OutboxRetry(1, next, "x"), ErrNotFound)
	if err := l.OutboxDone(3, "wrong/key", "C1", "x"); err == nil {
		t.Fatal("OutboxDone accepted a key that is not the item's")
	}
	if ch, ts, ok, err := l.MessageRef(r1.Key); err != nil || !ok || ch != "C1" || ts != "111.222" {
		t.Fatalf("MessageRef = %q %q %v %v", ch, ts, ok, err)
	}
	if _, _, ok, err := l.MessageRef("cycle/1"); err != nil || ok {
		t.Fatalf("MessageRef of an unsent key: ok %v, err %v", ok, err)
	}

	// Everything survives a restart.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openAt(t, path, c)
	items, err = l.Outbox(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Seq != 2 || items[0].Attempts != 2 || items[1].Seq != 3 {
		t.Fatalf("outbox after reopen = %+v", items)
	}
	if ch, ts, ok, _ := l.MessageRef(r1.Key); !ok || ch != "C1" || ts != "111.222" {
		t.Fatalf("MessageRef after reopen = %q %q %v", ch, ts, ok)
	}
	// Sequence numbers keep growing after a restart: order is kept.
	if err := l.Enqueue(Report{Key: "cycle/2"}); err != nil {
		t.Fatal(err)
	}
	items, _ = l.Outbox(0)
	if last := items[len(items)-1]; last.Seq != 4 || last.Key != "cycle/2" {
		t.Fatalf("new item after reopen: %+v", last)
	}
}
