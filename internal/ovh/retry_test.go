package ovh

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ovh/go-ovh/ovh"
	"golang.org/x/time/rate"

	"github.com/renewd/renewd/internal/ovhfake"
)

func TestGetRetries(t *testing.T) {
	tests := []struct {
		name       string
		fault      ovhfake.Fault
		wantCodes  []int
		wantSleeps int
	}{
		{"5xx then success", ovhfake.Fault{Times: 2, Status: 503}, []int{503, 503, 200}, 2},
		{"500 then success", ovhfake.Fault{Times: 1, Status: 500}, []int{500, 200}, 1},
		{"408 then success", ovhfake.Fault{Times: 1, Status: 408}, []int{408, 200}, 1},
		// net/http itself resends a GET once when a reused connection drops
		// before any answer; the second drop, on a fresh connection, is ours.
		{"dropped connections then success", ovhfake.Fault{Times: 2, DropAfterWork: true}, []int{0, 200}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			tt.fault.Route = "GET /service/{id}"
			f.fake.Inject(tt.fault)
			s, err := f.client.Service(context.Background(), 1001)
			if err != nil {
				t.Fatalf("Service: %v", err)
			}
			if s.Name != "vps-alpha.vps.ovh.net" || !s.Expiration.Start().Equal(f.day(5)) {
				t.Errorf("service = %+v", s)
			}
			if diff := cmp.Diff(tt.wantCodes, f.codesSeen("GET /service/{id}")); diff != "" {
				t.Errorf("answers seen (-want +got):\n%s", diff)
			}
			if got := len(f.sleepsSeen()); got != tt.wantSleeps {
				t.Errorf("waited %d times, want %d", got, tt.wantSleeps)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Times: 1, Status: 429, RetryAfter: "7"})
	f.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Times: 1, Status: 429, RetryAfter: "86400"})
	if _, err := f.client.Service(context.Background(), 1001); err != nil {
		t.Fatalf("Service: %v", err)
	}
	want := []time.Duration{7 * time.Second, maxRetryAfter}
	if diff := cmp.Diff(want, f.sleepsSeen()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestRetriesGiveUp(t *testing.T) {
	f := newFixture(t, nil)
	f.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Times: -1, Status: 502})
	_, err := f.client.Service(context.Background(), 1001)
	var apiErr *ovh.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 502 {
		t.Fatalf("err = %v, want an *ovh.APIError 502", err)
	}
	if !strings.HasPrefix(err.Error(), "get service 1001: ") {
		t.Errorf("err = %q, want it to start with its context", err)
	}
	if got := len(f.codesSeen("GET /service/{id}")); got != 4 {
		t.Errorf("attempts = %d, want 1 + 3 retries", got)
	}
	// The waits follow the schedule, each within +/-20%.
	for i, d := range f.sleepsSeen() {
		base := f.client.retry[i]
		if d < base*8/10 || d > base*12/10 {
			t.Errorf("wait %d = %v, want %v +/-20%%", i, d, base)
		}
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	for _, status := range []int{400, 403, 404, 409} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f := newFixture(t, nil)
			f.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Times: 1, Status: status})
			_, err := f.client.Service(context.Background(), 1001)
			if !isStatus(err, status) {
				t.Fatalf("err = %v, want status %d", err, status)
			}
			if IsNotFound(err) != (status == 404) {
				t.Errorf("IsNotFound = %v for %d", IsNotFound(err), status)
			}
			if got := f.codesSeen("GET /service/{id}"); len(got) != 1 {
				t.Errorf("answers = %v, want one", got)
			}
		})
	}
}

func TestMalformedJSONIsAClearError(t *testing.T) {
	routes := []struct {
		route string
		call  func(c *Client) error
	}{
		{"GET /service/{id}", func(c *Client) error { _, err := c.Service(context.Background(), 1001); return err }},
		{"GET /service/{id}/renew", func(c *Client) error { _, err := c.RenewStrategies(context.Background(), 1001); return err }},
		{"GET /me/payment/method", func(c *Client) error { _, err := c.DefaultPaymentMethod(context.Background()); return err }},
	}
	for _, tt := range routes {
		t.Run(tt.route, func(t *testing.T) {
			f := newFixture(t, nil)
			f.fake.Inject(ovhfake.Fault{Route: tt.route, Times: 1, Status: 200, Body: "{not json"})
			err := tt.call(f.client)
			if err == nil || !strings.Contains(err.Error(), "decode GET /") {
				t.Fatalf("err = %v, want a decode error naming the route", err)
			}
			if got := f.codesSeen(tt.route); len(got) != 1 {
				t.Errorf("answers = %v, want one (a bad body is not retried)", got)
			}
		})
	}
	f := newFixture(t, nil)
	f.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Times: 1, Status: 200, Body: "{not json"})
	_, err := f.client.Service(context.Background(), 1001)
	if want := "get service 1001: decode GET /service/1001: "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want it to start with %q", err, want)
	}
	if !errors.Is(err, ErrUnreadable) {
		t.Errorf("err = %v, want ErrUnreadable", err)
	}
	// A malformed expanded page is not an inventory failure: the listing
	// falls back to the ids, within the same call (inventory_wire_test.go
	// covers each case).
	f = newFixture(t, nil)
	f.fake.Inject(ovhfake.Fault{Route: "GET /services", Times: 1, Status: 200, Body: "{not json"})
	got, err := f.client.Services(context.Background())
	if err != nil || len(got) != 8 {
		t.Errorf("Services after a malformed expanded page = %d services, %v; want all 8", len(got), err)
	}
}

func TestClockSkewIsMeasuredAgain(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if _, err := f.client.Service(ctx, 1001); err != nil {
		t.Fatal(err)
	}
	// OVH's clock jumps: go-ovh's timestamps are now out of the window.
	f.clock.Advance(time.Hour)
	if _, err := f.client.Service(ctx, 1001); err != nil {
		t.Fatalf("Service after the clock moved: %v", err)
	}
	if diff := cmp.Diff([]int{200, 400, 200}, f.codesSeen("GET /service/{id}")); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if got := f.client.Stats().Requests["GET /auth/time"]; got != 2 {
		t.Errorf("GET /auth/time = %d, want 2 (measured again after QUERY_TIME_OUT)", got)
	}
}

func TestRateLimiterGatesEveryRequest(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RateLimit, o.Burst = rate.Every(time.Hour), 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// The one token goes to GET /auth/time; the next request would wait an
	// hour, past the deadline, so it is refused at once and never sent.
	_, err := f.client.Service(ctx, 1001)
	if err == nil {
		t.Fatal("Service succeeded beyond the rate limit")
	}
	if got := f.fake.Requests()["GET /service/{id}"]; got != 0 {
		t.Errorf("the fake saw %d service reads, want 0", got)
	}
}

func TestCallerHTTPClientIsNotMutated(t *testing.T) {
	hc := &http.Client{}
	f := newFixture(t, func(o *Options) { o.HTTPClient = hc })
	if _, err := f.client.Services(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hc.Timeout != 0 {
		t.Errorf("caller's http.Client Timeout = %v, want it untouched", hc.Timeout)
	}
}

func TestCallTimeoutBoundsEachAttempt(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.CallTimeout = 50 * time.Millisecond })
	f.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Times: 1, Latency: 10 * time.Second})
	start := time.Now()
	if _, err := f.client.Service(context.Background(), 1001); err != nil {
		t.Fatalf("Service: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v: the slow attempt was not cut at CallTimeout", d)
	}
	if diff := cmp.Diff([]int{0, 200}, f.codesSeen("GET /service/{id}")); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

func TestConcurrentFirstCallsMeasureTheClockOnce(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	ids := []int64{1001, 1002, 1003, 2001, 2002, 3001, 4001, 5001}
	errs := make(chan error, len(ids))
	for _, id := range ids {
		go func() {
			_, err := f.client.Service(ctx, id)
			errs <- err
		}()
	}
	for range ids {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := f.fake.Requests()["GET /auth/time"]; got != 1 {
		t.Errorf("GET /auth/time = %d, want 1", got)
	}
}
