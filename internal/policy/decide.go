package policy

import (
	"fmt"
	"time"

	"github.com/renewd/renewd"
)

// Verdict is the outcome of the decision for one service.
type Verdict int

const (
	// NotDue: a rule covers the service and its window has not opened yet.
	NotDue Verdict = iota
	// Renew: due, covered by a renew rule, renewed manually at OVH: renewd renews it.
	Renew
	// Notify: due and covered by a notify rule: reported only.
	Notify
	// Ignored: covered by an ignore rule: nothing is done or reported.
	Ignored
	// Automatic: due, but OVH renews it automatically: reported, never renewed.
	Automatic
	// WithParent: due, but OVH renews it with the service it belongs to: reported.
	WithParent
	// UnknownMode: due, but OVH reports a renewal mode renewd does not know: reported, not renewed.
	UnknownMode
	// NoExpiration: covered, but OVH gives no expiration: reported, not renewed.
	NoExpiration
	// Uncovered: no rule covers the service and it expires within the report window: reported.
	Uncovered
	// Unwatched: no rule covers the service and it is not close to expiry: nothing to say yet.
	Unwatched
	// Unreadable: OVH's answer for the service could not be read (see
	// renewd.Service.Problem): reported, never acted on, whatever the rules.
	Unreadable
)

var verdictNames = map[Verdict]string{
	NotDue: "not-due", Renew: "renew", Notify: "notify", Ignored: "ignore",
	Automatic: "ovh-automatic", WithParent: "with-parent", UnknownMode: "unknown-mode",
	NoExpiration: "no-expiration", Uncovered: "uncovered", Unwatched: "unwatched", Unreadable: "unreadable",
}

func (v Verdict) String() string { return verdictNames[v] }

// Reportable reports whether the verdict is one the operator must hear about.
func (v Verdict) Reportable() bool {
	switch v {
	case Notify, Automatic, WithParent, UnknownMode, NoExpiration, Uncovered, Unreadable:
		return true
	}
	return false
}

// Decision is what renewd does with one service, and why.
type Decision struct {
	Verdict Verdict
	// Rule is the covering rule; nil when none covers the service.
	Rule *Rule
	// DueAt is when the renewal window opens (expiration minus renew_before);
	// zero without a rule or an expiration.
	DueAt time.Time
	// Reason explains the verdict in words, e.g. "due in 9 days, rule vps-quarterly".
	Reason string
}

// Decide applies the policy to one service at time now. It is pure: the same
// inputs give the same decision. The first rule that matches decides; a
// service no rule matches is never acted on.
func Decide(now time.Time, s renewd.Service, p Policy) Decision {
	r := p.Covering(s)
	if s.Problem != "" {
		d := Decision{Verdict: Unreadable, Rule: r, Reason: "OVH's answer for it cannot be read: " + s.Problem}
		if r != nil {
			d.Reason += ", rule " + r.Name
		}
		return d
	}
	exp := s.Expiration.Start()
	if r == nil {
		if !s.Expiration.IsZero() && exp.Sub(now) <= p.ReportWithin {
			if s.RenewMode == renewd.RenewAutomatic {
				// Not at risk: OVH renews it. Told for information only.
				return Decision{Verdict: Automatic, Reason: "no rule covers it; " + untilExpiry(now, exp) +
					"; OVH renews it automatically (" + s.RawRenewMode + ")"}
			}
			return Decision{Verdict: Uncovered, Reason: "no rule covers it; " + untilExpiry(now, exp)}
		}
		return Decision{Verdict: Unwatched, Reason: "no rule covers it"}
	}
	d := Decision{Rule: r}
	if r.Action == ActionIgnore {
		d.Verdict, d.Reason = Ignored, "ignored by rule "+r.Name
		return d
	}
	if s.Expiration.IsZero() {
		d.Verdict, d.Reason = NoExpiration, "OVH gives no expiration date, rule "+r.Name
		return d
	}
	d.DueAt = exp.Add(-r.RenewBefore)
	if now.Before(d.DueAt) {
		d.Verdict = NotDue
		d.Reason = fmt.Sprintf("due in %s, rule %s", humanDuration(d.DueAt.Sub(now)), r.Name)
		return d
	}
	base := fmt.Sprintf("%s, rule %s", untilExpiry(now, exp), r.Name)
	if r.Action == ActionNotify {
		d.Verdict, d.Reason = Notify, base+" (notify only)"
		return d
	}
	switch s.RenewMode {
	case renewd.RenewManual:
		d.Verdict, d.Reason = Renew, base
	case renewd.RenewAutomatic:
		d.Verdict, d.Reason = Automatic, base+"; OVH renews it automatically ("+s.RawRenewMode+")"
	case renewd.RenewWithParent:
		d.Verdict, d.Reason = WithParent, base+"; OVH renews it with its parent service"
	default:
		d.Verdict, d.Reason = UnknownMode, fmt.Sprintf("%s; unknown OVH renewal mode %q, not renewed", base, s.RawRenewMode)
	}
	return d
}

// untilExpiry says how far the expiration is: "expires in 9 days", "expired 2 days ago".
func untilExpiry(now, exp time.Time) string {
	if left := exp.Sub(now); left >= 0 {
		return "expires in " + humanDuration(left)
	}
	return "expired " + humanDuration(now.Sub(exp)) + " ago"
}

// humanDuration rounds down to whole days, or hours under two days.
func humanDuration(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	h := int(d / time.Hour)
	if h == 1 {
		return "1 hour"
	}
	return fmt.Sprintf("%d hours", h)
}
