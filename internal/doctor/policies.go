package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/policy"
)

// policies checks each rule against the services it covers (the first
// rule that matches a service covers it, as the cycle decides).
func (r *run) policies(ctx context.Context) {
	for i := range r.setup.Policy.Rules {
		if ctx.Err() != nil {
			return
		}
		rule := &r.setup.Policy.Rules[i]
		var covered []accountService
		for _, s := range r.services {
			if r.setup.Policy.Covering(s.Service) == rule {
				covered = append(covered, s)
			}
		}
		r.rule(ctx, rule, covered)
	}
}

func (r *run) rule(ctx context.Context, rule *policy.Rule, covered []accountService) {
	id := func(s string) string { return "policy." + rule.Name + "." + s }
	title := func(s string) string { return "policy " + rule.Name + ": " + s }
	match := Check{ID: id("match"), Title: title("services"), Status: OK,
		Detail: fmt.Sprintf("covers %s (%s)", count(len(covered), "service"), rule.Action)}
	if len(covered) == 0 {
		match.Status = Warn
		match.Detail = "covers no service"
		match.Fix = "check its match (type, name glob, account, ids) against `renewd plan`; an earlier rule may take them"
	}
	r.add(match)
	if rule.Action != policy.ActionRenew || len(covered) == 0 {
		return
	}
	var manual []accountService
	automatic := 0
	for _, s := range covered {
		switch {
		case s.RenewMode == renewd.RenewAutomatic:
			automatic++
		case s.Problem == "" && !s.Expiration.IsZero():
			manual = append(manual, s)
		}
	}
	slices.SortFunc(manual, func(a, b accountService) int { return a.Expiration.Compare(b.Expiration) })
	sample := manual[:min(len(manual), r.setup.Sample)]
	r.add(r.offers(ctx, rule, sample, automatic == len(covered), id, title))
	r.add(r.payment(ctx, rule, covered, id, title))
}

// offers reads the renewal strategies of the sample: each must offer the
// rule's period (alone, or in a bundle where the rule allows one), at a
// usable price, which is compared with the cap.
func (r *run) offers(ctx context.Context, rule *policy.Rule, sample []accountService, allAutomatic bool, id, title func(string) string) Check {
	period := Check{ID: id("period"), Title: title("period " + rule.Period.String())}
	switch {
	case len(sample) == 0 && allAutomatic:
		period.Status, period.Detail = OK, "every service it covers is renewed automatically by OVH: renewd renews none"
		return period
	case len(sample) == 0:
		period.Status, period.Detail = Warn, "not checked: no service it covers has an expiration renewd reads"
		period.Fix = "see the services renewd cannot read, above"
		return period
	}
	var missing, unusable, unread, over []string
	highest := renewd.Money{}
	for _, s := range sample {
		sts, err := s.ovh.RenewStrategies(ctx, s.ID)
		if err != nil {
			unread = append(unread, fmt.Sprintf("%s (%d): %v", quote(s.Name), s.ID, err))
			continue
		}
		st, ok := ovh.ChooseStrategy(sts, s.ID, rule.Period, rule.AllowBundle)
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("%s (%d) offers %s", quote(s.Name), s.ID, offered(sts, s.ID)))
		case st.PriceErr != nil:
			unusable = append(unusable, fmt.Sprintf("%s (%d): %v", quote(s.Name), s.ID, st.PriceErr))
		default:
			if st.Price.Ucents > highest.Ucents {
				highest = st.Price
			}
			if v := policy.CheckPrice(*rule, st.Price.Ucents); v == policy.OverCapHold || v == policy.OverCapRefused {
				what := "refused"
				if v == policy.OverCapHold {
					what = "held for approval"
				}
				over = append(over, fmt.Sprintf("%s (%d) at %s, %s", quote(s.Name), s.ID, st.Price, what))
			}
		}
	}
	n := len(sample)
	switch {
	case len(missing) > 0:
		period.Status = Fail
		period.Detail = fmt.Sprintf("not offered for %d of the %s sampled: %s; renewd could not renew them when they fall due",
			len(missing), count(n, "service"), strings.Join(missing, "; "))
		period.Fix = "use a period OVH offers (a rule of its own for these services), or allow_bundle where only a bundle has it"
	case len(unusable) > 0:
		period.Status = Fail
		period.Detail = "offered, but at a price renewd refuses to pay: " + strings.Join(unusable, "; ")
		period.Fix = "report the price's form (renewd --log-level debug shows the answer)"
	case len(unread) > 0:
		period.Status = Warn
		period.Detail = "the offers of some services could not be read: " + strings.Join(unread, "; ")
	default:
		period.Status = OK
		period.Detail = fmt.Sprintf("offered for the %s sampled (the soonest to expire)", count(n, "service"))
	}
	r.add(period)

	capc := Check{ID: id("cap"), Title: title("price cap " + renewd.FormatAmount(rule.MaxPrice))}
	priced := n - len(missing) - len(unusable) - len(unread)
	switch {
	case priced == 0:
		capc.Status, capc.Detail = OK, "no price to compare (see the period above)"
	case len(over) > 0:
		capc.Status = Warn
		capc.Detail = fmt.Sprintf("over it for %d of the %s priced: %s", len(over), count(priced, "service"), strings.Join(over, "; "))
		capc.Fix = "raise max_price, or approve them when asked, if that is what you want; renewd does what over_cap says"
	default:
		capc.Status = OK
		capc.Detail = fmt.Sprintf("within it for the %s priced (the dearest at %s)", count(priced, "service"), highest)
	}
	return capc
}

// offered lists the periods a service's strategies offer, alone or in a
// bundle.
func offered(sts []ovh.Strategy, id int64) string {
	var out []string
	for _, st := range sts {
		if !slices.Contains(st.Services, id) {
			continue
		}
		p := st.Period.String()
		if len(st.Services) > 1 {
			p += " (in a bundle)"
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return "no renewal at all"
	}
	return strings.Join(out, ", ")
}

// payment checks the rule's payment form on every account whose services
// it covers.
func (r *run) payment(ctx context.Context, rule *policy.Rule, covered []accountService, id, title func(string) string) Check {
	c := Check{ID: id("payment"), Title: title("pays with " + rule.Payment.String())}
	var seen []OVH
	var bad, warn, good []string
	for _, s := range covered {
		if slices.Contains(seen, s.ovh) {
			continue
		}
		seen = append(seen, s.ovh)
		status, text := paymentUsable(ctx, s.ovh, rule.Payment)
		text = "account " + s.ovh.Account() + ": " + text
		switch status {
		case Fail:
			bad = append(bad, text)
		case Warn:
			warn = append(warn, text)
		default:
			good = append(good, text)
		}
	}
	switch {
	case len(bad) > 0:
		c.Status, c.Detail = Fail, strings.Join(bad, "; ")+": renewd would create the order and fail to pay it"
		c.Fix = "name a payment method the account has and that is VALID (GET /me/payment/method lists them)"
	case len(warn) > 0:
		c.Status, c.Detail = Warn, strings.Join(warn, "; ")
	default:
		c.Status, c.Detail = OK, strings.Join(good, "; ")
	}
	return c
}

// paymentUsable looks the payment form up on one account.
func paymentUsable(ctx context.Context, o OVH, form renewd.PaymentForm) (Status, string) {
	switch {
	case form.MethodID != 0:
		return methodUsable(ctx, o, form.MethodID)
	case form.Default:
		mid, err := o.DefaultPaymentMethod(ctx)
		if errors.Is(err, ovh.ErrNoDefaultPaymentMethod) {
			return Fail, "the account has no default payment method"
		}
		if err != nil {
			return Fail, err.Error()
		}
		return methodUsable(ctx, o, mid)
	}
	ids, err := o.PaymentMethodIDs(ctx)
	if err != nil {
		return Fail, err.Error()
	}
	var found []ovh.PaymentMethod
	for _, mid := range ids {
		m, err := o.PaymentMethod(ctx, mid)
		if err != nil {
			return Fail, err.Error()
		}
		if m.MeanIs(form.Mean) && (form.MeanID == 0 || m.MeanID == form.MeanID) {
			found = append(found, m)
		}
	}
	for _, m := range found {
		if m.Usable() {
			return OK, fmt.Sprintf("registered as payment method %d (%s), VALID", m.ID, quote(m.Type))
		}
	}
	switch {
	case len(found) > 0:
		return Fail, fmt.Sprintf("registered as payment method %d, but its status is %s", found[0].ID, quote(found[0].Status))
	case form.MeanID != 0:
		return Fail, fmt.Sprintf("no registered payment method is %s with mean id %d", form.Mean, form.MeanID)
	}
	return Warn, fmt.Sprintf("no registered payment method of type %s (OVH may still take it: fidelityAccount and ovhAccount are no payment method)", form.Mean)
}

func methodUsable(ctx context.Context, o OVH, id int64) (Status, string) {
	m, err := o.PaymentMethod(ctx, id)
	switch {
	case ovh.IsNotFound(err):
		return Fail, fmt.Sprintf("payment method %d does not exist", id)
	case err != nil:
		return Fail, err.Error()
	case !m.Usable():
		return Fail, fmt.Sprintf("payment method %d (%s) is %s, not VALID", id, quote(m.Type), quote(m.Status))
	}
	return OK, fmt.Sprintf("payment method %d (%s) is VALID", id, quote(m.Type))
}

// uncovered lists the services no rule covers that expire within
// report_within and that OVH does not renew on its own.
func (r *run) uncovered() {
	c := Check{ID: "uncovered", Title: "services no policy covers"}
	var names []string
	for _, s := range r.services {
		if d := policy.Decide(r.now, s.Service, r.setup.Policy); d.Verdict == policy.Uncovered {
			names = append(names, fmt.Sprintf("%s (%s, %s)", quote(s.Name), s.Type, dateText(s.Expiration)))
		}
	}
	if len(names) == 0 {
		c.Status, c.Detail = OK, "none expires within report_within ("+windowText(r.setup.Policy.ReportWithin)+")"
		r.add(c)
		return
	}
	c.Status = Warn
	c.Detail = fmt.Sprintf("nothing renews %s expiring within report_within (%s): %s",
		count(len(names), "service"), windowText(r.setup.Policy.ReportWithin), firstOf(names, 10))
	c.Fix = "add a rule for them (action renew, notify or ignore), or renew them at OVH"
	r.add(c)
}
