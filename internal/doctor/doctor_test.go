package doctor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/slackfake"
)

// TestDoctorAllGood: a setup that fits its account passes every check
// once the account has a renewal order to read.
func TestDoctorAllGood(t *testing.T) {
	h := newHarness(t)
	rep := h.run()
	only(t, rep, "ovh.default.orders.lines")
	expect(t, rep, "ovh.default.orders.lines", Warn, "no order in the last 400 days")
	if rep.Status != Warn {
		t.Errorf("status %s, want warn", rep.Status)
	}

	h.renewOrder(1001, "P1M")
	h.clock.Advance(time.Minute)
	rep = h.run()
	only(t, rep)
	if rep.Status != OK {
		t.Errorf("report = %s", rep.Status)
	}
	expect(t, rep, "ovh.default.rules", OK, "12 rules")
	expect(t, rep, "ovh.default.dates", OK, "5 services read the same calendar date on 4 routes")
	expect(t, rep, "ovh.default.orders.date_from", OK, "honoured")
	expect(t, rep, "ovh.default.orders.lines", OK, `"vps-alpha.vps.ovh.net"`, "RENEW", "recognises it as the renewal")
	expect(t, rep, "policy.vps.match", OK, "covers 2 services")
	expect(t, rep, "policy.domains.payment", OK, "payment method 9002")
	expect(t, rep, "slack.channel", OK, "#renewals exists and the bot is in it")
	expect(t, rep, "slack.socket_mode", OK)
	if h.slack.Connections() != 2 {
		t.Errorf("Socket Mode connections: %d, want one a run", h.slack.Connections())
	}
}

// TestDoctorFindsMismatches: each thing wrong gives its line, with the
// status it deserves, and leaves the rest ok.
func TestDoctorFindsMismatches(t *testing.T) {
	for _, tt := range []struct {
		name   string
		break_ func(h *harness)
		id     string
		status Status
		says   []string
		also   []string // other checks that may then not be ok
	}{
		{name: "a key without a needed rule", id: "ovh.default.rules", status: Fail,
			break_: func(h *harness) {
				rules := []ovhfake.AccessRule{}
				for _, r := range ovh.AccessRules() {
					if r.Path != "/me/payment/method/*" {
						rules = append(rules, ovhfake.AccessRule{Method: r.Method, Path: r.Path})
					}
				}
				h.fake.SetCredentialRules(testCK, rules)
			},
			says: []string{"1 of the routes", "GET /me/payment/method/*"},
			also: []string{"policy.vps-beta.payment", "policy.vps.payment", "policy.domains.payment", "policy.hosting.payment", "policy.dedicated.payment"}},
		{name: "a key that also grants DELETE /*", id: "ovh.default.rules.extra", status: Warn,
			break_: func(h *harness) {
				rules := []ovhfake.AccessRule{{Method: "DELETE", Path: "/*"}}
				for _, r := range ovh.AccessRules() {
					rules = append(rules, ovhfake.AccessRule{Method: r.Method, Path: r.Path})
				}
				h.fake.SetCredentialRules(testCK, rules)
			},
			says: []string{`"DELETE /*"`}},
		{name: "the console's default key", id: "ovh.default.rules.extra", status: Warn,
			break_: func(h *harness) { h.fake.SetCredentialRules(testCK, nil) },
			says:   []string{`"POST /*"`, `"PUT /*"`, `"DELETE /*"`}},
		{name: "a key about to expire", id: "ovh.default.credentials", status: Warn,
			break_: func(h *harness) { h.fake.SetCredentialExpiration(testCK, t0.Add(10*24*time.Hour)) },
			says:   []string{"stops working on 2026-05-11"}},
		{name: "a payment method that does not exist", id: "policy.dedicated.payment", status: Fail,
			break_: func(h *harness) { h.rule("dedicated").Payment = renewd.PaymentForm{MethodID: 4242} },
			says:   []string{"payment method 4242 does not exist"}},
		{name: "a registered mean that does not exist", id: "policy.domains.payment", status: Fail,
			break_: func(h *harness) { h.rule("domains").Payment = renewd.PaymentForm{Mean: "paypal", MeanID: 778} },
			says:   []string{"paypal with mean id 778"}},
		{name: "no default payment method", id: "policy.hosting.payment", status: Fail,
			break_: func(h *harness) { h.setup.Accounts[0].OVH = noDefault{h.client} },
			says:   []string{"no default payment method"}},
		{name: "a period the services do not offer", id: "policy.vps.period", status: Fail,
			break_: func(h *harness) { h.rule("vps-beta").Match.Name = "nothing*" },
			says:   []string{`"vps-beta.vps.ovh.net" (1002) offers P3M`, "could not renew"},
			also:   []string{"policy.vps-beta.match"}},
		{name: "a price over the cap", id: "policy.dedicated.cap", status: Warn,
			break_: func(h *harness) { h.rule("dedicated").MaxPrice = 50_000_000 },
			says:   []string{"at 89.00 EUR, refused"}},
		{name: "a rule that covers nothing", id: "policy.dedicated.match", status: Warn,
			break_: func(h *harness) { h.rule("dedicated").Match.Type = "dedicated/serveur" },
			says:   []string{"covers no service"},
			also:   []string{"uncovered"}},
		{name: "a service no rule covers", id: "uncovered", status: Warn,
			break_: func(h *harness) { h.setup.Policy.Rules = h.setup.Policy.Rules[:5] },
			says:   []string{`"legacy-db.example.net" (hosting/privateDatabase`}},
		{name: "the expanded listing refused", id: "ovh.default.expanded", status: Warn,
			break_: func(h *harness) { h.fake.UpdateWire(func(w *ovhfake.Wire) { w.Expanded = ovhfake.ExpandedRefused }) },
			says:   []string{"not honoured", "in batches of 50: 2 requests for 8 services"}},
		{name: "neither the expanded listing nor batch", id: "ovh.default.batch", status: Warn,
			break_: func(h *harness) {
				h.fake.UpdateWire(func(w *ovhfake.Wire) { w.Expanded, w.Batch = ovhfake.ExpandedIgnored, ovhfake.BatchRefused })
			},
			says: []string{"one request a service: 9 requests for 8 services, about 12s at 0.75"},
			also: []string{"ovh.default.expanded"}},
		{name: "batch refused while the listing works", id: "ovh.default.batch", status: OK,
			break_: func(h *harness) { h.fake.SetBatch(false) },
			says:   []string{"not needed while the expanded listing is"}},
		{name: "date forms that disagree", id: "ovh.default.dates", status: Fail,
			break_: func(h *harness) { h.fake.UpdateWire(func(w *ovhfake.Wire) { w.Time = ovhfake.TimeUTCMidnight }) },
			says:   []string{"different calendar dates for 5 of the 5", "/services 2026-05-03, /service/1003 2026-05-04", "twice"}},
		{name: "date.from refused", id: "ovh.default.orders.date_from", status: Fail,
			break_: func(h *harness) {
				h.fake.UpdateWire(func(w *ovhfake.Wire) { w.OrderDates = ovhfake.OrderDatesDateOnly })
			},
			says: []string{"renewd's date.from (RFC 3339 in UTC) is refused", "stop at an error"}},
		{name: "date.from ignored", id: "ovh.default.orders.date_from", status: Warn,
			break_: func(h *harness) {
				h.fake.UpdateWire(func(w *ovhfake.Wire) { w.OrderDates = ovhfake.OrderDatesIgnored })
			},
			says: []string{"not honoured"}},
		{name: "renewal lines naming no service", id: "ovh.default.orders.lines", status: Fail,
			break_: func(h *harness) { h.fake.RemoveService(2002) },
			says:   []string{`{domain "example.org", detailType "RENEW", action "renew", duration "P1Y"}`, "names no service"}},
		{name: "an expiration renewd cannot read", id: "ovh.default.dates", status: Fail,
			break_: func(h *harness) {
				h.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Status: 200, Body: `{"expirationDate": "soon"}`, Times: -1})
			},
			says: []string{"expirations renewd cannot read", `"soon"`}},
		{name: "the clock two minutes off", id: "ovh.default.clock", status: Warn,
			break_: func(h *harness) { h.setup.Now = func() time.Time { return h.clock.Now().Add(-2 * time.Minute) } },
			says:   []string{"+2m0s"}},
		{name: "a Slack bot not in its channel", id: "slack.channel", status: Fail,
			break_: func(h *harness) { h.slack.AddChannel(slackfake.Channel{ID: "C0RENEWD1", Name: "renewals"}) },
			says:   []string{"is not in #renewals", "not_in_channel"}},
		{name: "a Slack channel that does not exist", id: "slack.channel", status: Fail,
			break_: func(h *harness) {
				h.slack.AddChannel(slackfake.Channel{ID: "C0OTHER01"})
				h.slack.Fail(slackfake.ConversationsInfo, slackfake.Fault{Code: "channel_not_found"})
			},
			says: []string{"channel_not_found"}},
		{name: "an approver id that does not exist", id: "slack.approvers", status: Fail,
			break_: func(h *harness) { h.setup.Slack.Approvers = []string{"U0ALICE01", "U0NOBODY1"} },
			says:   []string{"U0NOBODY1 is no user of the workspace"}},
		{name: "a deactivated approver", id: "slack.approvers", status: Fail,
			break_: func(h *harness) { h.slack.AddUser(slackfake.User{ID: "U0ALICE01", Name: "alice", Deleted: true}) },
			says:   []string{`"alice") is deactivated`}},
		{name: "a bot without users:read", id: "slack.approvers", status: Warn,
			break_: func(h *harness) { h.slack.Fail(slackfake.UsersInfo, slackfake.Fault{Code: "missing_scope"}) },
			says:   []string{"missing_scope"}},
		{name: "a revoked app token", id: "slack.socket_mode", status: Fail,
			break_: func(h *harness) { h.slack.RevokeAppToken() },
			says:   []string{"token_revoked"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.renewOrder(2002, "P1Y")
			h.clock.Advance(time.Minute)
			tt.break_(h)
			rep := h.run()
			expect(t, rep, tt.id, tt.status, tt.says...)
			only(t, rep, append(tt.also, tt.id)...)
			if tt.status != OK && rep.Status != tt.status && rep.Status != Fail {
				t.Errorf("report status %s, want %s", rep.Status, tt.status)
			}
		})
	}
}

// noDefault is an account with no default payment method.
type noDefault struct{ *ovh.Client }

func (noDefault) DefaultPaymentMethod(ctx context.Context) (int64, error) {
	return 0, fmt.Errorf("find the default payment method: %w", ovh.ErrNoDefaultPaymentMethod)
}
