package state

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/renewd/renewd"
	bolt "go.etcd.io/bbolt"
)

// settleFull drives a new term to delivered with every field the renewal
// engine sets along the way, services being the strategy's services.
func settleFull(t *testing.T, l *Ledger, term renewd.Term, services []int64) Record {
	t.Helper()
	reach(t, l, term, StatusApproved)
	if _, err := l.Touch(term, func(r *Record) error {
		r.ServiceName, r.ServiceType, r.Rule, r.Period = "example.com", "domain", "domains", "P1Y"
		r.Services = services
		r.CapUcents, r.QuoteUcents, r.QuoteWithTaxUcents = 15*renewd.UcentsPerUnit, 12*renewd.UcentsPerUnit, 14*renewd.UcentsPerUnit
		r.Payment = renewd.PaymentForm{MethodID: 7, Mean: "creditCard"}
		r.OrderWithTaxUcents, r.OrderExpires = 14*renewd.UcentsPerUnit, t0.Add(48*time.Hour)
		r.Attempts, r.NextAttempt, r.LastError = 1, t0.Add(time.Hour), "quote: timeout"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, to := range []Status{StatusOrdering, StatusOrdered, StatusPaying, StatusPaid} {
		if _, err := step(l, term, to); err != nil {
			t.Fatalf("step to %s: %v", to, err)
		}
	}
	if _, err := l.Transition(term, StatusDelivered, "delivered: the expiration moved", func(r *Record) error {
		r.NewExpiration = renewd.DateOf(term.Expiration.Start().AddDate(1, 0, 0))
		return nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	return mustGet(t, l, term)
}

// rawRecord returns the stored bytes of the term's record.
func rawRecord(t *testing.T, l *Ledger, term renewd.Term) []byte {
	t.Helper()
	var raw []byte
	if err := l.db.View(func(tx *bolt.Tx) error {
		raw = bytes.Clone(tx.Bucket(bucketTerms).Get([]byte(term.String())))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return raw
}

// A delivered term past FoldAfter is shrunk to what the rest of renewd
// reads, and every read of the ledger still answers as before for it.
func TestPruneSettlesDeliveredRecord(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	single, bundle := termOf(1, 1), termOf(2, 1)
	full := settleFull(t, l, single, []int64{1})
	fullBundle := settleFull(t, l, bundle, []int64{2, 99})
	month := time.Date(t0.Year(), t0.Month(), 1, 0, 0, 0, 0, time.UTC)
	spentBefore, err := l.SpentSince("acme", month)
	if err != nil || spentBefore["EUR"] != 24*renewd.UcentsPerUnit {
		t.Fatalf("SpentSince before = %v, %v", spentBefore, err)
	}
	approvalID := full.Approval.ID

	want := Record{
		Term: full.Term, ServiceName: "example.com", ServiceType: "domain", Rule: "domains",
		Status: StatusDelivered, Period: "P1Y", Currency: "EUR",
		OrderID: full.OrderID, OrderUcents: full.OrderUcents, OrderWithTaxUcents: full.OrderWithTaxUcents,
		Payment: full.Payment,
		Approval: &Approval{ID: full.Approval.ID, PriceUcents: full.Approval.PriceUcents, Decision: DecisionApproved,
			DecidedBy: full.Approval.DecidedBy, DecidedAt: full.Approval.DecidedAt},
		PaidAt: full.PaidAt, DeliveredAt: full.DeliveredAt, NewExpiration: full.NewExpiration, Updated: full.Updated,
	}
	// Every kept field was set (LastMoneyStep is none once delivered): the
	// test cannot pass on zero values.
	v := reflect.ValueOf(want)
	for i := range v.NumField() {
		if name := v.Type().Field(i).Name; name != "Services" && name != "LastMoneyStep" && name != "CallEndOVH" && name != "OtherOrders" && name != "Adopted" && v.Field(i).IsZero() && !slices.Contains(droppedFields, name) {
			t.Fatalf("kept field %s is zero in %+v", name, full)
		}
	}
	for _, name := range droppedFields {
		if reflect.ValueOf(full).FieldByName(name).IsZero() {
			t.Fatalf("dropped field %s was never set: %+v", name, full)
		}
	}
	wantBundle := want
	wantBundle.Term, wantBundle.Services = fullBundle.Term, []int64{2, 99}
	wantBundle.OrderID, wantBundle.PaidAt, wantBundle.DeliveredAt, wantBundle.NewExpiration, wantBundle.Updated =
		fullBundle.OrderID, fullBundle.PaidAt, fullBundle.DeliveredAt, fullBundle.NewExpiration, fullBundle.Updated
	wantBundle.Approval = &Approval{ID: fullBundle.Approval.ID, PriceUcents: fullBundle.Approval.PriceUcents, Decision: DecisionApproved,
		DecidedBy: fullBundle.Approval.DecidedBy, DecidedAt: fullBundle.Approval.DecidedAt}

	c.Advance(DefaultFoldAfter + time.Hour)
	if n, err := l.Prune(t0.AddDate(-1, 0, 0)); err != nil || n != 0 {
		t.Fatalf("Prune = %d, %v", n, err)
	}

	got := mustGet(t, l, single)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("settled record (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantBundle, mustGet(t, l, bundle)); d != "" {
		t.Errorf("settled bundle record (-want +got):\n%s", d)
	}
	if !got.Paid() || got.MoneyInFlight() {
		t.Errorf("settled record: Paid %v, MoneyInFlight %v", got.Paid(), got.MoneyInFlight())
	}
	for name, list := range map[string]func() ([]Record, error){
		"List": func() ([]Record, error) { return l.List(Filter{}) },
		"List(delivered)": func() ([]Record, error) {
			return l.List(Filter{Statuses: []Status{StatusDelivered}, Account: "acme"})
		},
		"ForService": func() ([]Record, error) { return l.ForService("acme", 1) },
	} {
		recs, err := list()
		if err != nil || len(recs) == 0 {
			t.Fatalf("%s = %v, %v", name, recs, err)
		}
		if d := cmp.Diff(want, recs[0]); d != "" {
			t.Errorf("%s[0] (-want +got):\n%s", name, d)
		}
	}
	if in, _ := l.InFlight(); len(in) != 0 {
		t.Errorf("InFlight = %+v", in)
	}
	if spent, err := l.SpentSince("acme", month); err != nil || !cmp.Equal(spent, spentBefore) {
		t.Errorf("SpentSince after = %v, %v; want %v", spent, err, spentBefore)
	}

	// The audit the record dropped is in the summary event.
	evs := historyOf(t, l, single)
	if len(evs) != 1 || evs[0].Folded != 7 || evs[0].To != StatusDelivered {
		t.Fatalf("History = %+v, want one summary of 7 events", evs)
	}
	for _, s := range []string{"approved by cli:test at " + full.Approval.DecidedAt.Format(time.RFC3339),
		"with " + full.Payment.String(), "order 4242", "after 1 failed attempts"} {
		if !strings.Contains(evs[0].Reason, s) {
			t.Errorf("summary %q lacks %q", evs[0].Reason, s)
		}
	}

	// The old approval id still resolves, and a late click is refused as
	// already decided, not as superseded.
	if rec, err := l.ApprovalByID(approvalID); err != nil || rec.Term != single {
		t.Errorf("ApprovalByID = %+v, %v", rec, err)
	}
	_, err = l.Decide(approvalID, DecisionApproved, "cli:late", nil)
	if !errors.Is(err, ErrAlreadyDecided) || errors.Is(err, ErrSuperseded) {
		t.Errorf("Decide on a settled term: err = %v, want ErrAlreadyDecided and not ErrSuperseded", err)
	}

	// A second Prune decodes no event and writes nothing.
	raw := rawRecord(t, l, single)
	decoded := l.eventsDecoded.Load()
	if _, err := l.Prune(t0.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if n := l.eventsDecoded.Load() - decoded; n != 0 {
		t.Errorf("second Prune decoded %d events", n)
	}
	if after := rawRecord(t, l, single); !bytes.Equal(after, raw) {
		t.Errorf("second Prune rewrote the record: %s -> %s", raw, after)
	}
	// Retention still deletes it, with its spent entry.
	c.Advance(time.Hour)
	if n, err := l.Prune(c.Now()); err != nil || n != 2 {
		t.Fatalf("Prune at retention = %d, %v", n, err)
	}
	if spent, _ := l.SpentSince("", time.Time{}); len(spent) != 0 {
		t.Errorf("spent after pruning both terms = %v", spent)
	}
}

// droppedFields are the Record fields the settled form drops; settleFull
// sets every one of them.
var droppedFields = []string{"CapUcents", "QuoteUcents", "QuoteWithTaxUcents", "IntentAt", "IntentOVH",
	"OrderExpires", "PayIntentAt", "PayIntentOVH", "Attempts", "NextAttempt", "LastError", "Reason", "Created"}

// Prune leaves a record byte for byte as it was when it is delivered but
// inside the detail window, of another status, or delivered with a history
// that could not be folded (then the record is the only audit left).
func TestPruneKeepsUnsettledRecordsWhole(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	recent := termOf(1, 1)
	settleFull(t, l, recent, []int64{1})
	oneEvent := termOf(2, 1)
	settleFull(t, l, oneEvent, []int64{2})
	if err := l.db.Update(func(tx *bolt.Tx) error {
		keys := termHistoryKeys(tx.Bucket(bucketHistory), oneEvent.String())
		for _, k := range keys[:len(keys)-1] {
			if err := tx.Bucket(bucketHistory).Delete(k); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	others := map[Status]renewd.Term{}
	for i, s := range []Status{StatusDenied, StatusRefused, StatusFailed, StatusApprovalExpired, StatusPaid, StatusUndelivered} {
		others[s] = termOf(int64(10+i), 1)
		reach(t, l, others[s], s)
	}
	raw := map[renewd.Term][]byte{}
	for _, term := range append([]renewd.Term{recent, oneEvent}, mapValues(others)...) {
		raw[term] = rawRecord(t, l, term)
	}

	c.Advance(DefaultFoldAfter - time.Hour)
	if _, err := l.Prune(t0.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if got := rawRecord(t, l, recent); !bytes.Equal(got, raw[recent]) {
		t.Errorf("inside the detail window, Prune rewrote %s:\n%s\n->\n%s", recent, raw[recent], got)
	}
	if evs := historyOf(t, l, recent); len(evs) != 7 {
		t.Errorf("inside the detail window: %d events, want 7", len(evs))
	}

	c.Advance(DefaultFoldAfter)
	if _, err := l.Prune(t0.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if got := rawRecord(t, l, oneEvent); !bytes.Equal(got, raw[oneEvent]) {
		t.Errorf("a delivered term whose history is not a summary was rewritten:\n%s\n->\n%s", raw[oneEvent], got)
	}
	for s, term := range others {
		if got := rawRecord(t, l, term); !bytes.Equal(got, raw[term]) {
			t.Errorf("%s: Prune rewrote the record:\n%s\n->\n%s", s, raw[term], got)
		}
	}
	if got := mustGet(t, l, recent); !got.Approval.RequestedAt.IsZero() || !got.Created.IsZero() {
		t.Errorf("past the detail window the record is not settled: %+v", got)
	}
}

func mapValues(m map[Status]renewd.Term) []renewd.Term {
	var out []renewd.Term
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// A ledger folded by a renewd that kept settled records whole has them
// shrunk by the next Prune.
func TestPruneSettlesRecordFoldedEarlier(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	term := termOf(1, 1)
	full := settleFull(t, l, term, []int64{1})
	if err := l.db.Update(func(tx *bolt.Tx) error {
		_, err := l.foldHistory(tx.Bucket(bucketHistory), full)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c.Advance(DefaultFoldAfter + time.Hour)
	if _, err := l.Prune(t0.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, l, term); !got.Approval.RequestedAt.IsZero() || got.QuoteUcents != 0 || got.OrderID != full.OrderID {
		t.Errorf("record folded earlier not settled: %+v", got)
	}
}

// Prune keeps the spent index from the first day of the previous month on,
// for every account; the records themselves stay.
func TestPruneSpentIndexKeepsLastMonth(t *testing.T) {
	c := newClock()
	l := openTemp(t, c)
	pay := func(term renewd.Term, at time.Time) {
		t.Helper()
		c.Set(at)
		reach(t, l, term, StatusPaid)
	}
	beta := renewd.Term{Account: "beta", ServiceID: 1, Expiration: renewd.Date{Year: 2026, Month: 5, Day: 1}}
	jan, feb, mar := termOf(1, 1), termOf(2, 1), termOf(3, 1)
	pay(beta, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	pay(jan, time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC))
	pay(feb, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	pay(mar, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	if all, _ := l.SpentSince("", time.Time{}); all["EUR"] != 4*12*renewd.UcentsPerUnit {
		t.Fatalf("spent before Prune = %v", all)
	}

	c.Set(time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC))
	if _, err := l.Prune(t0.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		account string
		since   time.Time
		want    int64
	}{
		{"", time.Time{}, 2 * 12 * renewd.UcentsPerUnit},
		{"acme", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), 2 * 12 * renewd.UcentsPerUnit},
		{"acme", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), 12 * renewd.UcentsPerUnit},
		{"beta", time.Time{}, 0},
	} {
		got, err := l.SpentSince(tc.account, tc.since)
		if err != nil || got["EUR"] != tc.want {
			t.Errorf("SpentSince(%q, %s) = %v, %v; want %d", tc.account, tc.since.Format(time.DateOnly), got, err, tc.want)
		}
	}
	for _, term := range []renewd.Term{beta, jan, feb, mar} {
		if rec := mustGet(t, l, term); !rec.Paid() {
			t.Errorf("%s: %s after Prune", term, rec.Status)
		}
	}
	// A record whose entry was dropped is still delivered and pruned.
	if _, err := step(l, jan, StatusDelivered); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	if n, err := l.Prune(c.Now()); err != nil || n != 1 {
		t.Fatalf("Prune at retention = %d, %v", n, err)
	}
}
