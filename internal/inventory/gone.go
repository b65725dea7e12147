package inventory

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// reportGone tells of each service OVH no longer lists (or answers 404
// for) that has a term renewd still follows: money in flight, a payment
// awaiting delivery, an order held. renewd can follow such a term no
// further, so the operator must look. Each term is reported once: the key
// term/<term>/gone goes through EnqueueOnce, and the service leaves the
// cache in the same cycle, so a later cycle does not see it go again.
// Services gone with nothing in flight are only logged.
func (a *Account) reportGone(gone []int64, cached map[int64]*state.CachedService, open map[int64][]state.Record, now time.Time) {
	for _, id := range gone {
		name := ""
		if c := cached[id]; c != nil {
			name = c.Service.Name
		}
		recs := open[id]
		if len(recs) == 0 {
			a.log.Info("service no longer listed by OVH; dropped from the cache", "service_id", id, "service", name)
			continue
		}
		for _, r := range recs {
			a.log.Warn("service no longer listed by OVH while renewd follows a term of it", "service_id", id,
				"service", r.ServiceName, "term", r.Term.String(), "status", string(r.Status), "order_id", r.OrderID)
			if a.dry {
				continue
			}
			if _, err := a.ledger.EnqueueOnce(goneReport(r, now)); err != nil {
				a.log.Error("cannot queue the report of a service gone with a term in flight", "term", r.Term.String(), "err", err)
			}
		}
	}
}

// goneReport is the report of one such term.
func goneReport(r state.Record, now time.Time) state.Report {
	what := string(r.Status)
	if r.OrderID != 0 {
		what = fmt.Sprintf("%s (order %d)", r.Status, r.OrderID)
	}
	rep := renewd.Report{
		Kind: renewd.ReportFailed, At: now.UTC(), Term: r.Term.String(), Account: r.Term.Account,
		ServiceID: r.Term.ServiceID, ServiceName: r.ServiceName, ServiceType: r.ServiceType,
		Expiration: r.Term.Expiration, Rule: r.Rule, Period: r.Period, Currency: r.Currency, OrderID: r.OrderID,
		Reason: fmt.Sprintf("OVH no longer lists service %d (GET /service) while its term %s is %s",
			r.Term.ServiceID, r.Term, what),
		Next: "renewd can follow this term no further: look for the service and its order in the OVH manager (terminated, or moved to another account?)",
	}
	body, err := json.Marshal(rep)
	if err != nil {
		panic(fmt.Sprintf("marshal report: %v", err)) // strings, numbers and times: it always marshals
	}
	return state.Report{Key: "term/" + r.Term.String() + "/gone", Kind: string(rep.Kind), Body: body}
}
