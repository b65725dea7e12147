package notify

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// scriptedSender fails while fail > 0, then records what it delivers.
type scriptedSender struct {
	fail     int
	failWith error
	got      []string // keys, in delivery order
	updates  []string // keys delivered as updates of an earlier message
}

func (s *scriptedSender) Send(_ context.Context, key string, prev Ref, r renewd.Report) (Ref, error) {
	if s.fail > 0 {
		s.fail--
		return Ref{}, s.failWith
	}
	s.got = append(s.got, key)
	if prev.TS != "" {
		s.updates = append(s.updates, key)
	}
	return Ref{Channel: "C1", TS: "ts-" + key}, nil
}

func newLedger(t *testing.T, now func() time.Time) *state.Ledger {
	t.Helper()
	l, err := state.Open(filepath.Join(t.TempDir(), "renewd.db"), state.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func report(t *testing.T, key string, kind renewd.ReportKind) state.Report {
	t.Helper()
	body, err := json.Marshal(renewd.Report{Kind: kind, ServiceName: key})
	if err != nil {
		t.Fatal(err)
	}
	return state.Report{Key: key, Kind: string(kind), Body: body}
}

func TestDrainInOrderThroughFailures(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l := newLedger(t, clock)
	if err := l.Enqueue(report(t, "a", renewd.ReportRenewed), report(t, "b", renewd.ReportFailed), report(t, "c", renewd.ReportRefused)); err != nil {
		t.Fatal(err)
	}
	s := &scriptedSender{fail: 2, failWith: &RetryAfterError{After: 30 * time.Second, Err: errors.New("rate limited")}}
	d := &Drainer{Outbox: l, Sender: s, Now: clock, Backoff: []time.Duration{time.Second}}

	sent, next, err := d.Drain(context.Background())
	if err == nil || sent != 0 || !next.Equal(now.Add(30*time.Second)) {
		t.Fatalf("first drain: sent %d, next %v, err %v; want 0, +30s (Retry-After beats backoff), an error", sent, next, err)
	}
	if _, _, err := d.Drain(context.Background()); !errors.Is(err, ErrNotYet) {
		t.Fatalf("drain before the retry time: err %v, want ErrNotYet", err)
	}
	now = now.Add(31 * time.Second)
	if _, _, err := d.Drain(context.Background()); err == nil {
		t.Fatal("second failure not reported")
	}
	now = now.Add(time.Minute)
	sent, _, err = d.Drain(context.Background())
	if err != nil || sent != 3 {
		t.Fatalf("recovered drain: sent %d, err %v; want 3, nil", sent, err)
	}
	if got := strings.Join(s.got, ","); got != "a,b,c" {
		t.Errorf("delivered %s, want a,b,c in order, once each", got)
	}
	items, _ := l.Outbox(10)
	if len(items) != 0 {
		t.Errorf("outbox still holds %d items", len(items))
	}
}

func TestDrainUpdatesAnEarlierMessage(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l := newLedger(t, clock)
	s := &scriptedSender{}
	d := &Drainer{Outbox: l, Sender: s, Now: clock}
	for _, kind := range []renewd.ReportKind{renewd.ReportRenewed, renewd.ReportDelivered} {
		if err := l.Enqueue(report(t, "term/x", kind)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.got) != 2 || len(s.updates) != 1 || s.updates[0] != "term/x" {
		t.Errorf("delivered %v with updates %v; want the second delivery to update the first message", s.got, s.updates)
	}
}

func TestTextHasNoEmptyFieldsAndSaysWhatHappened(t *testing.T) {
	r := renewd.Report{Kind: renewd.ReportRenewed, ServiceName: "vps-1", ServiceType: "vps", Period: "P1M",
		PriceUcents: 700_000_000, PriceWithTaxUcents: 840_000_000, Currency: "EUR", OrderID: 42}
	got := Text(r)
	for _, want := range []string{"Renewed vps-1 (vps) for P1M at 7.00 EUR", "7.00 EUR without tax, 8.40 EUR with tax", "Order:      42"} {
		if !strings.Contains(got, want) {
			t.Errorf("Text() = %q, want it to contain %q", got, want)
		}
	}
	if strings.Contains(got, "Cap:") || strings.Contains(got, "Next:") {
		t.Errorf("Text() shows empty fields: %q", got)
	}
}
