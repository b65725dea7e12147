package doctor

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/slack"
	"github.com/renewd/renewd/internal/slackfake"
)

// Canary credentials: none may show in a report.
const (
	testAK = "ak-doctor-test"
	testAS = "as-CANARY-doctor-5e1f"
	testCK = "ck-CANARY-doctor-a70b"
	botTok = "xoxb-CANARY-doctor-bot"
	appTok = "xapp-CANARY-doctor-app"
)

// harness is a fake OVH account holding the sample scenario with a key of
// exactly renewd's rules, a real ovh.Client on it, a fake Slack with the
// bot in its channel and a real slack.Client on it, and a policy that fits
// the account: every check passes but the order lines (no order yet).
type harness struct {
	t      *testing.T
	clock  *ovhfake.Clock
	fake   *ovhfake.Fake
	client *ovh.Client
	slack  *slackfake.Fake
	setup  Setup
}

// t0 is the harness's clock: 2026-05-01 09:30 UTC.
var t0 = time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)

func newHarness(t *testing.T) *harness { return newHarnessWith(t, nil) }

// newHarnessWith is newHarness with the sample scenario edited first.
func newHarnessWith(t *testing.T, edit func(*ovhfake.Scenario)) *harness {
	t.Helper()
	ovhfake.IsolateEnv(t)
	scen := ovhfake.SampleScenario(t0)
	if edit != nil {
		edit(&scen)
	}
	h := &harness{t: t, clock: ovhfake.NewClock(t0)}
	var rules []ovhfake.AccessRule
	for _, r := range ovh.AccessRules() {
		rules = append(rules, ovhfake.AccessRule{Method: r.Method, Path: r.Path})
	}
	h.fake = ovhfake.New(scen, ovhfake.Options{AppKey: testAK, AppSecret: testAS, ConsumerKey: testCK,
		Now: h.clock.Now, Rules: rules, MaxSkew: -1})
	srv := httptest.NewServer(h.fake)
	t.Cleanup(srv.Close)
	var err error
	h.client, err = ovh.New(ovh.Options{Account: renewd.DefaultAccount, Endpoint: srv.URL + "/1.0", AppKey: testAK,
		AppSecret: testAS, ConsumerKey: testCK, RateLimit: rate.Inf, Retry: []time.Duration{},
		CallTimeout: 5 * time.Second, Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h.slack = slackfake.New(slackfake.Options{BotToken: botTok, AppToken: appTok})
	t.Cleanup(h.slack.Close)
	h.slack.AddChannel(slackfake.Channel{ID: "C0RENEWD1", Name: "renewals", Members: []string{slackfake.DefaultBotUser}})
	h.slack.AddUser(slackfake.User{ID: "U0ALICE01", Name: "alice"})
	sc, err := slack.New(slack.Options{BotToken: botTok, AppToken: appTok, Channel: "C0RENEWD1", APIURL: h.slack.APIURL(),
		Approvers: []string{"U0ALICE01"}, PostInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	h.setup = Setup{
		Version: "test", ConfigPath: "config.yaml", ConfigSummary: "valid",
		StateFile: filepath.Join(dir, "renewd.db"),
		Accounts:  []Account{{Name: renewd.DefaultAccount, OVH: h.client, RateLimit: 0.75}},
		Policy:    fittingPolicy(),
		Slack:     &SlackSetup{Client: sc, Channel: "C0RENEWD1", Approvers: []string{"U0ALICE01"}, AppToken: true},
		Now:       h.clock.Now,
	}
	return h
}

// fittingPolicy covers the sample account as OVH offers it.
func fittingPolicy() policy.Policy {
	p := func(s string) renewd.Period { v, _ := renewd.ParsePeriod(s); return v }
	eur := func(s string) int64 { v, _ := renewd.ParseAmount(s); return v }
	renew := func(name string, m policy.Match, period, cap string, pay renewd.PaymentForm) policy.Rule {
		return policy.Rule{Name: name, Match: m, Action: policy.ActionRenew, RenewBefore: 14 * 24 * time.Hour,
			Period: p(period), MaxPrice: eur(cap), Payment: pay}
	}
	return policy.Policy{ReportWithin: 30 * 24 * time.Hour, Rules: []policy.Rule{
		renew("vps-beta", policy.Match{Type: "vps", Name: "vps-beta*"}, "P3M", "30.00", renewd.PaymentForm{MethodID: 9001}),
		renew("vps", policy.Match{Type: "vps"}, "P1M", "10.00", renewd.PaymentForm{MethodID: 9001}),
		renew("domains", policy.Match{Type: "domain"}, "P1Y", "15.00", renewd.PaymentForm{Mean: "paypal", MeanID: 777}),
		renew("hosting", policy.Match{Type: "hosting/web"}, "P1Y", "60.00", renewd.PaymentForm{Default: true}),
		renew("dedicated", policy.Match{Type: "dedicated/server"}, "P1M", "100.00", renewd.PaymentForm{MethodID: 9001}),
		{Name: "databases", Match: policy.Match{Type: "hosting/privateDatabase"}, Action: policy.ActionNotify, RenewBefore: 30 * 24 * time.Hour},
	}}
}

// rule returns the harness policy's rule of that name, to edit.
func (h *harness) rule(name string) *policy.Rule {
	for i := range h.setup.Policy.Rules {
		if h.setup.Policy.Rules[i].Name == name {
			return &h.setup.Policy.Rules[i]
		}
	}
	h.t.Fatalf("no rule %s", name)
	return nil
}

// renewOrder makes a renewal order of the service at the fake, as renewd
// once did: what the order checks then read.
func (h *harness) renewOrder(id int64, period string) {
	h.t.Helper()
	p, err := renewd.ParsePeriod(period)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.client.CreateRenewOrder(context.Background(), id, ovh.Strategy{Period: p, Services: []int64{id}}); err != nil {
		h.t.Fatal(err)
	}
}

// run runs the checks and proves they were reads: no POST reached the fake
// OVH, and nothing was posted to Slack unless the setup asked for the test
// message. It also fails when a credential shows in the report.
func (h *harness) run() Report {
	h.t.Helper()
	before := h.fake.Requests()
	postsBefore := len(h.slack.CallsOf(slackfake.PostMessage)) + len(h.slack.CallsOf(slackfake.Update))
	rep := Run(context.Background(), h.setup)
	for route, n := range h.fake.Requests() {
		if !strings.HasPrefix(route, "GET ") && n != before[route] {
			h.t.Errorf("doctor made %d %s requests", n-before[route], route)
		}
	}
	posts := len(h.slack.CallsOf(slackfake.PostMessage)) + len(h.slack.CallsOf(slackfake.Update)) - postsBefore
	if want := 0; (h.setup.Slack == nil || !h.setup.Slack.Test) && posts != want {
		h.t.Errorf("doctor posted %d messages to Slack without --slack-test", posts)
	}
	var text bytes.Buffer
	if err := Write(&text, rep); err != nil {
		h.t.Fatal(err)
	}
	all := text.String() + fmt.Sprintf("%#v", rep) // every field, as --json would print it
	for _, s := range []string{testAS, testCK, botTok, appTok, "CANARY"} {
		if strings.Contains(all, s) {
			h.t.Errorf("the report holds a credential:\n%s", text.String())
		}
	}
	return rep
}

// check returns the report's check with that id.
func check(t *testing.T, rep Report, id string) Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.ID == id {
			return c
		}
	}
	var ids []string
	for _, c := range rep.Checks {
		ids = append(ids, c.ID)
	}
	t.Fatalf("no check %s in %v", id, ids)
	return Check{}
}

// expect fails unless the check has the status and its detail (or title)
// holds every text.
func expect(t *testing.T, rep Report, id string, st Status, texts ...string) {
	t.Helper()
	c := check(t, rep, id)
	if c.Status != st {
		t.Errorf("%s = %s (%s), want %s", id, c.Status, c.Detail, st)
	}
	for _, s := range texts {
		if !strings.Contains(c.Title+": "+c.Detail, s) {
			t.Errorf("%s says %q, want it to mention %q", id, c.Detail, s)
		}
	}
	if st != OK && c.Fix == "" {
		t.Errorf("%s is %s and says nothing to do", id, st)
	}
}

// only fails unless every check but those named is ok.
func only(t *testing.T, rep Report, notOK ...string) {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Status != OK && !containsStr(notOK, c.ID) {
			t.Errorf("%s = %s: %s", c.ID, c.Status, c.Detail)
		}
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func slackUser(id, name string, bot bool) slackfake.User {
	return slackfake.User{ID: id, Name: name, IsBot: bot}
}

func slackChannel(id, name string, archived bool) slackfake.Channel {
	return slackfake.Channel{ID: id, Name: name, Archived: archived, Members: []string{slackfake.DefaultBotUser}}
}
