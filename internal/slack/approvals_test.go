package slack

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd/internal/slackfake"
	"github.com/renewd/renewd/internal/state"
)

// wait receives from ch, failing the test when nothing comes in time (a
// guard against a hang, not a sleep: it returns as soon as ch delivers).
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

type decision struct{ ID, Decision, Actor string }

// click clicks a button over Socket Mode and waits for the client's ack.
func clickOver(t *testing.T, f *slackfake.Fake, user, actionID, value string) {
	t.Helper()
	if err := f.Click(user, actionID, value); err != nil {
		t.Fatal(err)
	}
}

func isEphemeral(c slackfake.Call) bool { return c.Method == slackfake.PostEphemeral }

func TestRunTakesApprovalsOverSocketMode(t *testing.T) {
	f := newFakeSlack(t)
	c, logs := newTestClient(t, f, func(o *Options) { o.Approvers = []string{"U0ALICE", "U0BOB"} })

	var mu sync.Mutex
	var decided []decision
	decisions := make(chan decision, 16)
	refuse := map[string]error{
		"done":   fmt.Errorf("record the decision on approval done: %w", state.ErrAlreadyDecided),
		"forged": fmt.Errorf("approval forged: %w", state.ErrNotFound),
		"old":    fmt.Errorf("record the decision on approval old: %w", state.ErrApprovalExpired),
		"reask":  fmt.Errorf("record: %w", state.ErrSuperseded),
		"broken": fmt.Errorf("disk full"),
	}
	acked := make(chan struct{})
	decide := func(ctx context.Context, id, dec, actor string) error {
		if id == "abc" {
			<-acked // the ack goes out before the decision is made
		}
		d := decision{id, dec, actor}
		mu.Lock()
		decided = append(decided, d)
		mu.Unlock()
		decisions <- d
		return refuse[id]
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, decide) }()

	// An approver approves, another denies: acked, decided, no ephemeral.
	clickOver(t, f, "U0ALICE", ActionApprove, "abc")
	close(acked)
	if d := cmp.Diff(decision{"abc", "approved", "slack:U0ALICE"}, wait(t, decisions, "decide abc")); d != "" {
		t.Errorf("decide (-want +got):\n%s", d)
	}
	clickOver(t, f, "U0BOB", ActionDeny, "xyz")
	if d := cmp.Diff(decision{"xyz", "denied", "slack:U0BOB"}, wait(t, decisions, "decide xyz")); d != "" {
		t.Errorf("decide (-want +got):\n%s", d)
	}

	// Clicks that change nothing get an ephemeral answer.
	for _, tc := range []struct {
		name, user, action, value string
		decides                   bool
		reply                     string
	}{
		{"not an approver", "U0MALLORY", ActionApprove, "abc", false, "You are not an approver for renewd; nothing was changed."},
		{"malformed value", "U0ALICE", ActionApprove, "abc <!channel>", false, "unknown id"},
		{"forged value", "U0ALICE", ActionApprove, "forged", true, "unknown id"},
		{"already decided", "U0ALICE", ActionDeny, "done", true, "already decided"},
		{"expired", "U0BOB", ActionApprove, "old", true, "expired"},
		{"superseded", "U0BOB", ActionApprove, "reask", true, "newer request"},
		{"ledger failure", "U0BOB", ActionApprove, "broken", true, "could not record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.CallsOf(slackfake.PostEphemeral))
			clickOver(t, f, tc.user, tc.action, tc.value)
			if tc.decides {
				if d := wait(t, decisions, "decide"); d.ID != tc.value {
					t.Errorf("decide(%q), want %q", d.ID, tc.value)
				}
			}
			calls, err := f.Await(10*time.Second, func(calls []slackfake.Call) bool {
				return len(slackfake.Only(calls, isEphemeral)) > before
			})
			if err != nil {
				t.Fatal(err)
			}
			e := slackfake.Only(calls, isEphemeral)[before]
			if e.User != tc.user || e.Channel != "C0REPORTS" || !strings.Contains(e.Text, tc.reply) {
				t.Errorf("ephemeral to %q in %q: %q; want to %q holding %q", e.User, e.Channel, e.Text, tc.user, tc.reply)
			}
		})
	}
	// A click on some other app's button is acked and ignored.
	clickOver(t, f, "U0ALICE", "someone_else", "abc")

	cancel()
	if err := wait(t, done, "Run to return"); err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}

	mu.Lock()
	defer mu.Unlock()
	want := []decision{
		{"abc", "approved", "slack:U0ALICE"}, {"xyz", "denied", "slack:U0BOB"},
		{"forged", "approved", "slack:U0ALICE"}, {"done", "denied", "slack:U0ALICE"},
		{"old", "approved", "slack:U0BOB"}, {"reask", "approved", "slack:U0BOB"}, {"broken", "approved", "slack:U0BOB"},
	}
	if d := cmp.Diff(want, decided); d != "" {
		t.Errorf("decide calls (-want +got):\n%s", d)
	}
	if n := len(f.CallsOf("chat.update")) + len(f.CallsOf("chat.postMessage")); n != 0 {
		t.Errorf("Run posted or updated %d messages; the outbox does that", n)
	}
	if !strings.Contains(logs.String(), "not an approver") || !strings.Contains(logs.String(), "U0MALLORY") {
		t.Errorf("the refused click is not logged:\n%s", logs.String())
	}
	opens := f.CallsOf("apps.connections.open")
	if len(opens) == 0 || opens[0].Auth != "Bearer "+appToken {
		t.Errorf("apps.connections.open not called with the app token (%d calls)", len(opens))
	}
	for _, e := range f.CallsOf("chat.postEphemeral") {
		if e.Auth != "Bearer "+botToken {
			t.Errorf("chat.postEphemeral with %q, want the bot token", redactCanary(e.Auth))
		}
	}
	checkNoLeak(t, f, logs.String())
}

func TestRunNeedsAnAppToken(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, func(o *Options) { o.AppToken = "" })
	err := c.Run(t.Context(), func(context.Context, string, string, string) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "app-level token") {
		t.Errorf("Run without an app token = %v", err)
	}
}
