package ovh

import (
	"context"
	"strings"
	"testing"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
)

func TestProbes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	listed, p, err := f.client.ExpandedListing(ctx)
	if err != nil || !p.Honoured || len(listed) != 8 || listed[0].ID != 1001 {
		t.Fatalf("ExpandedListing = %d services, %+v, %v", len(listed), p, err)
	}
	for _, mode := range []ovhfake.ExpandedMode{ovhfake.ExpandedRefused, ovhfake.ExpandedIgnored} {
		f.fake.UpdateWire(func(w *ovhfake.Wire) { w.Expanded = mode })
		if s, p, err := f.client.ExpandedListing(ctx); err != nil || p.Honoured || p.Why == "" || s != nil {
			t.Errorf("ExpandedListing %s = %v, %+v, %v", mode, s, p, err)
		}
	}
	ids, err := f.client.ServiceIDs(ctx)
	if err != nil || len(ids) != 8 {
		t.Fatalf("ServiceIDs = %v, %v", ids, err)
	}
	got, p, err := f.client.BatchRead(ctx, []int64{1001, 2001, 999999})
	if err != nil || !p.Honoured || len(got) != 2 || !strings.Contains(p.Why, "1 of the 3") {
		t.Errorf("BatchRead = %v, %+v, %v", got, p, err)
	}
	f.fake.SetBatch(false)
	if got, p, err := f.client.BatchRead(ctx, []int64{1001, 2001}); err != nil || p.Honoured || got != nil {
		t.Errorf("BatchRead refused = %v, %+v, %v", got, p, err)
	}
	if _, _, err := f.client.BatchRead(ctx, nil); err == nil {
		t.Error("BatchRead of nothing succeeded")
	}

	s := listed[0]
	d, err := f.client.ServiceInfosExpiration(ctx, s)
	if fx, _ := f.fake.Service(s.ID); err != nil || d != fx.Expiration {
		t.Errorf("ServiceInfosExpiration = %s, %v; want %s", d, err, fx.Expiration)
	}
	for _, bad := range []renewd.Service{{ID: 1, Type: "../me", Name: "x"}, {ID: 1, Type: "vps"}} {
		if _, err := f.client.ServiceInfosExpiration(ctx, bad); err == nil {
			t.Errorf("ServiceInfosExpiration(%+v) made a call", bad)
		}
	}
	if n := f.fake.Requests()["GET (unknown route)"]; n != 0 {
		t.Errorf("%d requests to unknown routes", n)
	}

	pm, err := f.client.PaymentMethod(ctx, 9002)
	if err != nil || pm.Type != "PAYPAL" || pm.MeanID != 777 || !pm.Usable() || !pm.MeanIs("paypal") || pm.MeanIs("creditCard") {
		t.Errorf("PaymentMethod(9002) = %+v, %v", pm, err)
	}
	if _, err := f.client.PaymentMethod(ctx, 1); !IsNotFound(err) {
		t.Errorf("PaymentMethod(1): %v, want not found", err)
	}
	if ids, err := f.client.PaymentMethodIDs(ctx); err != nil || len(ids) != 2 {
		t.Errorf("PaymentMethodIDs = %v, %v", ids, err)
	}
	for route := range f.fake.Requests() {
		if !strings.HasPrefix(route, "GET ") {
			t.Errorf("a probe called %s", route)
		}
	}
}
