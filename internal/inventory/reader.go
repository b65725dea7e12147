package inventory

import (
	"fmt"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/state"
)

// flushEvery is how many reads a long read keeps before it writes them to
// the cache: a first inventory of 10,000 services takes hours under OVH's
// fair use, and one cut short must not have to start again.
const flushEvery = 500

// reader collects the services one inventory reads, logs the progress of
// a long read and writes the reads to the cache as they come. Its onRead
// is called serially (ovh.Client.ReadServices promises it).
type reader struct {
	a       *Account
	total   int
	done    int
	started time.Time
	lastLog time.Time
	pending []state.CachedService
}

// onRead notes one service read, at the time it came.
func (r *reader) onRead(s renewd.Service) {
	now := r.a.now()
	r.done++
	r.pending = append(r.pending, state.CachedService{Service: s, ReadAt: now.UTC()})
	if len(r.pending) >= flushEvery {
		r.store(nil, time.Time{}, time.Time{})
	}
	if now.Sub(r.lastLog) >= r.a.progressEvery {
		r.progress(now)
	}
}

// progress logs how far the read is: services read, the rate, and the
// time left at that rate.
func (r *reader) progress(now time.Time) {
	r.lastLog = now
	elapsed := now.Sub(r.started)
	if elapsed <= 0 || r.done == 0 {
		return
	}
	rate := float64(r.done) / elapsed.Seconds()
	left := time.Duration(float64(r.total-r.done) / rate * float64(time.Second))
	r.a.log.Info("inventory progress", "read", r.done, "of", r.total,
		"per_second", fmt.Sprintf("%.2f", rate), "elapsed", elapsed.Round(time.Second), "eta", left.Round(time.Second))
}

// store writes the pending reads, the deletions and, when not zero, the
// time of a completed full read and the start of the inventory that
// completed, in one transaction. A dry run writes
// nothing. A failed write is logged, not returned: the reads are good for
// this cycle, and an entry not stored is read again (as new, or for its
// horizon or refresh) on a later one.
func (r *reader) store(gone []int64, fullAt, inventoryAt time.Time) {
	u := state.CacheUpdate{Put: r.pending, Delete: gone, FullAt: fullAt, InventoryAt: inventoryAt}
	r.pending = nil
	if r.a.dry || len(u.Put) == 0 && len(u.Delete) == 0 && u.FullAt.IsZero() && u.InventoryAt.IsZero() {
		return
	}
	if err := r.a.ledger.UpdateServiceCache(r.a.Account(), u); err != nil {
		r.a.log.Error("service cache not updated; its services are read again later", "reads", len(u.Put), "deletions", len(u.Delete), "err", err)
	}
}
