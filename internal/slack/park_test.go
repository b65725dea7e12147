package slack

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/slackfake"
	"github.com/renewd/renewd/internal/state"
)

// parkEnv is a real ledger, the real client and the drainer against the
// fake Slack, on a test clock.
type parkEnv struct {
	f      *slackfake.Fake
	clk    *clock
	ledger *state.Ledger
	d      *notify.Drainer
	logs   *syncBuffer
}

func newParkEnv(t *testing.T) *parkEnv {
	t.Helper()
	e := &parkEnv{f: newFakeSlack(t), clk: &clock{t: at}}
	l, err := state.Open(filepath.Join(t.TempDir(), "renewd.db"), state.Options{Now: e.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	e.ledger = l
	var log *slog.Logger
	c, logs := newTestClient(t, e.f, func(o *Options) { log = o.Logger })
	e.logs = logs
	e.d = &notify.Drainer{Outbox: l, Sender: c, Now: e.clk.Now, Logger: log}
	return e
}

func (e *parkEnv) enqueue(t *testing.T, reports ...state.Report) {
	t.Helper()
	if err := e.ledger.Enqueue(reports...); err != nil {
		t.Fatal(err)
	}
}

func failure(term, reason string) renewd.Report {
	return renewd.Report{Kind: renewd.ReportFailed, At: at, Term: term, Account: "default", ServiceID: 7,
		ServiceName: "db-7.example", ServiceType: "hosting/privateDatabase", Reason: reason, Next: "retry in 1h"}
}

// Each error no retry can fix parks its report, whole, with the error, at
// error level in the log; the reports behind it go out in the same drain.
func TestPermanentErrorsParkAndTheNextReportGoesOut(t *testing.T) {
	for _, tc := range []struct {
		method string
		fault  slackfake.Fault
	}{
		{slackfake.PostMessage, slackfake.Fault{Code: "invalid_blocks"}},
		{slackfake.PostMessage, slackfake.Fault{Code: "msg_too_long"}},
		{slackfake.PostMessage, slackfake.Fault{Code: "msg_blocks_too_long"}},
		{slackfake.PostMessage, slackfake.Fault{Code: "not_in_channel"}},
		{slackfake.PostMessage, slackfake.Fault{Code: "is_archived"}},
		{slackfake.PostMessage, slackfake.Fault{Code: "channel_not_found"}},
		{slackfake.PostMessage, slackfake.Fault{Code: "invalid_auth"}},
		{slackfake.PostMessage, slackfake.Fault{Code: "account_inactive"}},
		{slackfake.PostMessage, slackfake.Fault{Code: "token_revoked"}},
		{slackfake.PostMessage, slackfake.Fault{Code: "missing_scope"}},
		{slackfake.PostMessage, slackfake.Fault{Code: "a_code_slack_adds_later"}},
		{slackfake.PostMessage, slackfake.Fault{Status: 404}},
		{slackfake.PostMessage, slackfake.Fault{Status: 400}},
		{slackfake.PostMessage, slackfake.Fault{Status: 403}},
		{slackfake.Update, slackfake.Fault{Code: "invalid_blocks"}},
		{slackfake.Update, slackfake.Fault{Status: 404}},
	} {
		name := fmt.Sprintf("%s/%s%d", tc.method, tc.fault.Code, tc.fault.Status)
		t.Run(name, func(t *testing.T) {
			e := newParkEnv(t)
			key := "term/default/7/2026-12-01/failed/1"
			if tc.method == slackfake.Update {
				// The refused report is an update of a message posted before.
				e.enqueue(t, report(t, key, failure("default/7/2026-12-01", "first try")))
				if _, _, err := e.d.Drain(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			refused := failure("default/7/2026-12-01", "OVH said: order 1234 <b>rejected</b>")
			e.enqueue(t,
				report(t, key, refused),
				report(t, "term/x", renewd.Report{Kind: renewd.ReportRenewed, At: at, Term: "x", ServiceName: "x.example"}),
				report(t, "cycle/1", renewd.Report{Kind: renewd.ReportSummary, At: at, Counts: map[string]int{"failed": 1}}))
			before := len(e.f.Calls())
			e.f.Fail(tc.method, tc.fault)

			sent, _, err := e.d.Drain(t.Context())
			if err != nil || sent != 2 {
				t.Fatalf("drain: sent %d, err %v; want the two reports behind the refused one", sent, err)
			}
			var posted []string
			for _, c := range e.f.Calls()[before:] {
				if c.OK {
					posted = append(posted, strings.SplitN(c.Text, "\n", 2)[0])
				}
			}
			if len(posted) != 2 || !strings.HasPrefix(posted[0], "Renewed x.example") || !strings.HasPrefix(posted[1], "renewd cycle") {
				t.Errorf("delivered %q; want the renewal, then the summary", posted)
			}
			parked, err := e.ledger.Parked()
			if err != nil {
				t.Fatal(err)
			}
			want := tc.fault.Code
			if want == "" {
				want = fmt.Sprint(tc.fault.Status)
			}
			if len(parked) != 1 || parked[0].Key != key || !strings.Contains(parked[0].LastError, want) {
				t.Fatalf("parked %+v; want %s, with %q in its error", parked, key, want)
			}
			if w, p, _ := e.ledger.OutboxCounts(); w != 0 || p != 1 {
				t.Errorf("outbox: %d waiting, %d parked; want 0, 1", w, p)
			}
			logs := e.logs.String()
			if !strings.Contains(logs, "level=ERROR msg=\"report parked") || !strings.Contains(logs, "<b>rejected</b>") {
				t.Errorf("the parked report is not logged whole at error level:\n%s", logs)
			}
			checkNoLeak(t, e.f, logs)
		})
	}
}

// Each error a retry may get past is retried; a short Retry-After is
// waited exactly, not stretched to the first backoff step (2 s).
func TestTransientErrorsAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault slackfake.Fault
		wait  time.Duration // 0: the first backoff step
	}{
		{"500", slackfake.Fault{Status: 500}, 0},
		{"502", slackfake.Fault{Status: 502}, 0},
		{"503", slackfake.Fault{Status: 503}, 0},
		{"408", slackfake.Fault{Status: 408}, 0},
		{"dropped connection", slackfake.Fault{Drop: true}, 0},
		{"internal_error", slackfake.Fault{Code: "internal_error"}, 0},
		{"fatal_error", slackfake.Fault{Code: "fatal_error"}, 0},
		{"service_unavailable", slackfake.Fault{Code: "service_unavailable"}, 0},
		{"ratelimited", slackfake.Fault{Code: "ratelimited"}, 0},
		{"429 Retry-After 1", slackfake.Fault{Status: 429, RetryAfter: "1"}, time.Second},
		{"429 Retry-After 30", slackfake.Fault{Status: 429, RetryAfter: "30"}, 30 * time.Second},
		{"429 without Retry-After", slackfake.Fault{Status: 429}, notify.MinRetryAfter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newParkEnv(t)
			e.enqueue(t, report(t, "approval/abc", approvalRequest("abc")), report(t, "term/x", renewd.Report{Kind: renewd.ReportRenewed, At: at, Term: "x", ServiceName: "x.example"}))
			e.f.Fail(slackfake.PostMessage, tc.fault)
			sent, next, err := e.d.Drain(t.Context())
			want := tc.wait
			if want == 0 {
				want = notify.DefaultBackoff[0]
			}
			if err == nil || sent != 0 || !next.Equal(at.Add(want)) {
				t.Fatalf("drain: sent %d, next %v, err %v; want 0, %s later, an error", sent, next.Sub(at), err, want)
			}
			if notify.IsPermanent(err) {
				t.Errorf("%v is classed permanent", err)
			}
			items, _ := e.ledger.Outbox(0)
			if len(items) != 2 || items[0].Attempts != 1 || items[0].LastError == "" {
				t.Errorf("outbox after the failure: %+v", items)
			}
			if n := len(e.f.Calls()); n != 1 {
				t.Errorf("%d calls, want 1: the drain stops at a transient error", n)
			}
			e.clk.Set(next)
			if sent, _, err := e.d.Drain(t.Context()); err != nil || sent != 2 {
				t.Errorf("retry: sent %d, err %v; want both delivered", sent, err)
			}
			if parked, _ := e.ledger.Parked(); len(parked) != 0 {
				t.Errorf("parked %+v", parked)
			}
			checkNoLeak(t, e.f, e.logs.String())
		})
	}
}
