package inventory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovh"
	"github.com/renewd/renewd/internal/state"
)

// inventory is Services without the bookkeeping: read the cache and the
// terms in flight, list the ids, choose, read, put the answer together,
// then store what was read and forget what is gone.
func (a *Account) inventory(ctx context.Context, now time.Time) ([]renewd.Service, Stats, error) {
	account := a.Account()
	cache, err := a.ledger.ServiceCache(account)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("read the service cache: %w", err)
	}
	cached := make(map[int64]*state.CachedService, len(cache.Services))
	for i := range cache.Services {
		cached[cache.Services[i].Service.ID] = &cache.Services[i]
	}
	open, err := a.openTerms(account, cached)
	if err != nil {
		return nil, Stats{}, err
	}
	listing, err := a.Client.ListServices(ctx)
	if err != nil {
		return nil, Stats{}, err
	}
	st := Stats{Account: account, At: now, Listed: len(listing.IDs), ByReason: map[Reason]int{}, LastFull: cache.LastFull}
	if listing.Expanded {
		return a.expanded(listing, cached, open, now, st)
	}

	full := a.full || len(cache.Services) == 0
	sel := selector{policy: a.policy, margin: a.margin, open: open, now: now}
	reasons := make(map[int64]Reason, len(listing.IDs))
	var want []int64
	for _, id := range listing.IDs {
		r := ReadFull
		if !full {
			r = sel.reason(id, cached[id])
		}
		reasons[id] = r
	}
	if !full {
		if st.Refresh = chooseRefresh(reasons, cached, account, now, cache.LastInventory, a.gap, a.refresh); st.Refresh.Deferred > 0 {
			a.log.Info("refresh backlog: more services were last read a refresh interval ago or more than a cycle reads; the rest wait for the next cycles",
				"overdue", st.Refresh.Overdue, "read", st.Refresh.Quota, "refresh_interval", a.refresh)
		}
	}
	for _, id := range listing.IDs {
		if reasons[id] != FromCache {
			want = append(want, id)
		}
	}
	if full {
		why := "the cache is empty"
		if a.full {
			why = "a full read was asked for"
		}
		a.log.Info("reading every service of the account", "services", len(want), "why", why)
	}

	rd := &reader{a: a, total: len(want), started: a.now()}
	rd.lastLog = rd.started
	read, err := a.Client.ReadServices(ctx, want, rd.onRead)
	if err != nil {
		rd.store(nil, time.Time{}, time.Time{}) // keep what was read: the next cycle need not read it again
		return nil, Stats{}, err
	}
	fresh := make(map[int64]renewd.Service, len(read))
	for _, s := range read {
		fresh[s.ID] = s
	}
	services := make([]renewd.Service, 0, len(listing.IDs))
	var gone []int64
	for _, id := range listing.IDs {
		switch r := reasons[id]; {
		case r == FromCache:
			services = append(services, cached[id].Service)
			st.ByReason[FromCache]++
			st.oldest(cached[id].ReadAt)
		case hasKey(fresh, id):
			services = append(services, fresh[id])
			st.ByReason[r]++
			st.oldest(now)
		default:
			gone = append(gone, id) // listed, then 404 when read
		}
	}
	gone = append(gone, notListed(cached, listing.IDs)...)
	slices.Sort(gone)
	st.Read, st.Cached, st.Gone, st.Full = len(read), st.ByReason[FromCache], len(gone), full
	a.reportGone(gone, cached, open, now)
	// A full read completed; or the first one, cut short on an earlier
	// cycle, is completed by this one's reads of the ids it had not read.
	completes := cache.LastFull.IsZero() && st.ByReason[ReadNew] == len(notCachedOf(cached, listing.IDs))
	fullAt := time.Time{}
	if full || completes {
		fullAt = a.now()
		st.LastFull = fullAt
	}
	rd.store(gone, fullAt, now)
	return services, st, nil
}

// expanded takes the expanded listing's services: all read, at N/500
// requests, so the whole cache is refreshed with them.
func (a *Account) expanded(l ovh.Listing, cached map[int64]*state.CachedService, open map[int64][]state.Record,
	now time.Time, st Stats) ([]renewd.Service, Stats, error) {
	rd := &reader{a: a}
	for _, s := range l.Services {
		rd.pending = append(rd.pending, state.CachedService{Service: s, ReadAt: now.UTC()})
	}
	gone := notListed(cached, l.IDs)
	a.reportGone(gone, cached, open, now)
	rd.store(gone, now, now)
	st.ByReason[ReadFull] = len(l.Services)
	st.Read, st.Gone, st.Full, st.LastFull = len(l.Services), len(gone), true, now
	if len(l.Services) > 0 {
		st.OldestRead = now
	}
	return l.Services, st, nil
}

func hasKey[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
}

// notCachedOf returns the listed ids the cache does not hold.
func notCachedOf(cached map[int64]*state.CachedService, listed []int64) []int64 {
	var out []int64
	for _, id := range listed {
		if cached[id] == nil {
			out = append(out, id)
		}
	}
	return out
}

// notListed returns the cached ids the listing does not hold, ascending.
func notListed(cached map[int64]*state.CachedService, listed []int64) []int64 {
	var out []int64
	for id := range cached {
		if _, found := slices.BinarySearch(listed, id); !found {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// openTerms returns the account's terms that must be followed on fresh
// reads, by service id: money in flight, paid and awaiting delivery, or
// holding an order (inFlight).
func (a *Account) openTerms(account string, cached map[int64]*state.CachedService) (map[int64][]state.Record, error) {
	recs, err := a.ledger.List(state.Filter{Account: account})
	if err != nil {
		return nil, fmt.Errorf("list the account's terms in flight: %w", err)
	}
	out := map[int64][]state.Record{}
	for _, r := range recs {
		if inFlight(r, cached[r.Term.ServiceID]) {
			out[r.Term.ServiceID] = append(out[r.Term.ServiceID], r)
		}
	}
	return out, nil
}

// inFlight reports whether renewd still follows the term at OVH: as
// Ledger.InFlight lists them (money in flight, paid, undelivered), and the
// terms holding an unpaid order, unless a read has already shown the
// service past the term (its expiration moved later): such a term, held,
// refused or denied with its order, is never ordered or paid again, and
// would otherwise have its service read on every cycle for as long as the
// ledger keeps it.
func inFlight(r state.Record, c *state.CachedService) bool {
	if r.MoneyInFlight() || r.Status == state.StatusPaid || r.Status == state.StatusUndelivered {
		return true
	}
	return r.HoldsOrder() && (c == nil || !c.Service.Expiration.After(r.Term.Expiration))
}
