package renewal_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/renewd/renewd/internal/ovhfake"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// planAgrees runs renewd plan, then a cycle on the same ledger and clock,
// checks that the plan said, for every service, what the cycle did, and
// returns the cycle's summary.
func planAgrees(t *testing.T, e *env) renewal.Summary {
	t.Helper()
	orders, payments := len(e.fake().Orders()), len(e.fake().Payments())
	rows, err := renewal.Plan(context.Background(), e.Settings, e.ledger, e.local.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n, m := len(e.fake().Orders()), len(e.fake().Payments()); n != orders || m != payments {
		t.Fatalf("plan created %d order(s) and %d payment(s)", n-orders, m-payments)
	}
	sum := e.cycle()
	for _, row := range rows {
		o := outcome(t, sum, row.Service.ID)
		if row.Expect != o.Action {
			t.Errorf("service %d (%s): plan said %s (%s: %s), the cycle did %s (%s)",
				row.Service.ID, row.Service.Name, row.Expect, row.Would, row.Why, o.Action, o.Reason)
		}
	}
	if len(rows) != len(sum.Outcomes) {
		t.Errorf("plan has %d rows, the cycle %d outcomes", len(rows), len(sum.Outcomes))
	}
	return sum
}

// TestPlanAgreesWithTheCycle: the demo account's policies, and the same
// with a monthly budget that lets only some renewals through.
func TestPlanAgreesWithTheCycle(t *testing.T) {
	rules := func(t *testing.T) []policy.Rule {
		return append(scenarioRules(t), rule(t, "hosting", "P1Y", "50.00", 3001), rule(t, "org", "P1Y", "15.00", 2001))
	}
	t.Run("demo account", func(t *testing.T) {
		e := newEnv(t, rules(t), envOptions{})
		scenarioServices(t, e.fake())
		planAgrees(t, e)
	})
	t.Run("budget-limited account", func(t *testing.T) {
		e := newEnv(t, rules(t), envOptions{})
		scenarioServices(t, e.fake())
		e.Settings.Budget = &renewal.Budget{MonthlyUcents: eur(t, "20.00"), Currency: "EUR", Over: policy.OverCapRefuse}
		planAgrees(t, e)
		refused := 0
		for _, r := range e.outbox() {
			if r.Kind == "refused" {
				refused++
			}
		}
		if refused == 0 {
			t.Fatal("the budget refused nothing: the test would not test plan's budget")
		}
	})
}

// TestPlanCountsWhatTheCycleCommits: plan counts against the budget, for
// the terms after, what each term before them would commit in the cycle,
// and nothing more. A failed payment keeps its order: when its retry
// comes, the cycle pays it first, and so must the plan count it; an order
// that expired unpaid is ordered again at its last price; a payment whose
// outcome is unknown is already counted in flight by the ledger, not twice;
// a term held for approval or refused commits nothing. Each time a second
// service, covered from the second cycle on, is what the budget has room
// for or not (7.00 + 9.99 > 12.00; 2 x 7.00 + 9.99 > 20.00).
func TestPlanCountsWhatTheCycleCommits(t *testing.T) {
	payFails := func(status int) func(*env, *policy.Rule) {
		return func(e *env, _ *policy.Rule) {
			e.fake().Inject(ovhfake.Fault{Route: routePay, Status: status})
		}
	}
	tests := []struct {
		name    string
		first   func(*env, *policy.Rule) // before the first cycle, when there is one
		cycle   bool                     // a first cycle, without the second service
		budget  string
		wait    time.Duration
		want    renewal.Action // what the cycle after the plan does with 1001
		wantOrg renewal.Action // and with 2002
	}{
		{"retry of a failed payment", payFails(http.StatusBadRequest), true, "12.00",
			time.Hour + time.Minute, renewal.ActPaid, renewal.ActRefused},
		{"order expired unpaid, ordered again", payFails(http.StatusBadRequest), true, "12.00",
			25 * time.Hour, renewal.ActPaid, renewal.ActRefused},
		{"payment outcome unknown, then paid", payFails(http.StatusInternalServerError), true, "20.00",
			5 * time.Minute, renewal.ActPaid, renewal.ActPaid},
		{"held for approval", func(_ *env, r *policy.Rule) {
			r.Approval = policy.Approval{Mode: policy.ApprovalAlways}
		}, true, "12.00", time.Hour, renewal.ActAwaiting, renewal.ActPaid},
		{"refused over its cap", func(_ *env, r *policy.Rule) {
			r.MaxPrice = eur(t, "5.00")
		}, false, "12.00", 0, renewal.ActRefused, renewal.ActPaid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alpha := rule(t, "alpha", "P1M", "10.00", 1001)
			e := newEnv(t, nil, envOptions{})
			tt.first(e, &alpha)
			e.Settings.Policy.Rules = []policy.Rule{alpha}
			e.Settings.RetryAfter = []time.Duration{time.Hour}
			e.Settings.Budget = &renewal.Budget{MonthlyUcents: eur(t, tt.budget), Currency: "EUR", Over: policy.OverCapRefuse}
			if tt.cycle {
				if o := outcome(t, e.cycle(), 1001); o.Action == renewal.ActPaid {
					t.Fatalf("first cycle: %s (%s), want it not paid yet", o.Action, o.Reason)
				}
			}
			e.Settings.Policy.Rules = append(e.Settings.Policy.Rules, rule(t, "org", "P1Y", "15.00", 2002))
			e.advance(tt.wait)
			sum := planAgrees(t, e)
			for id, want := range map[int64]renewal.Action{1001: tt.want, 2002: tt.wantOrg} {
				if o := outcome(t, sum, id); o.Action != want {
					t.Errorf("the cycle: %d %s (%s), want %s", id, o.Action, o.Reason, want)
				}
			}
		})
	}
}
