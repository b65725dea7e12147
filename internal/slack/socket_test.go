package slack

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/slackfake"
)

// socketWatch records what Run tells OnSocketMode.
type socketWatch struct {
	mu     sync.Mutex
	states []bool
	ch     chan bool
}

func newSocketWatch() *socketWatch { return &socketWatch{ch: make(chan bool, 64)} }

func (w *socketWatch) tell(up bool) {
	w.mu.Lock()
	w.states = append(w.states, up)
	w.mu.Unlock()
	w.ch <- up
}

// await waits for the state up, skipping repeats of the other.
func (w *socketWatch) await(t *testing.T, up bool) {
	t.Helper()
	for {
		if wait(t, w.ch, "Socket Mode to be "+map[bool]string{true: "up", false: "down"}[up]) == up {
			return
		}
	}
}

func isPostHolding(s string) func(slackfake.Call) bool {
	return func(c slackfake.Call) bool {
		return c.Method == slackfake.PostMessage && c.OK && strings.Contains(c.Text, s)
	}
}

// postRequest sends an approval request and returns what Slack got.
func postRequest(t *testing.T, c *Client, f *slackfake.Fake, id string) slackfake.Call {
	t.Helper()
	if _, err := c.Send(t.Context(), "approval/"+id, notify.Ref{}, approvalRequest(id)); err != nil {
		t.Fatal(err)
	}
	posts := f.CallsOf(slackfake.PostMessage)
	return posts[len(posts)-1]
}

// The app token is revoked at Slack, then restored: Run reports the outage
// once (log, OnSocketMode, the channel) however many reconnections fail,
// approval requests posted meanwhile have no buttons and name the CLI, and
// once the token works again Run is connected without a restart: buttons
// are back and a click is decided.
func TestSocketModeComesBackAfterARevokedToken(t *testing.T) {
	f := newFakeSlack(t)
	watch := newSocketWatch()
	c, logs := newTestClient(t, f, func(o *Options) {
		o.ReconnectBackoff = []time.Duration{5 * time.Millisecond}
		o.OnSocketMode = watch.tell
	})
	decisions := make(chan decision, 4)
	decide := func(_ context.Context, id, dec, actor string) error {
		decisions <- decision{id, dec, actor}
		return nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, decide) }()

	watch.await(t, true)
	if b := buttons(sentBlocks(t, postRequest(t, c, f, "before"))); len(b) != 2 {
		t.Errorf("request while connected: buttons %v, want Approve and Deny", b)
	}

	f.RevokeAppToken()
	watch.await(t, false)
	isRevoked := func(c slackfake.Call) bool { return c.Method == slackfake.ConnectionsOpen && c.Code == "token_revoked" }
	if _, err := f.Await(10*time.Second, func(calls []slackfake.Call) bool {
		return len(slackfake.Only(calls, isRevoked)) >= 3 && len(slackfake.Only(calls, isPostHolding("approvals are down"))) == 1
	}); err != nil {
		t.Fatalf("three refused reconnections and the outage message: %v", err)
	}
	during := postRequest(t, c, f, "during")
	if b := buttons(sentBlocks(t, during)); len(b) != 0 {
		t.Errorf("request during the outage has buttons %v", b)
	}
	if !strings.Contains(during.Blocks, "renewd approve") {
		t.Errorf("request during the outage does not name the CLI: %s", during.Blocks)
	}
	outage := slackfake.Only(f.Calls(), isPostHolding("approvals are down"))[0]
	if !strings.Contains(outage.Text, "token_revoked") || !strings.Contains(outage.Text, "renewd approve") {
		t.Errorf("outage message: %q; want the cause and the CLI", outage.Text)
	}

	f.RestoreAppToken()
	watch.await(t, true)
	if _, err := f.Await(10*time.Second, func(calls []slackfake.Call) bool {
		return len(slackfake.Only(calls, isPostHolding("approvals are back"))) == 1
	}); err != nil {
		t.Fatalf("the end of the outage was not told: %v", err)
	}
	if b := buttons(sentBlocks(t, postRequest(t, c, f, "after"))); len(b) != 2 {
		t.Errorf("request after the outage: buttons %v, want Approve and Deny", b)
	}
	clickOver(t, f, "U0ALICE", ActionApprove, "after")
	if d := wait(t, decisions, "a decision after the outage"); d.ID != "after" || d.Actor != "slack:U0ALICE" {
		t.Errorf("decided %+v", d)
	}

	cancel()
	if err := wait(t, done, "Run to return"); err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	if n := len(slackfake.Only(f.Calls(), isPostHolding("approvals are down"))); n != 1 {
		t.Errorf("the outage was told %d times, want once", n)
	}
	if n := strings.Count(logs.String(), "Slack approvals are down"); n != 1 {
		t.Errorf("the outage was logged %d times at error, want once", n)
	}
	watch.mu.Lock()
	states := watch.states
	watch.mu.Unlock()
	downs := 0
	for _, s := range states {
		if !s {
			downs++
		}
	}
	if downs != 1 {
		t.Errorf("OnSocketMode told of %d outages (%v), want 1", downs, states)
	}
	checkNoLeak(t, f, logs.String())
}

// Reconnections that keep failing for a reason that may pass (a 500) are
// an outage once they last OutageAfter; a routine reconnection is not.
func TestSocketModeOutageAfterFailedReconnections(t *testing.T) {
	f := newFakeSlack(t)
	watch := newSocketWatch()
	c, _ := newTestClient(t, f, func(o *Options) {
		o.OutageAfter = time.Nanosecond
		o.OnSocketMode = watch.tell
	})
	f.Fail(slackfake.ConnectionsOpen, slackfake.Times(2, slackfake.Fault{Status: 500})...)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, func(context.Context, string, string, string) error { return nil }) }()
	watch.await(t, false)
	if c.buttonsNow() {
		t.Error("buttons during the outage")
	}
	watch.await(t, true)
	if !c.buttonsNow() {
		t.Error("no buttons once connected")
	}
	cancel()
	if err := wait(t, done, "Run to return"); err != nil {
		t.Errorf("Run = %v", err)
	}
}
