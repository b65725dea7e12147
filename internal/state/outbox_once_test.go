package state

import (
	"testing"
)

// TestEnqueueOnce: a key waiting in the outbox, or already delivered, is
// not queued again; another key is, whatever waits before it.
func TestEnqueueOnce(t *testing.T) {
	l := openTemp(t, newClock())
	r := Report{Key: "notice/x", Kind: "uncovered", Body: []byte(`{}`)}
	for i, want := range []bool{true, false} {
		got, err := l.EnqueueOnce(r)
		if err != nil || got != want {
			t.Fatalf("EnqueueOnce #%d = %v, %v; want %v", i+1, got, err, want)
		}
	}
	// Another key is queued behind a report that waits: the scan for the
	// key passes every item before it decides.
	if got, err := l.EnqueueOnce(Report{Key: "notice/z", Kind: "uncovered", Body: []byte(`{}`)}); err != nil || !got {
		t.Fatalf("EnqueueOnce of another key behind a waiting one = %v, %v; want true", got, err)
	}
	items, err := l.Outbox(0)
	if err != nil || len(items) != 2 || items[0].Key != r.Key || items[1].Key != "notice/z" {
		t.Fatalf("outbox holds %+v (%v), want notice/x then notice/z", items, err)
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
