package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/notify"
	"github.com/renewd/renewd/internal/slackfake"
)

// runesOf is s repeated and cut to n characters.
func runesOf(s string, n int) string {
	r := []rune(strings.Repeat(s, n/utf8.RuneCountInString(s)+1))
	return string(r[:n])
}

// Worst-case outside text: 300 characters of emoji (a family is seven
// code points joined by ZWJs, each person two UTF-16 units), accents and
// markup; an OVH error body of 5 KB.
var (
	longName = runesOf("👨‍👩‍👧‍👦é<b>&", 300)
	longBody = runesOf("<html><body>Erreur 🇫🇷 & <script>alert(1)</script> ", 5000)
)

func worstReport(kind renewd.ReportKind) renewd.Report {
	return renewd.Report{Kind: kind, At: at, Term: "acct-" + longName + "/123456789/2026-12-01",
		Account: "acct-" + longName, ServiceID: 123456789, ServiceName: longName, ServiceType: longName,
		Expiration: renewd.Date{Year: 2026, Month: 12, Day: 1}, Rule: longName, Period: "P1Y", Currency: "EUR",
		PriceUcents: 99_999_999_999_999, PriceWithTaxUcents: 99_999_999_999_999, CapUcents: 99_999_999_999_999,
		Payment: longName, OrderID: 9_999_999_999, NewExpiration: renewd.Date{Year: 2027, Month: 12, Day: 1},
		ApprovalID: "abcdefghijklmnopqrstuvwxyz", ApprovalExpires: at.Add(72 * time.Hour),
		Decision: "failed", DecidedBy: "cli:" + longName, Reason: longBody, Next: longBody,
		Counts: map[string]int{longName: 1, "paid": 2000, "failed": 500}}
}

// limitsOf checks one message as Slack received it against Slack's limits,
// counted in UTF-16 units (and so in characters).
func limitsOf(t *testing.T, what, text, blocksJSON string) {
	t.Helper()
	atMost := func(where, s string, n int) {
		t.Helper()
		if width(s) > n || utf8.RuneCountInString(s) > n {
			t.Errorf("%s: %s is %d units (%d characters), over %d", what, where, width(s), utf8.RuneCountInString(s), n)
		}
		if !utf8.ValidString(s) || strings.HasSuffix(s, "\u200d…") {
			t.Errorf("%s: %s is cut badly: %q", what, where, s[max(0, len(s)-20):])
		}
	}
	atMost("text", text, maxText)
	var blks []map[string]any
	if err := json.Unmarshal([]byte(blocksJSON), &blks); err != nil {
		t.Fatalf("%s: blocks: %v", what, err)
	}
	if len(blks) == 0 || len(blks) > maxBlocks {
		t.Errorf("%s: %d blocks, want 1 to %d", what, len(blks), maxBlocks)
	}
	for i, b := range blks {
		where := fmt.Sprintf("block %d (%s)", i, b["type"])
		switch b["type"] {
		case "header":
			atMost(where, b["text"].(map[string]any)["text"].(string), maxHeader)
		case "section":
			if tx, ok := b["text"].(map[string]any); ok {
				atMost(where+" text", tx["text"].(string), maxSection)
			}
			fields, _ := b["fields"].([]any)
			if len(fields) > maxFieldsBlock {
				t.Errorf("%s: %s has %d fields", what, where, len(fields))
			}
			for j, f := range fields {
				atMost(fmt.Sprintf("%s field %d", where, j), f.(map[string]any)["text"].(string), maxField)
			}
		case "context":
			els := b["elements"].([]any)
			if len(els) > 10 {
				t.Errorf("%s: %s has %d elements", what, where, len(els))
			}
			for _, e := range els {
				atMost(where, e.(map[string]any)["text"].(string), maxContext)
			}
		case "actions":
			for _, e := range b["elements"].([]any) {
				el := e.(map[string]any)
				atMost(where+" action_id", el["action_id"].(string), 255)
				atMost(where+" value", el["value"].(string), 2000)
				atMost(where+" button", el["text"].(map[string]any)["text"].(string), 75)
			}
		default:
			t.Errorf("%s: %s: a block type renewd does not use", what, where)
		}
	}
}

// Every report kind at its worst, a digest of each kind at its longest,
// and the Socket Mode outage message, against Slack's limits.
func TestMessagesStayWithinSlackLimits(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, func(o *Options) { o.DigestList = MaxDigestList })
	kinds := []renewd.ReportKind{
		renewd.ReportRenewed, renewd.ReportDelivered, renewd.ReportUndelivered, renewd.ReportFailed,
		renewd.ReportRefused, renewd.ReportUncovered, renewd.ReportAutomatic, renewd.ReportNotice,
		renewd.ReportApprovalRequest, renewd.ReportApprovalUpdate, renewd.ReportSummary,
	}
	var whats []string
	for _, k := range kinds {
		if _, err := c.Send(t.Context(), "k/"+string(k), notify.Ref{}, worstReport(k)); err != nil {
			t.Fatal(err)
		}
		whats = append(whats, string(k))
	}
	c.buttons = false // an approval request without buttons carries the CLI line instead
	if _, err := c.Send(t.Context(), "k", notify.Ref{}, worstReport(renewd.ReportApprovalRequest)); err != nil {
		t.Fatal(err)
	}
	whats = append(whats, "approval_request without buttons")
	for _, k := range append(kinds, renewd.ReportFailed) {
		reports := make([]renewd.Report, 2000)
		for i := range reports {
			reports[i] = worstReport(k)
		}
		if _, err := c.SendDigest(t.Context(), notify.Digest{Kind: k, Reports: reports, Keys: make([]string, len(reports))}); err != nil {
			t.Fatal(err)
		}
		whats = append(whats, "digest of "+string(k))
	}
	var work sync.WaitGroup
	c.announce(t.Context(), fmtOutage(longBody), &work)
	work.Wait()
	whats = append(whats, "outage message")

	posts := f.CallsOf(slackfake.PostMessage)
	if len(posts) != len(whats) {
		t.Fatalf("%d posts for %d messages", len(posts), len(whats))
	}
	for i, p := range posts {
		limitsOf(t, whats[i], p.Text, p.Blocks)
		if strings.HasPrefix(whats[i], "digest") {
			if n := strings.Count(p.Blocks, "• "); n != MaxDigestList {
				t.Errorf("%s names %d reports, want %d", whats[i], n, MaxDigestList)
			}
			if !strings.Contains(p.Blocks, fmt.Sprintf("and %d more", 2000-MaxDigestList)) {
				t.Errorf("%s does not count the rest", whats[i])
			}
		}
	}
	// The cuts are visible: the header ends with "…", the body is an excerpt.
	if h := sentBlocks(t, posts[3])[0]["text"].(map[string]any)["text"].(string); !strings.HasSuffix(h, "…") {
		t.Errorf("a cut header does not say so: %q", h)
	}
}

// The cutting functions count as Slack does: UTF-16 units, never a split
// surrogate pair, never a split escape.
func TestFitCountsUnitsAndKeepsEscapesWhole(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"a&b", 5, "a…"},
		{"a&b", 7, "a&amp;b"},
		{"😀😀😀", 6, "😀😀😀"},
		{"😀😀😀", 5, "😀😀…"},
		{"😀😀😀", 4, "😀…"},
		{"x👨‍👩‍👧", 5, "x👨…"},
	} {
		if got := fitEscaped(tc.in, tc.limit); got != tc.want {
			t.Errorf("fitEscaped(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
		if got := fitEscaped(tc.in, tc.limit); width(got) > tc.limit {
			t.Errorf("fitEscaped(%q, %d) is %d units", tc.in, tc.limit, width(got))
		}
	}
	if got := fitPlain("😀😀😀", 4); got != "😀…" {
		t.Errorf("fitPlain = %q", got)
	}
}
