package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/slackfake"
)

// hostile is outside text that would be live in Slack unescaped: a
// broadcast, a user mention, a forged link, and an ampersand (which would
// let "&lt;" through if left alone).
const hostile = "<!channel> <!here> <@U123> <https://evil.example|ovh.com/manager> R&D &lt;!channel&gt; @here @channel"

// live are what must not reach Slack's parser.
var live = []string{"<!channel>", "<!here>", "<@U123>", "<https://evil.example", "@here", "@channel"}

// hostileReports are a report of each kind whose outside text is hostile.
func hostileReports() []renewd.Report {
	base := renewd.Report{At: at, Term: "default/9/2026-12-01", Account: "default", ServiceID: 9,
		ServiceName: "shop " + hostile, ServiceType: "domain", Rule: "rule " + hostile,
		Period: "P1Y", Currency: "EUR", PriceUcents: 999_000_000, ApprovalID: "abc",
		Reason:    "OVH answered 400: " + hostile + strings.Repeat(" <p>padding</p>", 400),
		DecidedBy: "cli:" + hostile, Decision: "approved", Payment: "card " + hostile}
	var out []renewd.Report
	for _, k := range []renewd.ReportKind{renewd.ReportFailed, renewd.ReportApprovalRequest, renewd.ReportApprovalUpdate,
		renewd.ReportUncovered, renewd.ReportRenewed} {
		r := base
		r.Kind = k
		out = append(out, r)
	}
	return out
}

// checkInert fails when text (the top-level text or a mrkdwn object) holds
// anything Slack would parse as a mention or a link: no "<" or ">" at all
// (renewd's own <@U…> is not used here), every "&" an entity, no bare
// broadcast. It also wants the hostile words shown, escaped, not dropped.
func checkInert(t *testing.T, where, text string) {
	t.Helper()
	if strings.ContainsAny(text, "<>") {
		t.Errorf("%s holds < or >: %q", where, text)
	}
	for i := strings.IndexByte(text, '&'); i >= 0; i = nextAmp(text, i) {
		rest := text[i:]
		if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			t.Errorf("%s has a bare &: %q", where, rest[:min(len(rest), 20)])
		}
	}
	for _, l := range live {
		if strings.Contains(text, l) {
			t.Errorf("%s holds %q live", where, l)
		}
	}
}

func nextAmp(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '&')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// checkWire checks a message as Slack received it: its text, and every
// text object of its blocks (mrkdwn escaped; plain_text, which Slack shows
// as is, without a broadcast).
func checkWire(t *testing.T, what, text, blocksJSON string) {
	t.Helper()
	checkInert(t, what+" text", text)
	if len(text) > maxText {
		t.Errorf("%s text is %d long", what, len(text))
	}
	var blks []any
	if err := json.Unmarshal([]byte(blocksJSON), &blks); err != nil {
		t.Fatalf("%s blocks: %v", what, err)
	}
	shown := false
	walkTexts(blks, func(typ, s string) {
		switch typ {
		case "mrkdwn":
			checkInert(t, what+" mrkdwn", s)
			if strings.Contains(s, "&lt;!channel&gt;") {
				shown = true
			}
		case "plain_text":
			for _, l := range []string{"@here", "@channel"} {
				if strings.Contains(s, l) {
					t.Errorf("%s plain_text holds %q: %q", what, l, s)
				}
			}
		}
	})
	if !shown {
		t.Errorf("%s does not show the outside text escaped: %s", what, blocksJSON)
	}
}

// walkTexts calls f for every {"type": ..., "text": "..."} in v.
func walkTexts(v any, f func(typ, text string)) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			walkTexts(e, f)
		}
	case map[string]any:
		if s, ok := x["text"].(string); ok {
			typ, _ := x["type"].(string)
			f(typ, s)
		}
		for _, e := range x {
			walkTexts(e, f)
		}
	}
}

// On the project's fake: every report kind, and a digest, with hostile
// service names, rules and OVH errors arrive with nothing live.
func TestOutsideTextIsInertOnTheWire(t *testing.T) {
	f := newFakeSlack(t)
	c, logs := newTestClient(t, f, nil)
	reports := hostileReports()
	for _, r := range reports {
		if _, err := c.Send(t.Context(), "k/"+string(r.Kind), notify.Ref{}, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.SendDigest(t.Context(), notify.Digest{Kind: renewd.ReportUncovered, Reports: reports, Keys: make([]string, len(reports))}); err != nil {
		t.Fatal(err)
	}
	posts := f.CallsOf(slackfake.PostMessage)
	if len(posts) != len(reports)+1 {
		t.Fatalf("%d posts, want %d", len(posts), len(reports)+1)
	}
	for i, p := range posts {
		what := "digest"
		if i < len(reports) {
			what = string(reports[i].Kind)
		}
		checkWire(t, what, p.Text, p.Blocks)
		if strings.Contains(p.Text, "padding</p>") || strings.Count(p.Blocks, "padding") > 40 {
			t.Errorf("%s carries the whole OVH body", what)
		}
	}
	if !strings.Contains(logs.String(), strings.Repeat(" <p>padding</p>", 400)) {
		t.Error("the whole OVH body is not in the log")
	}
}

// On slack-go's own slacktest server (which parses the blocks with
// slack-go's types): the same reports arrive with nothing live.
func TestOutsideTextIsInertOnSlacktest(t *testing.T) {
	srv := slacktest.NewTestServer()
	srv.Start()
	t.Cleanup(srv.Stop)
	ws, _, err := websocket.DefaultDialer.Dial(srv.GetWSURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	c, err := New(Options{BotToken: botToken, Channel: "C0REPORTS", APIURL: srv.GetAPIURL(), PostInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	reports := hostileReports()
	for _, r := range reports {
		if _, err := c.Send(t.Context(), "k", notify.Ref{}, r); err != nil {
			t.Fatalf("slacktest refused %s: %v", r.Kind, err)
		}
		if err := ws.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		var msg struct {
			Text   string          `json:"text"`
			Blocks json.RawMessage `json:"blocks"`
		}
		if err := ws.ReadJSON(&msg); err != nil {
			t.Fatalf("read what slacktest got: %v", err)
		}
		checkWire(t, "slacktest "+string(r.Kind), msg.Text, string(msg.Blocks))
	}
}
