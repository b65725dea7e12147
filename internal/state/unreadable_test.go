package state

import (
	"bytes"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// putRaw stores raw bytes under a key of a bucket, as damage on disk
// would leave them.
func putRaw(t *testing.T, l *Ledger, bucket []byte, key string, value []byte) {
	t.Helper()
	if err := l.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).Put([]byte(key), value)
	}); err != nil {
		t.Fatal(err)
	}
}

// TestAnUnreadableRecordIsSkippedRememberedAndFailsClosed: one garbage value
// in the terms bucket beside a term left paying. Scans go on without it
// (the paying term is still reconciled), the ledger names the bad key, and
// every lookup that could lead to an order for the bad record's service
// fails instead of answering "no record".
func TestAnUnreadableRecordIsSkippedRememberedAndFailsClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	c := newClock()
	l := openAt(t, path, c)
	paying := termOf(1, 1)
	reach(t, l, paying, StatusPaying)
	reach(t, l, termOf(3, 1), StatusAwaitingApproval)
	bad := termOf(2, 1)
	reach(t, l, bad, StatusPaid)
	putRaw(t, l, bucketTerms, bad.String(), []byte(`{"s":"paid","u":`)) // cut short
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	for _, ro := range []bool{false, true} {
		var logs bytes.Buffer
		l, err := Open(path, Options{ReadOnly: ro, Now: c.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatalf("Open(readOnly=%v) with one bad record: %v", ro, err)
		}

		// Open found it, and logged it once, naming the key.
		got := l.Unreadable()
		if len(got) != 1 || got[0].Bucket != "terms" || got[0].Key != bad.String() || got[0].Err == "" || !got[0].SeenAt.Equal(t0) {
			t.Fatalf("Unreadable() = %+v, want the one bad record", got)
		}
		if n := strings.Count(logs.String(), "level=ERROR"); n != 1 || !strings.Contains(logs.String(), bad.String()) {
			t.Fatalf("want one ERROR line naming %s, got:\n%s", bad, logs.String())
		}

		// The scans skip it.
		inflight, err := l.InFlight()
		if err != nil {
			t.Fatal(err)
		}
		if len(inflight) != 1 || inflight[0].Term != paying || inflight[0].Status != StatusPaying {
			t.Fatalf("InFlight() = %+v, want the paying term", inflight)
		}
		open, err := l.List(Filter{Statuses: []Status{StatusPaying, StatusPaid, StatusAwaitingApproval}})
		if err != nil || len(open) != 2 {
			t.Fatalf("List(statuses) = %d records, %v; want the 2 readable ones", len(open), err)
		}
		if acct, err := l.List(Filter{Account: "acme"}); err != nil || len(acct) != 2 {
			t.Fatalf("List(account) = %d records, %v", len(acct), err)
		}
		if strings.Count(logs.String(), "level=ERROR") != 1 {
			t.Fatalf("the scans logged the known bad record again:\n%s", logs.String())
		}

		// The lookups that decide an order fail closed.
		if _, found, err := l.Get(bad); !errors.Is(err, ErrUnreadable) || found {
			t.Fatalf("Get(bad) = found %v, %v; want ErrUnreadable", found, err)
		}
		for _, f := range []Filter{{Account: "acme", ServiceID: 2}, {ServiceID: 2}} {
			if _, err := l.List(f); !errors.Is(err, ErrUnreadable) {
				t.Fatalf("List(%+v) = %v, want ErrUnreadable", f, err)
			}
		}
		if _, err := l.ForService("acme", 2); !errors.Is(err, ErrUnreadable) {
			t.Fatalf("ForService(acme, 2) = %v, want ErrUnreadable", err)
		}
		// Other services are not held back.
		if recs, err := l.ForService("acme", 1); err != nil || len(recs) != 1 {
			t.Fatalf("ForService(acme, 1) = %+v, %v", recs, err)
		}
		if _, err := l.ForService("other", 2); err != nil {
			t.Fatalf("ForService(other, 2) = %v; another account's service 2 is not the bad record's", err)
		}
		if !ro {
			// Nothing moves the bad term, and Prune keeps it.
			if _, err := l.Transition(bad, StatusDelivered, "x", nil, nil); !errors.Is(err, ErrUnreadable) {
				t.Fatalf("Transition(bad) = %v, want ErrUnreadable", err)
			}
			if _, err := l.Prune(t0.AddDate(10, 0, 0)); err != nil {
				t.Fatal(err)
			}
			if got := l.Unreadable(); len(got) != 1 {
				t.Fatalf("after Prune, Unreadable() = %+v", got)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Keys too damaged to name their service hold back every service they
// could be; keys that clearly name another service do not.
func TestADamagedKeyHoldsBackTheServicesItMayBe(t *testing.T) {
	for _, tc := range []struct {
		key     string
		account string
		id      int64
		held    bool
	}{
		{"acme/2/2026-04-01T00:00:00Z", "acme", 2, true},
		{"acme/2/2026-04-01T00:00:00Z", "acme", 3, false},
		{"acme/2/2026-04-01T00:00:00Z", "other", 2, false},
		{"acme/2/2026-04-01T00:00:00Z", "", 2, true},
		{"acme/2/not-a-date", "acme", 2, true},
		{"ac\xffe/2/2026-04-01T00:00:00Z", "acme", 2, true},  // the account is damaged
		{"ac\xffe/2/2026-04-01T00:00:00Z", "acme", 3, false}, // but the id is another's
		{"acme/2x/2026-04-01T00:00:00Z", "acme", 7, true},    // the id is damaged
		{"acme/2x/2026-04-01T00:00:00Z", "other", 7, false},  // but the account is another's
		{"acme\x002/2026", "acme", 9, true},                  // no separator: anyone's
		{"acme/0/2026-04-01T00:00:00Z", "acme", 5, true},     // no service has id 0: damaged
		{"azAZ09-_/2/2026-04-01", "acme", 2, false},          // every kind of character a name may have
		{"az.AZ/2/2026-04-01", "acme", 2, true},              // and one it may not: damaged
	} {
		if got := mayBelongTo(tc.key, tc.account, tc.id); got != tc.held {
			t.Errorf("mayBelongTo(%q, %q, %d) = %v, want %v", tc.key, tc.account, tc.id, got, tc.held)
		}
	}

	l := openTemp(t, newClock())
	reach(t, l, termOf(5, 1), StatusDue)
	putRaw(t, l, bucketTerms, "acme/5x/2026-04-01T00:00:00Z", []byte(`{}`))
	if _, err := l.List(Filter{}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ForService("acme", 5); !errors.Is(err, ErrUnreadable) {
		t.Fatalf("ForService(acme, 5) beside a key without a service id = %v, want ErrUnreadable", err)
	}
}

// A record repaired or removed is forgotten by the next complete scan;
// an unreadable history event is skipped by History and remembered.
func TestUnreadableFollowsTheScans(t *testing.T) {
	l := openTemp(t, newClock())
	term := termOf(4, 1)
	reach(t, l, term, StatusDue)
	raw := getRaw(t, l, bucketTerms, term.String())
	putRaw(t, l, bucketTerms, term.String(), []byte("garbage"))
	if _, err := l.List(Filter{}); err != nil {
		t.Fatal(err)
	}
	if got := l.Unreadable(); len(got) != 1 {
		t.Fatalf("Unreadable() = %+v", got)
	}
	putRaw(t, l, bucketTerms, term.String(), raw)
	if _, err := l.InFlight(); err != nil {
		t.Fatal(err)
	}
	if got := l.Unreadable(); len(got) != 0 {
		t.Fatalf("after the repair, Unreadable() = %+v", got)
	}

	events, err := l.History(HistoryFilter{Term: term.String()})
	if err != nil || len(events) != 1 {
		t.Fatalf("History = %+v, %v", events, err)
	}
	putRaw(t, l, bucketHistory, string(historyKey(term.String(), events[0].Seq)), []byte("{\n"))
	reach(t, l, termOf(6, 1), StatusDue)
	events, err = l.History(HistoryFilter{})
	if err != nil {
		t.Fatalf("History with a bad event: %v", err)
	}
	if len(events) != 1 || events[0].Term != termOf(6, 1).String() {
		t.Fatalf("History = %+v, want the readable event only", events)
	}
	want := []UnreadableRecord{{Bucket: "history", Key: term.String() + "#1"}}
	if diff := cmp.Diff(want, l.Unreadable(), cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".Err" || p.Last().String() == ".SeenAt"
	}, cmp.Ignore())); diff != "" {
		t.Fatalf("Unreadable() (-want +got):\n%s", diff)
	}
}

func getRaw(t *testing.T, l *Ledger, bucket []byte, key string) []byte {
	t.Helper()
	var v []byte
	if err := l.db.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucket).Get([]byte(key)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v
}
