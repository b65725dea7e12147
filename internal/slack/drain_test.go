package slack

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/slackfake"
	"github.com/renewd/renewd/internal/state"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

func report(t *testing.T, key string, r renewd.Report) state.Report {
	t.Helper()
	body, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return state.Report{Key: key, Kind: string(r.Kind), Body: body}
}

// The drainer, a real ledger and this client, against a Slack that fails
// with 500s, a 502 on the update, then a 429, then recovers, with a
// restart in the middle: every report arrives once, the approval first and
// its update right after (approvals go before the rest), a term's reports
// in their order, the summary last, and the approval's update edits its
// request rather than posting again.
func TestDrainThroughOutagesAndARestart(t *testing.T) {
	f := newFakeSlack(t)
	clk := &clock{t: at}
	path := filepath.Join(t.TempDir(), "renewd.db")
	open := func() *state.Ledger {
		t.Helper()
		l, err := state.Open(path, state.Options{Now: clk.Now, LockTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	renewed := func(name string) renewd.Report {
		return renewd.Report{Kind: renewd.ReportRenewed, At: at, Term: "default/1/x", ServiceName: name, Period: "P1M", Currency: "EUR", PriceUcents: 1}
	}
	failed := renewd.Report{Kind: renewd.ReportFailed, At: at, Account: "default", Reason: "OVH said 500"}
	summary := renewd.Report{Kind: renewd.ReportSummary, At: at, Counts: map[string]int{"paid": 2}}
	queued := []state.Report{
		report(t, "approval/abc", approvalRequest("abc")),
		report(t, "term/one", renewed("one.example")),
		report(t, "account/default/failed/1", failed),
		report(t, "approval/abc", approvalUpdate("abc", "approved", "slack:U0ALICE")),
		report(t, "term/two", renewed("two.example")),
		report(t, "cycle/1", summary),
	}
	ledger := open()
	if err := ledger.Enqueue(queued...); err != nil {
		t.Fatal(err)
	}

	f.Fail("chat.postMessage", slackfake.Fault{Status: 500}, slackfake.Fault{Status: 500}, slackfake.Fault{}, slackfake.Fault{Status: 429, RetryAfter: "30"})
	f.Fail("chat.update", slackfake.Fault{Status: 502})
	drainer := func(l *state.Ledger) (*notify.Drainer, *syncBuffer) {
		c, logs := newTestClient(t, f, nil)
		return &notify.Drainer{Outbox: l, Sender: c, Now: clk.Now, Backoff: []time.Duration{time.Millisecond}}, logs
	}
	d, logs := drainer(ledger)
	var errs []string
	restarted := false
	for round := 0; ; round++ {
		if round > 20 {
			t.Fatal("the outbox never drained")
		}
		sent, next, err := d.Drain(t.Context())
		if err != nil {
			errs = append(errs, err.Error())
			var ra *notify.RetryAfterError
			if errors.As(err, &ra) && !next.Equal(clk.Now().Add(30*time.Second)) {
				t.Errorf("after a 429 with Retry-After 30, next try at %v, want %v", next, clk.Now().Add(30*time.Second))
			}
			clk.Set(next)
		}
		if err == nil {
			break
		}
		if sent > 0 && !restarted {
			// Restart: a new ledger handle and a new client; the outage goes on.
			restarted = true
			if err := ledger.Close(); err != nil {
				t.Fatal(err)
			}
			ledger = open()
			d, logs = drainer(ledger)
		}
	}
	if !restarted {
		t.Error("the test never restarted")
	}
	if len(errs) < 4 {
		t.Errorf("only %d failed drains: %q", len(errs), errs)
	}
	if left, err := ledger.Outbox(0); err != nil || len(left) != 0 {
		t.Errorf("outbox after draining: %d left, err %v", len(left), err)
	}

	// What Slack shows: each report once, in order.
	var got []string
	posted := map[string]int{}
	for _, c := range f.CallsOf("chat.postMessage") {
		if c.OK {
			title, _, _ := strings.Cut(c.Form.Get("text"), "\n")
			got = append(got, "post "+title)
			posted[title]++
		}
	}
	for _, c := range f.CallsOf("chat.update") {
		if c.OK {
			title, _, _ := strings.Cut(c.Form.Get("text"), "\n")
			got = append(got, "update "+title)
		}
	}
	want := []string{
		"post " + notify.Title(approvalRequest("abc")),
		"post " + notify.Title(failed),
		"post " + notify.Title(renewed("one.example")),
		"post " + notify.Title(renewed("two.example")),
		"post " + notify.Title(summary),
		"update " + notify.Title(approvalUpdate("abc", "approved", "slack:U0ALICE")),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("delivered (-want +got):\n%s", d)
	}
	for title, n := range posted {
		if n != 1 {
			t.Errorf("%q posted %d times", title, n)
		}
	}
	// The update went to the request's message, remembered across the restart.
	channel, ts, ok, err := ledger.MessageRef("approval/abc")
	if err != nil || !ok {
		t.Fatalf("MessageRef: %v %v", ok, err)
	}
	for _, c := range f.CallsOf("chat.update") {
		if c.Form.Get("ts") != ts || c.Form.Get("channel") != channel {
			t.Errorf("chat.update of %s/%s, want the request's %s/%s", c.Form.Get("channel"), c.Form.Get("ts"), channel, ts)
		}
	}
	// Order across kinds: the approval's update came right after its post.
	var seq []string
	for _, c := range f.Calls() {
		if c.OK {
			seq = append(seq, c.Method)
		}
	}
	if d := cmp.Diff([]string{"chat.postMessage", "chat.update", "chat.postMessage", "chat.postMessage", "chat.postMessage", "chat.postMessage"}, seq); d != "" {
		t.Errorf("call order (-want +got):\n%s", d)
	}
	checkNoLeak(t, f, append(errs, logs.String())...)
	if err := ledger.Close(); err != nil {
		t.Fatal(err)
	}
}
