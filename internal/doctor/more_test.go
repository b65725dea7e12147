package doctor

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/state"
)

// dropsOrders is an account whose GET /me/order loses the orders of the
// hour after date.from: what an API that read renewd's date.from in a zone
// ahead of UTC would answer.
type dropsOrders struct{ *ovh.Client }

func (d dropsOrders) OrdersSince(ctx context.Context, from time.Time) ([]int64, error) {
	return d.Client.OrdersSince(ctx, from.Add(time.Hour))
}

func TestDateFilterThatLosesOrders(t *testing.T) {
	h := newHarness(t)
	h.renewOrder(2002, "P1Y")
	h.setup.Accounts[0].OVH = dropsOrders{h.client}
	rep := h.run()
	expect(t, rep, "ovh.default.orders.date_from", Fail, "is missing from the orders since one second before it", "order and pay twice")
}

func TestExpiredPaymentMethod(t *testing.T) {
	h := newHarnessWith(t, func(sc *ovhfake.Scenario) { sc.PaymentMethods[0].Status = "EXPIRED" })
	rep := h.run()
	for _, id := range []string{"policy.vps.payment", "policy.dedicated.payment", "policy.hosting.payment"} {
		expect(t, rep, id, Fail, `payment method 9001 ("CREDIT_CARD") is "EXPIRED", not VALID`)
	}
	expect(t, rep, "policy.domains.payment", OK)
}

func TestWiderReadsAreNoted(t *testing.T) {
	h := newHarness(t)
	h.renewOrder(2002, "P1Y")
	rules := []ovhfake.AccessRule{{Method: "GET", Path: "/me"}}
	for _, r := range ovh.AccessRules() {
		rules = append(rules, ovhfake.AccessRule{Method: r.Method, Path: r.Path})
	}
	h.fake.SetCredentialRules(testCK, rules)
	rep := h.run()
	expect(t, rep, "ovh.default.rules.extra", OK, `also grants "GET /me"`)
	only(t, rep)
}

// TestUnreadableInventory: services whose answers renewd cannot read fail
// their own line, and the policy checks say they could not be made.
func TestUnreadableInventory(t *testing.T) {
	h := newHarness(t)
	h.fake.UpdateWire(func(w *ovhfake.Wire) { w.Expanded, w.Batch = ovhfake.ExpandedRefused, ovhfake.BatchRefused })
	h.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Status: 200, Times: -1,
		Body: `{"expirationDate": 12, "resource": {"name": "vps-x", "displayName": "x"}, "route": {"path": "/vps/{serviceName}", "vars": []}}`})
	rep := h.run()
	expect(t, rep, "ovh.default.unreadable", Fail, "8 services", `"expirationDate" is a JSON number`)
	expect(t, rep, "policy.vps.period", Warn, "no service it covers has an expiration renewd reads")
}

// TestListingThatMissesServices: an expanded listing that gives fewer
// services than GET /service lists fails: renewd would not see the rest.
func TestListingThatMissesServices(t *testing.T) {
	h := newHarness(t)
	h.fake.Inject(ovhfake.Fault{Route: "GET /services", Status: 200, Times: -1,
		Body: `[{"serviceId": 1001, "resource": {"name": "vps-alpha.vps.ovh.net", "displayName": "a"}, "billing": {"expirationDate": "2026-05-06"}}]`})
	rep := h.run()
	expect(t, rep, "ovh.default.expanded", Fail, "gives 1 service and GET /service 8", "would not see 1002")
}

func TestInventoryRefused(t *testing.T) {
	h := newHarness(t)
	h.fake.Inject(ovhfake.Fault{Route: "GET /service", Status: 403, Times: -1})
	rep := h.run()
	expect(t, rep, "ovh.default.inventory", Fail, "403")
	for _, c := range rep.Checks {
		if strings.HasPrefix(c.ID, "ovh.default.") && !slices.Contains([]string{"clock", "credentials", "rules", "rules.extra", "inventory"}, strings.TrimPrefix(c.ID, "ovh.default.")) {
			t.Errorf("%s ran without an inventory", c.ID)
		}
	}
}

// TestUnreadableLedgerRecord: a record the ledger cannot decode fails the
// ledger's line: renewd orders nothing for its service.
func TestUnreadableLedgerRecord(t *testing.T) {
	h := newHarness(t)
	l, err := state.Open(h.setup.StateFile, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	term := renewd.Term{Account: "default", ServiceID: 1001, Expiration: renewd.MustDate("2026-05-06")}
	if _, err := l.Transition(term, state.StatusDue, "due", nil, nil); err != nil {
		t.Fatal(err)
	}
	l.Close()
	db, err := bolt.Open(h.setup.StateFile, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("terms")).Put([]byte(term.String()), []byte("not a record"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	expect(t, h.run(), "ledger", Fail, "1 records cannot be decoded")
}

func TestBotApproverAndArchivedChannel(t *testing.T) {
	h := newHarness(t)
	h.slack.AddUser(slackUser("U0ALICE01", "alice", true))
	h.slack.AddChannel(slackChannel("C0RENEWD1", "renewals", true))
	rep := h.run()
	expect(t, rep, "slack.approvers", Warn, "is a bot")
	expect(t, rep, "slack.channel", Fail, "#renewals is archived")
}
