package state

import (
	"testing"
)

// TestEnqueueOnce: a key waiting in the outbox, or already delivered, is
// not queued again; another key is.
func TestEnqueueOnce(t *testing.T) {
	l := openTemp(t, newClock())
	r := Report{Key: "notice/x", Kind: "uncovered", Body: []byte(`{}`)}
	for i, want := range []bool{true, false} {
		got, err := l.EnqueueOnce(r)
		if err != nil || got != want {
			t.Fatalf("EnqueueOnce #%d = %v, %v; want %v", i+1, got, err, want)
		}
	}
	items, err := l.Outbox(0)
	if err != nil || len(items) != 1 {
		t.Fatalf("outbox holds %d items (%v), want 1", len(items), err)
	}
	if err := l.OutboxDone(items[0].Seq, r.Key, "C1", "1.2"); err != nil {
		t.Fatal(err)
	}
	if got, err := l.EnqueueOnce(r); err != nil || got {
		t.Errorf("EnqueueOnce after delivery = %v, %v; want false (already delivered)", got, err)
	}
	if got, err := l.EnqueueOnce(Report{Key: "notice/y", Body: []byte(`{}`)}); err != nil || !got {
		t.Errorf("EnqueueOnce of another key = %v, %v; want true", got, err)
	}
}
