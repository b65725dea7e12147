package inventory

import (
	"testing"
	"time"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/policy"
	"github.com/renewd/renewd/internal/state"
)

const day = 24 * time.Hour

func TestHorizonIsTheWidestWindowThatCouldApplyPlusTheMargin(t *testing.T) {
	p := policy.Policy{ReportWithin: 30 * day, Rules: []policy.Rule{
		{Name: "ids", Match: policy.Match{ServiceIDs: []int64{7}}, Action: policy.ActionIgnore},
		{Name: "vps", Match: policy.Match{Type: "vps"}, Action: policy.ActionRenew, RenewBefore: 14 * day},
		{Name: "big-vps", Match: policy.Match{Type: "vps", Name: "big-*"}, Action: policy.ActionNotify, RenewBefore: 60 * day},
		{Name: "domains", Match: policy.Match{Type: "domain"}, Action: policy.ActionRenew, RenewBefore: 45 * day},
	}}
	tests := []struct {
		name string
		svc  renewd.Service
		want time.Duration
	}{
		{"report_within is wider than the first rule", renewd.Service{ID: 1, Type: "vps", Name: "a"}, 30*day + 3*day},
		{"a later rule that matches too counts", renewd.Service{ID: 2, Type: "vps", Name: "big-1"}, 60*day + 3*day},
		{"the matching rule's window", renewd.Service{ID: 3, Type: "domain", Name: "example.com"}, 45*day + 3*day},
		{"ignored first, a later rule still counts", renewd.Service{ID: 7, Type: "domain"}, 45*day + 3*day},
		{"no rule: report_within", renewd.Service{ID: 4, Type: "dedicated/server"}, 30*day + 3*day},
	}
	for _, tt := range tests {
		if got := Horizon(p, tt.svc, 3*day); got != tt.want {
			t.Errorf("%s: Horizon = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestInHorizon(t *testing.T) {
	p := policy.Policy{ReportWithin: 30 * day}
	now := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	at := func(date string) renewd.Service { return renewd.Service{ID: 1, Expiration: renewd.MustDate(date)} }
	for _, tt := range []struct {
		svc  renewd.Service
		want bool
	}{
		{at("2026-05-04"), true},      // 32d16h away: inside the horizon of 33d
		{at("2026-05-05"), false},     // 33d16h: outside
		{at("2026-04-01"), true},      // today
		{at("2026-03-01"), true},      // already expired
		{at("2027-04-01"), false},     // a year away
		{renewd.Service{ID: 1}, true}, // no expiration: no promise that it is far
	} {
		if got := InHorizon(p, tt.svc, 3*day, now); got != tt.want {
			t.Errorf("InHorizon(%s) = %v, want %v", tt.svc.Expiration, got, tt.want)
		}
	}
}

func TestRefreshQuota(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		rest, overdue, share int
		gap, every           time.Duration
		cap, quota, deferred int
	}{
		{"steady, 10,000 services", 9900, 0, 354, 6 * time.Hour, 7 * day, 707, 354, 0},
		{"a few overdue ride along", 9900, 360, 354, 6 * time.Hour, 7 * day, 707, 360, 0},
		{"after ten days down: twice the pace", 9900, 9900, 9900, 6 * time.Hour, 7 * day, 707, 707, 9193},
		{"tiny account", 3, 0, 0, 6 * time.Hour, 7 * day, 1, 0, 0},
		{"tiny account, overdue", 3, 3, 0, 6 * time.Hour, 7 * day, 1, 1, 2},
		{"refresh shorter than a cycle", 50, 50, 50, day, 12 * time.Hour, 200, 50, 0},
	} {
		got := refreshQuota(tt.rest, tt.overdue, tt.share, tt.gap, tt.every)
		want := Refresh{Rest: tt.rest, Overdue: tt.overdue, Share: tt.share, Cap: tt.cap, Quota: tt.quota, Deferred: tt.deferred}
		if got != want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, want)
		}
	}
}

func TestPacedShareAddsUpOverTheInterval(t *testing.T) {
	start := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	for _, rest := range []int{3, 990, 9900, 12345} {
		total, lo, hi := 0, rest, 0
		for k := range 28 {
			last, now := start.Add(time.Duration(k)*6*time.Hour), start.Add(time.Duration(k+1)*6*time.Hour)
			n := pacedShare(rest, last, now, 7*day)
			total += n
			lo, hi = min(lo, n), max(hi, n)
		}
		if total != rest || hi-lo > 1 {
			t.Errorf("rest %d: 28 cycles of 6h read %d (from %d to %d a cycle), want %d in all, evenly", rest, total, lo, hi, rest)
		}
	}
	now := start.Add(time.Hour)
	for _, tt := range []struct {
		name       string
		last       time.Time
		rest, want int
	}{
		{"the clock went back", now.Add(time.Hour), 9900, 0},
		{"ten days later", now.Add(-10 * day), 9900, 9900},
		{"an interval later exactly", now.Add(-7 * day), 500, 500},
	} {
		if got := pacedShare(tt.rest, tt.last, now, 7*day); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	// A minute's share of 9,900 a week is 0.98: 0 or 1, by where it falls.
	if got := pacedShare(9900, now.Add(-time.Minute), now, 7*day); got > 1 {
		t.Errorf("a minute later: %d, want at most 1", got)
	}
}

func TestChooseRefreshTakesTheOldestReads(t *testing.T) {
	now := time.Date(2026, 4, 8, 0, 0, 0, 0, time.UTC)
	cached := map[int64]*state.CachedService{}
	reasons := map[int64]Reason{}
	for id := int64(1); id <= 28; id++ {
		cached[id] = &state.CachedService{ReadAt: now.Add(-time.Duration(id) * 6 * time.Hour)} // 28 is the oldest: 7 days
		reasons[id] = FromCache
	}
	cached[5].ReadAt = now.Add(3 * time.Hour) // in the future: the clock went back
	reasons[29] = ReadHorizon                 // read anyway; not part of the rest
	cached[29] = &state.CachedService{ReadAt: now.Add(-30 * day)}
	q := chooseRefresh(reasons, cached, "main", now, now.Add(-6*time.Hour), 6*time.Hour, 7*day)
	if q.Rest != 28 || q.Share != 1 || q.Overdue != 2 || q.Quota != 2 {
		t.Errorf("refresh %+v: want 28 in the rest, a share of 1, 2 overdue (28, and 5 in the future), 2 read", q)
	}
	for id, want := range map[int64]Reason{28: ReadRefresh, 5: ReadRefresh, 27: FromCache, 1: FromCache, 29: ReadHorizon} {
		if reasons[id] != want {
			t.Errorf("service %d: %s, want %s", id, reasons[id], want)
		}
	}
}

// After a full read, every read has the same age: the refresh goes
// through them over one interval, the same number each cycle, each once.
func TestRefreshSpreadsAFullReadOverTheInterval(t *testing.T) {
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	cached := map[int64]*state.CachedService{}
	for id := int64(1); id <= 2800; id++ {
		cached[id] = &state.CachedService{ReadAt: start}
	}
	reads := map[int64]int{}
	last := start
	for k := 1; k <= 28; k++ {
		now := start.Add(time.Duration(k) * 6 * time.Hour)
		reasons := map[int64]Reason{}
		for id := range cached {
			reasons[id] = FromCache
		}
		q := chooseRefresh(reasons, cached, "main", now, last, 6*time.Hour, 7*day)
		if q.Quota != 100 {
			t.Errorf("cycle %d reads %d, want 100 (2,800 over 28 cycles)", k, q.Quota)
		}
		for id, r := range reasons {
			if r == ReadRefresh {
				reads[id]++
				cached[id].ReadAt = now
			}
		}
		last = now
	}
	for id := int64(1); id <= 2800; id++ {
		if reads[id] != 1 {
			t.Fatalf("service %d read %d times over the interval, want once", id, reads[id])
		}
	}
}
