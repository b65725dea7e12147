package inventory

import (
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"slices"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

// Reason says why a cycle reads a service from OVH, or that it does not.
type Reason int

const (
	// FromCache: not read; decided from the cache.
	FromCache Reason = iota
	// ReadFull: every service is read this cycle (an empty cache, a
	// --full run, or the expanded listing, which reads them all anyway).
	ReadFull
	// ReadNew: the id is not in the cache (new at OVH, or its entry could
	// not be decoded).
	ReadNew
	// ReadProblem: its last answer could not be read (Service.Problem).
	ReadProblem
	// ReadOpen: a term of it has money in flight, is paid and awaits
	// delivery, or holds an order.
	ReadOpen
	// ReadHorizon: its cached expiration is within its horizon, already
	// past, or unknown.
	ReadHorizon
	// ReadRefresh: its refresh slot has come since its last read.
	ReadRefresh
)

var reasonNames = [...]string{"cache", "full", "new", "problem", "open", "horizon", "refresh"}

func (r Reason) String() string { return reasonNames[r] }

// Reasons lists every Reason, FromCache first.
var Reasons = []Reason{FromCache, ReadFull, ReadNew, ReadProblem, ReadOpen, ReadHorizon, ReadRefresh}

// Horizon is how long before its expiration a service is read on every
// cycle: the largest renew_before of every rule that matches it (not only
// the first, which decides), or the policy's report_within when that is
// larger, plus margin. Within it, the decision for the service always uses
// a read from the same cycle.
func Horizon(p policy.Policy, s renewd.Service, margin time.Duration) time.Duration {
	h := p.ReportWithin
	for _, r := range p.Rules {
		if r.RenewBefore > h && r.Match.Matches(s) {
			h = r.RenewBefore
		}
	}
	return h + margin
}

// InHorizon reports whether the service must be read at now: its
// expiration is unknown, or no further than its Horizon.
func InHorizon(p policy.Policy, s renewd.Service, margin time.Duration, now time.Time) bool {
	if s.Expiration.IsZero() {
		return true // no date, no promise that it is far
	}
	return s.Expiration.Start().Sub(now) <= Horizon(p, s, margin)
}

// clockSlack is how far in the future a read time may be before it is
// taken for a local clock that went back, and the service read again.
const clockSlack = 5 * time.Minute

// phase is where in every refresh interval the service's refresh slot
// falls: FNV-1a of the account, a 0 byte and the id (8 bytes, big-endian),
// modulo the interval in seconds. It is stable across runs and versions,
// so the slots of an account's services spread evenly over the interval.
func phase(account string, id int64, every time.Duration) int64 {
	h := fnv.New64a()
	h.Write([]byte(account))
	h.Write([]byte{0})
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(id)))
	secs := max(int64(every/time.Second), 1)
	return int64(h.Sum64() % uint64(secs))
}

// lastSlot is the latest refresh slot of the service at or before now: the
// Unix time phase + k*every for the largest such k.
func lastSlot(account string, id int64, every time.Duration, now time.Time) time.Time {
	secs := max(int64(every/time.Second), 1)
	p := phase(account, id, every)
	k := (now.Unix() - p) / secs
	if now.Unix()-p < 0 && (now.Unix()-p)%secs != 0 {
		k-- // floor, not truncation, before the epoch's first slot
	}
	return time.Unix(p+k*secs, 0).UTC()
}

// RefreshDue reports whether a service read at readAt is read again at
// now for its refresh: its slot (one every `every`, placed by phase) came
// after readAt, or readAt is in the future (the local clock went back, so
// the read time says nothing).
func RefreshDue(account string, id int64, readAt time.Time, every time.Duration, now time.Time) bool {
	if readAt.After(now.Add(clockSlack)) {
		return true
	}
	return readAt.Before(lastSlot(account, id, every, now))
}

// selector holds what one cycle chooses with.
type selector struct {
	account string
	policy  policy.Policy
	margin  time.Duration
	refresh time.Duration
	open    map[int64][]state.Record
	now     time.Time
}

// reason says why the listed id is read this cycle, or FromCache. The
// reasons are tried in the order of the constants, the first that holds
// counting.
func (s selector) reason(id int64, c *state.CachedService) Reason {
	switch {
	case c == nil:
		return ReadNew
	case c.Service.Problem != "":
		return ReadProblem
	case len(s.open[id]) > 0:
		return ReadOpen
	case InHorizon(s.policy, c.Service, s.margin, s.now):
		return ReadHorizon
	case RefreshDue(s.account, id, c.ReadAt, s.refresh, s.now):
		return ReadRefresh
	}
	return FromCache
}

// capRefresh keeps at most quota of the services chosen for their
// refresh, the least recently read first (then by id); the others are
// decided from the cache this cycle and stay due for the next. In steady
// state fewer than the quota come due in a cycle; more only after renewd
// was stopped for a good part of a refresh interval, and reading that
// backlog at once would hold up the cycle's decisions for hours.
func capRefresh(reasons map[int64]Reason, cached map[int64]*state.CachedService, quota int) (deferred int) {
	var due []int64
	for id, r := range reasons {
		if r == ReadRefresh {
			due = append(due, id)
		}
	}
	if len(due) <= quota {
		return 0
	}
	slices.SortFunc(due, func(a, b int64) int {
		if c := cached[a].ReadAt.Compare(cached[b].ReadAt); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, id := range due[quota:] {
		reasons[id] = FromCache
	}
	return len(due) - quota
}

// refreshQuota is how many refresh reads a cycle makes at most: twice the
// steady share (listed * gap / refresh), at least one.
func refreshQuota(listed int, gap, refresh time.Duration) int {
	if refresh <= gap {
		return listed
	}
	share := float64(listed) * float64(gap) / float64(refresh)
	return max(int(2*share+0.999999), 1)
}
