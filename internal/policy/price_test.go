package policy_test

import (
	"math"
	"testing"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
)

const unit = renewd.UcentsPerUnit

func TestCheckPrice(t *testing.T) {
	capped := func(over policy.OverCap, approval policy.Approval) policy.Rule {
		return policy.Rule{Name: "r", Action: policy.ActionRenew, Period: renewd.Period{Months: 3}, MaxPrice: 30 * unit, OverCap: over, Approval: approval}
	}
	never := policy.Approval{}
	always := policy.Approval{Mode: policy.ApprovalAlways}
	above20 := policy.Approval{Mode: policy.ApprovalAbove, Above: 20 * unit}
	aboveZero := policy.Approval{Mode: policy.ApprovalAbove}
	for _, tt := range []struct {
		name  string
		rule  policy.Rule
		price int64
		want  policy.PriceVerdict
	}{
		{"within cap", capped(policy.OverCapRefuse, never), 1299 * unit / 100, policy.WithinCap},
		{"zero is unusable, not free", capped(policy.OverCapRefuse, never), 0, policy.PriceUnusable},
		{"negative is unusable", capped(policy.OverCapRefuse, never), -1, policy.PriceUnusable},
		{"negative is unusable even with approval", capped(policy.OverCapApprove, always), -30 * unit, policy.PriceUnusable},
		{"the maximum is usable", policy.Rule{Period: renewd.Period{Years: 1}, MaxPrice: renewd.MaxUcents}, renewd.MaxUcents, policy.WithinCap},
		{"above the maximum is unusable under any cap", policy.Rule{Period: renewd.Period{Years: 1}, MaxPrice: math.MaxInt64}, renewd.MaxUcents + 1, policy.PriceUnusable},
		{"18 digits is unusable, held or not", capped(policy.OverCapApprove, always), 999_999_999_999_999_999, policy.PriceUnusable},
		{"MinInt64 is unusable", capped(policy.OverCapRefuse, aboveZero), math.MinInt64, policy.PriceUnusable},
		{"equal to cap is within", capped(policy.OverCapRefuse, never), 30 * unit, policy.WithinCap},
		{"one micro-cent over is refused", capped(policy.OverCapRefuse, never), 30*unit + 1, policy.OverCapRefused},
		{"one micro-cent over is held when the rule says approve", capped(policy.OverCapApprove, never), 30*unit + 1, policy.OverCapHold},
		{"far over, refuse", capped(policy.OverCapRefuse, never), 300 * unit, policy.OverCapRefused},
		{"approval always", capped(policy.OverCapRefuse, always), 1 * unit, policy.NeedsApproval},
		{"approval always at the cap", capped(policy.OverCapRefuse, always), 30 * unit, policy.NeedsApproval},
		{"approval always does not lift a refusal", capped(policy.OverCapRefuse, always), 31 * unit, policy.OverCapRefused},
		{"approval always, over cap, approve", capped(policy.OverCapApprove, always), 31 * unit, policy.OverCapHold},
		{"under the approval threshold", capped(policy.OverCapRefuse, above20), 1999 * unit / 100, policy.WithinCap},
		{"at the approval threshold: no approval", capped(policy.OverCapRefuse, above20), 20 * unit, policy.WithinCap},
		{"one micro-cent above the threshold: approval", capped(policy.OverCapRefuse, above20), 20*unit + 1, policy.NeedsApproval},
		{"above the threshold up to the cap", capped(policy.OverCapRefuse, above20), 30 * unit, policy.NeedsApproval},
		{"above the threshold and the cap, refuse", capped(policy.OverCapRefuse, above20), 30*unit + 1, policy.OverCapRefused},
		{"above zero: a zero price is unusable", capped(policy.OverCapRefuse, aboveZero), 0, policy.PriceUnusable},
		{"above zero: any price asks", capped(policy.OverCapRefuse, aboveZero), 1, policy.NeedsApproval},
	} {
		if got := policy.CheckPrice(tt.rule, tt.price); got != tt.want {
			t.Errorf("%s: CheckPrice(%s) = %v, want %v", tt.name, renewd.FormatAmount(tt.price), got, tt.want)
		}
	}
}

func TestPriceReason(t *testing.T) {
	for _, tt := range []struct {
		period renewd.Period
		cap    int64
		price  int64
		want   string
	}{
		{renewd.Period{Months: 3}, 30 * unit, 1299 * unit / 100, "P3M at 12.99 <= 30.00"},
		{renewd.Period{Months: 3}, 30 * unit, 30 * unit, "P3M at 30.00 <= 30.00"},
		{renewd.Period{Years: 1}, 30 * unit, 45 * unit, "P1Y at 45.00 > 30.00"},
		{renewd.Period{Months: 12}, 30 * unit, 30*unit + 1, "P1Y at 30.00000001 > 30.00"},
		{renewd.Period{Months: 1}, 5 * unit / 10, 0, "P1M at 0.00: not a usable price: 0.00 is not positive"},
		{renewd.Period{Months: 1}, 5 * unit / 10, -unit, "P1M at -1.00: not a usable price: -1.00 is not positive"},
		{renewd.Period{Years: 1}, math.MaxInt64, renewd.MaxUcents + 1,
			"P1Y at 10000000.00000001: not a usable price: 10000000.00000001 is above the maximum of 10000000.00"},
	} {
		r := policy.Rule{Period: tt.period, MaxPrice: tt.cap}
		if got := policy.PriceReason(r, tt.price); got != tt.want {
			t.Errorf("PriceReason(%v, %d) = %q, want %q", tt.period, tt.price, got, tt.want)
		}
	}
}

func TestPriceVerdictNames(t *testing.T) {
	want := map[policy.PriceVerdict]string{
		policy.WithinCap: "within-cap", policy.NeedsApproval: "needs-approval",
		policy.OverCapHold: "over-cap-hold", policy.OverCapRefused: "over-cap-refused",
		policy.PriceUnusable: "price-unusable",
	}
	for v, s := range want {
		if v.String() != s {
			t.Errorf("PriceVerdict(%d).String() = %q, want %q", int(v), v.String(), s)
		}
	}
}
