package renewal_test

import (
	"context"
	"testing"

	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/renewal"
)

// planAgrees runs renewd plan, then a cycle on the same ledger and clock,
// and checks that the plan said, for every service, what the cycle did.
func planAgrees(t *testing.T, e *env) {
	t.Helper()
	rows, err := renewal.Plan(context.Background(), e.Settings, e.ledger, e.local.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake().Orders()); n != 0 {
		t.Fatalf("plan created %d orders", n)
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
