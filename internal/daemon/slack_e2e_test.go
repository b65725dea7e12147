package daemon

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/slack"
	"github.com/renewd/renewd/internal/slackfake"
	"github.com/renewd/renewd/internal/state"
)

// End-to-end through the real daemon: the config file with its 0600 token
// files, the real OVH client against ovhfake, a real ledger, and the real
// Slack client (as the report Sender and the Approvals source) against
// slackfake, over HTTP and a Socket Mode websocket.

func isPost(c slackfake.Call) bool { return c.Method == slackfake.PostMessage && c.OK }

// isUpdateOf returns a filter of the successful updates of the message ts.
func isUpdateOf(ts string) func(slackfake.Call) bool {
	return func(c slackfake.Call) bool { return c.Method == slackfake.Update && c.OK && c.TS == ts }
}

// awaitRequest waits for the first cycle to hold vps-alpha for approval and
// for its request to reach Slack; it returns the approval id and the
// request's post.
func awaitRequest(t *testing.T, e *slackEnv, m *testMetrics) (string, slackfake.Call) {
	t.Helper()
	if o := outcome(t, m.waitCycle(t), 1001); o.Action != renewal.ActAwaiting {
		t.Fatalf("vps-alpha: %s (%s), want awaiting-approval", o.Action, o.Reason)
	}
	id := e.record(t).Approval.ID
	var req slackfake.Call
	e.await(t, "the approval request", func(calls []slackfake.Call) bool {
		for _, c := range slackfake.Only(calls, isPost) {
			if c.Blocks != "" && strings.Contains(c.Blocks, id) {
				req = c
				return true
			}
		}
		return false
	})
	if req.Channel != channel {
		t.Errorf("request posted to %q, want %s", req.Channel, channel)
	}
	if d := cmp.Diff(map[string]string{slack.ActionApprove: id, slack.ActionDeny: id}, buttons(t, req)); d != "" {
		t.Errorf("request buttons (-want +got):\n%s", d)
	}
	return id, req
}

// awaitFinal waits for the outbox to drain and returns the request
// message's last update.
func awaitFinal(t *testing.T, e *slackEnv, req slackfake.Call, holds string) slackfake.Call {
	t.Helper()
	e.await(t, "the request's update to "+holds, func(calls []slackfake.Call) bool {
		for _, c := range slackfake.Only(calls, isUpdateOf(req.TS)) {
			if strings.Contains(blockText(t, c), holds) {
				return true
			}
		}
		return false
	})
	eventually(t, "the outbox to drain", func() bool { return e.outboxEmpty(t) })
	calls := e.slack.Calls()
	ups := slackfake.Only(calls, isUpdateOf(req.TS))
	last := ups[len(ups)-1]
	if !strings.Contains(blockText(t, last), holds) {
		t.Errorf("the request's last update says:\n%s\nwant it to hold %q\n%s", blockText(t, last), holds, describe(calls))
	}
	if b := buttons(t, last); len(b) != 0 {
		t.Errorf("the decided request still has buttons: %v", b)
	}
	requests := 0
	for _, c := range slackfake.Only(calls, isPost) {
		if len(buttons(t, c)) > 0 {
			requests++
		}
	}
	if requests != 1 {
		t.Errorf("%d approval requests posted, want 1\n%s", requests, describe(calls))
	}
	return last
}

// awaitEphemeral waits for the n-th ephemeral (from 0) and checks it.
func awaitEphemeral(t *testing.T, e *slackEnv, n int, user, holds string) {
	t.Helper()
	isEph := func(c slackfake.Call) bool { return c.Method == slackfake.PostEphemeral }
	calls := e.await(t, "an ephemeral to "+user, func(calls []slackfake.Call) bool {
		return len(slackfake.Only(calls, isEph)) > n
	})
	eph := slackfake.Only(calls, isEph)[n]
	if eph.User != user || eph.Channel != channel || !strings.Contains(eph.Text, holds) {
		t.Errorf("ephemeral to %q in %q: %q; want to %s in %s holding %q", eph.User, eph.Channel, eph.Text, user, channel, holds)
	}
}

func click(t *testing.T, e *slackEnv, user, action, value string) {
	t.Helper()
	if err := e.slack.Click(user, action, value); err != nil {
		t.Fatal(err)
	}
}

func TestSlackApproveClickPaysOnce(t *testing.T) {
	e := newSlackEnv(t)
	_, m, _ := e.startDaemon(t)
	id, req := awaitRequest(t, e, m)
	if n, _ := e.orders(1001); n != 0 {
		t.Fatalf("%d orders before the approval", n)
	}

	click(t, e, approver, slack.ActionApprove, id)
	if o := outcome(t, m.waitCycle(t), 1001); o.Action != renewal.ActPaid {
		t.Fatalf("vps-alpha after the approval: %s (%s), want paid", o.Action, o.Reason)
	}
	awaitFinal(t, e, req, "Approved by <@"+approver+"> — paid")

	// A replayed click and a forged one change nothing.
	click(t, e, approver, slack.ActionApprove, id)
	awaitEphemeral(t, e, 0, approver, "already decided")
	click(t, e, approver, slack.ActionApprove, "aaaaaaaaaaaaaaaaaaaaaaaaaa")
	awaitEphemeral(t, e, 1, approver, "unknown id")
	if orders, payments := e.orders(1001); orders != 1 || payments != 1 {
		t.Errorf("vps-alpha: %d orders, %d payments at OVH, want 1 and 1", orders, payments)
	}
	if rec := e.record(t); !rec.Paid() || rec.Approval.DecidedBy != "slack:"+approver {
		t.Errorf("vps-alpha: %s, decided by %q; want paid, by slack:%s", rec.Status, rec.Approval.DecidedBy, approver)
	}
	e.checkNoLeak(t)
}

func TestSlackClicksThatChangeNothing(t *testing.T) {
	e := newSlackEnv(t)
	d, m, _ := e.startDaemon(t)
	id, req := awaitRequest(t, e, m)

	click(t, e, "U0MALLORY", slack.ActionApprove, id)
	awaitEphemeral(t, e, 0, "U0MALLORY", "not an approver")
	click(t, e, approver, slack.ActionApprove, "zzzzzzzzzzzzzzzzzzzzzzzzzz")
	awaitEphemeral(t, e, 1, approver, "unknown id")
	click(t, e, approver, slack.ActionApprove, id+"<!channel>")
	awaitEphemeral(t, e, 2, approver, "unknown id")

	// A cycle after the clicks still holds the renewal.
	d.RunNow()
	if o := outcome(t, m.waitCycle(t), 1001); o.Action != renewal.ActAwaiting {
		t.Errorf("vps-alpha after the refused clicks: %s (%s), want awaiting-approval", o.Action, o.Reason)
	}
	rec := e.record(t)
	if rec.Status != state.StatusAwaitingApproval || !rec.Approval.Pending() || rec.Approval.ID != id {
		t.Errorf("vps-alpha: %s, approval %+v; want still awaiting %s", rec.Status, rec.Approval, id)
	}
	evs, err := e.ledger.History(state.HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if strings.HasPrefix(ev.Actor, "slack:") {
			t.Errorf("a click was recorded: %+v", ev)
		}
	}
	if n, _ := e.orders(1001); n != 0 {
		t.Errorf("%d orders for vps-alpha, want none", n)
	}
	if ups := slackfake.Only(e.slack.Calls(), isUpdateOf(req.TS)); len(ups) != 0 {
		t.Errorf("the request was updated %d times", len(ups))
	}
	e.checkNoLeak(t)
}

func TestSlackDenyNeverOrders(t *testing.T) {
	e := newSlackEnv(t)
	_, m, _ := e.startDaemon(t)
	id, req := awaitRequest(t, e, m)

	click(t, e, approver, slack.ActionDeny, id)
	if o := outcome(t, m.waitCycle(t), 1001); o.Action != renewal.ActDenied {
		t.Fatalf("vps-alpha after the denial: %s (%s), want denied", o.Action, o.Reason)
	}
	awaitFinal(t, e, req, "Denied by <@"+approver+">")
	// Approve after Deny: a replay of a decided approval.
	click(t, e, approver, slack.ActionApprove, id)
	awaitEphemeral(t, e, 0, approver, "already decided")
	if rec := e.record(t); rec.Status != state.StatusDenied {
		t.Errorf("vps-alpha: %s, want denied", rec.Status)
	}
	if n, _ := e.orders(1001); n != 0 {
		t.Errorf("%d orders for vps-alpha, want none", n)
	}
	e.checkNoLeak(t)
}

func TestSlackApprovalExpires(t *testing.T) {
	e := newSlackEnv(t)
	d, m, _ := e.startDaemon(t)
	id, req := awaitRequest(t, e, m)

	e.clk.Advance(e.cfg.Slack.ApprovalTimeout + time.Minute)
	d.RunNow()
	if o := outcome(t, m.waitCycle(t), 1001); o.Action != renewal.ActAwaiting || !strings.Contains(o.Reason, "expired") {
		t.Errorf("vps-alpha past the timeout: %s (%s), want awaiting-approval, expired", o.Action, o.Reason)
	}
	awaitFinal(t, e, req, "Expired")
	click(t, e, approver, slack.ActionApprove, id)
	awaitEphemeral(t, e, 0, approver, "nothing was changed")
	if rec := e.record(t); rec.Status != state.StatusApprovalExpired {
		t.Errorf("vps-alpha: %s, want approval_expired", rec.Status)
	}
	if n, _ := e.orders(1001); n != 0 {
		t.Errorf("%d orders for vps-alpha, want none", n)
	}
	e.checkNoLeak(t)
}

// Slack fails (500s) from the start; the daemon is stopped during the
// outage and a new one started on the same ledger; an approval is clicked
// meanwhile (the websocket works); Slack then answers 429 with Retry-After
// once and recovers. Every report arrives once, each term's in the
// ledger's order, the approval first and the summaries last, the
// approval's updates edit its request, and the 429 is honoured.
func TestSlackOutageAndRestartLoseNothing(t *testing.T) {
	e := newSlackEnv(t)
	e.slack.Outage(slackfake.Fault{Status: 500})
	isFailed := func(c slackfake.Call) bool { return strings.HasPrefix(c.Method, "chat.") && !c.OK }
	failedAtLeast := func(n int) func([]slackfake.Call) bool {
		return func(calls []slackfake.Call) bool { return len(slackfake.Only(calls, isFailed)) >= n }
	}

	_, m, stop := e.startDaemon(t)
	m.waitCycle(t)
	e.await(t, "three failed deliveries", failedAtLeast(3))
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e.restartLedger(t)
	failed := len(slackfake.Only(e.slack.Calls(), isFailed))

	d, m, _ := e.startDaemon(t)
	m.waitCycle(t)
	e.await(t, "the new daemon's failed deliveries", failedAtLeast(failed+2))
	id := e.record(t).Approval.ID
	click(t, e, approver, slack.ActionApprove, id)
	if o := outcome(t, m.waitCycle(t), 1001); o.Action != renewal.ActPaid {
		t.Fatalf("vps-alpha approved during the outage: %s (%s), want paid", o.Action, o.Reason)
	}

	// Every report is still in the outbox: within a term, that is the
	// order to keep.
	items, err := e.ledger.Outbox(0)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	termOf := map[string]string{} // "key: text" -> the report's term, or its key
	for _, it := range items {
		var r renewd.Report
		if err := json.Unmarshal(it.Body, &r); err != nil {
			t.Fatal(err)
		}
		w := it.Key + ": " + notify.Text(r)
		want = append(want, w)
		termOf[w] = r.Term
		if r.Term == "" {
			termOf[w] = it.Key
		}
		if strings.Contains(it.LastError, "canary") {
			t.Errorf("the outbox's last error leaks a token")
		}
	}
	if len(want) < 6 {
		t.Fatalf("only %d reports queued: %q", len(want), want)
	}

	e.slack.Fail(slackfake.AnyChat, slackfake.Fault{Status: 429, RetryAfter: "1"})
	e.slack.Recover()
	d.wakeDrainer()
	eventually(t, "the outbox to drain", func() bool { return e.outboxEmpty(t) })

	// What Slack shows: each report once; a key's later reports update the
	// message its first one posted.
	calls := e.slack.Calls()
	unescape := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	var got []string
	tsOf := map[string]string{}
	keyOf := map[string]string{} // text -> key, from the queue
	for _, w := range want {
		k, text, _ := strings.Cut(w, ": ")
		keyOf[text] = k
	}
	var limited time.Time
	saw429 := false
	for _, c := range calls {
		if c.Status == 429 {
			limited, saw429 = c.At, true
			continue
		}
		if !c.OK || !strings.HasPrefix(c.Method, "chat.") || c.Method == slackfake.PostEphemeral {
			continue
		}
		if !limited.IsZero() {
			if gap := c.At.Sub(limited); gap < 900*time.Millisecond {
				t.Errorf("retried %s after a 429 with Retry-After 1", gap)
			}
			limited = time.Time{}
		}
		text := unescape.Replace(c.Text)
		key := keyOf[text]
		got = append(got, key+": "+text)
		switch c.Method {
		case slackfake.PostMessage:
			if _, ok := tsOf[key]; ok {
				t.Errorf("%s posted twice", key)
			}
			tsOf[key] = c.TS
		case slackfake.Update:
			if ts, ok := tsOf[key]; !ok || ts != c.TS {
				t.Errorf("update of %s edits ts %s, want its post's %s", key, c.TS, ts)
			}
		}
	}
	if d := cmp.Diff(slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(got))); d != "" {
		t.Errorf("delivered (-want queued, +got), in any order:\n%s", d)
	}
	// Within a term the queue's order; the approval request first; the
	// cycles' summaries last.
	inTerm := func(list []string, term string) []string {
		return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return termOf[s] != term })
	}
	for _, term := range termOf {
		if d := cmp.Diff(inTerm(want, term), inTerm(got, term)); d != "" {
			t.Errorf("order within %s (-queued +delivered):\n%s", term, d)
		}
	}
	if len(got) > 0 && !strings.HasPrefix(got[0], "approval/") {
		t.Errorf("first delivered %.80q, want the approval request", got[0])
	}
	summaries := false
	for _, g := range got {
		if strings.HasPrefix(g, "cycle/") {
			summaries = true
		} else if summaries {
			t.Errorf("%.80q delivered after a summary", g)
		}
	}
	if !saw429 {
		t.Error("Slack never answered 429")
	}
	t.Logf("delivered after the outage:\n%s", strings.Join(got, "\n"))
	final := slackfake.Only(calls, isUpdateOf(tsOf["approval/"+id]))
	if len(final) == 0 || !strings.Contains(blockText(t, final[len(final)-1]), "— paid") {
		t.Errorf("the request does not end paid:\n%s", describe(calls))
	}
	if orders, payments := e.orders(1001); orders != 1 || payments != 1 {
		t.Errorf("vps-alpha: %d orders, %d payments, want 1 and 1", orders, payments)
	}
	e.checkNoLeak(t)
}
