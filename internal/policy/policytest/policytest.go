// Package policytest builds policies for benchmarks and tests: the rule
// set of an operator with many services, the same wherever decisions are
// measured (the policy benchmark and the bench harness).
package policytest

import (
	"fmt"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
)

// ManyRules is 50 rules in the shape an operator with many services
// writes: 47 narrow rules (ids, name globs, other types) that the generated
// services mostly miss, then the three broad rules near the end that cover
// them. renewBefore sets the window of the renew rules.
func ManyRules(renewBefore time.Duration) policy.Policy {
	var rules []policy.Rule
	for i := range 47 {
		r := policy.Rule{Name: fmt.Sprintf("narrow-%02d", i), Action: policy.ActionNotify, RenewBefore: 21 * 24 * time.Hour}
		switch i % 4 {
		case 0:
			r.Match = policy.Match{ServiceIDs: []int64{int64(1_000_000 + i), int64(2_000_000 + i), int64(3_000_000 + i)}}
		case 1:
			r.Match = policy.Match{Type: "dedicated/server", Name: fmt.Sprintf("ns%d*.ip-*.eu", i)}
		case 2:
			r.Match = policy.Match{Type: "vps", Name: fmt.Sprintf("legacy-%d-*.vps.ovh.net", i)}
		default:
			r.Match = policy.Match{Name: fmt.Sprintf("*.customer-%d.example.org", i)}
			r.Action = policy.ActionIgnore
		}
		rules = append(rules, r)
	}
	monthly, _ := renewd.ParsePeriod("P1M")
	yearly, _ := renewd.ParsePeriod("P1Y")
	rules = append(rules,
		policy.Rule{Name: "vps-monthly", Match: policy.Match{Type: "vps", Name: "vps-*.vps.ovh.net"},
			Action: policy.ActionRenew, RenewBefore: renewBefore, Period: monthly,
			MaxPrice: 10 * renewd.UcentsPerUnit, Payment: renewd.PaymentForm{Default: true}},
		policy.Rule{Name: "domains-yearly", Match: policy.Match{Type: "domain"},
			Action: policy.ActionRenew, RenewBefore: renewBefore, Period: yearly,
			MaxPrice: 15 * renewd.UcentsPerUnit, Payment: renewd.PaymentForm{Default: true}},
		policy.Rule{Name: "hosting-watch", Match: policy.Match{Type: "hosting/web"},
			Action: policy.ActionNotify, RenewBefore: renewBefore},
	)
	return policy.Policy{Rules: rules, ReportWithin: 30 * 24 * time.Hour}
}
