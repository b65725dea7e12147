package ovh

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/renewd/renewd"
	"github.com/renewd/renewd/internal/ovhfake"
)

// TestDebugLogsEveryCallAndNoSecret runs the inventory, an order, a payment,
// a server error, refused credentials and a dead server through clients
// logging JSON at debug, and checks that each HTTP attempt has exactly one
// "ovh call" line with its method, route pattern, path, status, duration
// and OVH query id, and that no line holds a credential. At info, no call
// is logged.
func TestDebugLogsEveryCallAndNoSecret(t *testing.T) {
	var buf syncBuffer
	var mu sync.Mutex
	attempts := 0
	debug := func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.OnRequest = func(string, int) { mu.Lock(); attempts++; mu.Unlock() }
	}
	ctx := context.Background()
	f := newFixture(t, debug)
	if _, err := f.client.Services(ctx); err != nil {
		t.Fatal(err)
	}
	o, err := f.client.CreateRenewOrder(ctx, 1001, byHand(p1m))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.client.Pay(ctx, o.ID, renewd.PaymentForm{MethodID: 9001}); err != nil {
		t.Fatal(err)
	}
	f.fake.Inject(ovhfake.Fault{Route: "GET /service/{id}", Status: 500, Times: 1})
	if _, err := f.client.Service(ctx, 1001); err != nil {
		t.Fatalf("a 500 then a retry: %v", err)
	}

	refused, err := New(Options{Account: "main", Endpoint: f.srv.URL + "/1.0", AppKey: testAppKey,
		AppSecret: testAppSecret, ConsumerKey: "ck-CANARY-revoked", Retry: []time.Duration{}, RateLimit: rate.Inf,
		Logger:    slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnRequest: func(string, int) { mu.Lock(); attempts++; mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := refused.Services(ctx); err == nil {
		t.Fatal("refused credentials: Services succeeded")
	}
	gone := newFixture(t, func(o *Options) { debug(o); o.Retry = []time.Duration{} })
	gone.srv.Close()
	if _, err := gone.client.Services(ctx); err == nil {
		t.Fatal("dead server: Services succeeded")
	}

	log := buf.String()
	for _, s := range []string{testAppSecret, testConsumerKey, "CANARY", "X-Ovh-Signature", "$1$"} {
		if strings.Contains(log, s) {
			t.Errorf("the debug log holds %q:\n%s", s, log)
		}
	}
	calls := 0
	statuses := map[int]bool{}
	routes := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSpace(log), "\n") {
		var rec struct {
			Msg      string  `json:"msg"`
			Level    string  `json:"level"`
			Account  string  `json:"account"`
			Method   string  `json:"method"`
			Route    string  `json:"route"`
			Path     string  `json:"path"`
			Status   *int    `json:"status"`
			Duration *int64  `json:"duration"`
			QueryID  *string `json:"query_id"`
			Err      string  `json:"err"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %v: %s", err, line)
		}
		if rec.Msg != "ovh call" {
			continue
		}
		calls++
		if rec.Level != "DEBUG" || rec.Account != "main" || rec.Method == "" || !strings.HasPrefix(rec.Route, "/") ||
			strings.HasPrefix(rec.Route, rec.Method) || !strings.HasPrefix(rec.Path, "/") ||
			rec.Status == nil || rec.Duration == nil || *rec.Duration < 0 || rec.QueryID == nil {
			t.Errorf("incomplete call line: %s", line)
			continue
		}
		statuses[*rec.Status] = true
		routes[rec.Method+" "+rec.Route] = true
		switch {
		case *rec.Status == 0 && rec.Err == "":
			t.Errorf("a call without answer logs no error: %s", line)
		case *rec.Status != 0 && rec.Route != "/auth/time" && *rec.QueryID == "":
			t.Errorf("an answered call has no query id (the fake sends one on every answer): %s", line)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != attempts {
		t.Errorf("%d call lines for %d HTTP attempts, want one each", calls, attempts)
	}
	for _, s := range []int{200, 403, 500, 0} {
		if !statuses[s] {
			t.Errorf("no call logged with status %d; statuses %v", s, statuses)
		}
	}
	for _, r := range []string{"GET /auth/time", "POST /service/{id}/renew", "GET /service/{id}"} {
		if !routes[r] {
			t.Errorf("no call logged on %s; routes %v", r, routes)
		}
	}

	var info syncBuffer
	quiet := newFixture(t, func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&info, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	if _, err := quiet.client.Services(ctx); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(info.String(), "ovh call") {
		t.Errorf("calls logged at info:\n%s", info.String())
	}
}
