package daemon

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/config"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/renewal"
	"github.com/renewd/renewd/internal/slack"
	"github.com/renewd/renewd/internal/slackfake"
	"github.com/renewd/renewd/internal/state"
)

// Canary Slack tokens, written to 0600 files: they may travel only in the
// Authorization header of a request to Slack.
const (
	canaryBot = "xoxb-canary-e2e-bot-0a1b2c3d"
	canaryApp = "xapp-canary-e2e-app-4e5f6a7b"
	approver  = "U0APPROVER"
	channel   = "C0123456789"
)

// slackE2EConfig holds vps-alpha (due in 5 days, 7.00 EUR) for approval
// always and renews example.org (due in 12 days) without asking; the
// private database due in 4 days has no rule (reported as uncovered). %[1]s
// is the directory, %[2]s the fake OVH's endpoint, %[3]s the fake Slack's
// API URL.
const slackE2EConfig = `schedule: "@every 1h"
state_file: %[1]s/renewd.db
control_socket: ""
ovh:
  endpoint: %[2]s
  application_key_file: %[1]s/ak
  application_secret_file: %[1]s/as
  consumer_key_file: %[1]s/ck
  rate_limit: 1000
  burst: 100
policies:
  - name: vps-with-approval
    match: {type: vps}
    action: renew
    renew_before: 14d
    period: P1M
    max_price: 10.00
    payment: {method_id: 9001}
    approval: always
  - name: domains
    match: {type: domain}
    action: renew
    renew_before: 30d
    period: P1Y
    max_price: 15.00
    payment: {default: true}
slack:
  bot_token_file: %[1]s/slack-bot
  app_token_file: %[1]s/slack-app
  channel: C0123456789
  approvers: [U0APPROVER]
  approval_timeout: 72h
  api_url: %[3]s
`

// offsetClock is real time moved forward by Advance: timers stay real, and
// a test can jump past a deadline without sleeping.
type offsetClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *offsetClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// slackEnv is a daemon's surroundings with Slack: a fake OVH, a fake Slack,
// the config file with its credential files, and the ledger.
type slackEnv struct {
	dir    string
	clk    *offsetClock
	ovh    *ovhfake.Fake
	slack  *slackfake.Fake
	cfg    *config.Config
	ledger *state.Ledger
	log    *syncBuffer
}

func newSlackEnv(t *testing.T) *slackEnv {
	t.Helper()
	e := &slackEnv{dir: t.TempDir(), clk: &offsetClock{}, log: &syncBuffer{}}
	day := time.Now().UTC().Truncate(24 * time.Hour)
	svc := func(id int64, name, typ string, days int, period, price string) ovhfake.ServiceFixture {
		ucents, err := renewd.ParseAmount(price)
		if err != nil {
			t.Fatal(err)
		}
		return ovhfake.ServiceFixture{ID: id, Name: name, Type: typ, Expiration: renewd.DateOf(day).AddDays(days),
			RenewMode: "manual", State: "ok",
			Strategies: []ovhfake.StrategyFixture{{Period: period, Services: []int64{id}, PriceUcents: ucents}}}
	}
	e.ovh = ovhfake.New(ovhfake.Scenario{
		Currency: "EUR",
		Services: []ovhfake.ServiceFixture{
			svc(1001, "vps-alpha.vps.ovh.net", "vps", 5, "P1M", "7.00"),
			svc(2002, "example.org", "domain", 12, "P1Y", "9.99"),
			svc(5001, "legacy-db.example.net", "hosting/privateDatabase", 4, "P1M", "15.00"),
		},
		PaymentMethods: []ovhfake.PaymentMethodFixture{{ID: 9001, PaymentType: "CREDIT_CARD", Default: true, Status: "VALID"}},
	}, ovhfake.Options{AppKey: testAppKey, AppSecret: testAppSecret, ConsumerKey: testConsumerKey,
		Now: e.clk.Now, MaxSkew: -1})
	srv := httptest.NewServer(e.ovh)
	t.Cleanup(srv.Close)
	e.slack = slackfake.New(slackfake.Options{BotToken: canaryBot, AppToken: canaryApp})
	t.Cleanup(e.slack.Close)

	for name, v := range map[string]string{"ak": testAppKey, "as": testAppSecret, "ck": testConsumerKey,
		"slack-bot": canaryBot, "slack-app": canaryApp} {
		if err := os.WriteFile(filepath.Join(e.dir, name), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(e.dir, "renewd.yaml")
	body := fmt.Sprintf(slackE2EConfig, e.dir, srv.URL+"/1.0", e.slack.APIURL())
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = cfg
	e.openLedger(t)
	t.Cleanup(func() { e.ledger.Close() })
	return e
}

func noEnv(string) string { return "" }

func (e *slackEnv) openLedger(t *testing.T) {
	t.Helper()
	l, err := state.Open(e.cfg.StateFile, state.Options{Now: e.clk.Now, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.ledger = l
}

// restartLedger closes the ledger and opens it again, as a new process would.
func (e *slackEnv) restartLedger(t *testing.T) {
	t.Helper()
	if err := e.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	e.openLedger(t)
}

// startDaemon wires a daemon as cmd/renewd's run does (the config's
// credential files, the real OVH and Slack clients; the Slack client is
// both the Sender and the Approvals) with the test's clock and a short
// report backoff, and runs it until stop or the test's end.
func (e *slackEnv) startDaemon(t *testing.T) (*Daemon, *testMetrics, func() error) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	bot, app, err := e.cfg.Slack.LoadTokens(noEnv)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := slack.New(slack.Options{
		BotToken: bot.Reveal(), AppToken: app.Reveal(), Channel: e.cfg.Slack.Channel,
		Approvers: e.cfg.Slack.Approvers, APIURL: e.cfg.Slack.APIURL, Notify: e.cfg.Slack.Notifies,
		Logger: log.With("component", "slack"), CallTimeout: 5 * time.Second,
		PostInterval: 5 * time.Millisecond, ReconnectBackoff: []time.Duration{10 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := newTestMetrics()
	d, err := New(Options{
		Config:        e.cfg,
		Reload:        func() (*config.Config, error) { return config.Load(e.cfg.Path, noEnv) },
		Ledger:        e.ledger,
		Settings:      e.settings(log),
		Sender:        sc,
		Approvals:     sc,
		Metrics:       m,
		Logger:        log,
		Now:           e.clk.Now,
		ReportBackoff: []time.Duration{20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, m, start(t, d)
}

// settings builds the cycle's settings as cmd/renewd does: OVH clients from
// the config's credential files, the approval timeout from slack.
func (e *slackEnv) settings(log *slog.Logger) func(*config.Config) (renewal.Settings, error) {
	return func(cfg *config.Config) (renewal.Settings, error) {
		s := renewal.Settings{Policy: cfg.Policy, DeliveryTimeout: cfg.DeliveryTimeout, ApprovalTimeout: cfg.Slack.ApprovalTimeout}
		for _, a := range cfg.Accounts {
			creds, err := a.LoadCredentials(noEnv)
			if err != nil {
				return s, err
			}
			c, err := ovh.New(ovh.Options{Account: a.Name, Endpoint: a.Endpoint, AppKey: creds.AppKey.Reveal(),
				AppSecret: creds.AppSecret.Reveal(), ConsumerKey: creds.ConsumerKey.Reveal(),
				RateLimit: 1000, Burst: 100, Retry: []time.Duration{}, Now: e.clk.Now, Logger: log})
			if err != nil {
				return s, err
			}
			s.Accounts = append(s.Accounts, c)
		}
		return s, nil
	}
}

// record returns the ledger's record of vps-alpha (service 1001).
func (e *slackEnv) record(t *testing.T) state.Record {
	t.Helper()
	recs, err := e.ledger.ForService(renewd.DefaultAccount, 1001)
	if err != nil || len(recs) != 1 {
		t.Fatalf("vps-alpha in the ledger: %d records, %v", len(recs), err)
	}
	return recs[0]
}

// orders counts the fake OVH's orders and payments for a service.
func (e *slackEnv) orders(id int64) (orders, payments int) {
	mine := map[int64]bool{}
	for _, o := range e.ovh.Orders() {
		if o.ServiceID == id {
			mine[o.ID] = true
			orders++
		}
	}
	for _, p := range e.ovh.Payments() {
		if mine[p.OrderID] {
			payments++
		}
	}
	return orders, payments
}

// await waits for cond on the fake Slack's record.
func (e *slackEnv) await(t *testing.T, what string, cond func([]slackfake.Call) bool) []slackfake.Call {
	t.Helper()
	calls, err := e.slack.Await(10*time.Second, cond)
	if err != nil {
		t.Fatalf("waiting for %s: %v\n%s", what, err, describe(calls))
	}
	return calls
}

// eventually polls cond on a short ticker until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// outboxEmpty reports whether every report was delivered.
func (e *slackEnv) outboxEmpty(t *testing.T) bool {
	t.Helper()
	items, err := e.ledger.Outbox(0)
	if err != nil {
		t.Fatal(err)
	}
	return len(items) == 0
}

// checkNoLeak fails when a canary token shows anywhere but in the
// Authorization header of a request to Slack: request bodies and queries,
// the log, the errors given.
func (e *slackEnv) checkNoLeak(t *testing.T, texts ...string) {
	t.Helper()
	for _, l := range e.slack.Leaks(canaryBot, canaryApp, "canary") {
		t.Error(l)
	}
	for _, c := range e.slack.Calls() {
		want := "Bearer " + canaryBot
		if c.Method == slackfake.ConnectionsOpen {
			want = "Bearer " + canaryApp
		}
		if c.Auth != want {
			t.Errorf("%s sent with the wrong Authorization header", c.Method)
		}
	}
	for _, s := range append(texts, e.log.String()) {
		if strings.Contains(s, "canary") {
			t.Errorf("a token leaked: %s", strings.NewReplacer(canaryBot, "<bot>", canaryApp, "<app>").Replace(s))
		}
	}
}

// blockText is every string in a message's blocks, decoded.
func blockText(t *testing.T, c slackfake.Call) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(c.Blocks), &v); err != nil {
		t.Fatalf("%s blocks: %v", c.Method, err)
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			b.WriteString(x + "\n")
		case []any:
			for _, y := range x {
				walk(y)
			}
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	return b.String()
}

// buttons returns the action id -> value of a message's buttons.
func buttons(t *testing.T, c slackfake.Call) map[string]string {
	t.Helper()
	var blocks []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if c.Blocks == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(c.Blocks), &blocks); err != nil {
		t.Fatalf("%s blocks: %v", c.Method, err)
	}
	out := map[string]string{}
	for _, b := range blocks {
		if b.Type == "actions" {
			for _, el := range b.Elements {
				out[el.ActionID] = el.Value
			}
		}
	}
	return out
}

func describe(calls []slackfake.Call) string {
	var b strings.Builder
	for _, c := range calls {
		title, _, _ := strings.Cut(c.Text, "\n")
		fmt.Fprintf(&b, "  %s ok=%v status=%d ts=%s user=%s %q\n", c.Method, c.OK, c.Status, c.TS, c.User, title)
	}
	return b.String()
}
