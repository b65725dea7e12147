package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// scriptedSender fails with the scripted errors first, then records what
// it delivers. It is not a DigestSender; digestSender is.
type scriptedSender struct {
	fail    []error
	calls   int
	got     []string // keys, in delivery order
	updates []string // keys delivered as updates of an earlier message
}

func (s *scriptedSender) Send(_ context.Context, key string, prev Ref, r renewd.Report) (Ref, error) {
	s.calls++
	if len(s.fail) > 0 {
		err := s.fail[0]
		s.fail = s.fail[1:]
		if err != nil {
			return Ref{}, err
		}
	}
	s.got = append(s.got, key)
	if prev.TS != "" {
		s.updates = append(s.updates, key)
	}
	return Ref{Channel: "C1", TS: fmt.Sprintf("ts-%d", s.calls)}, nil
}

type digestSender struct {
	scriptedSender
	digests [][]string // the keys of each digest
}

func (s *digestSender) SendDigest(_ context.Context, d Digest) (Ref, error) {
	s.calls++
	s.digests = append(s.digests, d.Keys)
	s.got = append(s.got, fmt.Sprintf("digest(%s×%d)", d.Kind, len(d.Keys)))
	return Ref{Channel: "C1", TS: fmt.Sprintf("ts-%d", s.calls)}, nil
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

// report is a queued report with key, kind and term.
func report(t *testing.T, key string, kind renewd.ReportKind, term string) state.Report {
	t.Helper()
	body, err := json.Marshal(renewd.Report{Kind: kind, Term: term, ServiceName: key})
	if err != nil {
		t.Fatal(err)
	}
	return state.Report{Key: key, Kind: string(kind), Body: body}
}

type testClock struct{ t time.Time }

func (c *testClock) Now() time.Time { return c.t }

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// drainAll drains until the outbox is empty, moving the clock to each next
// try; it fails after 200 rounds.
func drainAll(t *testing.T, d *Drainer, clk *testClock) {
	t.Helper()
	for range 200 {
		_, next, err := d.Drain(t.Context())
		if err == nil {
			return
		}
		if next.IsZero() {
			t.Fatalf("drain: %v, and no next try", err)
		}
		clk.t = next
	}
	t.Fatal("the outbox never drained")
}

// A 429 waits exactly its Retry-After, shorter than the first backoff
// step; a 500 waits the backoff; while waiting, nothing calls the sender.
func TestDrainRetriesTransientErrors(t *testing.T) {
	clk := &testClock{t: t0}
	l := newLedger(t, clk.Now)
	if err := l.Enqueue(report(t, "a", renewd.ReportRenewed, ""), report(t, "b", renewd.ReportRenewed, "")); err != nil {
		t.Fatal(err)
	}
	s := &scriptedSender{fail: []error{
		&RetryAfterError{After: time.Second, Err: errors.New("rate limited")},
		errors.New("slack chat.postMessage: 500"),
		errors.New("network: connection reset"),
	}}
	d := &Drainer{Outbox: l, Sender: s, Now: clk.Now, Backoff: []time.Duration{2 * time.Second, 10 * time.Second}}

	sent, next, err := d.Drain(t.Context())
	if err == nil || sent != 0 || !next.Equal(t0.Add(time.Second)) {
		t.Fatalf("after a 429 with Retry-After 1: sent %d, next %v, err %v; want 0, +1s, an error", sent, next, err)
	}
	clk.t = t0.Add(500 * time.Millisecond)
	if _, next, err := d.Drain(t.Context()); !errors.Is(err, ErrNotYet) || !next.Equal(t0.Add(time.Second)) || s.calls != 1 {
		t.Fatalf("drain during the wait: next %v, err %v, %d calls; want ErrNotYet, +1s, no new call", next, err, s.calls)
	}
	clk.t = t0.Add(time.Second)
	if _, next, _ := d.Drain(t.Context()); !next.Equal(clk.t.Add(2 * time.Second)) {
		t.Errorf("after a 500: next %v, want the first backoff step (+2s)", next)
	}
	clk.t = clk.t.Add(2 * time.Second)
	if _, next, _ := d.Drain(t.Context()); !next.Equal(clk.t.Add(10 * time.Second)) {
		t.Errorf("after a second failure in a row: next %v, want the second step (+10s)", next)
	}
	clk.t = clk.t.Add(10 * time.Second)
	sent, _, err = d.Drain(t.Context())
	if err != nil || sent != 2 || strings.Join(s.got, ",") != "a,b" {
		t.Fatalf("recovered: sent %d (%v), err %v; want a,b", sent, s.got, err)
	}
	if s.calls != 5 {
		t.Errorf("%d calls, want 5: three failures, two deliveries", s.calls)
	}
}

// Each permanent error parks its report, whole and with the error, and the
// report behind it goes out; an unreadable body is parked too.
func TestDrainParksPermanentErrors(t *testing.T) {
	clk := &testClock{t: t0}
	l := newLedger(t, clk.Now)
	bad := state.Report{Key: "broken", Kind: "failed", Body: []byte(`{"kind":`)}
	if err := l.Enqueue(report(t, "first", renewd.ReportFailed, ""), bad, report(t, "next", renewd.ReportFailed, "")); err != nil {
		t.Fatal(err)
	}
	s := &scriptedSender{fail: []error{Permanent(errors.New("slack chat.postMessage: invalid_blocks"))}}
	d := &Drainer{Outbox: l, Sender: s, Now: clk.Now}
	sent, _, err := d.Drain(t.Context())
	if err != nil || sent != 1 || strings.Join(s.got, ",") != "next" {
		t.Fatalf("sent %d (%v), err %v; want next delivered after the parked one", sent, s.got, err)
	}
	parked, err := l.Parked()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range parked {
		got = append(got, p.Key+": "+p.LastError)
	}
	want := []string{"first: slack chat.postMessage: invalid_blocks", "broken: unreadable report body: unexpected end of JSON input"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("parked (-want +got):\n%s", d)
	}
	if w, p, _ := l.OutboxCounts(); w != 0 || p != 2 {
		t.Errorf("outbox: %d waiting, %d parked; want 0, 2", w, p)
	}
}

// A term's reports keep their order, and a key's update follows its post;
// across terms, approval requests go first, then failures, then routine
// reports, then the summary, whatever the queue's order. An urgent report
// behind a term's routine one pulls that one forward.
func TestDrainOrderAndPriority(t *testing.T) {
	clk := &testClock{t: t0}
	l := newLedger(t, clk.Now)
	queued := []state.Report{
		report(t, "cycle/1", renewd.ReportSummary, ""),
		report(t, "term/A", renewd.ReportRenewed, "A"),
		report(t, "term/B", renewd.ReportRenewed, "B"),
		report(t, "term/A/failed/1", renewd.ReportFailed, "A"),
		report(t, "term/C", renewd.ReportRenewed, "C"),
		report(t, "approval/c", renewd.ReportApprovalRequest, "C"),
		report(t, "term/B", renewd.ReportDelivered, "B"),
		report(t, "approval/d", renewd.ReportApprovalRequest, "D"),
		report(t, "approval/d", renewd.ReportApprovalUpdate, "D"),
	}
	if err := l.Enqueue(queued...); err != nil {
		t.Fatal(err)
	}
	s := &scriptedSender{}
	d := &Drainer{Outbox: l, Sender: s, Now: clk.Now}
	drainAll(t, d, clk)
	want := []string{
		"term/C", "approval/c", // C's routine report goes first, pulled by the request behind it
		"approval/d", "approval/d", // the request, then its update
		"term/A", "term/A/failed/1", // A: same pull, by its failure
		"term/B", "term/B", // B: renewed then delivered, the second an update
		"cycle/1",
	}
	if d := cmp.Diff(want, s.got); d != "" {
		t.Errorf("delivery order (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"approval/d", "term/B"}, s.updates); d != "" {
		t.Errorf("updates (-want +got):\n%s", d)
	}
}

// A term whose report waits for its retry holds back only itself.
func TestDrainRetryHoldsOnlyItsTerm(t *testing.T) {
	clk := &testClock{t: t0}
	l := newLedger(t, clk.Now)
	if err := l.Enqueue(report(t, "term/A", renewd.ReportRenewed, "A"), report(t, "term/A", renewd.ReportDelivered, "A"),
		report(t, "term/B", renewd.ReportRenewed, "B")); err != nil {
		t.Fatal(err)
	}
	items, _ := l.Outbox(0)
	if err := l.OutboxRetryMany([]uint64{items[0].Seq}, t0.Add(time.Hour), "earlier failure"); err != nil {
		t.Fatal(err)
	}
	s := &scriptedSender{}
	d := &Drainer{Outbox: l, Sender: s, Now: clk.Now}
	sent, next, err := d.Drain(t.Context())
	if !errors.Is(err, ErrNotYet) || sent != 1 || !next.Equal(t0.Add(time.Hour)) || strings.Join(s.got, ",") != "term/B" {
		t.Fatalf("sent %d %v, next %v, err %v; want term/B only, then A's retry time", sent, s.got, next, err)
	}
}

// More reports of a digest kind than the threshold go as one digest; as
// many as the threshold go alone. Failures go alone up to the cap, then
// the rest as one digest; the count starts again once none is left.
func TestDrainDigests(t *testing.T) {
	clk := &testClock{t: t0}
	l := newLedger(t, clk.Now)
	var queued []state.Report
	for i := range 4 {
		queued = append(queued, report(t, fmt.Sprintf("term/r%d", i), renewd.ReportRenewed, fmt.Sprintf("r%d", i)))
	}
	for i := range 3 {
		queued = append(queued, report(t, fmt.Sprintf("notice/a%d", i), renewd.ReportAutomatic, fmt.Sprintf("a%d", i)))
	}
	for i := range 5 {
		queued = append(queued, report(t, fmt.Sprintf("term/f%d/failed/1", i), renewd.ReportFailed, fmt.Sprintf("f%d", i)))
	}
	queued = append(queued, report(t, "term/r0", renewd.ReportDelivered, "r0"))
	if err := l.Enqueue(queued...); err != nil {
		t.Fatal(err)
	}
	s := &digestSender{}
	d := &Drainer{Outbox: l, Sender: s, Now: clk.Now, DigestThreshold: 3, SingleCap: 2}
	drainAll(t, d, clk)
	want := []string{
		"term/f0/failed/1", "term/f1/failed/1", "digest(failed×3)",
		"digest(renewed×4)",
		"notice/a0", "notice/a1", "notice/a2", // 3: not more than the threshold
		"term/r0", // after r0's digested renewal, in its own message, not an edit of the digest
	}
	if d := cmp.Diff(want, s.got); d != "" {
		t.Errorf("sent (-want +got):\n%s", d)
	}
	if len(s.updates) != 0 {
		t.Errorf("%v edited a digest", s.updates)
	}
	if info, ok, _ := l.Message("term/r1"); !ok || !info.Digest {
		t.Errorf("term/r1's message %+v, %v; want the digest", info, ok)
	}
	if info, ok, _ := l.Message("term/r0"); !ok || info.Digest {
		t.Errorf("term/r0's message %+v, %v; want its own", info, ok)
	}

	// The outbox held no failure since: the cap counts from zero again.
	s.got = nil
	if err := l.Enqueue(report(t, "term/g0/failed/1", renewd.ReportFailed, "g0"), report(t, "term/g1/failed/1", renewd.ReportFailed, "g1")); err != nil {
		t.Fatal(err)
	}
	drainAll(t, d, clk)
	if d := cmp.Diff([]string{"term/g0/failed/1", "term/g1/failed/1"}, s.got); d != "" {
		t.Errorf("after the backlog emptied (-want +got):\n%s", d)
	}
}

// Without a DigestSender every report goes alone.
func TestDrainWithoutDigestSender(t *testing.T) {
	clk := &testClock{t: t0}
	l := newLedger(t, clk.Now)
	for i := range 10 {
		if err := l.Enqueue(report(t, fmt.Sprintf("notice/%d", i), renewd.ReportUncovered, fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	s := &scriptedSender{}
	drainAll(t, &Drainer{Outbox: l, Sender: s, Now: clk.Now}, clk)
	if len(s.got) != 10 {
		t.Errorf("sent %v, want 10 single reports", s.got)
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

func TestDigestTitles(t *testing.T) {
	for _, tc := range []struct {
		kind renewd.ReportKind
		n    int
		want string
	}{
		{renewd.ReportUncovered, 300, "No rule covers 300 services that are due"},
		{renewd.ReportUncovered, 1, "No rule covers 1 service that is due"},
		{renewd.ReportFailed, 480, "480 more failures"},
		{renewd.ReportApprovalRequest, 2, "2 more renewals wait for approval"},
		{renewd.ReportDelivered, 7, "Delivered: 7 services now have a new expiration"},
	} {
		if got := DigestTitle(Digest{Kind: tc.kind, Reports: make([]renewd.Report, tc.n)}); got != tc.want {
			t.Errorf("DigestTitle(%s×%d) = %q, want %q", tc.kind, tc.n, got, tc.want)
		}
	}
}
