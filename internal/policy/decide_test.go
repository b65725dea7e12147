package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
)

const day = 24 * time.Hour

// now is midnight UTC, when a date's day starts (renewd.Date.Start), so
// that whole days from now are whole days to an expiration date.
var now = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// testPolicy is the rule list the decision table runs against. Order
// matters: the first matching rule decides.
func testPolicy() policy.Policy {
	return policy.Policy{
		ReportWithin: 30 * day,
		Rules: []policy.Rule{
			{Name: "legacy", Match: policy.Match{ServiceIDs: []int64{999, 998}}, Action: policy.ActionIgnore},
			{Name: "fr-domains", Match: policy.Match{Account: "eu", Type: "domain", Name: "*.fr"}, Action: policy.ActionRenew,
				RenewBefore: 30 * day, Period: renewd.Period{Years: 1}, MaxPrice: 15 * renewd.UcentsPerUnit},
			{Name: "vps", Match: policy.Match{Type: "vps"}, Action: policy.ActionRenew,
				RenewBefore: 14 * day, Period: renewd.Period{Months: 3}, MaxPrice: 30 * renewd.UcentsPerUnit},
			{Name: "vps-late", Match: policy.Match{Type: "vps"}, Action: policy.ActionNotify, RenewBefore: 60 * day},
			{Name: "watch-dedicated", Match: policy.Match{Type: "dedicated/server"}, Action: policy.ActionNotify, RenewBefore: 21 * day},
		},
	}
}

// service builds a service of the type and name expiring in `in` (0 = no
// expiration), with OVH's raw renewal mode classified as the inventory does.
func service(account, typ, name string, id int64, in time.Duration, rawMode string) renewd.Service {
	s := renewd.Service{Account: account, ID: id, Type: typ, Name: name, RawRenewMode: rawMode, RenewMode: renewd.ParseRenewMode(rawMode)}
	if in != 0 {
		s.Expiration = renewd.DateOf(now.Add(in))
	}
	return s
}

func TestDecide(t *testing.T) {
	type result struct {
		Verdict policy.Verdict
		Rule    string
		DueAt   time.Time
		Reason  string
	}
	tests := []struct {
		name    string
		service renewd.Service
		want    result
		at      time.Duration // when the decision is made, after now
	}{
		{"not yet due", service("eu", "vps", "vps-1.vps.ovh.net", 1, 30*day, "manual"),
			result{policy.NotDue, "vps", now.Add(16 * day), "due in 16 days, rule vps"}, 0},
		{"not yet due by hours", service("eu", "vps", "vps-1.vps.ovh.net", 1, 14*day, "manual"),
			result{policy.NotDue, "vps", now, "due in 5 hours, rule vps"}, -5 * time.Hour},
		{"not yet due by one hour", service("eu", "vps", "vps-1.vps.ovh.net", 1, 14*day, "manual"),
			result{policy.NotDue, "vps", now, "due in 1 hour, rule vps"}, -time.Hour},
		{"a time of day in the expiration's form changes nothing", service("eu", "vps", "vps-1.vps.ovh.net", 1, 14*day+23*time.Hour, "manual"),
			result{policy.Renew, "vps", now, "expires in 14 days, rule vps"}, 0},
		{"due", service("eu", "vps", "vps-1.vps.ovh.net", 1, 9*day, "manual"),
			result{policy.Renew, "vps", now.Add(-5 * day), "expires in 9 days, rule vps"}, 0},
		{"due the instant the window opens", service("eu", "vps", "vps-1.vps.ovh.net", 1, 14*day, "manual"),
			result{policy.Renew, "vps", now, "expires in 14 days, rule vps"}, 0},
		{"due within two days says hours", service("eu", "vps", "vps-1.vps.ovh.net", 1, 2*day, "deleteAtExpiration"),
			result{policy.Renew, "vps", now.Add(2*day - 14*day), "expires in 36 hours, rule vps"}, 12 * time.Hour},
		{"expired but still listed is due", service("eu", "vps", "vps-1.vps.ovh.net", 1, -2*day, "manual"),
			result{policy.Renew, "vps", now.Add(-16 * day), "expired 2 days ago, rule vps"}, 0},
		{"OVH-automatic", service("eu", "vps", "vps-1.vps.ovh.net", 1, 9*day, "automaticV2016"),
			result{policy.Automatic, "vps", now.Add(-5 * day), "expires in 9 days, rule vps; OVH renews it automatically (automaticV2016)"}, 0},
		{"a future automatic mode is automatic by prefix", service("eu", "vps", "vps-1.vps.ovh.net", 1, 9*day, "automaticV2099"),
			result{policy.Automatic, "vps", now.Add(-5 * day), "expires in 9 days, rule vps; OVH renews it automatically (automaticV2099)"}, 0},
		{"OVH-automatic not yet due", service("eu", "vps", "vps-1.vps.ovh.net", 1, 20*day, "automatic"),
			result{policy.NotDue, "vps", now.Add(6 * day), "due in 6 days, rule vps"}, 0},
		{"unknown renewal mode", service("eu", "vps", "vps-1.vps.ovh.net", 1, 9*day, "somethingNew"),
			result{policy.UnknownMode, "vps", now.Add(-5 * day), `expires in 9 days, rule vps; unknown OVH renewal mode "somethingNew", not renewed`}, 0},
		{"renewed with its parent", service("eu", "vps", "vps-1.vps.ovh.net", 1, 9*day, "option"),
			result{policy.WithParent, "vps", now.Add(-5 * day), "expires in 9 days, rule vps; OVH renews it with its parent service"}, 0},
		{"no expiration", service("eu", "vps", "vps-1.vps.ovh.net", 1, 0, "manual"),
			result{policy.NoExpiration, "vps", time.Time{}, "OVH gives no expiration date, rule vps"}, 0},
		{"uncovered within the report window", service("eu", "cloud/project", "abc123", 2, 10*day, "manual"),
			result{policy.Uncovered, "", time.Time{}, "no rule covers it; expires in 10 days"}, 0},
		{"uncovered at the edge of the report window", service("eu", "cloud/project", "abc123", 2, 30*day, "manual"),
			result{policy.Uncovered, "", time.Time{}, "no rule covers it; expires in 30 days"}, 0},
		{"uncovered and expired", service("eu", "cloud/project", "abc123", 2, -3*day, "manual"),
			result{policy.Uncovered, "", time.Time{}, "no rule covers it; expired 3 days ago"}, 0},
		{"unwatched beyond the report window", service("eu", "cloud/project", "abc123", 2, 31*day, "manual"),
			result{policy.Unwatched, "", time.Time{}, "no rule covers it"}, 0},
		{"unwatched without expiration", service("eu", "cloud/project", "abc123", 2, 0, "manual"),
			result{policy.Unwatched, "", time.Time{}, "no rule covers it"}, 0},
		{"ignored, even when due", service("eu", "vps", "vps-9.vps.ovh.net", 999, 2*day, "manual"),
			result{policy.Ignored, "legacy", time.Time{}, "ignored by rule legacy"}, 0},
		{"ignored by another listed id", service("ca", "domain", "old.fr", 998, 2*day, "manual"),
			result{policy.Ignored, "legacy", time.Time{}, "ignored by rule legacy"}, 0},
		{"notify when due", service("eu", "dedicated/server", "ns1.example.net", 3, 20*day, "manual"),
			result{policy.Notify, "watch-dedicated", now.Add(-day), "expires in 20 days, rule watch-dedicated (notify only)"}, 0},
		{"notify reports even an automatic service as notify", service("eu", "dedicated/server", "ns1.example.net", 3, 20*day, "automaticV2014"),
			result{policy.Notify, "watch-dedicated", now.Add(-day), "expires in 20 days, rule watch-dedicated (notify only)"}, 0},
		{"notify not yet due", service("eu", "dedicated/server", "ns1.example.net", 3, 22*day, "manual"),
			result{policy.NotDue, "watch-dedicated", now.Add(day), "due in 24 hours, rule watch-dedicated"}, 0},
		// vps-late also matches vps services, with a wider window; vps comes first and wins.
		{"first matching rule wins", service("eu", "vps", "vps-1.vps.ovh.net", 1, 40*day, "manual"),
			result{policy.NotDue, "vps", now.Add(26 * day), "due in 26 days, rule vps"}, 0},
		{"match by account, type and name glob", service("eu", "domain", "example.fr", 4, 20*day, "manual"),
			result{policy.Renew, "fr-domains", now.Add(-10 * day), "expires in 20 days, rule fr-domains"}, 0},
		{"another account does not match", service("ca", "domain", "example.fr", 4, 20*day, "manual"),
			result{policy.Uncovered, "", time.Time{}, "no rule covers it; expires in 20 days"}, 0},
		{"another name does not match", service("eu", "domain", "example.com", 4, 20*day, "manual"),
			result{policy.Uncovered, "", time.Time{}, "no rule covers it; expires in 20 days"}, 0},
		{"another type does not match", service("eu", "hosting/web", "example.fr", 4, 20*day, "manual"),
			result{policy.Uncovered, "", time.Time{}, "no rule covers it; expires in 20 days"}, 0},
	}
	p := testPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := now.Add(tt.at)
			d := policy.Decide(at, tt.service, p)
			got := result{Verdict: d.Verdict, DueAt: d.DueAt, Reason: d.Reason}
			if d.Rule != nil {
				got.Rule = d.Rule.Name
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decide() mismatch (-want +got):\n%s", diff)
			}
			if again := policy.Decide(at, tt.service, p); again.Verdict != d.Verdict || again.Reason != d.Reason {
				t.Errorf("Decide() is not repeatable: %+v then %+v", d, again)
			}
		})
	}
}

func TestDecideReturnsTheRuleItself(t *testing.T) {
	p := testPolicy()
	d := policy.Decide(now, service("eu", "vps", "vps-1.vps.ovh.net", 1, 9*day, "manual"), p)
	if d.Rule != &p.Rules[2] {
		t.Errorf("Decision.Rule = %p, want &p.Rules[2] (%p)", d.Rule, &p.Rules[2])
	}
	if d.Rule.Period.String() != "P3M" || d.Rule.MaxPrice != 30*renewd.UcentsPerUnit {
		t.Errorf("Decision.Rule = %+v, want the vps rule", *d.Rule)
	}
}

func TestMatch(t *testing.T) {
	s := service("eu", "hosting/web", "www.example.org", 42, day, "manual")
	for _, tt := range []struct {
		name  string
		match policy.Match
		want  bool
	}{
		{"empty matches all", policy.Match{}, true},
		{"account", policy.Match{Account: "eu"}, true},
		{"other account", policy.Match{Account: "ca"}, false},
		{"type with a slash", policy.Match{Type: "hosting/web"}, true},
		{"type prefix is not the type", policy.Match{Type: "hosting"}, false},
		{"glob", policy.Match{Name: "*.example.org"}, true},
		{"glob star stops at a slash only", policy.Match{Name: "www.*"}, true},
		{"glob miss", policy.Match{Name: "*.example.com"}, false},
		{"character class", policy.Match{Name: "ww[vw].example.org"}, true},
		{"malformed glob matches nothing", policy.Match{Name: "www.[example.org"}, false},
		{"one of the ids", policy.Match{ServiceIDs: []int64{7, 42}}, true},
		{"none of the ids", policy.Match{ServiceIDs: []int64{7, 43}}, false},
		{"every field must match", policy.Match{Account: "eu", Type: "hosting/web", Name: "www.*", ServiceIDs: []int64{42}}, true},
		{"one field off fails the match", policy.Match{Account: "eu", Type: "hosting/web", Name: "www.*", ServiceIDs: []int64{41}}, false},
	} {
		if got := tt.match.Matches(s); got != tt.want {
			t.Errorf("%s: %+v.Matches() = %v, want %v", tt.name, tt.match, got, tt.want)
		}
	}
}

func TestVerdictReportable(t *testing.T) {
	reportable := map[policy.Verdict]bool{
		policy.Notify: true, policy.Automatic: true, policy.WithParent: true, policy.UnknownMode: true,
		policy.NoExpiration: true, policy.Uncovered: true,
		policy.NotDue: false, policy.Renew: false, policy.Ignored: false, policy.Unwatched: false,
	}
	names := map[string]bool{}
	for v, want := range reportable {
		if got := v.Reportable(); got != want {
			t.Errorf("%v.Reportable() = %v, want %v", v, got, want)
		}
		if s := v.String(); s == "" || names[s] {
			t.Errorf("Verdict(%d).String() = %q: empty or not unique", int(v), s)
		}
		names[v.String()] = true
	}
}

// A service whose answer OVH sent in no readable form is reported as
// unreadable, covered or not, and never renewed.
func TestDecideUnreadable(t *testing.T) {
	p := testPolicy()
	for _, s := range []renewd.Service{
		service("eu", "vps", "vps-1.vps.ovh.net", 1, 9*day, "manual"),
		service("eu", "cloud/project", "abc123", 2, 9*day, "manual"),
	} {
		s.Problem = `expiration "2026-13-40" is not a date`
		d := policy.Decide(now, s, p)
		if d.Verdict != policy.Unreadable || !d.Verdict.Reportable() || !strings.Contains(d.Reason, "cannot be read") {
			t.Errorf("%s: %s (%s), want unreadable", s.Name, d.Verdict, d.Reason)
		}
	}
}
