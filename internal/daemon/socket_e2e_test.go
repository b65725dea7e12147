package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/slack"
	"github.com/renewd/renewd/internal/slackfake"
)

// postsHolding filters the successful posts whose text holds s.
func postsHolding(s string) func(slackfake.Call) bool {
	return func(c slackfake.Call) bool { return isPost(c) && strings.Contains(c.Text, s) }
}

// reask lets the pending approval expire and runs the two cycles that mark
// it expired and ask again; it returns the new request's post, the first
// approval request posted after the calls seen so far.
func reask(t *testing.T, e *slackEnv, d *Daemon, m *testMetrics) slackfake.Call {
	t.Helper()
	seen := len(e.slack.Calls())
	e.clk.Advance(e.cfg.Slack.ApprovalTimeout + time.Minute)
	d.RunNow()
	m.waitCycle(t)
	d.RunNow()
	if o := outcome(t, m.waitCycle(t), 1001); o.Action != renewal.ActAwaiting {
		t.Fatalf("vps-alpha asked again: %s (%s), want awaiting-approval", o.Action, o.Reason)
	}
	var req slackfake.Call
	e.await(t, "the new approval request", func(calls []slackfake.Call) bool {
		for _, c := range slackfake.Only(calls[seen:], postsHolding("Approval needed")) {
			req = c
			return true
		}
		return false
	})
	return req
}

// The app token is revoked at Slack while the daemon runs, then restored:
// the channel is told of the outage and of its end, the request asked
// meanwhile has no buttons and names the CLI, and afterwards, without a
// restart, the next request has its buttons and a click pays it.
func TestSlackApprovalsComeBackAfterARevokedToken(t *testing.T) {
	e := newSlackEnv(t)
	d, m, _ := e.startDaemon(t)
	awaitRequest(t, e, m)

	e.slack.RevokeAppToken()
	e.await(t, "the outage message", func(calls []slackfake.Call) bool {
		return len(slackfake.Only(calls, postsHolding("Slack approvals are down"))) == 1
	})
	during := reask(t, e, d, m)
	if b := buttons(t, during); len(b) != 0 {
		t.Errorf("the request asked during the outage has buttons %v", b)
	}
	if !strings.Contains(blockText(t, during), "renewd approve default/1001/") {
		t.Errorf("the request asked during the outage does not name the CLI:\n%s", blockText(t, during))
	}

	e.slack.RestoreAppToken()
	e.await(t, "the end of the outage", func(calls []slackfake.Call) bool {
		return len(slackfake.Only(calls, postsHolding("Slack approvals are back"))) == 1
	})
	after := reask(t, e, d, m)
	id := e.record(t).Approval.ID
	if b := buttons(t, after); b[slack.ActionApprove] != id {
		t.Fatalf("the request asked after the outage has buttons %v, want Approve for %s", b, id)
	}
	click(t, e, approver, slack.ActionApprove, id)
	if o := outcome(t, m.waitCycle(t), 1001); o.Action != renewal.ActPaid {
		t.Fatalf("vps-alpha after the click: %s (%s), want paid", o.Action, o.Reason)
	}
	e.await(t, "the request's update to paid", func(calls []slackfake.Call) bool {
		for _, c := range slackfake.Only(calls, isUpdateOf(after.TS)) {
			if strings.Contains(blockText(t, c), "— paid") {
				return true
			}
		}
		return false
	})
	if n := len(slackfake.Only(e.slack.Calls(), postsHolding("Slack approvals are down"))); n != 1 {
		t.Errorf("the outage was told %d times", n)
	}
	e.checkNoLeak(t)
}
