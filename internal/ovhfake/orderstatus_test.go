package ovhfake

import (
	"testing"
	"time"
)

// TestOrderStatusHeld: SetOrderStatus answers documentsRequested, or a
// status OVH may add, instead of the life cycle's; meanwhile the order is
// neither delivered nor payable, and when it ends the life cycle resumes.
func TestOrderStatusHeld(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.MaxSkew = -1; o.DeliveryAfter = time.Hour })
	status := func(id int64) any { return e.get(t, orderPath(id)+"/status") }
	before, _ := e.fake.Service(1001)

	paid := e.renew(t, 1001, "P1M", []int64{1001}, false)
	e.post(t, orderPath(paid)+"/pay", payCard)
	if !e.fake.SetOrderStatus(paid, StatusDocumentsRequested) {
		t.Fatal("SetOrderStatus: no such order")
	}
	e.clock.Advance(2 * time.Hour)
	diffJSON(t, "held paid order", status(paid), `"documentsRequested"`)
	if s, _ := e.fake.Service(1001); s.Expiration != before.Expiration {
		t.Fatalf("a held order was delivered: expiration %s", s.Expiration)
	}
	if got := e.fake.Orders()[0].Status; got != StatusDocumentsRequested {
		t.Errorf("Orders() status = %s", got)
	}
	e.fake.SetOrderStatus(paid, "")
	diffJSON(t, "released paid order", status(paid), `"delivered"`)
	if s, _ := e.fake.Service(1001); s.Expiration == before.Expiration {
		t.Error("the released order was not delivered")
	}

	unpaid := e.renew(t, 1002, "P3M", []int64{1002}, false)
	e.fake.SetOrderStatus(unpaid, "inReview")
	diffJSON(t, "unknown status", status(unpaid), `"inReview"`)
	apiErr(t, e.client.Post(orderPath(unpaid)+"/pay", payCard, nil), 400, "cannot be paid in its status inReview")
	apiErr(t, e.client.Post(orderPath(unpaid)+"/payWithRegisteredPaymentMean", map[string]any{"paymentMean": "paypal"}, nil),
		400, "cannot be paid in its status inReview")
	e.fake.SetOrderStatus(unpaid, StatusNotPaid)
	e.post(t, orderPath(unpaid)+"/pay", payCard)

	// Told to say notPaid about a paid order, the fake still takes no money.
	e.fake.SetOrderStatus(unpaid, StatusNotPaid)
	diffJSON(t, "paid order told notPaid", status(unpaid), `"notPaid"`)
	apiErr(t, e.client.Post(orderPath(unpaid)+"/pay", payCard, nil), 400, "already been paid")
	if got := len(e.fake.Payments()); got != 2 {
		t.Errorf("%d payments, want 2", got)
	}
	if e.fake.SetOrderStatus(42, "x") {
		t.Error("SetOrderStatus(42) found an order")
	}
}

// TestDeliveryTimings: the default life of a paid order is checking, then
// delivering, then delivered; a negative DeliveryAfter delivers inside the
// payment, a negative CheckingFor skips checking.
func TestDeliveryTimings(t *testing.T) {
	tests := []struct {
		name           string
		delivery, chk  time.Duration
		atPay, atLater string // status right after paying, and DefaultDeliveryAfter later
		later          time.Duration
	}{
		{"defaults", 0, 0, "checking", "delivered", DefaultDeliveryAfter},
		{"between", 0, 0, "checking", "delivering", DefaultCheckingFor},
		{"at once", -1, 0, "delivered", "delivered", time.Second},
		{"no checking", time.Hour, -1, "delivering", "delivered", time.Hour},
		{"checking longer than delivery", time.Minute, time.Hour, "checking", "delivered", time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, func(o *Options) { o.MaxSkew = -1; o.DeliveryAfter = tt.delivery; o.CheckingFor = tt.chk })
			id := e.renew(t, 1001, "P1M", []int64{1001}, false)
			e.post(t, orderPath(id)+"/pay", payCard)
			diffJSON(t, "after paying", e.get(t, orderPath(id)+"/status"), `"`+tt.atPay+`"`)
			e.clock.Advance(tt.later)
			diffJSON(t, "later", e.get(t, orderPath(id)+"/status"), `"`+tt.atLater+`"`)
		})
	}
}

// TestStrictDuration: with StrictDuration the fake takes back a period only
// as its renewPeriod spelt it; without, any spelling of the same period.
func TestStrictDuration(t *testing.T) {
	sc := SampleScenario(t0)
	sc.Services[0].Strategies[2].Period = "P12M" // 1001's yearly offer, spelt in months
	e := newEnv(t, &sc, nil)
	var periods []any
	for _, d := range e.get(t, "/service/1001/renew").([]any) {
		periods = append(periods, d.(map[string]any)["renewPeriod"])
	}
	diffJSON(t, "renewPeriods", periods, `["P1M","P3M","P12M"]`)
	if got := e.get(t, servicePath(1001)).(map[string]any)["renew"].(map[string]any)["possibleIntervals"]; len(got.([]any)) != 3 {
		t.Errorf("possibleIntervals = %v", got)
	}
	quote := func(d string) error {
		return e.client.Post("/service/1001/renew", map[string]any{"dryRun": true, "duration": d, "services": []int64{1001}}, nil)
	}
	for _, d := range []string{"P12M", "P1Y"} {
		if err := quote(d); err != nil {
			t.Errorf("lenient: %s refused: %v", d, err)
		}
	}
	e.fake.UpdateWire(func(w *Wire) { w.StrictDuration = true })
	if err := quote("P12M"); err != nil {
		t.Errorf("strict: the offered P12M refused: %v", err)
	}
	apiErr(t, quote("P1Y"), 400, `"P1Y" is not an offered renew period (offered: P12M)`)
	if err := quote("P1M"); err != nil {
		t.Errorf("strict: P1M refused: %v", err)
	}
}
