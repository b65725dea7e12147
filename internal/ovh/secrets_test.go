package ovh

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ovh/go-ovh/ovh"
	"golang.org/x/time/rate"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
)

func TestErrorsNeverContainCredentials(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	var errs []error
	collect := func(_ any, err error) { errs = append(errs, err) }

	// A client whose consumer key OVH refuses.
	wrong, err := New(Options{Account: "main", Endpoint: f.srv.URL + "/1.0", AppKey: testAppKey,
		AppSecret: testAppSecret, ConsumerKey: "ck-CANARY-revoked", Retry: []time.Duration{}, RateLimit: rate.Inf})
	if err != nil {
		t.Fatal(err)
	}
	collect(wrong.Services(ctx))
	collect(wrong.CreateRenewOrder(ctx, 1001, byHand(p1m)))
	collect(nil, wrong.Pay(ctx, 1, renewd.PaymentForm{MethodID: 9001}))

	// Server errors, bad bodies, missing things.
	f.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Times: -1, Status: 500})
	collect(f.client.Service(ctx, 1001))
	f.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}/renew", Status: 200, Body: "{not json"})
	collect(f.client.RenewStrategies(ctx, 1001))
	collect(f.client.Order(ctx, 31337))
	collect(f.client.Quote(ctx, 1001, byHand(renewd.Period{Days: 3})))

	// No server at all.
	gone := newFixture(t, nil)
	gone.srv.Close()
	collect(gone.client.Services(ctx))
	collect(gone.client.CreateRenewOrder(ctx, 1001, byHand(p1m)))

	// Configuration errors.
	collect(New(Options{Endpoint: "no-such-endpoint", AppKey: testAppKey, AppSecret: testAppSecret, ConsumerKey: testConsumerKey}))
	collect(New(Options{Endpoint: "ovh-eu", AppKey: testAppKey, ConsumerKey: testConsumerKey}))

	for i, err := range errs {
		if err == nil {
			t.Errorf("call %d did not fail", i)
			continue
		}
		assertNoSecret(t, err)
	}
	var apiErr *ovh.APIError
	if !errors.As(errs[0], &apiErr) || apiErr.Code != 403 {
		t.Errorf("refused credentials: err = %v, want an *ovh.APIError 403", errs[0])
	}
}

func TestRedactKeepsTheChain(t *testing.T) {
	cause := &ovh.APIError{Code: 500, Message: "echo " + testAppSecret}
	err := redact(errors.Join(ErrUnknownOutcome, cause), testAppSecret, testConsumerKey)
	if strings.Contains(err.Error(), testAppSecret) || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("redacted error = %q", err)
	}
	var apiErr *ovh.APIError
	if !errors.Is(err, ErrUnknownOutcome) || !errors.As(err, &apiErr) {
		t.Errorf("redaction lost the error chain: %v", err)
	}
	plain := errors.New("nothing secret")
	if redact(plain, testAppSecret) != plain {
		t.Error("an error without secrets was rewrapped")
	}
}
