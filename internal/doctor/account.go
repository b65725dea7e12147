package doctor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/renewd/renewd/internal/ovh"
)

// Clock offsets: renewd signs with OVH's time (go-ovh corrects for the
// offset), but runs its schedule and windows on the local clock.
const (
	maxClockOffset = 30 * time.Second
	// keyExpiryWarning is how early a consumer key's end is announced.
	keyExpiryWarning = 30 * 24 * time.Hour
)

// account runs the checks of one account; the inventory it reads is kept
// for the policy checks. A check that leaves nothing to go on (the API out
// of reach, a key OVH does not take) ends the account's checks.
func (r *run) account(ctx context.Context, a Account) {
	id := func(s string) string { return "ovh." + a.Name + "." + s }
	title := func(s string) string { return "account " + a.Name + ": " + s }
	if !r.clock(ctx, a, id("clock"), title("clock")) {
		return
	}
	if !r.credentials(ctx, a, id, title) {
		return
	}
	r.forms(ctx, a, id, title)
}

func (r *run) clock(ctx context.Context, a Account, id, title string) bool {
	local := r.setup.Now()
	server, err := a.OVH.ServerTime(ctx)
	if err != nil {
		r.add(Check{ID: id, Status: Fail, Title: title, Detail: "the API does not answer: " + err.Error(),
			Fix: "check the account's endpoint and that this host reaches it (HTTPS out)"})
		return false
	}
	offset := server.Sub(local.Truncate(time.Second))
	c := Check{ID: id, Status: OK, Title: title, Detail: fmt.Sprintf("OVH's clock is %s from this host's", signed(offset))}
	if offset > maxClockOffset || offset < -maxClockOffset {
		c.Status = Warn
		c.Detail += ": requests are signed with OVH's time, but the schedule and the renewal windows run on this host's"
		c.Fix = "synchronise this host's clock (systemd-timesyncd, chrony)"
	}
	r.add(c)
	return true
}

// signed writes an offset with its sign, rounded to the second.
func signed(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

func (r *run) credentials(ctx context.Context, a Account, id, title func(string) string) bool {
	reauth := "`renewd auth --force --account " + a.Name + "` asks for a key with exactly renewd's rules"
	cr, err := a.OVH.CurrentCredential(ctx)
	c := Check{ID: id("credentials"), Title: title("credentials")}
	switch {
	case ovh.IsNotGranted(err):
		c.Status, c.Detail = OK, "accepted (the key may not read its own record)"
		r.add(c)
		r.add(Check{ID: id("rules"), Status: Warn, Title: title("consumer key rules"),
			Detail: "cannot be read: the key does not grant GET /auth/currentCredential; the checks below show what it refuses",
			Fix:    reauth})
		return true
	case ovh.IsInvalidCredential(err):
		c.Status, c.Detail, c.Fix = Fail, "OVH does not take the consumer key: not validated yet, refused, expired or revoked", reauth
	case ovh.IsInvalidKey(err):
		c.Status, c.Detail = Fail, "OVH does not know the application key"
		c.Fix = "check application_key_file against the application at https://eu.api.ovh.com/createApp/ (or the CA/US one)"
	case ovh.IsInvalidSignature(err):
		c.Status, c.Detail = Fail, "the requests' signatures are refused: the application secret does not go with the key"
		c.Fix = "check application_secret_file"
	case err != nil:
		c.Status, c.Detail = Fail, err.Error()
	}
	if err != nil {
		r.add(c)
		return false
	}
	c.Status = OK
	c.Detail = fmt.Sprintf("accepted: consumer key %d is %s", cr.ID, cr.Status)
	switch {
	case cr.Expires.IsZero():
		c.Detail += ", with no end"
	case cr.Expires.Sub(r.now) < keyExpiryWarning:
		c.Status = Warn
		c.Detail += ", and stops working on " + cr.Expires.UTC().Format(time.RFC3339)
		c.Fix = "before then, " + reauth + " (choose an unlimited validity), then restart renewd"
	default:
		c.Detail += ", until " + cr.Expires.UTC().Format(time.RFC3339)
	}
	if len(cr.AllowedIPs) > 0 {
		c.Detail += "; only from " + strings.Join(cr.AllowedIPs, ", ")
	}
	r.add(c)
	r.rules(a, cr.Rules, reauth, id, title)
	return true
}

// rules compares the key's rules with renewd's.
func (r *run) rules(a Account, granted []ovh.AccessRule, reauth string, id, title func(string) string) {
	rc := ovh.CheckRules(granted)
	c := Check{ID: id("rules"), Title: title("consumer key rules"), Status: OK,
		Detail: fmt.Sprintf("grant every route renewd calls (%s)", count(len(ovh.AccessRules()), "rule"))}
	if len(rc.Missing) > 0 {
		lines := make([]string, len(rc.Missing))
		for i, m := range rc.Missing {
			lines[i] = fmt.Sprintf("  %s: %s", m, m.Why)
		}
		c.Status = Fail
		c.Detail = fmt.Sprintf("%d of the routes renewd calls are not granted; OVH would refuse (403) renewd's calls for:\n%s", len(rc.Missing), strings.Join(lines, "\n"))
		c.Fix = reauth
	}
	r.add(c)

	extra := Check{ID: id("rules.extra"), Title: title("consumer key reach"), Status: OK, Detail: "no more than renewd needs"}
	if len(rc.Extra) > 0 {
		extra.Detail = "also grants " + ruleList(rc.Extra) + ", which renewd never calls"
		if writes := rc.ExtraWrites(); len(writes) > 0 {
			extra.Status = Warn
			extra.Detail = fmt.Sprintf("grants writes renewd never makes: %s; whoever holds the key can do them", ruleList(writes))
			extra.Fix = reauth + ", then delete the old key (DELETE /me/api/credential/{id}, or in the control panel)"
		}
	}
	r.add(extra)
}

func ruleList(rules []ovh.AccessRule) string {
	s := make([]string, len(rules))
	for i, x := range rules {
		s[i] = quote(x.String())
	}
	return strings.Join(s, ", ")
}
