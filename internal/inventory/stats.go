package inventory

import (
	"time"
)

// Stats is what one inventory of one account did.
type Stats struct {
	Account string
	// At is when it started, on the local clock.
	At time.Time
	// Listed is the number of ids the listing held.
	Listed int
	// Read is the number of services read from OVH; Cached the number
	// decided from the cache. Listed = Read + Cached + the ids listed but
	// gone when read.
	Read, Cached int
	// ByReason counts the services returned by why they were read
	// (FromCache for those that were not).
	ByReason map[Reason]int
	// Refresh is how the refresh reads were counted (zero in a full read);
	// its Deferred are the services read a refresh interval ago or more
	// that the per-cycle cap left for later cycles.
	Refresh Refresh
	// Gone is the number of ids that left the account since the last
	// inventory (no longer listed, or 404 when read).
	Gone int
	// Full is true when every service was read.
	Full bool
	// LastFull is when a read of every service last completed, this one
	// included; zero when none did.
	LastFull time.Time
	// OldestRead is the oldest read the answer rests on; zero when the
	// account has no service.
	OldestRead time.Time
	// Requests are the HTTP attempts the inventory made, by route pattern
	// ("GET /service/{id}"), including go-ovh's clock read.
	Requests map[string]int
	// Took is how long it took, on the local clock.
	Took time.Duration
}

// oldest lowers OldestRead to at when at is older.
func (s *Stats) oldest(at time.Time) {
	if s.OldestRead.IsZero() || at.Before(s.OldestRead) {
		s.OldestRead = at
	}
}

// TotalRequests is the sum of Requests.
func (s Stats) TotalRequests() int {
	n := 0
	for _, v := range s.Requests {
		n += v
	}
	return n
}

func (s Stats) logAttrs() []any {
	attrs := []any{"listed", s.Listed, "read", s.Read, "from_cache", s.Cached, "full", s.Full,
		"requests", s.TotalRequests(), "took", s.Took.Round(time.Millisecond)}
	for _, r := range Reasons[1:] {
		if n := s.ByReason[r]; n > 0 {
			attrs = append(attrs, "read_"+r.String(), n)
		}
	}
	if s.Refresh.Deferred > 0 {
		attrs = append(attrs, "refresh_deferred", s.Refresh.Deferred)
	}
	if s.Gone > 0 {
		attrs = append(attrs, "gone", s.Gone)
	}
	return attrs
}
