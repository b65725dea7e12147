package ovh

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
)

// sampleServices is SampleScenario as renewd must read it, from the
// scenario's own description (not from the fake's code). rawAuto is the
// word OVH uses for service 1003's automatic mode in the form read.
func sampleServices(f *fixture, rawAuto string) []renewd.Service {
	svc := func(id int64, name, typ string, days int) renewd.Service {
		return renewd.Service{Account: "main", ID: id, Name: name, Type: typ, Expiration: renewd.DateOf(f.day(days)),
			RenewMode: renewd.RenewManual, RawRenewMode: "manual", State: "ok"}
	}
	gamma := svc(1003, "vps-gamma.vps.ovh.net", "vps", 3)
	gamma.RenewMode, gamma.RawRenewMode = renewd.RenewAutomatic, rawAuto
	return []renewd.Service{
		svc(1001, "vps-alpha.vps.ovh.net", "vps", 5),
		svc(1002, "vps-beta.vps.ovh.net", "vps", 90),
		gamma,
		svc(2001, "example.com", "domain", 10),
		svc(2002, "example.org", "domain", 12),
		svc(3001, "example.com", "hosting/web", 10),
		svc(4001, "ns123456.ip-1-2-3.eu", "dedicated/server", 6),
		svc(5001, "legacy-db.example.net", "hosting/privateDatabase", 4),
	}
}

func TestServicesThroughEachForm(t *testing.T) {
	tests := []struct {
		name            string
		expanded, batch bool
		wantForm        inventoryForm
		rawAuto         string
		wantRequests    map[string]int // by the fake's route keys
	}{
		{"expanded listing", true, true, formExpanded, "automatic",
			map[string]int{"GET /services": 1}},
		{"expanded refused: batch, within the same call", false, true, formBatch, "automaticV2016",
			map[string]int{"GET /services": 1, "GET /service/{id}": 1}},
		{"both refused: one read per service, within the same call", false, false, formPlain, "automaticV2016",
			map[string]int{"GET /services": 1, "GET /service/{id}": 1 + 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.fake.SetExpandedListing(tt.expanded)
			f.fake.SetBatch(tt.batch)
			got, err := f.client.Services(context.Background())
			if err != nil {
				t.Fatalf("Services: %v", err)
			}
			if diff := cmp.Diff(sampleServices(f, tt.rawAuto), got); diff != "" {
				t.Errorf("services (-want +got):\n%s", diff)
			}
			reqs := f.fake.Requests()
			delete(reqs, "GET /auth/time")
			if diff := cmp.Diff(tt.wantRequests, reqs); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if f.client.form != tt.wantForm {
				t.Errorf("remembered form = %v, want %v", f.client.form, tt.wantForm)
			}
		})
	}
}

func TestServicesSameWhateverTheForm(t *testing.T) {
	read := func(expanded, batch bool) []renewd.Service {
		f := newFixture(t, nil)
		f.fake.SetExpandedListing(expanded)
		f.fake.SetBatch(batch)
		got, err := f.client.Services(context.Background())
		if err != nil {
			t.Fatalf("Services: %v", err)
		}
		return got
	}
	expanded, batch, plain := read(true, true), read(false, true), read(false, false)
	if len(plain) != 8 {
		t.Fatalf("plain form read %d services, want 8", len(plain))
	}
	if diff := cmp.Diff(plain, batch); diff != "" {
		t.Errorf("batch differs from plain (-plain +batch):\n%s", diff)
	}
	// /services only says automatic or manual: OVH's raw word differs there.
	ignoreRaw := cmpopts.IgnoreFields(renewd.Service{}, "RawRenewMode")
	if diff := cmp.Diff(plain, expanded, ignoreRaw); diff != "" {
		t.Errorf("expanded differs from plain (-plain +expanded):\n%s", diff)
	}
}

// bigScenario has n services, enough for several pages and batches.
func bigScenario(now time.Time, n int) ovhfake.Scenario {
	var sc ovhfake.Scenario
	for i := range n {
		id := int64(10_000 + i)
		sc.Services = append(sc.Services, ovhfake.ServiceFixture{
			ID: id, Name: fmt.Sprintf("vps-%04d.vps.ovh.net", i), Type: "vps",
			Expiration: renewd.DateOf(now).AddDays(1 + i%300), RenewMode: "manual",
			Strategies: []ovhfake.StrategyFixture{{Period: "P1M", Services: []int64{id}, PriceUcents: 700_000_000}},
		})
	}
	return sc
}

func TestExpandedFormUsesFarFewerRequests(t *testing.T) {
	const n = 520 // two pages of 500, eleven batches of 50
	count := func(expanded, batch bool) (int, []renewd.Service) {
		f := newFixtureWith(t, func(now time.Time) ovhfake.Scenario { return bigScenario(now, n) }, nil,
			func(o *Options) { o.Concurrency = 8 })
		f.fake.SetExpandedListing(expanded)
		f.fake.SetBatch(batch)
		got, err := f.client.Services(context.Background())
		if err != nil {
			t.Fatalf("Services: %v", err)
		}
		if len(got) != n {
			t.Fatalf("read %d services, want %d", len(got), n)
		}
		st := f.client.Stats()
		if st.Total != f.fake.TotalRequests() {
			t.Errorf("client counted %d requests, the fake saw %d", st.Total, f.fake.TotalRequests())
		}
		return st.Total - st.Requests["GET /auth/time"], got
	}
	expanded, e := count(true, true)
	batch, b := count(false, true)
	plain, p := count(false, false)
	t.Logf("requests for %d services: expanded %d, batch %d, plain %d", n, expanded, batch, plain)
	// Without the expanded mode, /services gives 520 ids and no total: that
	// may be a first page, so the ids are listed again with GET /service.
	if expanded != 2 || batch != 2+11 || plain != 2+1+n {
		t.Errorf("requests: expanded %d (want 2), batch %d (want 13), plain %d (want %d)", expanded, batch, plain, 3+n)
	}
	if diff := cmp.Diff(p, b); diff != "" {
		t.Errorf("batch differs from plain:\n%s", diff)
	}
	if diff := cmp.Diff(p, e, cmpopts.IgnoreFields(renewd.Service{}, "RawRenewMode")); diff != "" {
		t.Errorf("expanded differs from plain:\n%s", diff)
	}
}

func TestServicesRemembersTheFormAndRedetectsDaily(t *testing.T) {
	// The clock moves by a day: keep the fake's timestamp check out of the
	// request counts (TestClockSkewIsMeasuredAgain covers it).
	f := newFixtureWith(t, ovhfake.SampleScenario, func(o *ovhfake.Options) { o.MaxSkew = -1 }, nil)
	f.fake.SetExpandedListing(false)
	ctx := context.Background()
	want := sampleServices(f, "automaticV2016")
	reads := func() map[string]int {
		t.Helper()
		before := f.client.Stats().Requests
		got, err := f.client.Services(ctx)
		if err != nil {
			t.Fatalf("Services: %v", err)
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(renewd.Service{}, "Expiration", "RawRenewMode")); diff != "" {
			t.Errorf("services (-want +got):\n%s", diff)
		}
		after := f.client.Stats().Requests
		for k := range after {
			after[k] -= before[k]
			if after[k] == 0 || k == "GET /auth/time" {
				delete(after, k)
			}
		}
		return after
	}
	if diff := cmp.Diff(map[string]int{"GET /services": 1, "GET /service/{ids}": 1}, reads()); diff != "" {
		t.Errorf("first inventory (-want +got):\n%s", diff)
	}
	f.clock.Advance(time.Hour)
	if diff := cmp.Diff(map[string]int{"GET /service": 1, "GET /service/{ids}": 1}, reads()); diff != "" {
		t.Errorf("inventory an hour later starts from batch (-want +got):\n%s", diff)
	}
	f.fake.SetExpandedListing(true)
	f.clock.Advance(RedetectEvery)
	if diff := cmp.Diff(map[string]int{"GET /services": 1}, reads()); diff != "" {
		t.Errorf("inventory a day later detects the expanded listing again (-want +got):\n%s", diff)
	}
}

func TestBatchItemErrorsAreReadOneByOne(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.SetExpandedListing(false)
	// A batch answer holding one item in error and leaving the others out.
	f.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Times: 1, Status: 200,
		Body: `[{"key":"1001","value":null,"error":"Internal error"}]`})
	got, err := f.client.Services(context.Background())
	if err != nil {
		t.Fatalf("Services: %v", err)
	}
	if diff := cmp.Diff(sampleServices(f, "automaticV2016"), got); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	if n := f.client.Stats().Requests["GET /service/{id}"]; n != 8 {
		t.Errorf("plain reads = %d, want 8 (every id the batch did not give)", n)
	}
}

func TestServiceVanishedDuringInventoryIsLeftOut(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.SetExpandedListing(false)
	f.fake.SetBatch(false)
	// The listing names a service that is gone by the time it is read.
	f.fake.Inject(ovhfake.Fault{Route: "GET /services", Times: 1, Status: 200, Body: `[1001, 424242]`})
	got, err := f.client.Services(context.Background())
	if err != nil {
		t.Fatalf("Services: %v", err)
	}
	if len(got) != 1 || got[0].ID != 1001 {
		t.Errorf("services = %+v, want only 1001", got)
	}
}
