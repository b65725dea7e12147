package state

import (
	"path/filepath"
	"testing"
	"time"
)

// TestOutboxLen counts what waits in the outbox: queued reports, those
// waiting for a retry too, not those done, and the same after a reopen.
func TestOutboxLen(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openAt(t, path, c)
	wantLen := func(want int) {
		t.Helper()
		if n, err := l.OutboxLen(); err != nil || n != want {
			t.Fatalf("OutboxLen() = %d, %v; want %d", n, err, want)
		}
	}
	wantLen(0)
	if err := l.Enqueue(Report{Key: "cycle/1"}, Report{Key: "cycle/2"}, Report{Key: "cycle/3"}); err != nil {
		t.Fatal(err)
	}
	wantLen(3)
	if err := l.OutboxRetry(2, t0.Add(time.Minute), "slack: rate_limited"); err != nil {
		t.Fatal(err)
	}
	wantLen(3)
	if err := l.OutboxDone(1, "cycle/1", "C1", "1.1"); err != nil {
		t.Fatal(err)
	}
	wantLen(2)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openAt(t, path, c)
	wantLen(2)
}
