package ovhfake

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPaymentRoutes(t *testing.T) {
	sc := SampleScenario(t0)
	sc.PaymentMethods = append(sc.PaymentMethods, PaymentMethodFixture{ID: 9003, PaymentType: "SEPA_DIRECT_DEBIT", Status: "EXPIRED"})
	e := newEnv(t, &sc, nil)
	pay := func(id int64) string { return orderPath(id) + "/pay" }
	withMean := func(id int64) string { return orderPath(id) + "/payWithRegisteredPaymentMean" }
	refused := []struct {
		name, route string
		body        any
		status      int
		msg         string
	}{
		{"unknown method", "pay", map[string]any{"paymentMethod": map[string]any{"id": 1}}, 400, "Payment method 1 does not exist"},
		{"method not valid", "pay", map[string]any{"paymentMethod": map[string]any{"id": 9003}}, 400, "not valid"},
		{"no method", "pay", map[string]any{}, 400, "Missing parameter paymentMethod.id"},
		{"mean id mismatch", "mean", map[string]any{"paymentMean": "paypal", "paymentMeanId": 778}, 400, "No valid registered payment mean"},
		{"mean not registered", "mean", map[string]any{"paymentMean": "ovhAccount"}, 400, "No valid registered payment mean"},
		{"mean of an invalid method", "mean", map[string]any{"paymentMean": "SEPA_DIRECT_DEBIT"}, 400, "No valid registered payment mean"},
		{"no mean", "mean", map[string]any{"paymentMeanId": 777}, 400, "Missing parameter paymentMean"},
	}
	id := e.renew(t, 1001, "P1M", []int64{1001}, false)
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			path := pay(id)
			if tt.route == "mean" {
				path = withMean(id)
			}
			apiErr(t, e.client.Post(path, tt.body, nil), tt.status, tt.msg)
		})
	}
	apiErr(t, e.client.Post(pay(4242), map[string]any{"paymentMethod": map[string]any{"id": 9001}}, nil), 404, "orderId = 4242")
	if got := e.fake.Payments(); len(got) != 0 {
		t.Fatalf("refused payments were recorded: %v", got)
	}

	paypal := e.renew(t, 2002, "P1Y", []int64{2002}, false)
	card := e.renew(t, 5001, "P1M", []int64{5001}, false)
	e.post(t, withMean(paypal), map[string]any{"paymentMean": "paypal", "paymentMeanId": 777})
	e.post(t, withMean(card), map[string]any{"paymentMean": "creditCard"})
	want := []PaymentRecord{
		{OrderID: paypal, Route: "payWithRegisteredPaymentMean", PaymentMethodID: 9002, Mean: "paypal", MeanID: 777,
			AmountUcents: 999000000 + 200000000, At: t0}, // 20% of 9.99 is 1.998, invoiced 2.00
		{OrderID: card, Route: "payWithRegisteredPaymentMean", PaymentMethodID: 9001, Mean: "creditCard",
			AmountUcents: 1800000000, At: t0},
	}
	if d := cmp.Diff(want, e.fake.Payments()); d != "" {
		t.Errorf("Payments() (-want +got):\n%s", d)
	}
	diffJSON(t, "paypal payment", e.get(t, orderPath(paypal)+"/payment").(map[string]any)["paymentType"], `"paypal"`)
}

func TestPaymentMethodRoutes(t *testing.T) {
	sc := SampleScenario(t0)
	sc.PaymentMethods = append(sc.PaymentMethods, PaymentMethodFixture{ID: 9003, PaymentType: "SEPA_DIRECT_DEBIT", Status: "EXPIRED"})
	e := newEnv(t, &sc, nil)
	for _, tt := range []struct{ query, want string }{
		{"", `[9001,9002,9003]`},
		{"?default=true", `[9001]`},
		{"?default=false", `[9002,9003]`},
		{"?status=VALID", `[9001,9002]`},
		{"?paymentType=PAYPAL", `[9002]`},
	} {
		diffJSON(t, "GET /me/payment/method"+tt.query, e.get(t, "/me/payment/method"+tt.query), tt.want)
	}
	var v any
	apiErr(t, e.client.Get("/me/payment/method?default=maybe", &v), 400, "Invalid parameter default")
	diffJSON(t, "GET /me/payment/method/9002", e.get(t, "/me/payment/method/9002"), `{"paymentMethodId":9002,
		"paymentMeanId":777,"paymentType":"PAYPAL","paymentSubType":null,"status":"VALID","default":false,
		"description":null,"label":"PAYPAL #9002","creationDate":"2020-01-15T11:00:00+01:00",
		"lastUpdate":"2020-01-15T11:00:00+01:00","expirationDate":null,"billingContactId":null,
		"formSessionId":null,"merchantId":null,"oneclick":null,
		"icon":{"name":"PAYPAL","data":null,"url":null},"integration":"NONE"}`)
}
