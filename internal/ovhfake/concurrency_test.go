package ovhfake

import (
	"errors"
	"sync"
	"testing"

	"github.com/ovh/go-ovh/ovh"
)

// TestConcurrentUse runs clients and test controls against one fake at the
// same time; -race checks the locking, the counts check nothing is lost.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, nil, nil)
	const workers = 8
	ids := []int64{1001, 1002, 1003, 2002, 4001, 5001, 2001, 3001}
	periods := map[int64]string{1001: "P1M", 1002: "P3M", 1003: "P1M", 2002: "P1Y", 4001: "P1M", 5001: "P1M", 2001: "P1Y", 3001: "P1Y"}
	var wg sync.WaitGroup
	errs := make(chan error, workers*4)
	for w := range workers {
		c := newClient(t, e.srv.URL, testAK, testAS, testCK)
		id := ids[w]
		wg.Go(func() {
			var out struct {
				OrderID int64 `json:"orderId"`
			}
			var list []int64
			var svc any
			for _, err := range []error{
				c.Get("/service", &list),
				c.Get(servicePath(id), &svc),
				c.Post(servicePath(id)+"/renew", map[string]any{"duration": periods[id], "services": []int64{id}}, &out),
			} {
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- c.Post(orderPath(out.OrderID)+"/pay", payCard, nil)
		})
	}
	wg.Go(func() { // the test side, meanwhile
		for range 50 {
			e.fake.Orders()
			e.fake.Payments()
			e.fake.Requests()
			e.fake.SetPrice(1001, "P1M", 700000000)
			e.fake.Service(1001)
			e.fake.Inject(Fault{Route: "GET /no/such"})
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if o, p := len(e.fake.Orders()), len(e.fake.Payments()); o != workers || p != workers {
		t.Errorf("%d orders, %d payments; want %d each", o, p, workers)
	}
	sum := 0
	for _, n := range e.fake.Requests() {
		sum += n
	}
	if sum != e.fake.TotalRequests() {
		t.Errorf("Requests() adds up to %d, TotalRequests() = %d", sum, e.fake.TotalRequests())
	}
}

// TestConcurrentPaymentsOfOneOrder: many clients pay the same order at
// once; exactly one payment is taken.
func TestConcurrentPaymentsOfOneOrder(t *testing.T) {
	e := newEnv(t, nil, nil)
	id := e.renew(t, 1001, "P1M", []int64{1001}, false)
	const payers = 8
	results := make(chan error, payers)
	var wg sync.WaitGroup
	for range payers {
		c := newClient(t, e.srv.URL, testAK, testAS, testCK)
		wg.Go(func() { results <- c.Post(orderPath(id)+"/pay", payCard, nil) })
	}
	wg.Wait()
	close(results)
	paid := 0
	for err := range results {
		var ae *ovh.APIError
		switch {
		case err == nil:
			paid++
		case errors.As(err, &ae) && ae.Code == 400:
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if paid != 1 || len(e.fake.Payments()) != 1 {
		t.Fatalf("%d successful answers, %d payments; want 1 and 1", paid, len(e.fake.Payments()))
	}
}
