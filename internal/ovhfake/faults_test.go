package ovhfake

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ovh/go-ovh/ovh"
)

var payCard = map[string]any{"paymentMethod": map[string]any{"id": 9001}}

func TestFaultStatus(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.Inject(Fault{Route: "GET /service/{id}", Times: 2, Status: 503, RetryAfter: "1"})
	var v any
	for i := range 2 {
		ae := apiErr(t, e.client.Get("/service/1001", &v), 503, "Service Unavailable")
		if ae.Class != "Server::ServiceUnavailable" {
			t.Errorf("call %d: class %q", i, ae.Class)
		}
	}
	e.get(t, "/service/1001") // the fault is used up
	e.get(t, "/service")      // and never applied to another route

	e.fake.Inject(Fault{Route: "GET /service/{id}", Status: 429, RetryAfter: "7"})
	resp, _, err := e.getWithHeaders(t, "/service/1001", nil)
	apiErr(t, err, 429, "Too Many Requests")
	if got := resp.Header.Get("Retry-After"); got != "7" {
		t.Errorf("Retry-After = %q, want 7", got)
	}
	if got := e.fake.Requests()["GET /service/{id}"]; got != 4 {
		t.Errorf("GET /service/{id} counted %d, want 4 (faulted requests count)", got)
	}
}

func TestFaultStatusDoesNoWork(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.Inject(Fault{Route: "POST /service/{id}/renew", Status: 500})
	err := e.client.Post("/service/1001/renew", map[string]any{"duration": "P1M", "services": []int64{1001}}, nil)
	apiErr(t, err, 500, "Internal Server Error")
	if got := e.fake.Orders(); len(got) != 0 {
		t.Fatalf("a Status fault did the work: %v", got)
	}
}

func TestFaultRawBody(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.Inject(Fault{Route: "GET /service", Status: 200, Body: "{not json"})
	var ids []int64
	err := e.client.Get("/service", &ids)
	var ae *ovh.APIError
	if err == nil || errors.As(err, &ae) {
		t.Fatalf("malformed 200 answer gave %v (%v), want a decoding error", err, ids)
	}
}

func TestFaultDropAfterWork(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.Inject(Fault{Route: "POST /service/{id}/renew", DropAfterWork: true})
	err := e.client.Post("/service/1001/renew", map[string]any{"duration": "P1M", "services": []int64{1001}}, nil)
	var ae *ovh.APIError
	if err == nil || errors.As(err, &ae) {
		t.Fatalf("dropped connection gave %v, want a transport error", err)
	}
	orders := e.fake.Orders()
	if len(orders) != 1 || orders[0].Status != "notPaid" {
		t.Fatalf("the order was not created before the drop: %v", orders)
	}
	// The next call goes through (on a new connection).
	e.renew(t, 1001, "P1M", []int64{1001}, true)
}

func TestFaultStatusAfterWork(t *testing.T) {
	e := newEnv(t, nil, nil)
	id := e.renew(t, 1001, "P1M", []int64{1001}, false)
	e.fake.Inject(Fault{Route: "POST /me/order/{id}/pay", StatusAfterWork: 500})
	apiErr(t, e.client.Post(orderPath(id)+"/pay", payCard, nil), 500, "Internal Server Error")
	if got := e.fake.Payments(); len(got) != 1 || got[0].OrderID != id {
		t.Fatalf("pay answered 500 but the payment was not taken: %v", got)
	}
	if got := e.fake.Orders()[0].Status; got != "checking" {
		t.Errorf("order status = %s, want checking", got)
	}
	// A retry of the payment is refused: it was taken.
	apiErr(t, e.client.Post(orderPath(id)+"/pay", payCard, nil), 400, "already been paid")
}

func TestFaultLatency(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.get(t, "/service") // go-ovh fetches /auth/time first: keep it out of the timing
	e.fake.Inject(Fault{Route: "GET /service", Latency: 30 * time.Millisecond})
	start := time.Now()
	e.get(t, "/service")
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("answer came after %v, want at least 30ms", d)
	}

	// A client that gives up ends the delay: no work, no answer.
	e.fake.Inject(Fault{Route: "POST /service/{id}/renew", Latency: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := e.client.PostWithContext(ctx, "/service/1001/renew", map[string]any{"duration": "P1M", "services": []int64{1001}}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline", err)
	}
	if got := e.fake.Orders(); len(got) != 0 {
		t.Fatalf("work done for an abandoned request: %v", got)
	}
	// srv.Close at cleanup would hang here if the handler still slept.
}

func TestFaultWildcardForeverAndClear(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.Inject(Fault{Route: "*", Times: -1, Status: 502})
	var v any
	for _, p := range []string{"/service", "/services/1001", "/me/order"} {
		apiErr(t, e.client.Get(p, &v), 502, "Bad Gateway")
	}
	// GET /auth/time is spared by "*": a fresh client still syncs its clock.
	c := newClient(t, e.srv.URL, testAK, testAS, testCK)
	if _, err := c.Time(); err != nil {
		t.Fatalf("GET /auth/time under a \"*\" fault: %v", err)
	}
	e.fake.ClearFaults()
	e.get(t, "/service")
}

func TestFaultsConsumedInOrder(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.Inject(Fault{Route: "GET /service", Status: 500})
	e.fake.Inject(Fault{Route: "*", Status: 503})
	e.fake.Inject(Fault{Route: "GET /service", Status: 504})
	var v any
	apiErr(t, e.client.Get("/service", &v), 500, "")
	apiErr(t, e.client.Get("/service", &v), 503, "")
	apiErr(t, e.client.Get("/service", &v), 504, "")
	e.get(t, "/service")
}

func TestHoldBeforeWork(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.get(t, "/service") // sync the client's clock outside the hold
	h := e.fake.Hold("POST /service/{id}/renew", false)
	done := make(chan error, 1)
	go func() {
		done <- e.client.Post("/service/1001/renew", map[string]any{"duration": "P1M", "services": []int64{1001}}, nil)
	}()
	<-h.Reached()
	if got := e.fake.Orders(); len(got) != 0 {
		t.Fatalf("held before the work, yet the order exists: %v", got)
	}
	h.Release()
	if err := <-done; err != nil {
		t.Fatalf("released request: %v", err)
	}
	if got := e.fake.Orders(); len(got) != 1 {
		t.Fatalf("after release: %d orders, want 1", len(got))
	}
}

func TestHoldAfterWork(t *testing.T) {
	e := newEnv(t, nil, nil)
	id := e.renew(t, 1001, "P1M", []int64{1001}, false)
	h := e.fake.Hold("POST /me/order/{id}/pay", true)
	done := make(chan error, 1)
	go func() { done <- e.client.Post(orderPath(id)+"/pay", payCard, nil) }()
	<-h.Reached()
	if got := e.fake.Payments(); len(got) != 1 {
		t.Fatalf("held after the work, yet %d payments", len(got))
	}
	select {
	case err := <-done:
		t.Fatalf("the client got its answer while held: %v", err)
	default:
	}
	h.Release()
	if err := <-done; err != nil {
		t.Fatalf("released request: %v", err)
	}
}

func TestHoldClientGone(t *testing.T) {
	for _, after := range []bool{false, true} {
		name := map[bool]string{false: "before", true: "after"}[after]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			e.get(t, "/service")
			h := e.fake.Hold("POST /service/{id}/renew", after)
			defer h.Release()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- e.client.PostWithContext(ctx, "/service/1001/renew",
					map[string]any{"duration": "P1M", "services": []int64{1001}}, nil)
			}()
			<-h.Reached()
			cancel() // the client dies while the fake holds it
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want canceled", err)
			}
			e.srv.Close() // waits for the handler: it must end without a Release
			select {
			case <-h.Abandoned():
			default:
				t.Error("the client died while held, but the hold does not say it was abandoned")
			}
			want := map[bool]int{false: 0, true: 1}[after]
			if got := len(e.fake.Orders()); got != want {
				t.Fatalf("%d orders after the client died %s the work, want %d", got, name, want)
			}
		})
	}
}
