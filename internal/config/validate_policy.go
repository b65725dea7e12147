package config

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
)

// paymentMeans are OVH's billing.ReusablePaymentMeanEnum values, the words
// payWithRegisteredPaymentMean takes.
var paymentMeans = []string{
	"CREDIT_CARD", "CURRENT_ACCOUNT", "DEFERRED_PAYMENT_ACCOUNT", "DOMESTIC_CARD", "ENTERPRISE",
	"INTERNAL_TRUSTED_ACCOUNT", "PAYPAL", "RUPAY", "SEPA_DIRECT_DEBIT",
	"bankAccount", "creditCard", "deferredPaymentAccount", "fidelityAccount", "ovhAccount", "paypal",
}

// meansWithID are the means for which OVH requires paymentMeanId.
var meansWithID = []string{"bankAccount", "creditCard", "paypal"}

func (v *validator) rules() {
	accountsKnown := !v.decodeFailed("ovh") && !v.decodeFailed("accounts")
	names := map[string]int{}
	catchAll := -1
	for i, r := range v.c.Policy.Rules {
		f := fmt.Sprintf("policies[%d]", i)
		switch first, dup := names[r.Name]; {
		case r.Name == "":
			v.failf(f+".name", "is required: a name for reports, unique among the rules")
		case dup:
			v.failf(f+".name", "%q is already the name of policies[%d]", r.Name, first)
		default:
			names[r.Name] = i
		}
		if catchAll >= 0 {
			v.failf(f, "never applies: policies[%d] (%s) has no match, so it covers every service first", catchAll, v.c.Policy.Rules[catchAll].Name)
		}
		v.match(f+".match", r.Match, accountsKnown)
		if catchAll < 0 && isCatchAll(r.Match) && !v.decodeFailed(f+".match") {
			catchAll = i
		}
		v.action(f, r)
	}
}

func isCatchAll(m policy.Match) bool {
	return m.Account == "" && m.Type == "" && m.Name == "" && len(m.ServiceIDs) == 0
}

func (v *validator) match(f string, m policy.Match, accountsKnown bool) {
	if m.Account != "" && accountsKnown {
		if _, ok := v.c.AccountByName(m.Account); !ok {
			var names []string
			for _, a := range v.c.Accounts {
				names = append(names, a.Name)
			}
			v.failf(f+".account", "%q names no configured account (configured: %s)", m.Account, strings.Join(names, ", "))
		}
	}
	if m.Type != "" && !serviceTypeRE.MatchString(m.Type) {
		v.failf(f+".type", "%q is not a service type such as vps, domain or hosting/web", m.Type)
	}
	if m.Name != "" {
		if _, err := path.Match(m.Name, ""); err != nil {
			v.failf(f+".name", "%q is not a valid glob: %w", m.Name, err)
		}
	}
	for _, id := range m.ServiceIDs {
		if id <= 0 {
			v.failf(f+".service_ids", "%d is not a service id", id)
		}
	}
}

// action checks that a rule holds what its action needs.
func (v *validator) action(f string, r policy.Rule) {
	if r.Action == 0 {
		v.failf(f+".action", "is required: renew, notify or ignore")
		return
	}
	if r.Action == policy.ActionRenew || r.Action == policy.ActionNotify {
		switch {
		case r.RenewBefore == 0 && !v.given(f+".renew_before"):
			v.failf(f+".renew_before", "is required for action %s: how long before expiry it is due, e.g. 14d", r.Action)
		case r.RenewBefore <= 0:
			v.failf(f+".renew_before", "must be greater than 0")
		case r.RenewBefore > MaxRenewBefore:
			v.failf(f+".renew_before", "%s is over the %s maximum", formatWindow(r.RenewBefore), formatWindow(MaxRenewBefore))
		}
	}
	renew := r.Action == policy.ActionRenew
	switch {
	case renew && r.Period.IsZero():
		v.failf(f+".period", "is required for action renew: an ISO 8601 period such as P1M, P3M or P1Y")
	case renew && !r.Period.OVHInterval():
		v.failf(f+".period", "%s is not a renewal period OVH offers (service.renew.Interval: %s)",
			r.Period, strings.Join(renewd.OVHIntervals, ", "))
	}
	if renew || v.given(f+".max_price") {
		switch {
		case r.MaxPrice == 0 && !v.given(f+".max_price"):
			v.failf(f+".max_price", "is required for action renew: the price cap without tax, e.g. 30.00")
		case r.MaxPrice <= 0:
			v.failf(f+".max_price", "must be greater than 0, not %s", renewd.FormatAmount(r.MaxPrice))
		}
	}
	v.payment(f+".payment", r.Payment, renew)
	if r.Approval.Mode == policy.ApprovalAbove {
		switch {
		case r.Approval.Above < 0:
			v.failf(f+".approval.above", "must not be negative, not %s", renewd.FormatAmount(r.Approval.Above))
		case renew && r.MaxPrice > 0 && r.Approval.Above >= r.MaxPrice:
			v.failf(f+".approval.above", "%s is not below max_price %s, so it would never ask (prices over the cap follow over_cap); lower it or use approval: always",
				renewd.FormatAmount(r.Approval.Above), renewd.FormatAmount(r.MaxPrice))
		}
	}
}

// payment checks that at most one payment form is given, exactly one for
// a renew rule, and that a mean is one OVH knows, with its id where OVH
// needs one.
func (v *validator) payment(f string, p renewd.PaymentForm, required bool) {
	var forms []string
	if p.MethodID != 0 {
		forms = append(forms, "method_id")
	}
	if p.Mean != "" {
		forms = append(forms, "mean")
	}
	if p.Default {
		forms = append(forms, "default")
	}
	switch {
	case len(forms) > 1:
		v.failf(f, "give exactly one payment form, not %s", strings.Join(forms, " and "))
	case len(forms) == 0 && p.MeanID == 0 && required:
		v.failf(f, "is required for action renew: exactly one of method_id: ID, mean: NAME (with mean_id: ID) or default: true")
	}
	if p.MeanID != 0 && p.Mean == "" {
		v.failf(f+".mean_id", "only goes with mean")
	}
	if p.Mean != "" {
		switch {
		case !slices.Contains(paymentMeans, p.Mean):
			v.failf(f+".mean", "%q is not an OVH payment mean (%s)", p.Mean, strings.Join(paymentMeans, ", "))
		case slices.Contains(meansWithID, p.Mean) && p.MeanID == 0:
			v.failf(f+".mean_id", "is required with mean %s: OVH needs the id of the registered %s", p.Mean, p.Mean)
		}
	}
}
