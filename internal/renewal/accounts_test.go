package renewal_test

import (
	"testing"

	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// TestTwoAccountsRulesMatchingAccount: two accounts on two OVH endpoints hold
// a service with the same id (ids are per endpoint). A rule matching one
// account renews it there only; the other account's twin is covered by a
// notify rule and never ordered. The ledger keeps the two terms apart.
func TestTwoAccountsRulesMatchingAccount(t *testing.T) {
	renewMain := rule(t, "main-vps", "P1M", "10.00", 1001)
	renewMain.Match.Account = "main"
	notifyCA := policy.Rule{Name: "ca-notify", Match: policy.Match{Account: "ca", ServiceIDs: []int64{1001}},
		Action: policy.ActionNotify, RenewBefore: 14 * day}
	e := newEnv(t, []policy.Rule{renewMain, notifyCA}, envOptions{})
	main := e.accounts[0]
	ca := e.addAccount("ca", envOptions{})
	e.Settings.Accounts = []renewal.OVH{main.client, ca.client}

	for range 2 {
		sum := e.cycle()
		for _, o := range sum.Outcomes {
			if o.Service.ID != 1001 {
				continue
			}
			want := map[string]string{"main": "main-vps", "ca": "ca-notify"}[o.Service.Account]
			if o.Rule != want {
				t.Errorf("account %s: service 1001 decided by rule %q, want %q", o.Service.Account, o.Rule, want)
			}
		}
	}
	if n, m := len(main.fake.Orders()), len(main.fake.Payments()); n != 1 || m != 1 {
		t.Errorf("main account: %d orders, %d payments; want 1 and 1", n, m)
	}
	if n, m := len(ca.fake.Orders()), len(ca.fake.Payments()); n != 0 || m != 0 {
		t.Errorf("ca account: %d orders, %d payments; want none (notify rule)", n, m)
	}
	if rec := e.record(term("main", 1001, 5)); !rec.Paid() {
		t.Errorf("main/1001 is %s, want paid or delivered", rec.Status)
	}
	if _, ok, err := e.ledger.Get(term("ca", 1001, 5)); err != nil || ok {
		t.Errorf("ca/1001 has a ledger record (ok=%v, err=%v); a notify rule writes none", ok, err)
	}
	if len(e.reportsOf("notice", 1001)) == 0 {
		t.Errorf("the ca account's due service was not reported")
	}
}
