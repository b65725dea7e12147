package doctor

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/slackfake"
)

func stringsContains(s, sub string) bool { return strings.Contains(s, sub) }

// TestHostileTextIsInert: a service named with terminal escapes and Slack
// markup, and an approver whose name carries a bidi override, reach the
// report quoted and escaped.
func TestHostileTextIsInert(t *testing.T) {
	h := newHarness(t)
	h.fake.AddService(ovhfake.ServiceFixture{ID: 6001, Name: "evil\x1b]0;pwned\a\x1b[2J<!channel>.example", Type: "domain",
		Expiration: renewd.DateOf(t0).AddDays(1), Strategies: []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{6001}, PriceUcents: 1}}})
	h.slack.AddUser(slackfake.User{ID: "U0ALICE01", Name: "ali\u202ece", IsBot: true})
	rep := h.run()
	var out bytes.Buffer
	if err := Write(&out, rep); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, raw := range []string{"\x1b", "\a", "\u202e"} {
		if strings.Contains(text, raw) {
			t.Errorf("the report prints %q raw:\n%s", raw, text)
		}
	}
	if !strings.Contains(text, `evil\x1b]0;pwned\a\x1b[2J<!channel>.example`) {
		t.Errorf("the name is not shown escaped:\n%s", text)
	}
	if !strings.Contains(text, `ali\u202ece`) {
		t.Errorf("the approver's name is not shown escaped:\n%s", text)
	}
	expect(t, rep, "policy.domains.period", Fail, "offers P1M")
	for _, c := range []string{"evil\x1b", "x\u202ey", "\xff"} {
		if got := inert(c); strings.Contains(got, "\x1b") || strings.Contains(got, "\u202e") || !utf8.ValidString(got) {
			t.Errorf("inert(%q) = %q", c, got)
		}
	}
}

// TestCredentialsRefusedStopsTheAccount: with a key OVH does not take,
// the account's other checks are not made, and the fix is renewd auth.
func TestCredentialsRefusedStopsTheAccount(t *testing.T) {
	h := newHarness(t)
	h.fake.SetCredentialStatus(testCK, ovhfake.CredentialExpired)
	rep := h.run()
	expect(t, rep, "ovh.default.credentials", Fail, "not validated yet, refused, expired or revoked")
	if c := check(t, rep, "ovh.default.credentials"); !strings.Contains(c.Fix, "renewd auth --force --account default") {
		t.Errorf("fix = %q", c.Fix)
	}
	for _, c := range rep.Checks {
		if strings.HasPrefix(c.ID, "ovh.default.") && c.ID != "ovh.default.clock" && c.ID != "ovh.default.credentials" {
			t.Errorf("%s ran with a refused key", c.ID)
		}
	}
	if n := h.fake.Requests()["GET /services"]; n != 0 {
		t.Errorf("%d inventory requests with a refused key", n)
	}
}

func TestUnreachableAPI(t *testing.T) {
	h := newHarness(t)
	h.fake.Inject(ovhfake.Fault{Route: "GET /auth/time", Status: 503, Times: -1})
	rep := h.run()
	expect(t, rep, "ovh.default.clock", Fail, "does not answer")
	if rep.Status != Fail {
		t.Errorf("status %s", rep.Status)
	}
}

// TestSlackTestPostsOnce: --slack-test posts one message, and the other
// checks still post nothing.
func TestSlackTestPostsOnce(t *testing.T) {
	h := newHarness(t)
	h.setup.Slack.Test = true
	rep := h.run()
	expect(t, rep, "slack.test", OK, "posted to C0RENEWD1")
	posts := h.slack.CallsOf(slackfake.PostMessage)
	if len(posts) != 1 || posts[0].Text != TestMessage || posts[0].Channel != "C0RENEWD1" {
		t.Errorf("posts = %+v", posts)
	}
	h.setup.Slack = nil
	expect(t, h.run(), "slack", OK, "not configured")
}

func TestConfigFailed(t *testing.T) {
	rep := ConfigFailed("v9", "/etc/renewd/config.yaml", errors.New("/etc/renewd/config.yaml:3: colour: unknown key"))
	if rep.Renewd != "v9" || rep.Status != Fail || len(rep.Checks) != 1 {
		t.Fatalf("report = %+v", rep)
	}
	c := rep.Checks[0]
	if c.ID != "config" || c.Status != Fail || c.Fix == "" || !strings.Contains(c.Detail, "colour") {
		t.Errorf("check = %+v", c)
	}
}
