package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	slackapi "github.com/slack-go/slack"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/slackfake"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestClient(t *testing.T, f *slackfake.Fake, edit func(*Options)) (*Client, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	o := Options{
		BotToken: botToken, AppToken: appToken, Channel: "C0REPORTS",
		Approvers: []string{"U0ALICE"}, APIURL: f.APIURL(),
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		CallTimeout:  5 * time.Second,
		PostInterval: -1, // pacing has tests of its own, on a test clock
	}
	if edit != nil {
		edit(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

var at = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func approvalRequest(id string) renewd.Report {
	return renewd.Report{
		Kind: renewd.ReportApprovalRequest, At: at, Term: "default/42/2026-12-01", Account: "default",
		ServiceID: 42, ServiceName: "vps-alpha.vps.ovh.net", ServiceType: "vps", Period: "P1M", Currency: "EUR",
		PriceUcents: 700_000_000, Rule: "vps <needs> approval & more", ApprovalID: id,
		ApprovalExpires: at.Add(48 * time.Hour),
	}
}

func approvalUpdate(id, decision, by string) renewd.Report {
	r := approvalRequest(id)
	r.Kind, r.Decision, r.DecidedBy = renewd.ReportApprovalUpdate, decision, by
	return r
}

// sentBlocks decodes the blocks of a recorded chat call.
func sentBlocks(t *testing.T, c slackfake.Call) []map[string]any {
	t.Helper()
	var b []map[string]any
	if err := json.Unmarshal([]byte(c.Form.Get("blocks")), &b); err != nil {
		t.Fatalf("%s blocks: %v", c.Method, err)
	}
	return b
}

// buttons returns action_id -> value, style, and whether it asks to confirm.
func buttons(blocks []map[string]any) map[string][3]string {
	out := map[string][3]string{}
	for _, b := range blocks {
		if b["type"] != "actions" {
			continue
		}
		for _, e := range b["elements"].([]any) {
			el := e.(map[string]any)
			_, confirm := el["confirm"]
			style, _ := el["style"].(string)
			out[el["action_id"].(string)] = [3]string{el["value"].(string), style, map[bool]string{true: "confirm"}[confirm]}
		}
	}
	return out
}

func TestSendPostsThenUpdatesTheSameMessage(t *testing.T) {
	f := newFakeSlack(t)
	c, logs := newTestClient(t, f, nil)
	ctx := t.Context()

	ref, err := c.Send(ctx, "approval/abc", notify.Ref{}, approvalRequest("abc"))
	if err != nil {
		t.Fatal(err)
	}
	posts := f.CallsOf("chat.postMessage")
	if len(posts) != 1 || ref.Channel != "C0REPORTS" || ref.TS == "" {
		t.Fatalf("after the request: %d posts, ref %+v", len(posts), ref)
	}
	got := buttons(sentBlocks(t, posts[0]))
	want := map[string][3]string{
		ActionApprove: {"abc", "primary", ""},
		ActionDeny:    {"abc", "danger", "confirm"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("buttons (-want +got):\n%s", d)
	}
	if txt := posts[0].Form.Get("text"); !strings.Contains(txt, "Approval needed: renew vps-alpha.vps.ovh.net") {
		t.Errorf("fallback text = %q", txt)
	}
	if b := posts[0].Form.Get("blocks"); !strings.Contains(b, "vps \\u0026lt;needs\\u0026gt; approval \\u0026amp; more") {
		t.Errorf("rule not escaped for mrkdwn: %s", b)
	}

	ref2, err := c.Send(ctx, "approval/abc", ref, approvalUpdate("abc", "approved", "slack:U0ALICE"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.CallsOf("chat.postMessage")); n != 1 {
		t.Errorf("%d posts after the update, want 1", n)
	}
	updates := f.CallsOf("chat.update")
	if len(updates) != 1 || ref2 != ref {
		t.Fatalf("%d updates, ref %+v then %+v", len(updates), ref, ref2)
	}
	if u := updates[0].Form; u.Get("ts") != ref.TS || u.Get("channel") != ref.Channel {
		t.Errorf("update of channel %q ts %q, want %+v", u.Get("channel"), u.Get("ts"), ref)
	}
	if got := buttons(sentBlocks(t, updates[0])); len(got) != 0 {
		t.Errorf("the decided message still has buttons: %v", got)
	}
	if b := updates[0].Form.Get("blocks"); !strings.Contains(b, "Approved by \\u003c@U0ALICE\\u003e") {
		t.Errorf("update does not say who approved: %s", b)
	}
	checkNoLeak(t, f, logs.String())
}

func TestDecisionLines(t *testing.T) {
	for _, tc := range []struct{ decision, by, want string }{
		{"approved", "slack:U0ALICE", "Approved by <@U0ALICE>"},
		{"denied", "slack:U0BOB", "Denied by <@U0BOB>"},
		{"expired", "", "Expired"},
		{"paid", "slack:U0ALICE", "Approved by <@U0ALICE> — paid"},
		{"failed", "cli:alice", "Approved by cli:alice — failed"},
		{"approved", "slack:<!channel>", "Approved by slack:&lt;!channel&gt;"},
	} {
		t.Run(tc.decision+"/"+tc.by, func(t *testing.T) {
			line := decisionLine(approvalUpdate("abc", tc.decision, tc.by))
			if !strings.Contains(line, tc.want) {
				t.Errorf("decisionLine = %q, want it to hold %q", line, tc.want)
			}
		})
	}
}

func TestSendFiltersKinds(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, func(o *Options) { o.Notify = func(string) bool { return false } })
	for _, tc := range []struct {
		kind renewd.ReportKind
		post bool
	}{
		{renewd.ReportSummary, false},
		{renewd.ReportRenewed, false},
		{renewd.ReportAutomatic, false},
		{renewd.ReportUncovered, false},
		{renewd.ReportFailed, true},
		{renewd.ReportRefused, true},
		{renewd.ReportApprovalRequest, true},
		{renewd.ReportApprovalUpdate, true},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			before := len(f.CallsOf("chat.postMessage"))
			r := approvalRequest("abc")
			r.Kind = tc.kind
			ref, err := c.Send(t.Context(), "k/"+string(tc.kind), notify.Ref{}, r)
			if err != nil {
				t.Fatal(err)
			}
			posted := len(f.CallsOf("chat.postMessage")) - before
			if tc.post != (posted == 1) || tc.post != (ref != notify.Ref{}) {
				t.Errorf("posted %d, ref %+v; want posted=%v", posted, ref, tc.post)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	f := newFakeSlack(t)
	c, logs := newTestClient(t, f, nil)
	ctx := t.Context()
	r := approvalRequest("abc")

	f.Fail("chat.postMessage", slackfake.Fault{Status: 429, RetryAfter: "7"})
	_, err := c.Send(ctx, "k", notify.Ref{}, r)
	var ra *notify.RetryAfterError
	if !errors.As(err, &ra) || ra.After != 7*time.Second {
		t.Errorf("429: err = %v, want a RetryAfterError of 7s", err)
	}

	f.Fail("chat.postMessage", slackfake.Fault{Status: 503})
	_, err = c.Send(ctx, "k", notify.Ref{}, r)
	if err == nil || errors.As(err, &ra) {
		t.Errorf("503: err = %v, want a plain error", err)
	}

	f.Fail("chat.postMessage", slackfake.Fault{Code: "not_in_channel"})
	_, err = c.Send(ctx, "k", notify.Ref{}, r)
	if err == nil || !strings.Contains(err.Error(), "not_in_channel") {
		t.Errorf("not_in_channel: err = %v", err)
	}

	// The message to update is gone: post a new one.
	f.Fail("chat.update", slackfake.Fault{Code: "message_not_found"})
	posts := len(f.CallsOf("chat.postMessage"))
	ref, err := c.Send(ctx, "k", notify.Ref{Channel: "C0REPORTS", TS: "1.000001"}, r)
	if err != nil || ref.TS == "1.000001" || len(f.CallsOf("chat.postMessage")) != posts+1 {
		t.Errorf("message_not_found: ref %+v, err %v, %d new posts", ref, err, len(f.CallsOf("chat.postMessage"))-posts)
	}

	// A failed update is not retried as a post.
	f.Fail("chat.update", slackfake.Fault{Status: 500})
	posts = len(f.CallsOf("chat.postMessage"))
	if _, err := c.Send(ctx, "k", notify.Ref{Channel: "C0REPORTS", TS: "1.000001"}, r); err == nil || len(f.CallsOf("chat.postMessage")) != posts {
		t.Errorf("update 500: err %v, posted anyway: %v", err, len(f.CallsOf("chat.postMessage")) != posts)
	}
	checkNoLeak(t, f, logs.String())
}

// A slack-go error that did hold a token is redacted all the same.
func TestCallErrorRedactsTokens(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	for _, in := range []error{
		errors.New("post https://x/?token=" + botToken + ": boom"),
		slackapi.SlackErrorResponse{Err: "invalid_auth " + appToken},
		&slackapi.RateLimitedError{RetryAfter: time.Second},
	} {
		if out := c.callError("chat.postMessage", in); strings.Contains(out.Error(), "canary") {
			t.Errorf("callError(%q) = %q", redactCanary(in.Error()), out)
		}
	}
}

func TestNewRefusesMissingSettingsWithoutTheToken(t *testing.T) {
	for _, o := range []Options{
		{Channel: "C1"},
		{BotToken: botToken},
		{BotToken: botToken, Channel: "C1", APIURL: "ftp://" + botToken},
	} {
		_, err := New(o)
		if err == nil {
			t.Errorf("New(%s) succeeded", redactCanary(o.APIURL))
			continue
		}
		if strings.Contains(err.Error(), "canary") {
			t.Errorf("error leaks the token: %s", redactCanary(err.Error()))
		}
	}
}
