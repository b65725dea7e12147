package state

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// writeSchema1 writes a ledger the way schema 1 stored it: records and
// events as their long-named JSON (the event's term and seq in the value,
// keyed by sequence), spent entries {currency, ucents, paidAt}.
func writeSchema1(t *testing.T, path string, full Record) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fullJSON, err := json.Marshal(full) // Record's own JSON names are schema 1's
	if err != nil {
		t.Fatal(err)
	}
	put := func(tx *bolt.Tx, bucket string, k []byte, v string) {
		if err := tx.Bucket([]byte(bucket)).Put(k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		put(tx, "meta", keySchemaVersion, "1")
		put(tx, "terms", []byte("default/7/2026-04-01T00:00:00Z"), `{"term":{"Account":"default","ServiceID":7,"Expiration":"2026-04-01T00:00:00Z"},"serviceName":"vps-7.vps.ovh.net","status":"paid","currency":"EUR","payment":{"MethodID":0,"Mean":"","MeanID":0,"Default":true},"intentAt":"2026-03-01T09:00:00Z","orderId":77,"orderUcents":700000000,"paidAt":"2026-03-01T09:00:01.5Z","created":"2026-03-01T09:00:00Z","updated":"2026-03-01T09:00:01.5Z"}`)
		put(tx, "terms", []byte(full.Term.String()), string(fullJSON))
		put(tx, "history", seqKey(1), `{"seq":1,"term":"default/7/2026-04-01T00:00:00Z","at":"2026-03-01T09:00:00Z","to":"ordering","reason":"in window","actor":"renewd"}`)
		put(tx, "history", seqKey(2), `{"seq":2,"term":"acme/42/2026-04-01T00:00:00Z","at":"2026-03-01T09:00:00Z","to":"failed","reason":"boom","actor":"cli:alice"}`)
		put(tx, "history", seqKey(3), `{"seq":3,"term":"default/7/2026-04-01T00:00:00Z","at":"2026-03-01T09:00:01.5Z","from":"ordering","to":"paid","reason":"order 77 paid","actor":"renewd"}`)
		if err := tx.Bucket(bucketHistory).SetSequence(3); err != nil {
			return err
		}
		paid := time.Date(2026, 3, 1, 9, 0, 1, 500_000_000, time.UTC)
		put(tx, "spent", append(spentPrefix("default", paid), "default/7/2026-04-01T00:00:00Z"...), `{"currency":"EUR","ucents":700000000,"paidAt":"2026-03-01T09:00:01.5Z"}`)
		put(tx, "approvals", []byte("abc"), full.Term.String())
		put(tx, "outbox", seqKey(1), `{"seq":1,"key":"cycle/1","kind":"cycle","enqueued":"2026-03-01T09:00:00Z"}`)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenMigratesSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	full := fullRecord()
	full.Term.Expiration = full.Term.Expiration.Truncate(time.Second) // schema 1 keys hold seconds
	writeSchema1(t, path, full)

	// A read-only opener cannot migrate: it says what to do.
	if _, err := Open(path, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "needs migrating") {
		t.Fatalf("read-only Open of schema 1: err = %v", err)
	}

	c := newClock()
	l := openAt(t, path, c)
	if got := readMetaOf(t, l); got != "2" {
		t.Fatalf("schema_version after migration = %q", got)
	}
	if diff := cmp.Diff(full, mustGet(t, l, full.Term)); diff != "" {
		t.Errorf("full record after migration (-want +got):\n%s", diff)
	}
	paidAt := time.Date(2026, 3, 1, 9, 0, 1, 500_000_000, time.UTC)
	simple := mustGet(t, l, renewd.Term{Account: "default", ServiceID: 7, Expiration: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)})
	if simple.Status != StatusPaid || simple.OrderID != 77 || !simple.PaidAt.Equal(paidAt) || !simple.Payment.Default || simple.ServiceName != "vps-7.vps.ovh.net" {
		t.Errorf("record after migration = %+v", simple)
	}
	evs, err := l.History(HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Seq: 1, Term: "default/7/2026-04-01T00:00:00Z", At: t0, To: StatusOrdering, Reason: "in window", Actor: SystemActor},
		{Seq: 2, Term: full.Term.String(), At: t0, To: StatusFailed, Reason: "boom", Actor: "cli:alice"},
		{Seq: 3, Term: "default/7/2026-04-01T00:00:00Z", At: paidAt, From: StatusOrdering, To: StatusPaid, Reason: "order 77 paid", Actor: SystemActor},
	}
	if diff := cmp.Diff(want, evs); diff != "" {
		t.Errorf("history after migration (-want +got):\n%s", diff)
	}
	if sums, err := l.SpentSince("default", paidAt); err != nil || sums["EUR"] != 700000000 {
		t.Errorf("SpentSince after migration = %v, %v", sums, err)
	}
	if rec, err := l.ApprovalByID("abc"); err != nil || rec.Term != full.Term {
		t.Errorf("ApprovalByID after migration = %v, %v", rec.Term, err)
	}
	if items, err := l.Outbox(0); err != nil || len(items) != 1 || items[0].Key != "cycle/1" {
		t.Errorf("outbox after migration = %+v, %v", items, err)
	}
	// New events continue the sequence.
	rec, err := l.Transition(simple.Term, StatusDelivered, "moved", nil)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ = l.History(HistoryFilter{Term: rec.Term.String()})
	if last := evs[len(evs)-1]; last.Seq != 4 || last.To != StatusDelivered {
		t.Errorf("first event after migration = %+v, want seq 4", last)
	}
	// Reopening a migrated file migrates nothing more.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openAt(t, path, c)
	if evs, _ := l.History(HistoryFilter{}); len(evs) != 4 {
		t.Errorf("history after reopening = %d events", len(evs))
	}
}

func readMetaOf(t *testing.T, l *Ledger) string {
	t.Helper()
	var v string
	if err := l.db.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bucketMeta).Get(keySchemaVersion))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v
}
