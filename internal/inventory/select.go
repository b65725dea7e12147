package inventory

import (
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"math"
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
	// ReadRefresh: among the oldest reads, it is this cycle's share of
	// the refresh.
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
// taken for a local clock that went back, and counted as the oldest read.
const clockSlack = 5 * time.Minute

// phase is a stable hash of the account and the id (FNV-1a of the
// account, a 0 byte and the id as 8 bytes big-endian): among reads of the
// same age, the refresh takes them in this order, so that services read
// together (a first full read) are spread over the cycles evenly whatever
// their ids.
func phase(account string, id int64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(account))
	h.Write([]byte{0})
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(id)))
	return h.Sum64()
}

// refreshAge is how old a read is at now, for the refresh; a read in the
// future (the local clock went back) says nothing, and counts as older
// than any other.
func refreshAge(readAt, now time.Time) time.Duration {
	if readAt.After(now.Add(clockSlack)) {
		return math.MaxInt64
	}
	return now.Sub(readAt)
}

// Refresh is how the refresh reads of one cycle are counted.
type Refresh struct {
	// Rest is the number of services read for no other reason.
	Rest int
	// Share is the refresh's pace: Rest * elapsed / every, elapsed being
	// the time since the account's last inventory (a cycle gap when none
	// is recorded), rounded so that consecutive cycles add up to Rest per
	// `every` exactly (pacedShare); all of Rest past `every`.
	Share int
	// Overdue are the services of Rest whose read is every old or older
	// (or in the future).
	Overdue int
	// Cap is the most a cycle reads: twice the share of a cycle gap.
	Cap int
	// Quota is what this cycle reads: the larger of Share and Overdue,
	// at most Cap; Deferred the overdue ones it leaves for later cycles.
	Quota, Deferred int
}

// pacedShare is how many of rest services the refresh reads between last
// and now: the whole numbers that rest * t / every crosses between the
// two (t in Unix seconds), so that the shares of consecutive cycles add
// up to rest every `every` whatever the rounding; rest when now is every
// or more after last, 0 when now is not after last (the clock went back).
func pacedShare(rest int, last, now time.Time, every time.Duration) int {
	switch {
	case !now.After(last):
		return 0
	case now.Sub(last) >= every:
		return rest
	}
	secs := max(int64(every/time.Second), 1)
	at := func(t time.Time) int64 { return int64(rest) * t.Unix() / secs }
	return int(min(max(at(now)-at(last), 0), int64(rest)))
}

// refreshQuota counts the refresh of one cycle over rest services of
// which overdue are overdue, share being pacedShare's.
func refreshQuota(rest, overdue, share int, gap, every time.Duration) Refresh {
	cap := max(int(math.Round(float64(rest)*float64(2*gap)/float64(every))), 1)
	r := Refresh{Rest: rest, Overdue: overdue, Share: share, Cap: cap}
	r.Quota = min(max(r.Share, r.Overdue), r.Cap, rest)
	r.Deferred = max(overdue-r.Quota, 0)
	return r
}

// chooseRefresh marks ReadRefresh, among the services reasons holds as
// FromCache (the rest), the quota of this cycle with the oldest reads
// (ties in phase order). So every service is read again about once every
// `every`: the rest is read oldest first at the pace of Share, which goes
// through all of it in `every`; a read that is `every` old all the same
// (Share rounded down, a stop of renewd, cycles further apart than the
// gap) is overdue and read ahead of that pace, but at most Cap a cycle,
// so that a backlog never holds up the cycle's decisions for hours.
func chooseRefresh(reasons map[int64]Reason, cached map[int64]*state.CachedService, account string,
	now, last time.Time, gap, every time.Duration) Refresh {
	var rest []int64
	overdue := 0
	for id, r := range reasons {
		if r != FromCache {
			continue
		}
		rest = append(rest, id)
		if refreshAge(cached[id].ReadAt, now) >= every {
			overdue++
		}
	}
	if last.IsZero() {
		last = now.Add(-gap)
	}
	q := refreshQuota(len(rest), overdue, pacedShare(len(rest), last, now, every), gap, every)
	slices.SortFunc(rest, func(a, b int64) int {
		if c := cmp.Compare(refreshAge(cached[b].ReadAt, now), refreshAge(cached[a].ReadAt, now)); c != 0 {
			return c // the oldest first
		}
		if c := cmp.Compare(phase(account, a), phase(account, b)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, id := range rest[:q.Quota] {
		reasons[id] = ReadRefresh
	}
	return q
}

// selector holds what one cycle chooses with.
type selector struct {
	policy policy.Policy
	margin time.Duration
	open   map[int64][]state.Record
	now    time.Time
}

// reason says why the listed id is read this cycle, or FromCache. The
// reasons are tried in the order of the constants, the first that holds
// counting; ReadRefresh is chosen afterwards, among the rest
// (chooseRefresh).
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
	}
	return FromCache // or ReadRefresh: chooseRefresh
}
