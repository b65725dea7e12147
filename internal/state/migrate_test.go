package state

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// copyFixture copies a committed ledger file into a temporary directory
// (Open migrates it in place) and returns the copy's path.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	src, err := os.Open(filepath.Join("testdata", "schema2", name))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), name)
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func mterm(id int64, date string) renewd.Term {
	return renewd.Term{Account: "main", ServiceID: id, Expiration: renewd.MustDate(date)}
}

// backups lists the backups Open wrote beside path.
func backups(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + ".schema*.bak")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Every record of a schema-2 ledger written by renewd of that schema, in
// each status a term can be left in, is re-keyed by the date OVH wrote and
// keeps its intents, order and approval.
func TestOpenMigratesSchema2InFlight(t *testing.T) {
	path := copyFixture(t, "inflight.db")
	if _, err := Open(path, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "needs migrating") {
		t.Fatalf("read-only Open of schema 2: err = %v", err)
	}
	c := newClock()
	c.Set(time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC))
	l := openAt(t, path, c)
	if got := readMetaOf(t, l); got != "3" {
		t.Fatalf("schema_version after migration = %q", got)
	}
	if b := backups(t, path); len(b) != 1 || !strings.Contains(b[0], ".schema2-20261121T080000Z.bak") {
		t.Fatalf("backups = %v, want one schema2 backup", b)
	}

	want := map[renewd.Term]struct {
		status  Status
		orderID int64
	}{
		mterm(1001, "2026-12-05"): {StatusOrdering, 0},         // key 2026-12-04T23:00:00Z: Paris midnight
		mterm(1002, "2026-12-05"): {StatusOrdered, 100000001},  // 2026-12-05T00:00:00Z: a date-typed route
		mterm(1003, "2026-07-15"): {StatusPaying, 100000002},   // 2026-07-14T22:00:00Z: Paris midnight in summer
		mterm(1004, "2026-12-10"): {StatusPaid, 100000003},     // 2026-12-10T18:56:28Z: a Paris time of day
		mterm(1005, "2026-12-15"): {StatusAwaitingApproval, 0}, // approval pending
		mterm(1006, "2026-12-16"): {StatusApproved, 0},
		mterm(1007, "2026-12-01"): {StatusDelivered, 100000005},
		mterm(1008, "2026-12-21"): {StatusFailed, 100000004},
	}
	recs, err := l.List(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records after migration, want %d: %+v", len(recs), len(want), recs)
	}
	for _, r := range recs {
		w, ok := want[r.Term]
		if !ok {
			t.Errorf("unexpected term %s after migration", r.Term)
			continue
		}
		if r.Status != w.status || r.OrderID != w.orderID {
			t.Errorf("%s: status %s order %d, want %s order %d", r.Term, r.Status, r.OrderID, w.status, w.orderID)
		}
		if r.ServiceName == "" || r.Rule != "vps-monthly" || !r.Payment.Default || r.QuoteUcents != 599_000_000 {
			t.Errorf("%s lost its fields: %+v", r.Term, r)
		}
		if r.Status == StatusOrdering || r.MoneyInFlight() {
			if r.IntentAt.IsZero() || !r.IntentOVH.Equal(r.IntentAt) {
				t.Errorf("%s: intent %v, OVH time %v: the migrated intent must keep its time", r.Term, r.IntentAt, r.IntentOVH)
			}
		}
		if !r.MoneyInFlight() && (r.Status == StatusOrdering || r.Status == StatusPaying || r.Status == StatusOrdered) {
			t.Errorf("%s is %s but not in flight", r.Term, r.Status)
		}
	}
	if r := mustGet(t, l, mterm(1003, "2026-07-15")); r.PayIntentAt.IsZero() || !r.PayIntentOVH.Equal(r.PayIntentAt) {
		t.Errorf("paying record lost its payment intent: %+v", r)
	}
	if r := mustGet(t, l, mterm(1007, "2026-12-01")); r.NewExpiration != renewd.MustDate("2027-01-01") {
		t.Errorf("delivered record's new expiration = %s, want 2027-01-01 (2026-12-31T23:00:00Z in Paris)", r.NewExpiration)
	}
	if r := mustGet(t, l, mterm(1008, "2026-12-21")); !r.MoneyInFlight() || r.LastMoneyStep != StatusPaying {
		t.Errorf("failed payment no longer in flight: %+v", r)
	}

	// Approvals resolve to the new keys, decided or not.
	for id, term := range map[string]renewd.Term{
		"aaaaaaaaaaaaaaaaaaaaaaaaa5": mterm(1005, "2026-12-15"),
		"aaaaaaaaaaaaaaaaaaaaaaaaa6": mterm(1006, "2026-12-16"),
	} {
		if rec, err := l.ApprovalByID(id); err != nil || rec.Term != term {
			t.Errorf("ApprovalByID(%s) = %v, %v; want %s", id, rec.Term, err, term)
		}
	}
	if r := mustGet(t, l, mterm(1006, "2026-12-16")); !r.Approval.Approved() || r.Approval.DecidedBy != "slack:U0BOSS" {
		t.Errorf("approved record lost its decision: %+v", r.Approval)
	}
	// Orders are indexed by the term that holds them.
	for id, term := range map[int64]renewd.Term{100000001: mterm(1002, "2026-12-05"), 100000004: mterm(1008, "2026-12-21")} {
		if got, ok, err := l.OrderOwner("main", id); err != nil || !ok || got != term {
			t.Errorf("OrderOwner(%d) = %s, %v, %v; want %s", id, got, ok, err, term)
		}
	}
	// The history follows the new keys, sequence numbers kept.
	evs, err := l.History(HistoryFilter{Term: mterm(1004, "2026-12-10").String()})
	if err != nil || len(evs) != 4 || evs[3].To != StatusPaid {
		t.Fatalf("history of the paid term = %+v, %v", evs, err)
	}
	all, _ := l.History(HistoryFilter{})
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq {
			t.Fatalf("history sequence not increasing after migration: %+v", all)
		}
	}
	if sums, err := l.SpentSince("main", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)); err != nil || sums["EUR"] != 2*599_000_000 {
		t.Errorf("SpentSince after migration = %v, %v; want two payments", sums, err)
	}
	// Queued reports name the new terms and dates.
	items, err := l.Outbox(0)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, it := range items {
		keys = append(keys, it.Key)
		if strings.Contains(it.Key, "T2") || strings.Contains(string(it.Body), "T2") {
			t.Errorf("outbox item still names an instant: %s %s", it.Key, it.Body)
		}
	}
	for _, k := range []string{"term/main/1004/2026-12-10", "approval/aaaaaaaaaaaaaaaaaaaaaaaaa5", "term/main/1001/2026-12-05"} {
		if !slices.Contains(keys, k) {
			t.Errorf("outbox keys %v lack %s", keys, k)
		}
	}
	var body renewd.Report
	if err := json.Unmarshal(items[0].Body, &body); err != nil || body.Term != "main/1004/2026-12-10" || body.Expiration != renewd.MustDate("2026-12-10") {
		t.Errorf("first report's body = %+v, %v", body, err)
	}

	// New events continue the sequence; reopening migrates nothing more.
	last := all[len(all)-1].Seq
	if _, err := l.Transition(mterm(1004, "2026-12-10"), StatusDelivered, "moved", nil, nil); err != nil {
		t.Fatal(err)
	}
	evs, _ = l.History(HistoryFilter{Term: mterm(1004, "2026-12-10").String()})
	if got := evs[len(evs)-1]; got.Seq != last+1 || got.To != StatusDelivered {
		t.Errorf("first event after migration = %+v, want seq %d", got, last+1)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openAt(t, path, c)
	if again, _ := l.History(HistoryFilter{}); len(again) != len(all)+1 {
		t.Errorf("history after reopening = %d events, want %d", len(again), len(all)+1)
	}
	if b := backups(t, path); len(b) != 1 {
		t.Errorf("a reopen wrote another backup: %v", b)
	}
}

// Two schema-2 records of one expiration, under the keys the two wire forms
// gave it, become one record that keeps both orders and both payments, and
// the merge is reported.
func TestOpenMergesCollidingSchema2Records(t *testing.T) {
	path := copyFixture(t, "collision.db")
	l := openAt(t, path, newClock())
	recs, err := l.List(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[renewd.Term]Record{}
	for _, r := range recs {
		got[r.Term] = r
	}
	if len(got) != 3 {
		t.Fatalf("records after merging: %+v", recs)
	}
	type want struct {
		status Status
		order  int64
		others []int64
	}
	for term, w := range map[renewd.Term]want{
		mterm(2001, "2026-12-05"): {StatusPaid, 100000011, nil},                  // paid + an intent: the payment leads
		mterm(2002, "2026-12-05"): {StatusPaying, 100000013, []int64{100000012}}, // paying + ordered: both orders kept
		mterm(2003, "2026-12-05"): {StatusPaid, 100000014, []int64{100000015}},   // paid twice
	} {
		r := got[term]
		if r.Status != w.status || r.OrderID != w.order || !slices.Equal(r.OtherOrders, w.others) {
			t.Errorf("%s = %s order %d others %v, want %s order %d others %v", term, r.Status, r.OrderID, r.OtherOrders, w.status, w.order, w.others)
		}
		for _, id := range append([]int64{w.order}, w.others...) {
			if owner, ok, err := l.OrderOwner("main", id); err != nil || !ok || owner != term {
				t.Errorf("OrderOwner(%d) = %s, %v, %v", id, owner, ok, err)
			}
		}
	}
	// The merged paying term still holds money in flight (both orders),
	// so nothing new can be ordered for it.
	paying := got[mterm(2002, "2026-12-05")]
	if !paying.MoneyInFlight() || !paying.HoldsOrder() {
		t.Errorf("merged paying record not in flight: %+v", paying)
	}
	if _, err := l.Transition(paying.Term, StatusDue, "x", nil, nil); err != nil {
		t.Fatal(err) // paying -> due (its order gone) is allowed...
	}
	if _, err := l.Transition(paying.Term, StatusOrdering, "x", intent, nil); !errorsIs(err, ErrOrderInFlight) {
		t.Errorf("ordering while a merged order is alive: err = %v, want ErrOrderInFlight", err) // ...but not a new order
	}

	// Each merge is in the history and the outbox; the double payment is a failure.
	items, err := l.Outbox(0)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, it := range items {
		var r renewd.Report
		_ = json.Unmarshal(it.Body, &r)
		kinds[it.Key] = it.Kind
		if it.Key == "migrate/main/2003/2026-12-05" && !strings.Contains(r.Reason, "paid twice") {
			t.Errorf("double payment report = %q", r.Reason)
		}
	}
	if diff := cmp.Diff(map[string]string{
		"migrate/main/2001/2026-12-05": "notice",
		"migrate/main/2002/2026-12-05": "notice",
		"migrate/main/2003/2026-12-05": "failed",
	}, kinds); diff != "" {
		t.Errorf("merge reports (-want +got):\n%s", diff)
	}
	evs, _ := l.History(HistoryFilter{Term: mterm(2003, "2026-12-05").String()})
	if len(evs) != 9 || !strings.Contains(evs[len(evs)-1].Reason, "merged") {
		t.Errorf("history of the merged term: %d events, last %+v", len(evs), evs[len(evs)-1])
	}
}

func errorsIs(err, target error) bool {
	return err != nil && strings.Contains(err.Error(), target.Error())
}

// A schema-1 ledger (long-named JSON, history keyed by sequence) is
// migrated to schema 3 in one step.
func TestOpenMigratesSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	put := func(tx *bolt.Tx, bucket string, k []byte, v string) {
		if err := tx.Bucket([]byte(bucket)).Put(k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	paid := time.Date(2026, 3, 1, 9, 0, 1, 500_000_000, time.UTC)
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketTerms, bucketHistory, bucketApprovals, bucketOutbox, bucketMessages, bucketSpent} {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		put(tx, "meta", keySchemaVersion, "1")
		put(tx, "terms", []byte("default/7/2026-04-01T00:00:00Z"), `{"term":{"Account":"default","ServiceID":7,"Expiration":"2026-04-01T00:00:00Z"},"serviceName":"vps-7.vps.ovh.net","status":"paid","currency":"EUR","payment":{"MethodID":0,"Mean":"","MeanID":0,"Default":true},"intentAt":"2026-03-01T09:00:00Z","orderId":77,"orderUcents":700000000,"paidAt":"2026-03-01T09:00:01.5Z","created":"2026-03-01T09:00:00Z","updated":"2026-03-01T09:00:01.5Z"}`)
		put(tx, "terms", []byte("acme/42/2026-03-31T22:00:00Z"), `{"term":{"Account":"acme","ServiceID":42,"Expiration":"2026-03-31T22:00:00Z"},"serviceName":"vps-42.vps.ovh.net","status":"awaiting_approval","period":"P1M","approval":{"id":"abc","priceUcents":9,"decision":""},"newExpiration":"2026-04-30T22:00:00Z","created":"2026-03-01T09:00:00Z","updated":"2026-03-01T09:00:00Z"}`)
		put(tx, "history", seqKey(1), `{"seq":1,"term":"default/7/2026-04-01T00:00:00Z","at":"2026-03-01T09:00:00Z","to":"ordering","reason":"in window","actor":"renewd"}`)
		put(tx, "history", seqKey(2), `{"seq":2,"term":"acme/42/2026-03-31T22:00:00Z","at":"2026-03-01T09:00:00Z","to":"awaiting_approval","reason":"ask","actor":"cli:alice"}`)
		put(tx, "history", seqKey(3), `{"seq":3,"term":"default/7/2026-04-01T00:00:00Z","at":"2026-03-01T09:00:01.5Z","from":"ordering","to":"paid","reason":"order 77 paid","actor":"renewd"}`)
		if err := tx.Bucket(bucketHistory).SetSequence(3); err != nil {
			return err
		}
		put(tx, "spent", append(spentPrefix("default", paid), "default/7/2026-04-01T00:00:00Z"...), `{"currency":"EUR","ucents":700000000,"paidAt":"2026-03-01T09:00:01.5Z"}`)
		put(tx, "approvals", []byte("abc"), "acme/42/2026-03-31T22:00:00Z")
		put(tx, "messages", []byte("term/acme/42/2026-03-31T22:00:00Z/approval"), `{"channel":"C1","ts":"1.2","at":"2026-03-01T09:00:00Z"}`)
		put(tx, "outbox", seqKey(1), `{"seq":1,"key":"cycle/1","kind":"cycle","enqueued":"2026-03-01T09:00:00Z"}`)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	l := openAt(t, path, newClock())
	if got := readMetaOf(t, l); got != "3" {
		t.Fatalf("schema_version after migration = %q", got)
	}
	simple := mustGet(t, l, renewd.Term{Account: "default", ServiceID: 7, Expiration: renewd.MustDate("2026-04-01")})
	if simple.Status != StatusPaid || simple.OrderID != 77 || !simple.PaidAt.Equal(paid) || !simple.Payment.Default {
		t.Errorf("record after migration = %+v", simple)
	}
	held := mustGet(t, l, renewd.Term{Account: "acme", ServiceID: 42, Expiration: renewd.MustDate("2026-04-01")})
	if held.Status != StatusAwaitingApproval || held.Approval.ID != "abc" || held.NewExpiration != renewd.MustDate("2026-05-01") {
		t.Errorf("held record after migration = %+v", held)
	}
	evs, err := l.History(HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Seq: 1, Term: "default/7/2026-04-01", At: t0, To: StatusOrdering, Reason: "in window", Actor: SystemActor},
		{Seq: 2, Term: "acme/42/2026-04-01", At: t0, To: StatusAwaitingApproval, Reason: "ask", Actor: "cli:alice"},
		{Seq: 3, Term: "default/7/2026-04-01", At: paid, From: StatusOrdering, To: StatusPaid, Reason: "order 77 paid", Actor: SystemActor},
	}
	if diff := cmp.Diff(want, evs); diff != "" {
		t.Errorf("history after migration (-want +got):\n%s", diff)
	}
	if sums, err := l.SpentSince("default", paid); err != nil || sums["EUR"] != 700000000 {
		t.Errorf("SpentSince after migration = %v, %v", sums, err)
	}
	if rec, err := l.ApprovalByID("abc"); err != nil || rec.Term != held.Term {
		t.Errorf("ApprovalByID after migration = %v, %v", rec.Term, err)
	}
	if _, ts, ok, err := l.MessageRef("term/acme/42/2026-04-01/approval"); err != nil || !ok || ts != "1.2" {
		t.Errorf("message ref after migration = %q, %v, %v", ts, ok, err)
	}
	if items, err := l.Outbox(0); err != nil || len(items) != 1 || items[0].Key != "cycle/1" {
		t.Errorf("outbox after migration = %+v, %v", items, err)
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
