package doctor

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
)

// Inventory sizes per request of each form, as internal/ovh reads them.
const (
	expandedPage = 500
	batchChunk   = 50
)

// forms measures how the account's API answers renewd's inventory: the
// expanded listing, batch reads, and whether every route gives a service
// the same expiration; then its orders (orders.go).
func (r *run) forms(ctx context.Context, a Account, id, title func(string) string) {
	inventoryFailed := func(err error) {
		r.add(Check{ID: id("inventory"), Status: Fail, Title: title("inventory"), Detail: err.Error(),
			Fix: "renewd cannot list the account's services: see the message (a 403 is the key's rules)"})
	}
	listed, exp, err := a.OVH.ExpandedListing(ctx)
	if err != nil {
		inventoryFailed(err)
		return
	}
	ids, err := a.OVH.ServiceIDs(ctx)
	if err != nil {
		inventoryFailed(err)
		return
	}
	services := listed
	if !exp.Honoured {
		if services, err = a.OVH.Services(ctx); err != nil {
			inventoryFailed(err)
			return
		}
	}
	sample := soonest(services, r.setup.Sample)
	batched, bp, berr := []renewd.Service(nil), ovh.FormProbe{Honoured: true}, error(nil) // nothing to read, nothing to say
	if len(sample) > 0 {
		batched, bp, berr = a.OVH.BatchRead(ctx, idsOf(sample))
	}
	r.add(expandedCheck(a, id, title, exp, listed, ids))
	r.add(batchCheck(a, id, title, exp, bp, berr, len(ids)))
	r.add(r.dates(ctx, a, id, title, sample, listed, exp.Honoured, batched))
	if c, ok := unreadableCheck(id, title, services); ok {
		r.add(c)
	}
	for _, s := range services {
		r.services = append(r.services, accountService{Service: s, ovh: a.OVH})
	}
	r.orders(ctx, a, services, id, title)
}

func expandedCheck(a Account, id, title func(string) string, exp ovh.FormProbe, listed []renewd.Service, ids []int64) Check {
	c := Check{ID: id("expanded"), Title: title("expanded listing (GET /services, X-Pagination-Mode)")}
	if !exp.Honoured {
		c.Status = Warn
		c.Detail = fmt.Sprintf("not honoured (%s): renewd falls back to reading services %s", exp.Why, costOf(a, len(ids), false))
		c.Fix = "nothing to fix: renewd reads correctly either way; an inventory takes longer and counts against OVH's fair use"
		return c
	}
	inListing := map[int64]bool{}
	for _, s := range listed {
		inListing[s.ID] = true
	}
	var unseen []string
	for _, x := range ids {
		if !inListing[x] {
			unseen = append(unseen, fmt.Sprint(x))
		}
	}
	if len(unseen) > 0 || len(listed) != len(ids) {
		c.Status = Fail
		c.Detail = fmt.Sprintf("honoured, but it gives %s and GET /service %d; renewd would not see %s",
			count(len(listed), "service"), len(ids), firstOf(unseen, 10))
		c.Fix = "report it (with the output of --json); until then services missing from the listing are not renewed"
		return c
	}
	c.Status = OK
	c.Detail = fmt.Sprintf("honoured: %s in %s", count(len(listed), "service"), count(max(1, (len(listed)+expandedPage-1)/expandedPage), "request"))
	return c
}

func batchCheck(a Account, id, title func(string) string, exp, bp ovh.FormProbe, err error, n int) Check {
	c := Check{ID: id("batch"), Title: title("batch reads (X-Ovh-Batch)")}
	switch {
	case err != nil:
		c.Status, c.Detail = Warn, "could not be measured: "+err.Error()
	case bp.Honoured && bp.Why != "":
		c.Status, c.Detail = Warn, "honoured, but "+bp.Why+": renewd reads those one by one"
	case bp.Honoured:
		c.Status, c.Detail = OK, "honoured"
	case exp.Honoured:
		c.Status, c.Detail = OK, "not honoured ("+bp.Why+"), and not needed while the expanded listing is"
	default:
		c.Status = Warn
		c.Detail = fmt.Sprintf("not honoured (%s): with the expanded listing refused too, renewd reads each service alone, %s", bp.Why, costOf(a, n, true))
		c.Fix = "nothing to fix: renewd reads correctly; raise rate_limit only within OVH's fair use"
	}
	return c
}

// costOf says what an inventory of n services costs without the expanded
// listing: with batch reads, or (plain) one request a service.
func costOf(a Account, n int, plain bool) string {
	reqs := 1 + (n+batchChunk-1)/batchChunk
	how := "in batches of 50"
	if plain {
		reqs, how = 1+n, "one request a service"
	}
	s := fmt.Sprintf("%s: %s for %s", how, count(reqs, "request"), count(n, "service"))
	if a.RateLimit > 0 {
		s += fmt.Sprintf(", about %s at %g requests a second", (time.Duration(float64(reqs)/a.RateLimit) * time.Second).Round(time.Second), a.RateLimit)
	}
	return s
}

// reading is one route's word on a service's expiration.
type reading struct {
	route string
	date  renewd.Date
	err   error
}

// dates reads the sampled services' expirations on every route renewd may
// read them from, and compares the calendar dates.
func (r *run) dates(ctx context.Context, a Account, id, title func(string) string, sample, listed []renewd.Service, expanded bool, batched []renewd.Service) Check {
	c := Check{ID: id("dates"), Title: title("expiration dates across routes")}
	if len(sample) == 0 {
		c.Status, c.Detail = OK, "no service with an expiration to compare"
		return c
	}
	fromListing, fromBatch := byID(listed), byID(batched)
	var disagree, problems, notes []string
	routes := 0
	for i, s := range sample {
		var rs []reading
		if expanded {
			rs = append(rs, reading{route: "/services", date: fromListing[s.ID].Expiration})
		}
		plain, err := a.OVH.Service(ctx, s.ID)
		if ovh.IsNotFound(err) {
			continue // gone since the listing
		}
		rs = append(rs, reading{route: fmt.Sprintf("/service/%d", s.ID), date: plain.Expiration, err: err})
		if b, ok := fromBatch[s.ID]; ok {
			rs = append(rs, reading{route: "/service/{ids} (batch)", date: b.Expiration})
		}
		if i == 0 {
			d, err := a.OVH.ServiceInfosExpiration(ctx, s)
			if err != nil {
				notes = append(notes, "serviceInfos not read: "+err.Error())
			} else {
				rs = append(rs, reading{route: "/" + s.Type + "/{name}/serviceInfos", date: d})
			}
		}
		routes = max(routes, len(rs))
		var parts []string
		dates := map[renewd.Date]bool{}
		for _, x := range rs {
			if x.err != nil {
				problems = append(problems, fmt.Sprintf("  %s (%d): %s: %v", quote(s.Name), s.ID, x.route, x.err))
				continue
			}
			dates[x.date] = true
			parts = append(parts, x.route+" "+dateText(x.date))
		}
		if len(dates) > 1 {
			disagree = append(disagree, fmt.Sprintf("  %s (%d): %s", quote(s.Name), s.ID, strings.Join(parts, ", ")))
		}
	}
	switch {
	case len(disagree) > 0:
		c.Status = Fail
		c.Detail = fmt.Sprintf("the routes give different calendar dates for %d of the %d services sampled:\n%s\n"+
			"renewd records each term by this date: reading two dates for one expiration, it would take a renewed term for a new one, "+
			"or a due one for renewed, and could renew a term twice or not at all",
			len(disagree), len(sample), strings.Join(disagree, "\n"))
		c.Fix = "report it with the output of --json; do not let renewd pay until renewd reads one date on every route"
	case len(problems) > 0:
		c.Status = Fail
		c.Detail = "expirations renewd cannot read:\n" + strings.Join(problems, "\n") + "\nrenewd reports such services and renews none of them"
		c.Fix = "see the message: an unreadable answer is a form renewd does not know; report it"
	default:
		c.Status = OK
		c.Detail = fmt.Sprintf("%s read the same calendar date on %s (%s: %s)",
			count(len(sample), "service"), count(routes, "route"), quote(sample[0].Name), dateText(sample[0].Expiration))
	}
	if len(notes) > 0 {
		c.Detail += "; " + strings.Join(notes, "; ")
		if c.Status == OK {
			c.Status = Warn
			c.Fix = "the key needs GET /*/serviceInfos for this comparison (renewd auth asks for it)"
		}
	}
	return c
}

func dateText(d renewd.Date) string {
	if d.IsZero() {
		return "(none)"
	}
	return d.String()
}

// unreadableCheck lists the services whose answer renewd could not read.
func unreadableCheck(id, title func(string) string, services []renewd.Service) (Check, bool) {
	var bad []string
	for _, s := range services {
		if s.Problem != "" {
			bad = append(bad, fmt.Sprintf("%s (%d): %s", quote(s.Name), s.ID, s.Problem))
		}
	}
	if len(bad) == 0 {
		return Check{}, false
	}
	return Check{ID: id("unreadable"), Status: Fail, Title: title("services renewd cannot read"),
		Detail: fmt.Sprintf("%s: renewd reports them and renews none: %s", count(len(bad), "service"), firstOf(bad, 5)),
		Fix:    "report the answer's form (renewd --log-level debug shows each call)"}, true
}

// soonest returns up to n services with an expiration, the soonest first.
func soonest(services []renewd.Service, n int) []renewd.Service {
	var out []renewd.Service
	for _, s := range services {
		if !s.Expiration.IsZero() && s.Problem == "" {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b renewd.Service) int {
		if c := a.Expiration.Compare(b.Expiration); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out[:min(n, len(out))]
}

func idsOf(services []renewd.Service) []int64 {
	out := make([]int64, len(services))
	for i, s := range services {
		out[i] = s.ID
	}
	return out
}

func byID(services []renewd.Service) map[int64]renewd.Service {
	m := make(map[int64]renewd.Service, len(services))
	for _, s := range services {
		m[s.ID] = s
	}
	return m
}

// count writes n and the noun, plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, noun[:len(noun)-1])
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// firstOf joins up to n items and counts the rest.
func firstOf(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
