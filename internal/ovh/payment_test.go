package ovh

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
)

func TestPayWithEachForm(t *testing.T) {
	tests := []struct {
		name string
		form renewd.PaymentForm
		want ovhfake.PaymentRecord
	}{
		{"payment method", renewd.PaymentForm{MethodID: 9002},
			ovhfake.PaymentRecord{Route: "pay", PaymentMethodID: 9002, Mean: "PAYPAL", MeanID: 777}},
		{"registered mean with its id", renewd.PaymentForm{Mean: "paypal", MeanID: 777},
			ovhfake.PaymentRecord{Route: "payWithRegisteredPaymentMean", PaymentMethodID: 9002, Mean: "paypal", MeanID: 777}},
		{"registered mean without id", renewd.PaymentForm{Mean: "creditCard"},
			ovhfake.PaymentRecord{Route: "payWithRegisteredPaymentMean", PaymentMethodID: 9001, Mean: "creditCard"}},
		{"default method", renewd.PaymentForm{Default: true},
			ovhfake.PaymentRecord{Route: "pay", PaymentMethodID: 9001, Mean: "CREDIT_CARD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			ctx := context.Background()
			o, err := f.client.CreateRenewOrder(ctx, 1001, byHand(p1m))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.client.Pay(ctx, o.ID, tt.form); err != nil {
				t.Fatalf("Pay: %v", err)
			}
			tt.want.OrderID = o.ID
			tt.want.AmountUcents = o.WithTax.Ucents
			if diff := cmp.Diff([]ovhfake.PaymentRecord{tt.want}, f.fake.Payments(),
				cmpopts.IgnoreFields(ovhfake.PaymentRecord{}, "At")); diff != "" {
				t.Errorf("payments (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPayOutcomes(t *testing.T) {
	tests := []struct {
		name         string
		fault        ovhfake.Fault
		wantErr      error
		wantPayments int
	}{
		{"500 after taking the payment", ovhfake.Fault{StatusAfterWork: 500}, ErrUnknownOutcome, 1},
		{"connection dropped after taking the payment", ovhfake.Fault{DropAfterWork: true}, ErrUnknownOutcome, 1},
		{"502 before anything", ovhfake.Fault{Status: 502}, ErrUnknownOutcome, 0},
		{"403", ovhfake.Fault{Status: 403}, ErrRejected, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			ctx := context.Background()
			o, err := f.client.CreateRenewOrder(ctx, 1001, byHand(p1m))
			if err != nil {
				t.Fatal(err)
			}
			tt.fault.Route = "POST /me/order/{id}/pay"
			f.fake.Inject(tt.fault)
			err = f.client.Pay(ctx, o.ID, renewd.PaymentForm{MethodID: 9001})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			assertNoSecret(t, err)
			if got := len(f.fake.Payments()); got != tt.wantPayments {
				t.Errorf("the fake took %d payments, want %d", got, tt.wantPayments)
			}
			if got := f.fake.Requests()["POST /me/order/{id}/pay"]; got != 1 {
				t.Errorf("pay sent %d times, want exactly once (never retried)", got)
			}
			// Reconciliation reads the status: paid or not, never guessed.
			status, err := f.client.OrderStatus(ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if paid := status != StatusNotPaid; paid != (tt.wantPayments == 1) {
				t.Errorf("status %s after %d payments", status, tt.wantPayments)
			}
		})
	}
}

func TestPayTwiceIsRejected(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	o, err := f.client.CreateRenewOrder(ctx, 1001, byHand(p1m))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.client.Pay(ctx, o.ID, renewd.PaymentForm{MethodID: 9001}); err != nil {
		t.Fatal(err)
	}
	err = f.client.Pay(ctx, o.ID, renewd.PaymentForm{Mean: "paypal", MeanID: 777})
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("second payment: err = %v, want ErrRejected", err)
	}
	if got := len(f.fake.Payments()); got != 1 {
		t.Errorf("the fake took %d payments, want 1", got)
	}
}

func TestPayWithoutAFormSendsNothing(t *testing.T) {
	noDefault := func(now time.Time) ovhfake.Scenario {
		sc := ovhfake.SampleScenario(now)
		for i := range sc.PaymentMethods {
			sc.PaymentMethods[i].Default = false
		}
		return sc
	}
	f := newFixtureWith(t, noDefault, nil, nil)
	ctx := context.Background()
	o, err := f.client.CreateRenewOrder(ctx, 1001, byHand(p1m))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.client.Pay(ctx, o.ID, renewd.PaymentForm{}); err == nil || errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("Pay with no form: err = %v", err)
	}
	if _, err := f.client.DefaultPaymentMethod(ctx); !errors.Is(err, ErrNoDefaultPaymentMethod) {
		t.Errorf("DefaultPaymentMethod: err = %v, want ErrNoDefaultPaymentMethod", err)
	}
	err = f.client.Pay(ctx, o.ID, renewd.PaymentForm{Default: true})
	if !errors.Is(err, ErrNoDefaultPaymentMethod) || errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("Pay with no default method: err = %v", err)
	}
	reqs := f.fake.Requests()
	if n := reqs["POST /me/order/{id}/pay"] + reqs["POST /me/order/{id}/payWithRegisteredPaymentMean"]; n != 0 {
		t.Errorf("%d payment requests sent", n)
	}
	if len(f.fake.Payments()) != 0 {
		t.Error("a payment was taken")
	}
}
