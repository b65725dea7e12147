package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
)

const (
	// orderLookback is how far back the order checks look: a year of
	// renewals, and a month.
	orderLookback = 400 * 24 * time.Hour
	// maxOrdersRead bounds the orders whose lines are read (each costs
	// one request, and two a line).
	maxOrdersRead = 20
)

// orders checks that GET /me/order takes renewd's date.from and filters on
// it, and that renewd recognises the newest renewal order as what it is.
func (r *run) orders(ctx context.Context, a Account, services []renewd.Service, id, title func(string) string) {
	c := Check{ID: id("orders.date_from"), Title: title("order search (GET /me/order?date.from=)")}
	ids, err := a.OVH.OrdersSince(ctx, r.now.Add(-orderLookback))
	if err != nil {
		c.Status, c.Detail = Fail, err.Error()
		if !ovh.IsForbidden(err) {
			c.Detail = "renewd's date.from (RFC 3339 in UTC) is refused: " + c.Detail
		}
		c.Detail += "\nrenewd could not find the orders it made, to reconcile one whose outcome is unknown or to adopt one OVH holds: those renewals would stop at an error"
		c.Fix = "a 403 is the key's rules (renewd auth); anything else, report it with the output of --json"
		r.add(c)
		return
	}
	r.add(r.dateFilter(ctx, a, c, ids))
	r.add(r.orderLines(ctx, a, services, ids, id, title))
}

// dateFilter asks for the newest order from one second before its date and
// from one second after: only the first may list it.
func (r *run) dateFilter(ctx context.Context, a Account, c Check, ids []int64) Check {
	if len(ids) == 0 {
		c.Status, c.Detail = OK, "accepted (no order in the last 400 days to see it filter)"
		return c
	}
	newest := slices.Max(ids)
	o, err := a.OVH.Order(ctx, newest)
	if err != nil || o.Date.IsZero() {
		c.Status = Warn
		c.Detail = fmt.Sprintf("accepted; whether it filters was not measured: order %d gives no date renewd reads", newest)
		if err != nil {
			c.Detail += " (" + err.Error() + ")"
		}
		return c
	}
	before, err1 := a.OVH.OrdersSince(ctx, o.Date.Add(-time.Second))
	after, err2 := a.OVH.OrdersSince(ctx, o.Date.Add(time.Second))
	if err := cmpErr(err1, err2); err != nil {
		c.Status, c.Detail = Fail, "accepted once, then refused: "+err.Error()
		return c
	}
	at := o.Date.UTC().Format(time.RFC3339)
	switch inBefore, inAfter := slices.Contains(before, newest), slices.Contains(after, newest); {
	case !inBefore:
		c.Status = Fail
		c.Detail = fmt.Sprintf("order %d, dated %s, is missing from the orders since one second before it: "+
			"renewd would not find the orders it made when it reconciles, and could order and pay twice", newest, at)
		c.Fix = "report it with the output of --json; until then, check OVH's orders by hand after any crash"
	case inAfter:
		c.Status = Warn
		c.Detail = fmt.Sprintf("accepted, but not honoured: order %d, dated %s, is also listed from one second after it "+
			"(the filter is ignored, or read in another zone): renewd reads the lines of more orders than it needs", newest, at)
		c.Fix = "nothing to fix: renewd still finds its orders, at more cost; report it with the output of --json"
	default:
		c.Status = OK
		c.Detail = fmt.Sprintf("accepted and honoured (order %d, dated %s, is listed from a second before, not from a second after)", newest, at)
	}
	return c
}

func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// orderLines reads the lines of the newest orders, looking for one that
// renews a service of the account, and says whether renewd would recognise
// it as that service's renewal (ovh.OrderItem.Renews): what its
// reconciliation relies on. Renewal lines that name no service of the
// account, when none does, mean renewd reads the lines otherwise than OVH
// writes them (or every service renewed was since removed).
func (r *run) orderLines(ctx context.Context, a Account, services []renewd.Service, ids []int64, id, title func(string) string) Check {
	c := Check{ID: id("orders.lines"), Title: title("renewal order lines")}
	byName := map[string]renewd.Service{}
	for _, s := range services {
		byName[strings.ToLower(s.Name)] = s
	}
	newest := slices.Clone(ids)
	slices.Sort(newest)
	slices.Reverse(newest)
	newest = newest[:min(len(newest), maxOrdersRead)]
	var unnamed, maybe string
	for _, oid := range newest {
		items, err := a.OVH.OrderItems(ctx, oid)
		if err != nil {
			c.Status, c.Detail = Fail, fmt.Sprintf("the lines of order %d cannot be read: %v", oid, err)
			c.Fix = "renewd would stop at this order when it reconciles; see the message"
			return c
		}
		for _, it := range items {
			if it.Cancelled {
				continue
			}
			svc, named := byName[strings.ToLower(it.Domain)]
			isRenew := strings.EqualFold(it.Action, "renew") || it.DetailType == "RENEW"
			switch {
			case isRenew && named:
				return renewsCheck(c, oid, it, svc, lineShape(it))
			case isRenew && unnamed == "":
				unnamed = fmt.Sprintf("order %d's renewal line %s", oid, lineShape(it))
			case !isRenew && named && maybe == "":
				maybe = fmt.Sprintf("order %d's line %s names service %d but is not marked as a renewal: if it renews it, renewd would not recognise it",
					oid, lineShape(it), svc.ID)
			}
		}
	}
	switch {
	case unnamed != "":
		c.Status = Fail
		c.Detail = unnamed + " names no service of the account, and no renewal line among the newest orders does: " +
			"renewd matches an order to the service it renews by that name, and would not find its own when it reconciles"
		c.Fix = "if the services these orders renewed are gone from the account, run doctor after the next renewal; otherwise report it with the output of --json"
	case maybe != "":
		c.Status, c.Detail = Warn, maybe
		c.Fix = "run renewd doctor again after the first renewal (renewd's own, or one made by hand)"
	default:
		c.Status = Warn
		c.Detail = "the account has no order in the last 400 days to check renewd's reading of a renewal against"
		if len(newest) > 0 {
			c.Detail = fmt.Sprintf("no renewal order among the account's %s to check renewd's reading against", count(len(newest), "newest order"))
		}
		c.Fix = "run renewd doctor again after the first renewal (renewd's own, or one made by hand)"
	}
	return c
}

// renewsCheck says whether renewd reads the renewal line as the renewal of
// svc for the line's own duration.
func renewsCheck(c Check, oid int64, it ovh.OrderItem, svc renewd.Service, shape string) Check {
	period := renewd.Period{Years: 1}
	if it.Duration != "" {
		p, err := renewd.ParsePeriod(it.Duration)
		if err != nil {
			c.Status = Fail
			c.Detail = fmt.Sprintf("order %d's renewal line %s has a duration renewd does not read as a period: it would match no renewal", oid, shape)
			c.Fix = "report it with the output of --json"
			return c
		}
		period = p
	}
	if !it.Renews(svc.Name, period) {
		c.Status = Fail
		c.Detail = fmt.Sprintf("renewd does not read order %d's line %s as the renewal of %s (%d)", oid, shape, quote(svc.Name), svc.ID)
		c.Fix = "report it with the output of --json"
		return c
	}
	c.Status = OK
	c.Detail = fmt.Sprintf("order %d's line %s: renewd recognises it as the renewal of %s (%d)", oid, shape, quote(svc.Name), svc.ID)
	return c
}

// lineShape shows what renewd reads of an order line.
func lineShape(it ovh.OrderItem) string {
	return fmt.Sprintf("{domain %s, detailType %s, action %s, duration %s}",
		quote(it.Domain), quote(it.DetailType), quote(it.Action), quote(it.Duration))
}
