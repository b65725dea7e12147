package ovh

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/renewd/renewd"

	"github.com/renewd/renewd/internal/ovhfake"
)

// Canary credentials: no error may ever contain them.
const (
	testAppKey      = "ak-test-application"
	testAppSecret   = "as-CANARY-7f3e9c21d4"
	testConsumerKey = "ck-CANARY-b81d0a66e5"
)

// fixture is a fake OVH API served over HTTP and a Client pointed at it.
type fixture struct {
	fake   *ovhfake.Fake
	srv    *httptest.Server
	client *Client
	clock  *ovhfake.Clock
	now    time.Time // the start time, for expected expirations

	mu     sync.Mutex
	sleeps []time.Duration // every wait the client asked for
	seen   map[string][]int
}

// newFixture serves SampleScenario and builds a Client with instant retries
// and no rate limit. edit, when given, adjusts the Options first.
func newFixture(t *testing.T, edit func(*Options)) *fixture {
	t.Helper()
	return newFixtureWith(t, ovhfake.SampleScenario, nil, edit)
}

// newFixtureWith is newFixture with another scenario and fake options.
func newFixtureWith(t *testing.T, scenario func(now time.Time) ovhfake.Scenario,
	fakeEdit func(*ovhfake.Options), edit func(*Options)) *fixture {
	t.Helper()
	ovhfake.IsolateEnv(t)
	start := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	f := &fixture{clock: ovhfake.NewClock(start), now: start, seen: map[string][]int{}}
	fakeOpts := ovhfake.Options{
		AppKey: testAppKey, AppSecret: testAppSecret, ConsumerKey: testConsumerKey,
		Now: f.clock.Now, DeliveryAfter: time.Hour,
	}
	if fakeEdit != nil {
		fakeEdit(&fakeOpts)
	}
	f.fake = ovhfake.New(scenario(start), fakeOpts)
	f.srv = httptest.NewServer(f.fake)
	t.Cleanup(f.srv.Close)
	opts := Options{
		Account:     "main",
		Endpoint:    f.srv.URL + "/1.0",
		AppKey:      testAppKey,
		AppSecret:   testAppSecret,
		ConsumerKey: testConsumerKey,
		CallTimeout: 5 * time.Second,
		Retry:       []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond},
		RateLimit:   rate.Inf,
		Concurrency: 4,
		Now:         f.clock.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.sleeps = append(f.sleeps, d)
			f.mu.Unlock()
			return ctx.Err()
		},
		OnRequest: func(route string, code int) {
			f.mu.Lock()
			f.seen[route] = append(f.seen[route], code)
			f.mu.Unlock()
		},
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.client = c
	return f
}

func (f *fixture) sleepsSeen() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

func (f *fixture) codesSeen(route string) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.seen[route]...)
}

// day is the start date plus n days, at midnight UTC.
func (f *fixture) day(n int) time.Time {
	return f.now.Truncate(24*time.Hour).AddDate(0, 0, n)
}

// assertNoSecret fails when an error's text holds a credential.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{testAppSecret, testConsumerKey, "CANARY"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a credential: %v", err)
		}
	}
}

var _ http.Handler = (*ovhfake.Fake)(nil)

// byHand is a strategy built by hand, as a caller that did not read it from
// RenewStrategies would: no PeriodText, so its canonical form is sent.
func byHand(p renewd.Period, services ...int64) Strategy {
	return Strategy{Period: p, Services: services}
}
