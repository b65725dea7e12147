package ovhfake

import (
	"encoding/json"
	"testing"
)

// priceFormWant is what each form writes for 7.00 (the price without tax
// of vps-alpha's P1M strategy): the order.Price, and the priceInUcents
// beside it in the strategy ("" for none).
var priceFormWant = map[PriceForm]struct{ price, strategyUcents string }{
	PriceValue:          {`{"currencyCode":"EUR","text":"7.00 €","value":7}`, ""},
	PriceUcents:         {`{"currencyCode":"EUR","text":"7.00 €","value":7,"priceInUcents":700000000}`, "700000000"},
	PriceUcentsDisagree: {`{"currencyCode":"EUR","text":"7.00 €","value":7,"priceInUcents":70000000}`, "70000000"},
	PriceUcentsNull:     {`{"currencyCode":"EUR","text":"7.00 €","value":7,"priceInUcents":null}`, ""},
	PriceNoValue:        {`{"currencyCode":"EUR","text":"7.00 €"}`, ""},
	PriceZero:           {`{"currencyCode":"EUR","text":"0.00 €","value":0,"priceInUcents":0}`, "0"},
	PriceHuge:           {`{"currencyCode":"EUR","text":"1e+300 €","value":1e300}`, ""},
	PriceNegative:       {`{"currencyCode":"EUR","text":"-7.00 €","value":-7,"priceInUcents":-700000000}`, "-700000000"},
	PriceEighteenDigits: {`{"currencyCode":"EUR","text":"1234567890.12345678 €","value":1234567890.1234567,"priceInUcents":123456789012345678}`,
		"123456789012345678"},
}

// TestPriceForms: each form is written the same in the strategy listing,
// the dry run, the created order and GET /me/order/{id}; what is charged is
// the strategy's price whatever the form.
func TestPriceForms(t *testing.T) {
	if len(priceFormWant) != len(PriceForms) {
		t.Fatalf("test covers %d forms, the fake has %d", len(priceFormWant), len(PriceForms))
	}
	for _, form := range PriceForms {
		t.Run(string(form), func(t *testing.T) {
			want := priceFormWant[form]
			sc := SampleScenario(t0)
			sc.Wire.Price = form
			e := newEnv(t, &sc, func(o *Options) { o.MaxSkew = -1; o.DeliveryAfter = -1 })
			st := e.get(t, "/service/1001/renew").([]any)[0].(map[string]any)["strategies"].([]any)[0].(map[string]any)
			diffJSON(t, "strategy price", st["price"], want.price)
			if got, ok := st["priceInUcents"]; want.strategyUcents == "" && ok || want.strategyUcents != "" && !ok {
				t.Errorf("strategy priceInUcents = %v (present %v), want %q", got, ok, want.strategyUcents)
			} else if ok {
				diffJSON(t, "strategy priceInUcents", got, want.strategyUcents)
			}
			body := map[string]any{"dryRun": true, "duration": "P1M", "services": []int64{1001}}
			diffJSON(t, "dry run priceWithoutTax", e.post(t, "/service/1001/renew", body).(map[string]any)["priceWithoutTax"], want.price)
			body["dryRun"] = false
			created := e.post(t, "/service/1001/renew", body).(map[string]any)
			diffJSON(t, "created priceWithoutTax", created["priceWithoutTax"], want.price)
			id := e.fake.Orders()[0].ID
			diffJSON(t, "GET order priceWithoutTax", e.get(t, orderPath(id)).(map[string]any)["priceWithoutTax"], want.price)
			e.post(t, orderPath(id)+"/pay", payCard)
			if got := e.fake.Payments()[0].AmountUcents; got != 840000000 {
				t.Errorf("charged %d, want the strategy's 7.00 plus tax", got)
			}
		})
	}
}

// TestPriceFormPrecedence: an order's form is SetOrderPriceForm's, else its
// strategy's, else the account's at the time of the answer.
func TestPriceFormPrecedence(t *testing.T) {
	sc := SampleScenario(t0)
	sc.Services[0].Strategies[1].PriceForm = PriceUcents // 1001 P3M
	e := newEnv(t, &sc, func(o *Options) { o.MaxSkew = -1 })
	ucents := func(v any) any { return v.(map[string]any)["priceWithoutTax"].(map[string]any)["priceInUcents"] }

	byStrategy := e.renew(t, 1001, "P3M", []int64{1001}, false)
	byAccount := e.renew(t, 1001, "P1M", []int64{1001}, false)
	diffJSON(t, "strategy form", ucents(e.get(t, orderPath(byStrategy))), `1950000000`)
	if got := ucents(e.get(t, orderPath(byAccount))); got != nil {
		t.Errorf("account form (value) wrote priceInUcents %v", got)
	}
	e.fake.UpdateWire(func(w *Wire) { w.Price = PriceNegative })
	diffJSON(t, "account form switched", ucents(e.get(t, orderPath(byAccount))), `-700000000`)
	diffJSON(t, "strategy form kept", ucents(e.get(t, orderPath(byStrategy))), `1950000000`)

	if !e.fake.SetOrderPriceForm(byStrategy, PriceUcentsNull) {
		t.Fatal("SetOrderPriceForm: no such order")
	}
	diffJSON(t, "order form", e.get(t, orderPath(byStrategy)).(map[string]any)["tax"],
		`{"currencyCode":"EUR","text":"3.90 €","value":3.9,"priceInUcents":null}`)
	detail := e.get(t, orderPath(byStrategy)+"/details").([]any)[0].(json.Number)
	diffJSON(t, "detail in the order's form", e.get(t, orderPath(byStrategy)+"/details/"+detail.String()).(map[string]any)["totalPrice"],
		`{"currencyCode":"EUR","text":"19.50 €","value":19.5,"priceInUcents":null}`)
	e.fake.SetOrderPriceForm(byStrategy, "")
	diffJSON(t, "back to the strategy's form", ucents(e.get(t, orderPath(byStrategy))), `1950000000`)
	if e.fake.SetOrderPriceForm(42, PriceZero) {
		t.Error("SetOrderPriceForm(42) found an order")
	}
}
