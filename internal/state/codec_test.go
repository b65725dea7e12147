package state

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// fullRecord has every field set, to a value that differs from the others.
func fullRecord() Record {
	at := func(h int) time.Time { return t0.Add(time.Duration(h)*time.Hour + 123456789) }
	return Record{
		Term:        renewd.Term{Account: "acme", ServiceID: 42, Expiration: renewd.Date{Year: 2026, Month: 4, Day: 1}},
		ServiceName: "vps-42.vps.ovh.net", ServiceType: "vps", Rule: "vps-monthly",
		Status: StatusFailed, Period: "P1M", Services: []int64{42, 43},
		CapUcents: 1, Currency: "EUR", QuoteUcents: 2, QuoteWithTaxUcents: 3,
		Payment:  renewd.PaymentForm{MethodID: 4, Mean: "bankAccount", MeanID: 5, Default: true},
		IntentAt: at(1), IntentOVH: at(13), OrderID: 6, OrderUcents: 7, OrderWithTaxUcents: 8, OrderExpires: at(2),
		PayIntentAt: at(3), PayIntentOVH: at(14), CallEndOVH: at(15), OtherOrders: []int64{16, 17},
		LastMoneyStep: StatusPaying, PaidAt: at(4), DeliveredAt: at(5), NewExpiration: renewd.DateOf(at(6)), Adopted: true,
		Approval: &Approval{
			ID: "abc", PriceUcents: 9, RequestedAt: at(7), ExpiresAt: at(8), Decision: DecisionApproved,
			DecidedBy: "slack:U1", DecidedAt: at(9), SlackChannel: "C1", SlackTS: "1.2",
		},
		Attempts: 10, NextAttempt: at(10), LastError: "boom", Reason: "why", Created: at(11), Updated: at(12),
	}
}

// allSet fails when a field of v (a struct), or of a struct it points to,
// is zero: a field added to Record and forgotten by the codec then fails
// the round trip below instead of being silently dropped.
func allSet(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	for i := range v.NumField() {
		f := v.Field(i)
		name := path + "." + v.Type().Field(i).Name
		if f.IsZero() {
			t.Errorf("%s is zero in the test value", name)
		}
		if f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.Struct {
			allSet(t, name, f)
		}
	}
}

func TestRecordEncodingRoundTrip(t *testing.T) {
	full := fullRecord()
	allSet(t, "Record", reflect.ValueOf(full))
	allSet(t, "Record.Payment", reflect.ValueOf(full.Payment))
	for name, rec := range map[string]Record{
		"every field":            full,
		"only required":          {Term: full.Term, Status: StatusDue, Created: t0, Updated: t0},
		"approval without times": {Term: full.Term, Status: StatusAwaitingApproval, Approval: &Approval{ID: "x"}},
	} {
		t.Run(name, func(t *testing.T) {
			raw, err := encodeRecord(rec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeRecord(rec.Term.String(), raw)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(rec, got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s\nstored: %s", diff, raw)
			}
		})
	}
	raw, _ := encodeRecord(Record{Term: full.Term, Status: StatusDue, Created: t0, Updated: t0})
	if want := `{"s":"due","c":"2026-03-01T09:00:00Z","u":"2026-03-01T09:00:00Z"}`; string(raw) != want {
		t.Errorf("a bare record is stored as %s, want %s (zero fields omitted, the term in the key)", raw, want)
	}
}

func TestEventEncodingRoundTrip(t *testing.T) {
	var l Ledger
	for name, ev := range map[string]Event{
		"every field": {Seq: 7, Term: "acme/1/2026-04-01T00:00:00Z", At: t0.Add(1), From: StatusPaid, To: StatusDelivered,
			Reason: "summary", Actor: "cli:alice", Folded: 5},
		"system actor": {Seq: 1 << 40, Term: "acme/2/2026-04-01T00:00:00Z", At: t0, To: StatusDue, Actor: SystemActor},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "every field" {
				allSet(t, "Event", reflect.ValueOf(ev))
			}
			raw, err := encodeEvent(ev)
			if err != nil {
				t.Fatal(err)
			}
			got, err := l.decodeEvent(historyKey(ev.Term, ev.Seq), raw)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ev, got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s\nstored: %s", diff, raw)
			}
		})
	}
}

// The append-only buckets pack their pages fuller; order and sums must not
// change: many reports and payments over many transactions, across several
// page splits.
func TestFillPercentKeepsOrder(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	const n, perTx = 600, 30
	var wantSum int64
	// Many transactions (each commit splits pages), each of several
	// reports and payments, through the same code as Enqueue and Transition.
	for batch := range n / perTx {
		err := l.db.Update(func(tx *bolt.Tx) error {
			for j := range perTx {
				i := batch*perTx + j
				c.Advance(time.Minute)
				if err := enqueue(tx, c.Now(), []Report{{Key: "cycle/" + time.Duration(i).String(), Body: []byte(`{"pad":"0123456789012345678901234567890123456789"}`)}}); err != nil {
					return err
				}
				term := renewd.Term{Account: "acme", ServiceID: int64(i + 1), Expiration: renewd.DateOf(t0.AddDate(0, 1, 0))}
				for _, to := range pathTo[StatusPaid] {
					if _, err := l.transition(tx, transitionArgs{actor: SystemActor, term: term, to: to, mutate: func(r *Record) error {
						r.OrderUcents, r.Currency = 12*renewd.UcentsPerUnit, "EUR"
						r.IntentOVH, r.PayIntentOVH = t0, t0
						if to == StatusOrdered {
							r.OrderID = orderIDOf(term)
						}
						return nil
					}}); err != nil {
						return err
					}
				}
				wantSum += 12 * renewd.UcentsPerUnit
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	items, err := l.Outbox(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != n {
		t.Fatalf("outbox holds %d items, want %d", len(items), n)
	}
	for i, it := range items {
		if it.Seq != uint64(i+1) || it.Key != "cycle/"+time.Duration(i).String() {
			t.Fatalf("outbox item %d = seq %d key %q, want seq %d in enqueue order", i, it.Seq, it.Key, i+1)
		}
	}
	sums, err := l.SpentSince("acme", time.Time{})
	if err != nil || sums["EUR"] != wantSum {
		t.Fatalf("SpentSince = %v, %v; want %d EUR", sums, err, wantSum)
	}
	half, _ := l.SpentSince("acme", t0.Add(n/2*time.Minute+time.Second))
	if want := wantSum / 2; half["EUR"] != want {
		t.Fatalf("SpentSince(half way) = %d, want %d", half["EUR"], want)
	}
	if err := l.db.View(func(tx *bolt.Tx) error {
		if st := tx.Bucket(bucketOutbox).Stats(); st.LeafPageN < 3 {
			t.Errorf("outbox has %d leaf pages: the test did not split pages", st.LeafPageN)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
