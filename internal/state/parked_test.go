package state

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func outboxKeys(t *testing.T, l *Ledger) []string {
	t.Helper()
	items, err := l.Outbox(0)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	return keys
}

// A parked item leaves the outbox whole, survives a reopen, blocks
// EnqueueOnce of its key, and RequeueParked puts it back in its place.
func TestParkAndRequeue(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openAt(t, path, c)
	if w, p, err := l.OutboxCounts(); err != nil || w != 0 || p != 0 {
		t.Fatalf("counts of a new ledger: %d, %d, %v", w, p, err)
	}
	if got, err := l.Parked(); err != nil || len(got) != 0 {
		t.Fatalf("Parked of a new ledger: %v, %v", got, err)
	}
	for _, k := range []string{"a", "notice/b", "c"} {
		if err := l.Enqueue(Report{Key: k, Kind: "uncovered", Body: []byte(`{"kind":"uncovered"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.OutboxPark("slack chat.postMessage: invalid_blocks", 2, 99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("park of a missing item: %v, want ErrNotFound", err)
	}
	if d := cmp.Diff([]string{"a", "notice/b", "c"}, outboxKeys(t, l)); d != "" {
		t.Fatalf("a failed park changed the outbox (-want +got):\n%s", d)
	}
	c.Advance(time.Minute)
	if err := l.OutboxPark("slack chat.postMessage: invalid_blocks", 2); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openAt(t, path, c)

	if d := cmp.Diff([]string{"a", "c"}, outboxKeys(t, l)); d != "" {
		t.Errorf("outbox after parking (-want +got):\n%s", d)
	}
	parked, err := l.Parked()
	if err != nil {
		t.Fatal(err)
	}
	want := []ParkedItem{{OutboxItem: OutboxItem{Seq: 2, Report: Report{Key: "notice/b", Kind: "uncovered",
		Body: []byte(`{"kind":"uncovered"}`)}, Enqueued: t0, Attempts: 1, LastError: "slack chat.postMessage: invalid_blocks"},
		ParkedAt: t0.Add(time.Minute)}}
	if d := cmp.Diff(want, parked); d != "" {
		t.Errorf("parked (-want +got):\n%s", d)
	}
	if w, p, err := l.OutboxCounts(); err != nil || w != 2 || p != 1 {
		t.Errorf("counts: %d waiting, %d parked, %v; want 2, 1", w, p, err)
	}
	if queued, err := l.EnqueueOnce(Report{Key: "notice/b", Kind: "uncovered"}); err != nil || queued {
		t.Errorf("EnqueueOnce of a parked key = %v, %v; want false", queued, err)
	}

	n, err := l.RequeueParked()
	if err != nil || n != 1 {
		t.Fatalf("RequeueParked = %d, %v; want 1", n, err)
	}
	items, err := l.Outbox(0)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a", "notice/b", "c"}, outboxKeys(t, l)); d != "" {
		t.Errorf("outbox after requeue (-want +got):\n%s", d)
	}
	if it := items[1]; it.Seq != 2 || it.Attempts != 0 || !it.NextAttempt.IsZero() || it.LastError == "" {
		t.Errorf("requeued item %+v: want seq 2, no attempts, no next attempt, the last error kept", it)
	}
	if n, err := l.RequeueParked(); err != nil || n != 0 {
		t.Errorf("second RequeueParked = %d, %v; want 0", n, err)
	}
	// New items still come after every old one.
	if err := l.Enqueue(Report{Key: "d"}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a", "notice/b", "c", "d"}, outboxKeys(t, l)); d != "" {
		t.Errorf("outbox (-want +got):\n%s", d)
	}
}

// A read-only ledger that never parked anything reads no parked bucket.
func TestParkedReadOnlyWithoutBucket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	l := openAt(t, path, nil)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got, err := ro.Parked(); err != nil || len(got) != 0 {
		t.Errorf("Parked = %v, %v", got, err)
	}
	if _, p, err := ro.OutboxCounts(); err != nil || p != 0 {
		t.Errorf("OutboxCounts parked = %d, %v", p, err)
	}
}

// A digest removes its items and marks each key's message as a digest; a
// key's own later post clears the mark.
func TestOutboxDigested(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	for _, k := range []string{"term/x", "term/y", "cycle/1"} {
		if err := l.Enqueue(Report{Key: k, Kind: "renewed"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.OutboxDigested([]Sent{{1, "term/y"}}, "C1", "1.1"); err == nil {
		t.Error("a digest with a wrong key succeeded")
	}
	if err := l.OutboxRetryMany([]uint64{1, 2, 42}, t0.Add(time.Minute), "slack: 500"); err != nil {
		t.Fatal(err)
	}
	items, _ := l.Outbox(0)
	if items[0].Attempts != 1 || items[1].Attempts != 1 || items[2].Attempts != 0 || !items[1].NextAttempt.Equal(t0.Add(time.Minute)) {
		t.Errorf("after OutboxRetryMany: %+v", items)
	}
	if err := l.OutboxDigested([]Sent{{1, "term/x"}, {2, "term/y"}, {42, "gone"}}, "C1", "1.1"); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"cycle/1"}, outboxKeys(t, l)); d != "" {
		t.Errorf("outbox (-want +got):\n%s", d)
	}
	info, ok, err := l.Message("term/x")
	if err != nil || !ok || !info.Digest || info.Channel != "C1" || info.TS != "1.1" {
		t.Errorf("Message(term/x) = %+v, %v, %v; want the digest", info, ok, err)
	}
	if ch, ts, ok, err := l.MessageRef("term/x"); err != nil || !ok || ch != "C1" || ts != "1.1" {
		t.Errorf("MessageRef reads a digest ref as %q %q %v %v", ch, ts, ok, err)
	}
	if _, ok, _ := l.Message("gone"); ok {
		t.Error("a skipped item got a message ref")
	}
	if err := l.Enqueue(Report{Key: "term/x", Kind: "delivered"}); err != nil {
		t.Fatal(err)
	}
	items, _ = l.Outbox(0)
	if err := l.OutboxDone(items[1].Seq, "term/x", "C1", "2.2"); err != nil {
		t.Fatal(err)
	}
	if info, _, _ := l.Message("term/x"); info.Digest || info.TS != "2.2" {
		t.Errorf("after its own post, Message(term/x) = %+v", info)
	}
}
