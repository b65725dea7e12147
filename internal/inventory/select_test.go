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

func TestRefreshSlots(t *testing.T) {
	every := 7 * day
	now := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	for id := int64(1); id <= 200; id++ {
		slot := lastSlot("main", id, every, now)
		if slot.After(now) || now.Sub(slot) >= every {
			t.Fatalf("service %d: last slot %s is not within the interval before %s", id, slot, now)
		}
		if RefreshDue("main", id, slot, every, now) {
			t.Errorf("service %d read at its slot is due again before the next one", id)
		}
		if !RefreshDue("main", id, slot.Add(-time.Second), every, now) {
			t.Errorf("service %d read just before its slot is not due", id)
		}
		if RefreshDue("main", id, slot, every, slot.Add(every-time.Second)) {
			t.Errorf("service %d is due before its next slot", id)
		}
		if !RefreshDue("main", id, slot, every, slot.Add(every)) {
			t.Errorf("service %d is not due at its next slot", id)
		}
		if lastSlot("main", id, every, now) != lastSlot("main", id, every, now.Add(time.Nanosecond)) {
			t.Errorf("service %d: the slot is not stable", id)
		}
	}
	// A read time in the future (the clock went back) is not trusted.
	if !RefreshDue("main", 1, now.Add(time.Hour), every, now) {
		t.Error("a read an hour in the future is taken for fresh")
	}
	if RefreshDue("main", 1, now.Add(time.Minute), every, now) {
		t.Error("a read a minute in the future (within the clock slack) is taken for stale")
	}
	// The phases spread: over 2,000 ids, no hour of the week holds more
	// than three times its share.
	perHour := map[int64]int{}
	for id := int64(1); id <= 2000; id++ {
		perHour[phase("main", id, every)/3600]++
	}
	for h, n := range perHour {
		if n > 3*2000/168 {
			t.Errorf("hour %d of the week holds %d of 2,000 slots", h, n)
		}
	}
}

func TestRefreshQuotaAndCap(t *testing.T) {
	if q := refreshQuota(10000, 6*time.Hour, 7*day); q != 715 {
		t.Errorf("quota = %d, want 715 (twice 10,000 x 6h / 7d)", q)
	}
	if q := refreshQuota(3, 6*time.Hour, 7*day); q != 1 {
		t.Errorf("quota = %d, want at least 1", q)
	}
	if q := refreshQuota(50, 24*time.Hour, 12*time.Hour); q != 50 {
		t.Errorf("quota = %d with a refresh shorter than a cycle, want every service", q)
	}
	t0 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	cached := map[int64]*state.CachedService{}
	reasons := map[int64]Reason{}
	for id := int64(1); id <= 5; id++ {
		cached[id] = &state.CachedService{ReadAt: t0.Add(time.Duration(5-id) * time.Hour)} // 5 is the oldest
		reasons[id] = ReadRefresh
	}
	reasons[6] = ReadHorizon
	if d := capRefresh(reasons, cached, 2); d != 3 {
		t.Errorf("deferred %d, want 3", d)
	}
	for id, want := range map[int64]Reason{5: ReadRefresh, 4: ReadRefresh, 3: FromCache, 2: FromCache, 1: FromCache, 6: ReadHorizon} {
		if reasons[id] != want {
			t.Errorf("service %d: %s, want %s (the oldest reads first; other reasons untouched)", id, reasons[id], want)
		}
	}
}
