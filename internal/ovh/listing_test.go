package ovh

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
)

var sampleIDs = []int64{1001, 1002, 1003, 2001, 2002, 3001, 4001, 5001}

func TestListServicesExpandedReadsEverything(t *testing.T) {
	f := newFixture(t, nil)
	l, err := f.client.ListServices(context.Background())
	if err != nil {
		t.Fatalf("ListServices: %v", err)
	}
	if !l.Expanded {
		t.Fatal("the expanded listing is honoured, but the listing is not expanded")
	}
	if diff := cmp.Diff(sampleIDs, l.IDs); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sampleServices(f, "automatic"), l.Services); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
}

func TestListServicesRefusedListsIdsInOneRequest(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.UpdateWire(func(w *ovhfake.Wire) { w.Expanded = ovhfake.ExpandedRefused })
	l, err := f.client.ListServices(context.Background())
	if err != nil {
		t.Fatalf("ListServices: %v", err)
	}
	if l.Expanded || l.Services != nil {
		t.Fatalf("listing expanded %v with %d services, want ids alone", l.Expanded, len(l.Services))
	}
	if diff := cmp.Diff(sampleIDs, l.IDs); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	reqs := f.fake.Requests()
	delete(reqs, "GET /auth/time")
	want := map[string]int{"GET /services": 1, "GET /service": 1}
	if diff := cmp.Diff(want, reqs); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	// Remembered: the next listing does not ask for the expanded form again.
	if _, err := f.client.ListServices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := f.fake.Requests()["GET /services"]; n != 1 {
		t.Errorf("GET /services asked %d times, want once until the next detection", n)
	}
}

func TestReadServicesReadsOnlyThoseAsked(t *testing.T) {
	for _, batch := range []bool{true, false} {
		name := map[bool]string{true: "batch", false: "one read per service"}[batch]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.fake.UpdateWire(func(w *ovhfake.Wire) { w.Expanded = ovhfake.ExpandedRefused })
			f.fake.SetBatch(batch)
			if _, err := f.client.ListServices(context.Background()); err != nil {
				t.Fatal(err)
			}
			before := f.fake.Requests()["GET /service/{id}"]
			var noted []int64
			got, err := f.client.ReadServices(context.Background(), []int64{2002, 1001, 4001},
				func(s renewd.Service) { noted = append(noted, s.ID) }) // unguarded: calls must be serial (-race)
			if err != nil {
				t.Fatalf("ReadServices: %v", err)
			}
			want := sampleServices(f, "automaticV2016")
			wantGot := []renewd.Service{want[0], want[4], want[6]}
			if diff := cmp.Diff(wantGot, got); diff != "" {
				t.Errorf("services (-want +got):\n%s", diff)
			}
			if len(noted) != 3 {
				t.Errorf("onRead called for %v, want each of the 3 services once", noted)
			}
			reads := f.fake.Requests()["GET /service/{id}"] - before
			wantReads := 1 + 3 // the refused batch, then one read each
			if batch {
				wantReads = 1
			}
			if reads != wantReads {
				t.Errorf("%d reads of /service/{id}, want %d", reads, wantReads)
			}
		})
	}
}

func TestReadServicesLeavesOutWhatVanished(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.SetBatch(false)
	f.fake.RemoveService(1002)
	got, err := f.client.ReadServices(context.Background(), []int64{1001, 1002}, nil)
	if err != nil {
		t.Fatalf("ReadServices: %v", err)
	}
	if len(got) != 1 || got[0].ID != 1001 {
		t.Errorf("read %v, want 1001 alone (1002 answers 404)", got)
	}
}

func TestReadServicesRemembersThatBatchesAreRefused(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.UpdateWire(func(w *ovhfake.Wire) {
		w.Expanded, w.Batch = ovhfake.ExpandedRefused, ovhfake.BatchRefused
	})
	if _, err := f.client.ListServices(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := f.client.ReadServices(context.Background(), []int64{1001, 1002}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// One refused batch, then two reads each time: 1 + 2 + 2.
	if n := f.fake.Requests()["GET /service/{id}"]; n != 5 {
		t.Errorf("%d requests to /service/{id}, want 5 (the batch is tried once)", n)
	}
	if f.client.currentForm() != formPlain {
		t.Errorf("remembered form %v, want plain", f.client.currentForm())
	}
}
