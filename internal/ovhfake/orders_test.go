package ovhfake

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/renewd/renewd"
)

func TestRenewQuoteAndOrderShapes(t *testing.T) {
	e := newEnv(t, nil, nil)
	quote := e.post(t, "/service/1001/renew", map[string]any{"dryRun": true, "duration": "P1M", "services": []int64{1001}})
	diffJSON(t, "dry run", quote, `{"orderId":0,"date":null,"expirationDate":null,"password":"","pdfUrl":"","url":"",
		"priceWithTax":{"currencyCode":"EUR","text":"8.40 €","value":8.4},
		"priceWithoutTax":{"currencyCode":"EUR","text":"7.00 €","value":7},
		"tax":{"currencyCode":"EUR","text":"1.40 €","value":1.4},
		"retractionDate":null}`)
	if got := e.fake.Orders(); len(got) != 0 {
		t.Fatalf("a dry run created orders: %v", got)
	}

	created := e.post(t, "/service/1001/renew", map[string]any{"dryRun": false, "duration": "P1M", "services": []int64{1001}})
	u := "https://www.ovh.com/cgi-bin/order/displayOrder.cgi?orderId=100000001&orderPassword=" + orderPassword(100000001)
	// t0 is 09:30 UTC in May: 11:30 in Paris, summer time.
	want := `{"orderId":100000001,"date":"2026-05-01T11:30:00+02:00","expirationDate":"2026-05-02T11:30:00+02:00",
		"password":"` + orderPassword(100000001) + `","pdfUrl":"` + u + `","url":"` + u + `",
		"priceWithTax":{"currencyCode":"EUR","text":"8.40 €","value":8.4},
		"priceWithoutTax":{"currencyCode":"EUR","text":"7.00 €","value":7},
		"tax":{"currencyCode":"EUR","text":"1.40 €","value":1.4},
		"retractionDate":null}`
	diffJSON(t, "created order", created, want)
	diffJSON(t, "GET /me/order/{id}", e.get(t, orderPath(100000001)), want)
	diffJSON(t, "status", e.get(t, orderPath(100000001)+"/status"), `"notPaid"`)
	diffJSON(t, "details", e.get(t, orderPath(100000001)+"/details"), `[500000001]`)
	diffJSON(t, "detail", e.get(t, orderPath(100000001)+"/details/500000001"), `{"cancelled":false,
		"description":"Renewal vps-alpha.vps.ovh.net P1M","detailType":"RENEW","domain":"vps-alpha.vps.ovh.net",
		"orderDetailId":500000001,"quantity":"1",
		"totalPrice":{"currencyCode":"EUR","text":"7.00 €","value":7},
		"unitPrice":{"currencyCode":"EUR","text":"7.00 €","value":7}}`)
	diffJSON(t, "extension", e.get(t, orderPath(100000001)+"/details/500000001/extension"), `{"order":{"action":"renew",
		"configurations":[],"plan":{"code":"vps-renew","duration":"P1M","pricingMode":"default",
		"product":{"name":"vps"},"quantity":1},"type":"plan"}}`)
	diffJSON(t, "associatedObject unpaid", e.get(t, orderPath(100000001)+"/associatedObject"), `{"id":null,"type":null}`)
	diffJSON(t, "available means", e.get(t, orderPath(100000001)+"/availableRegisteredPaymentMean"),
		`[{"paymentMean":"CREDIT_CARD"},{"paymentMean":"PAYPAL"}]`)
	pm := e.get(t, orderPath(100000001)+"/paymentMethods").(map[string]any)
	diffJSON(t, "paymentMethods.registered", pm["registered"], `[9001,9002]`)
	var v any
	apiErr(t, e.client.Get(orderPath(100000001)+"/payment", &v), 404, "No payment")
	apiErr(t, e.client.Get(orderPath(100000001)+"/details/500000002", &v), 404, "orderDetailId")

	want1 := []OrderRecord{{ID: 100000001, ServiceID: 1001, Services: []int64{1001}, Period: "P1M",
		PriceUcents: 700000000, Created: t0, Status: "notPaid"}}
	if d := cmp.Diff(want1, e.fake.Orders()); d != "" {
		t.Errorf("Orders() (-want +got):\n%s", d)
	}
}

func TestRenewRefusesWhatNoStrategyOffers(t *testing.T) {
	e := newEnv(t, nil, nil)
	tests := []struct {
		name string
		path string
		body any
		msg  string
	}{
		{"period not offered", "/service/1001/renew", map[string]any{"duration": "P6M", "services": []int64{1001}}, "No renew strategy"},
		{"extra service", "/service/1001/renew", map[string]any{"duration": "P1M", "services": []int64{1001, 1002}}, "No renew strategy"},
		{"no services", "/service/1001/renew", map[string]any{"duration": "P1M", "services": []int64{}}, "No renew strategy"},
		{"bundle part only", "/service/2001/renew", map[string]any{"duration": "P1Y", "services": []int64{3001}}, "No renew strategy"},
		{"duplicate service", "/service/2001/renew", map[string]any{"duration": "P1Y", "services": []int64{2001, 2001}}, "No renew strategy"},
		{"bad duration", "/service/1001/renew", map[string]any{"duration": "monthly", "services": []int64{1001}}, "Invalid parameter duration"},
		{"missing duration", "/service/1001/renew", map[string]any{"services": []int64{1001}}, "Missing parameter duration"},
		{"missing services", "/service/1001/renew", map[string]any{"duration": "P1M"}, "Missing parameter services"},
		{"misspelt dryRun", "/service/1001/renew", map[string]any{"dry_run": true, "duration": "P1M", "services": []int64{1001}}, "dry_run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apiErr(t, e.client.Post(tt.path, tt.body, nil), 400, tt.msg)
		})
	}
	if got := e.fake.Orders(); len(got) != 0 {
		t.Fatalf("refused requests created orders: %v", got)
	}
	// The same set in another order, and P12M for P1Y, are the bundle.
	id := e.renew(t, 2001, "P12M", []int64{3001, 2001}, false)
	o := e.fake.Orders()[0]
	if o.ID != id || o.Period != "P1Y" || o.PriceUcents != 4999000000 || !cmp.Equal(o.Services, []int64{2001, 3001}) {
		t.Fatalf("bundle order = %+v", o)
	}
}

func TestBundleOrderDetails(t *testing.T) {
	sc := SampleScenario(t0)
	sc.Wire.Price = PriceUcents // exact amounts to add up
	e := newEnv(t, &sc, func(o *Options) { o.MaxSkew = -1 })
	id := e.renew(t, 3001, "P1Y", []int64{2001, 3001}, false)
	details := e.get(t, orderPath(id)+"/details").([]any)
	if len(details) != 2 {
		t.Fatalf("details = %v, want 2", details)
	}
	var total int64
	for i, want := range []struct{ domain, typ string }{{"example.com", "domain"}, {"example.com", "hosting/web"}} {
		p := orderPath(id) + "/details/" + details[i].(json.Number).String()
		d := e.get(t, p).(map[string]any)
		n, _ := d["totalPrice"].(map[string]any)["priceInUcents"].(json.Number).Int64()
		total += n
		ext := e.get(t, p+"/extension").(map[string]any)["order"].(map[string]any)
		if d["domain"] != want.domain || ext["plan"].(map[string]any)["code"] != want.typ+"-renew" {
			t.Errorf("detail %d = %v / %v, want domain %s type %s", i, d, ext, want.domain, want.typ)
		}
	}
	if total != 4999000000 {
		t.Errorf("details add up to %d, want the order's 4999000000", total)
	}
	// Delivery moves both services of the bundle.
	e.post(t, orderPath(id)+"/pay", map[string]any{"paymentMethod": map[string]any{"id": 9001}})
	e.clock.Advance(DefaultDeliveryAfter)
	for _, sid := range []int64{2001, 3001} {
		s, _ := e.fake.Service(sid)
		if want := (renewd.Date{Year: 2027, Month: 5, Day: 11}); s.Expiration != want {
			t.Errorf("service %d expires %v after delivery, want %v", sid, s.Expiration, want)
		}
	}
}

func TestOrderLifeCycle(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.MaxSkew = -1; o.DeliveryAfter = time.Hour })
	before, _ := e.fake.Service(1001)
	id := e.renew(t, 1001, "P3M", []int64{1001}, false)
	status := func() string {
		var s string
		if err := e.client.Get(orderPath(id)+"/status", &s); err != nil {
			t.Fatalf("status: %v", err)
		}
		return s
	}
	if got := status(); got != "notPaid" {
		t.Fatalf("new order is %s", got)
	}
	if got := e.post(t, orderPath(id)+"/pay", map[string]any{"paymentMethod": map[string]any{"id": 9001}}); got != nil {
		t.Fatalf("pay answered %v, want null", got)
	}
	if got := status(); got != "checking" {
		t.Fatalf("paid order is %s, want checking", got)
	}
	e.clock.Advance(DefaultCheckingFor - time.Second)
	if got := status(); got != "checking" {
		t.Fatalf("paid order is %s just before the end of CheckingFor, want checking", got)
	}
	e.clock.Advance(time.Second)
	if got := status(); got != "delivering" {
		t.Fatalf("paid order is %s after CheckingFor, want delivering", got)
	}
	if s, _ := e.fake.Service(1001); s.Expiration != before.Expiration {
		t.Fatalf("expiration moved before delivery: %v", s.Expiration)
	}
	diffJSON(t, "payment", e.get(t, orderPath(id)+"/payment"),
		`{"paymentDate":"2026-05-01T11:30:00+02:00","paymentIdentifier":"FAKE-PAY-100000001","paymentType":"creditCard"}`)
	diffJSON(t, "associatedObject", e.get(t, orderPath(id)+"/associatedObject"), `{"id":"FR100000001","type":"Bill"}`)

	e.clock.Advance(time.Hour - DefaultCheckingFor)
	if got := status(); got != "delivered" {
		t.Fatalf("order is %s an hour after payment, want delivered", got)
	}
	want := before.Expiration.AddPeriod(renewd.Period{Months: 3})
	for range 3 { // reading again never moves it again
		e.get(t, "/service/1001")
		if s, _ := e.fake.Service(1001); s.Expiration != want {
			t.Fatalf("expiration = %v, want %v", s.Expiration, want)
		}
	}
	diffJSON(t, "GET /service/1001 expirationDate", e.get(t, "/service/1001").(map[string]any)["expirationDate"], `"2026-08-06"`)

	apiErr(t, e.client.Post(orderPath(id)+"/pay", map[string]any{"paymentMethod": map[string]any{"id": 9001}}, nil),
		400, "This order has already been paid")
	apiErr(t, e.client.Post(orderPath(id)+"/payWithRegisteredPaymentMean", map[string]any{"paymentMean": "paypal", "paymentMeanId": 777}, nil),
		400, "This order has already been paid")
	wantPay := []PaymentRecord{{OrderID: id, Route: "pay", PaymentMethodID: 9001, Mean: "CREDIT_CARD",
		AmountUcents: 19_50_000000 + 3_90_000000, At: t0}}
	if d := cmp.Diff(wantPay, e.fake.Payments()); d != "" {
		t.Errorf("Payments() (-want +got):\n%s", d)
	}
	if got := e.fake.Orders()[0].Status; got != "delivered" {
		t.Errorf("Orders() status = %s", got)
	}
}

func TestUnpaidOrderExpires(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.MaxSkew = -1; o.OrderTTL = time.Hour })
	id := e.renew(t, 1001, "P1M", []int64{1001}, false)
	e.clock.Advance(time.Hour) // at the expiration itself it is still payable...
	diffJSON(t, "status at expiry", e.get(t, orderPath(id)+"/status"), `"notPaid"`)
	e.clock.Advance(time.Second) // ...and past it, cancelled
	diffJSON(t, "status past expiry", e.get(t, orderPath(id)+"/status"), `"cancelled"`)
	apiErr(t, e.client.Post(orderPath(id)+"/pay", map[string]any{"paymentMethod": map[string]any{"id": 9001}}, nil),
		400, "This order has expired")
	if got := e.fake.Payments(); len(got) != 0 {
		t.Fatalf("an expired order was paid: %v", got)
	}
	if got := e.fake.Orders()[0].Status; got != "cancelled" {
		t.Errorf("Orders() status = %s, want cancelled", got)
	}
}

func TestOrderListDateFilter(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.MaxSkew = -1 })
	first := e.renew(t, 1001, "P1M", []int64{1001}, false) // 2026-05-01 09:30Z
	e.clock.Advance(48 * time.Hour)
	second := e.renew(t, 1002, "P3M", []int64{1002}, false) // 2026-05-03 09:30Z
	tests := []struct {
		from, to string
		want     []int64
	}{
		{"", "", []int64{first, second}},
		{"2026-05-02", "", []int64{second}},
		{"", "2026-05-02", []int64{first}},
		{"2026-05-01T09:30:00Z", "2026-05-03T10:30:00+01:00", []int64{first, second}}, // both bounds inclusive
		{"2026-05-01T09:30:01Z", "", []int64{second}},
	}
	for _, tt := range tests {
		q := url.Values{}
		if tt.from != "" {
			q.Set("date.from", tt.from)
		}
		if tt.to != "" {
			q.Set("date.to", tt.to)
		}
		p := "/me/order"
		if len(q) > 0 {
			p += "?" + q.Encode()
		}
		var ids []int64
		if err := e.client.Get(p, &ids); err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		if !cmp.Equal(tt.want, ids) {
			t.Errorf("GET %s = %v, want %v", p, ids, tt.want)
		}
	}
	var v any
	apiErr(t, e.client.Get("/me/order?date.from=yesterday", &v), 400, "Invalid parameter date.from")
	// An unencoded "+" in an offset decodes as a space, as on any HTTP server.
	apiErr(t, e.client.Get("/me/order?date.to=2026-05-03T10:30:00+01:00", &v), 400, "Invalid parameter date.to")
}
