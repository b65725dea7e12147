package ovh

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
)

func TestFindRenewOrderAfterALostAnswer(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	intent := f.clock.Now()
	f.clock.Advance(time.Minute)
	// Another service's renewal, made first.
	other, err := f.client.CreateRenewOrder(ctx, 1002, byHand(p3m))
	if err != nil {
		t.Fatal(err)
	}
	f.fake.Inject(ovhfake.Fault{Route: "POST /service/{id}/renew", DropAfterWork: true})
	if _, err := f.client.CreateRenewOrder(ctx, 1001, byHand(p1m)); !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("CreateRenewOrder: err = %v, want ErrUnknownOutcome", err)
	}
	held := f.fake.Orders()
	if len(held) != 2 {
		t.Fatalf("the fake holds %d orders, want 2", len(held))
	}
	o, status, found, err := f.client.FindRenewOrder(ctx, intent, "vps-alpha.vps.ovh.net", p1m, nil)
	if err != nil || !found {
		t.Fatalf("FindRenewOrder = found %v, %v", found, err)
	}
	if o.ID != held[1].ID || status != StatusNotPaid || o.WithoutTax != eur("7.00") {
		t.Errorf("found order %d (%s, %v), want %d notPaid 7.00 EUR", o.ID, status, o.WithoutTax, held[1].ID)
	}
	tests := []struct {
		name   string
		since  time.Time
		svc    string
		period renewd.Period
		wantID int64
	}{
		{"the other service's order", intent, "vps-beta.vps.ovh.net", p3m, other.ID},
		{"same service, another period", intent, "vps-alpha.vps.ovh.net", p1y, 0},
		{"a service with no order", intent, "example.org", p1y, 0},
		{"orders older than since are not looked at", f.clock.Now().Add(time.Hour), "vps-alpha.vps.ovh.net", p1m, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _, found, err := f.client.FindRenewOrder(ctx, tt.since, tt.svc, tt.period, nil)
			if err != nil {
				t.Fatal(err)
			}
			if found != (tt.wantID != 0) || o.ID != tt.wantID {
				t.Errorf("found %v order %d, want %d", found, o.ID, tt.wantID)
			}
		})
	}
}

func TestFindRenewOrderSkipsCancelledOrders(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	since := f.clock.Now()
	if _, err := f.client.CreateRenewOrder(ctx, 1001, byHand(p1m)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(48 * time.Hour) // past the order's 24h life: cancelled
	_, _, found, err := f.client.FindRenewOrder(ctx, since, "vps-alpha.vps.ovh.net", p1m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if found {
		t.Error("adopted a cancelled order")
	}
}

func TestOrderItems(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	o, err := f.client.CreateRenewOrder(ctx, 2001, byHand(p1y, 2001, 3001))
	if err != nil {
		t.Fatal(err)
	}
	items, err := f.client.OrderItems(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 {
		t.Fatalf("items = %+v, want two lines", items)
	}
	for _, it := range items {
		if it.Domain != "example.com" || it.DetailType != "RENEW" || it.Action != "renew" || it.Duration != "P1Y" || it.Cancelled {
			t.Errorf("item %+v", it)
		}
	}
	// An order's lines are read from OVH once.
	before := f.fake.TotalRequests()
	if again, err := f.client.OrderItems(ctx, o.ID); err != nil || len(again) != 2 {
		t.Fatalf("second OrderItems = %+v, %v", again, err)
	}
	if n := f.fake.TotalRequests() - before; n != 0 {
		t.Errorf("reading an order's lines again made %d requests, want none", n)
	}
	// A missing extension is tolerated.
	o2, err := f.client.CreateRenewOrder(ctx, 1001, byHand(p1m, 1001))
	if err != nil {
		t.Fatal(err)
	}
	f.fake.Inject(ovhfake.Fault{Route: "GET /me/order/{id}/details/{detailId}/extension", Times: -1, Status: 404})
	items, err = f.client.OrderItems(ctx, o2.ID)
	if err != nil {
		t.Fatalf("OrderItems without extensions: %v", err)
	}
	if len(items) != 1 || items[0].Action != "" || items[0].Duration != "" || items[0].DetailType != "RENEW" {
		t.Errorf("items = %+v", items)
	}
	f.fake.ClearFaults()
	if _, err := f.client.OrderItems(ctx, 4242); !IsNotFound(err) {
		t.Errorf("items of an unknown order: err = %v, want a 404", err)
	}
}

func TestOrderStatusFollowsTheLifeCycle(t *testing.T) {
	ctx := context.Background()
	// Skew checks off: the fake's clock jumps by hours below.
	f := newFixtureWith(t, ovhfake.SampleScenario, func(o *ovhfake.Options) { o.MaxSkew = -1 }, nil)
	o, err := f.client.CreateRenewOrder(ctx, 1001, byHand(p1m))
	if err != nil {
		t.Fatal(err)
	}
	status := func() OrderStatus {
		t.Helper()
		s, err := f.client.OrderStatus(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	var seen []OrderStatus
	seen = append(seen, status())
	if err := f.client.Pay(ctx, o.ID, renewd.PaymentForm{Default: true}); err != nil {
		t.Fatal(err)
	}
	seen = append(seen, status())
	f.clock.Advance(ovhfake.DefaultCheckingFor + time.Second) // checked, now being delivered
	seen = append(seen, status())
	f.clock.Advance(2 * time.Hour) // delivered
	seen = append(seen, status())
	if diff := cmp.Diff([]OrderStatus{StatusNotPaid, StatusChecking, StatusDelivering, StatusDelivered}, seen); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	s, err := f.client.Service(ctx, 1001)
	if err != nil {
		t.Fatal(err)
	}
	if want := p1m.AddTo(f.day(5)); !s.Expiration.Start().Equal(want) {
		t.Errorf("expiration after delivery = %v, want %v", s.Expiration, want)
	}
	got, err := f.client.Order(ctx, o.ID)
	if err != nil || got.ID != o.ID || got.WithoutTax != o.WithoutTax {
		t.Errorf("Order = %+v, %v; want %+v", got, err, o)
	}
	if _, err := f.client.OrderStatus(ctx, 777); !IsNotFound(err) {
		t.Errorf("status of an unknown order: err = %v, want a 404", err)
	}
}

func TestOrdersSince(t *testing.T) {
	f := newFixtureWith(t, ovhfake.SampleScenario, func(o *ovhfake.Options) { o.MaxSkew = -1 }, nil)
	ctx := context.Background()
	a, err := f.client.CreateRenewOrder(ctx, 1001, byHand(p1m))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10 * time.Minute)
	mid := f.clock.Now()
	b, err := f.client.CreateRenewOrder(ctx, 2002, byHand(p1y))
	if err != nil {
		t.Fatal(err)
	}
	// A time with a positive offset: "+" must reach OVH encoded.
	paris := time.FixedZone("CET", 3600)
	for name, tt := range map[string]struct {
		from time.Time
		want []int64
	}{
		"all":           {f.now.Add(-time.Hour), []int64{a.ID, b.ID}},
		"from the 2nd":  {mid.In(paris), []int64{b.ID}},
		"in the future": {mid.Add(time.Hour), nil},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := f.client.OrdersSince(ctx, tt.from)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpEmptyNil); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

var cmpEmptyNil = cmp.Comparer(func(a, b []int64) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return cmp.Equal(a, b)
})
