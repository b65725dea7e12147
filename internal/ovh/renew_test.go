package ovh

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
)

var (
	p1m = renewd.Period{Months: 1}
	p3m = renewd.Period{Months: 3}
	p1y = renewd.Period{Years: 1}
)

func eur(amount string) renewd.Money {
	u, err := renewd.ParseAmount(amount)
	if err != nil {
		panic(err)
	}
	return renewd.Money{Ucents: u, Currency: "EUR"}
}

func TestRenewStrategies(t *testing.T) {
	f := newFixture(t, nil)
	got, err := f.client.RenewStrategies(context.Background(), 2001)
	if err != nil {
		t.Fatal(err)
	}
	want := []Strategy{
		{Period: p1y, PeriodText: "P1Y", Services: []int64{2001}, Price: eur("9.99")},
		{Period: p1y, PeriodText: "P1Y", Services: []int64{2001, 3001}, Price: eur("49.99")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("strategies (-want +got):\n%s", diff)
	}
	s, ok := ChooseStrategy(got, 2001, p1y, false)
	if !ok || !cmp.Equal(s, want[0]) {
		t.Errorf("ChooseStrategy = %+v, %v; want the single strategy", s, ok)
	}
	if _, err := f.client.RenewStrategies(context.Background(), 999); !IsNotFound(err) {
		t.Errorf("strategies of an unknown service: err = %v, want a 404", err)
	}
}

func TestQuoteCreatesNoOrder(t *testing.T) {
	f := newFixture(t, nil)
	q, err := f.client.Quote(context.Background(), 1001, byHand(p3m))
	if err != nil {
		t.Fatalf("Quote: %v", err)
	}
	if q.WithoutTax != eur("19.50") {
		t.Errorf("quoted %v, want 19.50 EUR", q.WithoutTax)
	}
	if orders := f.fake.Orders(); len(orders) != 0 {
		t.Errorf("the fake holds %d orders after a quote, want 0", len(orders))
	}
	_, err = f.client.Quote(context.Background(), 1001, byHand(renewd.Period{Months: 6}))
	if !errors.Is(err, ErrRejected) {
		t.Errorf("quote for a period OVH does not offer: err = %v, want ErrRejected", err)
	}
}

func TestCreateRenewOrder(t *testing.T) {
	f := newFixture(t, nil)
	o, err := f.client.CreateRenewOrder(context.Background(), 1001, byHand(p1m, 1001))
	if err != nil {
		t.Fatalf("CreateRenewOrder: %v", err)
	}
	orders := f.fake.Orders()
	if len(orders) != 1 {
		t.Fatalf("the fake holds %d orders, want 1", len(orders))
	}
	rec := orders[0]
	if o.ID != rec.ID || rec.ServiceID != 1001 || rec.Period != "P1M" {
		t.Errorf("order %d; the fake recorded %+v", o.ID, rec)
	}
	if o.WithoutTax != eur("7.00") || o.WithTax.Ucents != o.WithoutTax.Ucents+o.Tax.Ucents || o.Tax.Ucents <= 0 {
		t.Errorf("prices: without tax %v, tax %v, with tax %v", o.WithoutTax, o.Tax, o.WithTax)
	}
	if !o.Date.Equal(f.now) || !o.Expires.After(o.Date) {
		t.Errorf("dates: %v, expires %v", o.Date, o.Expires)
	}
	// The order's url, pdfUrl and password are not even a field.
	for i := range reflect.TypeFor[Order]().NumField() {
		name := strings.ToLower(reflect.TypeFor[Order]().Field(i).Name)
		if strings.Contains(name, "url") || strings.Contains(name, "password") {
			t.Errorf("Order has a field %s", name)
		}
	}
}

func TestCreateRenewOrderOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		fault      ovhfake.Fault
		period     renewd.Period
		wantErr    error
		wantOrders int
	}{
		{"connection dropped after the order was made", ovhfake.Fault{DropAfterWork: true}, p1m, ErrUnknownOutcome, 1},
		{"500 after the order was made", ovhfake.Fault{StatusAfterWork: 500}, p1m, ErrUnknownOutcome, 1},
		{"500 before anything", ovhfake.Fault{Status: 500}, p1m, ErrUnknownOutcome, 0},
		{"503", ovhfake.Fault{Status: 503}, p1m, ErrUnknownOutcome, 0},
		{"408 from a proxy", ovhfake.Fault{Status: 408}, p1m, ErrUnknownOutcome, 0},
		{"400", ovhfake.Fault{Status: 400}, p1m, ErrRejected, 0},
		{"403", ovhfake.Fault{Status: 403}, p1m, ErrRejected, 0},
		{"429", ovhfake.Fault{Status: 429, RetryAfter: "5"}, p1m, ErrRejected, 0},
		{"a period OVH does not offer", ovhfake.Fault{Route: "none"}, renewd.Period{Months: 6}, ErrRejected, 0},
		{"success without an order id", ovhfake.Fault{Status: 200, Body: `{"orderId":0}`}, p1m, ErrUnknownOutcome, 0},
		{"success with a bad body", ovhfake.Fault{Status: 200, Body: `{not json`}, p1m, ErrUnknownOutcome, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			if tt.fault.Route == "" {
				tt.fault.Route = "POST /service/{id}/renew"
			}
			f.fake.Inject(tt.fault)
			_, err := f.client.CreateRenewOrder(context.Background(), 1001, byHand(tt.period))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			other := ErrRejected
			if tt.wantErr == ErrRejected {
				other = ErrUnknownOutcome
			}
			if errors.Is(err, other) {
				t.Errorf("err = %v is both rejected and unknown", err)
			}
			if !strings.HasPrefix(err.Error(), "create renewal order for service 1001") {
				t.Errorf("err = %q lacks its context", err)
			}
			assertNoSecret(t, err)
			if got := len(f.fake.Orders()); got != tt.wantOrders {
				t.Errorf("the fake holds %d orders, want %d", got, tt.wantOrders)
			}
			if got := f.fake.Requests()["POST /service/{id}/renew"]; got != 1 {
				t.Errorf("POST sent %d times, want exactly once (never retried)", got)
			}
			if n := len(f.sleepsSeen()); n != 0 {
				t.Errorf("waited %d times to retry a POST", n)
			}
		})
	}
}

func TestCreateRenewOrderTimeoutIsUnknown(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.CallTimeout = 50 * time.Millisecond })
	f.fake.Inject(ovhfake.Fault{Route: "POST /service/{id}/renew", Latency: 10 * time.Second})
	_, err := f.client.CreateRenewOrder(context.Background(), 1001, byHand(p1m))
	if !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("err = %v, want ErrUnknownOutcome", err)
	}
}

func TestCreateRenewOrderNotSentIsNeither(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.client.CreateRenewOrder(ctx, 1001, byHand(p1m))
	if err == nil || errors.Is(err, ErrUnknownOutcome) || errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v, want a plain error: nothing was sent", err)
	}
	if got := f.fake.Requests()["POST /service/{id}/renew"]; got != 0 {
		t.Errorf("POST sent %d times with a cancelled context", got)
	}
}
