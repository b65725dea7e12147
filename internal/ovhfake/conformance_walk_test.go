package ovhfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/renewd/renewd"
)

// The walks of the conformance test: each reads a group of routes the way a
// client does, so that every answer the fake gives passes the checker.

// ids reads an answer that the schema says is long[].
func ids(v any) []string {
	var out []string
	if arr, ok := v.([]any); ok {
		for _, x := range arr {
			if n, ok := x.(json.Number); ok {
				out = append(out, n.String())
			}
		}
	}
	return out
}

// walkServices reads every service on every service route, and checks that
// they all give the same expiration: the date-typed fields the date, the
// datetime-typed ones that date in their own offset.
func (r *conformanceRun) walkServices() {
	r.get("GET /auth/time", "/auth/time")
	listed := ids(r.get("GET /service", "/service"))
	if got := ids(r.get("GET /services", "/services")); !slices.Equal(got, listed) {
		r.c.fail("GET /services", "ids %v, GET /service says %v", got, listed)
	}
	for _, idText := range listed {
		n, _ := strconv.ParseInt(idText, 10, 64)
		fx, ok := r.e.fake.Service(n)
		if !ok {
			r.c.fail("GET /service", "lists %s, which the fake does not have", idText)
			continue
		}
		id := strconv.FormatInt(fx.ID, 10)
		list, _ := r.get("GET /service/{id}", "/service/"+id).(map[string]any)
		r.get("GET /service/{id}/renew", "/service/"+id+"/renew")
		exp, _ := r.get("GET /services/{id}", "/services/"+id).(map[string]any)
		info, _ := r.get("GET /{type}/{name}/serviceInfos", "/"+fx.Type+"/"+fx.Name+"/serviceInfos").(map[string]any)
		billing, _ := exp["billing"].(map[string]any)
		renew, _ := billing["renew"].(map[string]any)
		current, _ := renew["current"].(map[string]any)
		want := fx.Expiration.String()
		for name, v := range map[string]any{"/service expirationDate": list["expirationDate"],
			"serviceInfos expiration": info["expiration"], "billing.expirationDate": billing["expirationDate"],
			"billing.nextBillingDate": billing["nextBillingDate"], "renew.current.nextDate": current["nextDate"]} {
			if s, _ := v.(string); len(s) < 10 || s[:10] != want {
				r.c.fail("service "+id, "%s is %v, want the date %s (in its own offset)", name, v, want)
			}
		}
	}
	r.walkExpanded()
	r.walkBatch()
}

// walkExpanded pages through the expanded listing, 3 a page, to the total.
func (r *conformanceRun) walkExpanded() {
	h := map[string]string{"X-Pagination-Mode": "CachedObjectList-Pages", "X-Pagination-Size": "3"}
	w := r.e.fake.Wire()
	for page := 1; page <= 10; page++ {
		h["X-Pagination-Number"] = strconv.Itoa(page)
		switch w.Expanded {
		case ExpandedRefused:
			r.call("GET /services+expanded", "GET", "/services", nil, h, http.StatusBadRequest)
			return
		case ExpandedIgnored:
			r.call("GET /services", "GET", "/services", nil, h, 0)
			return
		}
		items, _ := r.call("GET /services+expanded", "GET", "/services", nil, h, 0).([]any)
		if len(items) == 0 {
			return
		}
	}
}

// walkBatch reads services in batches, and checks each item's value
// against the single-read type.
func (r *conformanceRun) walkBatch() {
	h := map[string]string{"X-Ovh-Batch": ","}
	for _, route := range []struct{ key, base, value string }{
		{"GET /service/{id}+batch", "/service/", "serviceList.Service?"},
		{"GET /services/{id}+batch", "/services/", "services.expanded.Service?"},
	} {
		if r.e.fake.Wire().Batch == BatchRefused {
			r.call(route.key, "GET", route.base+"1001,2001", nil, h, http.StatusBadRequest)
			continue
		}
		items, _ := r.call(route.key, "GET", route.base+"1001,2001,999", nil, h, 0).([]any)
		for i, it := range items {
			if obj, ok := it.(map[string]any); ok {
				r.c.check(fmt.Sprintf("%s[%d].value", route.key, i), route.value, obj["value"])
			}
		}
	}
}

// walkOrders orders, quotes and pays renewals, holds two orders in statuses
// the fake was told to answer, and reads every order route.
func (r *conformanceRun) walkOrders() {
	renew := func(id int64, period string, services []int64, dryRun bool) string {
		body := map[string]any{"dryRun": dryRun, "duration": period, "services": services}
		o, _ := r.call("POST /service/{id}/renew", "POST", "/service/"+strconv.FormatInt(id, 10)+"/renew", body, nil, 0).(map[string]any)
		n, _ := o["orderId"].(json.Number)
		return n.String()
	}
	renew(1001, "P1M", []int64{1001}, true)
	card := renew(1001, "P1M", []int64{1001}, false)
	paypal := renew(2001, "P1Y", []int64{2001, 3001}, false)
	renew(1002, "P3M", []int64{1002}, false) // stays unpaid
	review := renew(2002, "P1Y", []int64{2002}, false)
	docs := renew(4001, "P1M", []int64{4001}, false)
	r.call("POST /me/order/{id}/pay", "POST", "/me/order/"+card+"/pay", payCard, nil, 0)
	r.call("POST /me/order/{id}/payWithRegisteredPaymentMean", "POST", "/me/order/"+paypal+"/payWithRegisteredPaymentMean",
		map[string]any{"paymentMean": "paypal", "paymentMeanId": 777}, nil, 0)
	r.call("POST /me/order/{id}/pay", "POST", "/me/order/"+docs+"/pay", payCard, nil, 0)
	reviewID, _ := strconv.ParseInt(review, 10, 64)
	docsID, _ := strconv.ParseInt(docs, 10, 64)
	r.e.fake.SetOrderStatus(reviewID, "inReview")
	r.e.fake.SetOrderStatus(docsID, StatusDocumentsRequested)
	r.c.allow.enum["billing.order.OrderStatusEnum"] = []string{"inReview"} // told to send it
	paid := map[string]bool{card: true, paypal: true, docs: true}

	// Each order in each part of its life: just paid (checking), being
	// delivered, delivered.
	for _, step := range []time.Duration{0, DefaultCheckingFor, DefaultDeliveryAfter} {
		r.e.clock.Advance(step)
		for _, id := range ids(r.get("GET /me/order", "/me/order")) {
			o := "/me/order/" + id
			r.get("GET /me/order/{id}", o)
			r.get("GET /me/order/{id}/status", o+"/status")
			for _, d := range ids(r.get("GET /me/order/{id}/details", o+"/details")) {
				r.get("GET /me/order/{id}/details/{detailId}", o+"/details/"+d)
				r.get("GET /me/order/{id}/details/{detailId}/extension", o+"/details/"+d+"/extension")
			}
			want := http.StatusNotFound // no payment before the order is paid
			if paid[id] {
				want = 0
			}
			r.call("GET /me/order/{id}/payment", "GET", o+"/payment", nil, nil, want)
			r.get("GET /me/order/{id}/associatedObject", o+"/associatedObject")
			r.get("GET /me/order/{id}/availableRegisteredPaymentMean", o+"/availableRegisteredPaymentMean")
			r.get("GET /me/order/{id}/paymentMethods", o+"/paymentMethods")
		}
	}
	for _, id := range ids(r.get("GET /me/payment/method", "/me/payment/method")) {
		r.get("GET /me/payment/method/{id}", "/me/payment/method/"+id)
	}
	r.get("GET /me/payment/method", "/me/payment/method?default=true")
	// An error answer is OVH's error body.
	r.call("GET /service/{id}", "GET", "/service/999", nil, nil, http.StatusNotFound)
}

// conformanceScenario is the sample account with services expiring on the
// days Paris changes its clocks, at an hour that does not exist or happens
// twice then, and a yearly offer spelt in months.
func conformanceScenario(now time.Time, w Wire) Scenario {
	sc := SampleScenario(now)
	sc.Wire = w
	sc.Services[0].Strategies[2].Period = "P12M"
	for i, day := range []string{"2026-03-29", "2026-10-25"} {
		id := int64(8001 + i)
		sc.Services = append(sc.Services, ServiceFixture{ID: id, Name: "dst-" + day + ".example.net", Type: "vps",
			Expiration: renewd.MustDate(day), ExpirationTime: 2*time.Hour + 30*time.Minute,
			Strategies: []StrategyFixture{{Period: "P1M", Services: []int64{id}, PriceUcents: 5 * renewd.UcentsPerUnit}}})
	}
	return sc
}
