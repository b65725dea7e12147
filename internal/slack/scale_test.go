package slack

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/slackfake"
	"github.com/renewd/renewd/internal/state"
)

// Sleep moves the test clock on at once: a paced client on this clock
// runs at full speed and its pace shows in the clock.
func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.Set(c.Now().Add(d))
	return ctx.Err()
}

// MessageBound is docs/operations.md's bound on the messages one cycle's
// reports post with the default settings, whatever the number of
// services: 20 approval requests and one digest of the rest, 20 failures
// and one digest of the rest, at most threshold+1 messages (5 alone, or a
// digest; one more when delivery starts while the cycle still queues) for
// each of the five digest kinds and for approval decisions whose request
// went in a digest, and the summary. Edits of messages already posted
// come on top, one per event.
const MessageBound = (notify.DefaultSingleCap+1)*2 + (notify.DefaultDigestThreshold+1)*6 + 1 // 79

// scaleCycle queues what a cycle over 2,000 services leaves in the outbox,
// as the renewal engine writes it: 500 failures (each quoting an OVH error
// body), 300 uncovered and 200 automatic notices, 1,000 services with
// nothing to say, the cycle's summary, and an approval request last.
func scaleCycle(t *testing.T, l *state.Ledger) {
	t.Helper()
	var queued []state.Report
	svc := func(id int, kind renewd.ReportKind) renewd.Report {
		term := fmt.Sprintf("default/%d/2026-12-%02d", id, 1+id%28)
		return renewd.Report{Kind: kind, At: at, Term: term, Account: "default", ServiceID: int64(id),
			ServiceName: fmt.Sprintf("vps-%d.vps.ovh.net", id), ServiceType: "vps",
			Expiration: renewd.Date{Year: 2026, Month: 12, Day: 1 + id%28}, Rule: "vps", Period: "P1M",
			Currency: "EUR", PriceUcents: 700_000_000, CapUcents: 1_000_000_000, Payment: "credit card 9001"}
	}
	for id := 1; id <= 500; id++ {
		r := svc(id, renewd.ReportFailed)
		r.Reason = "create renewal order: OVH answered 503: <html><body><h1>503 Service Unavailable</h1>" + strings.Repeat("Please retry later. ", 40) + "</body></html>"
		r.Next = "retry after 2026-11-26 10:00 UTC"
		queued = append(queued, report(t, fmt.Sprintf("term/%s/failed/1", r.Term), r))
	}
	for id := 501; id <= 800; id++ {
		r := svc(id, renewd.ReportUncovered)
		r.Reason = "no rule matches type vps and name " + r.ServiceName
		queued = append(queued, report(t, fmt.Sprintf("notice/%s/uncovered", r.Term), r))
	}
	for id := 801; id <= 1000; id++ {
		r := svc(id, renewd.ReportAutomatic)
		r.Reason = "OVH renews it automatically"
		queued = append(queued, report(t, fmt.Sprintf("notice/%s/automatic", r.Term), r))
	}
	queued = append(queued, report(t, "cycle/1", renewd.Report{Kind: renewd.ReportSummary, At: at,
		Counts: map[string]int{"failed": 500, "reported": 500, "nothing": 1000, "awaiting-approval": 1}}))
	req := approvalRequest("zzzzzzzzzzzzzzzzzzzzzzzzzz")
	req.ServiceID, req.Term = 2000, "default/2000/2026-12-01"
	queued = append(queued, report(t, "approval/zzzzzzzzzzzzzzzzzzzzzzzzzz", req))
	if err := l.Enqueue(queued...); err != nil {
		t.Fatal(err)
	}
}

// A cycle's worth of reports for 2,000 services, against a Slack that
// answers 429 past one message a second per channel: the approval request
// queued last goes first, no 429 is ever answered, every report is told
// of (a digest counts), and the messages stay under MessageBound.
func TestACycleOf2000ServicesAgainstSlacksPace(t *testing.T) {
	clk := &clock{t: at}
	f := slackfake.New(slackfake.Options{BotToken: botToken, AppToken: appToken, Now: clk.Now, PostInterval: time.Second})
	t.Cleanup(f.Close)
	l, err := state.Open(filepath.Join(t.TempDir(), "renewd.db"), state.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, logs := newTestClient(t, f, func(o *Options) {
		o.PostInterval = 0 // the default: one a second
		o.Now, o.Sleep = clk.Now, clk.Sleep
	})
	scaleCycle(t, l)
	d := &notify.Drainer{Outbox: l, Sender: c, Now: clk.Now}
	for round := 0; ; round++ {
		if round > 100 {
			t.Fatal("the outbox never drained")
		}
		_, next, err := d.Drain(t.Context())
		if err == nil {
			break
		}
		t.Logf("drain: %v", err)
		clk.Set(next)
	}

	calls := f.Calls()
	posts := slackfake.Only(calls, isOKPost)
	if len(posts) == 0 {
		t.Fatal("nothing posted")
	}
	if first := posts[0]; !strings.Contains(first.Text, "Approval needed") || first.At.Sub(at) > 3*time.Second {
		t.Errorf("first post at +%s: %.60q; want the approval request within 3 s", first.At.Sub(at), first.Text)
	}
	if b := buttons(sentBlocks(t, posts[0])); len(b) != 2 {
		t.Errorf("the approval request has buttons %v", b)
	}
	limited := slackfake.Only(calls, func(c slackfake.Call) bool { return c.Status == 429 })
	if len(limited) != 0 {
		t.Errorf("Slack answered 429 %d times", len(limited))
	}
	if len(posts) > MessageBound {
		t.Errorf("%d messages, over the bound of %d", len(posts), MessageBound)
	}
	var titles []string
	for _, p := range posts {
		titles = append(titles, strings.SplitN(p.Text, "\n", 2)[0])
	}
	want := []string{"Approval needed"}
	for range 20 {
		want = append(want, "Renewal failed: vps-")
	}
	want = append(want, "480 more failures", "No rule covers 300 services", "OVH renews 200 services", "renewd cycle")
	if len(titles) != len(want) {
		t.Fatalf("%d messages, want %d:\n%s", len(titles), len(want), strings.Join(titles, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(titles[i], want[i]) {
			t.Errorf("message %d: %q, want %q…", i, titles[i], want[i])
		}
	}
	if w, p, _ := l.OutboxCounts(); w != 0 || p != 0 {
		t.Errorf("outbox: %d waiting, %d parked", w, p)
	}
	took := posts[len(posts)-1].At.Sub(at)
	if took > time.Duration(len(posts))*time.Second {
		t.Errorf("the drain took %s of Slack's time for %d messages", took, len(posts))
	}
	t.Logf("%d messages over %s of simulated time", len(posts), took)
	checkNoLeak(t, f, logs.String())
}

func isOKPost(c slackfake.Call) bool { return c.Method == slackfake.PostMessage && c.OK }

// Every kind in numbers at once, 3,500 reports, half of them queued after
// the drain began: the messages stay under MessageBound, Slack answers no
// 429, and every report is told of.
func TestEveryKindInNumbersStaysUnderTheBound(t *testing.T) {
	clk := &clock{t: at}
	f := slackfake.New(slackfake.Options{BotToken: botToken, Now: clk.Now, PostInterval: time.Second})
	t.Cleanup(f.Close)
	l, err := state.Open(filepath.Join(t.TempDir(), "renewd.db"), state.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, _ := newTestClient(t, f, func(o *Options) { o.PostInterval, o.Now, o.Sleep = 0, clk.Now, clk.Sleep })
	kinds := []renewd.ReportKind{renewd.ReportApprovalRequest, renewd.ReportFailed, renewd.ReportRefused,
		renewd.ReportUndelivered, renewd.ReportUncovered, renewd.ReportAutomatic, renewd.ReportNotice,
		renewd.ReportRenewed, renewd.ReportDelivered, renewd.ReportApprovalUpdate}
	queue := func(part int) {
		var queued []state.Report
		for i, k := range kinds {
			for n := range 175 {
				id := part*100_000 + i*1000 + n
				r := renewd.Report{Kind: k, At: at, Term: fmt.Sprintf("default/%d/2026-12-01", id), Account: "default",
					ServiceID: int64(id), ServiceName: fmt.Sprintf("svc-%d.example", id), ApprovalID: fmt.Sprintf("id%d", id),
					Decision: "approved", DecidedBy: "cli:alice"}
				queued = append(queued, report(t, fmt.Sprintf("%s/%d", k, id), r))
			}
		}
		if err := l.Enqueue(queued...); err != nil {
			t.Fatal(err)
		}
	}
	queue(0)
	// Three messages go out before the second half is queued.
	ctx, cancel := context.WithCancel(t.Context())
	stop := &stopAfter{Client: c, left: 3, cancel: cancel}
	d := &notify.Drainer{Outbox: l, Sender: stop, Now: clk.Now}
	if _, _, err := d.Drain(ctx); err != context.Canceled {
		t.Fatalf("the first drain: %v, want it stopped", err)
	}
	queue(1)
	for round := 0; ; round++ {
		if round > 100 {
			t.Fatal("the outbox never drained")
		}
		_, next, err := d.Drain(t.Context())
		if err == nil {
			break
		}
		clk.Set(next)
	}
	posts := slackfake.Only(f.Calls(), isOKPost)
	if len(posts) > MessageBound {
		t.Errorf("%d messages, over the bound of %d", len(posts), MessageBound)
	}
	if n := len(slackfake.Only(f.Calls(), func(c slackfake.Call) bool { return c.Status == 429 })); n != 0 {
		t.Errorf("Slack answered 429 %d times", n)
	}
	if w, p, _ := l.OutboxCounts(); w != 0 || p != 0 {
		t.Errorf("outbox: %d waiting, %d parked", w, p)
	}
	t.Logf("%d messages for %d reports", len(posts), 2*175*len(kinds))
}

// stopAfter passes sends to the client and ends the drain's context after
// a number of them.
type stopAfter struct {
	*Client
	left   int
	cancel context.CancelFunc
}

func (s *stopAfter) count() {
	if s.left--; s.left == 0 {
		s.cancel()
	}
}

func (s *stopAfter) Send(ctx context.Context, key string, prev notify.Ref, r renewd.Report) (notify.Ref, error) {
	defer s.count()
	return s.Client.Send(ctx, key, prev, r)
}

func (s *stopAfter) SendDigest(ctx context.Context, d notify.Digest) (notify.Ref, error) {
	defer s.count()
	return s.Client.SendDigest(ctx, d)
}
