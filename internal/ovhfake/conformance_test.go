package ovhfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
)

// The conformance test calls every route the fake serves through go-ovh
// (signed requests over HTTP), decodes each answer generically and checks
// every field against testdata/ovh-schema.txt, the doc's schema: in every
// time form and every price form, in winter and in summer, and in every
// inventory form. A wrong type, a datetime without its offset or with the
// wrong season's, a null where the doc allows none, an enum value the doc
// does not list (unless the fake was told to send it), a field missing or
// one the doc does not know: each fails it.

// conformanceRun is one fake in one form, and what its answers broke.
type conformanceRun struct {
	t       *testing.T
	e       *testEnv
	sc      *schema
	c       *checker
	checked map[string]bool // schema route keys answered and checked
}

func newConformanceRun(t *testing.T, sc *schema, scenario Scenario, now time.Time) *conformanceRun {
	t.Helper()
	e := newEnv(t, &scenario, func(o *Options) { o.MaxSkew = -1 })
	e.clock.Set(now)
	allow := wireAllow{zone: time.UTC, alt: map[string]string{}, absent: map[string]bool{}, enum: map[string][]string{}}
	w := scenario.Wire.withDefaults()
	if w.Time == TimeParis {
		zone, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		allow.zone = zone
	}
	if w.Time == TimeExpirationDate { // the Manager mock's form
		allow.alt["services.expanded.Billing.expirationDate"] = "date"
		allow.alt["services.expanded.Billing.nextBillingDate"] = "date"
	}
	if w.Price == PriceNoValue {
		allow.absent["order.Price.value"] = true
	}
	if w.Batch == BatchNumberKeys {
		allow.alt["ovh.BatchItem.key"] = "long"
	}
	return &conformanceRun{t: t, e: e, sc: sc, c: &checker{sc: sc, allow: allow}, checked: map[string]bool{}}
}

// call sends one request (signed unless it is /auth/time) and checks the
// answer: a 2xx against the route's type in the schema, anything else
// against OVH's error body; wantStatus 0 means any 2xx. It returns the
// decoded answer (nil for an error) for the walk to go on with.
func (r *conformanceRun) call(key, method, path string, body any, header map[string]string, wantStatus int) any {
	r.t.Helper()
	typ, ok := r.sc.routes[key]
	if !ok {
		r.t.Fatalf("no route %s in the schema", key)
	}
	req, err := r.e.client.NewRequest(method, path, body, key != "GET /auth/time")
	if err != nil {
		r.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := r.e.client.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		r.t.Fatal(err)
	}
	where := fmt.Sprintf("%s %s", method, path)
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case wantStatus == 0 && !ok2xx, wantStatus != 0 && resp.StatusCode != wantStatus:
		r.c.fail(where, "status %d (%s), want %d", resp.StatusCode, bytes.TrimSpace(raw), max(wantStatus, 200))
		return nil
	case !ok2xx:
		r.c.checkBody(where, "ovh.Error", raw)
		return nil
	}
	r.checked[key] = true
	r.c.checkBody(where, typ, raw)
	if typ == "void" {
		return nil
	}
	v, _ := decodeGeneric(raw)
	return v
}

func (r *conformanceRun) get(key, path string) any { return r.call(key, "GET", path, nil, nil, 0) }

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
	r.e.fake.mu.Lock()
	fixtures := make([]ServiceFixture, 0, len(r.e.fake.services))
	for _, id := range r.e.fake.serviceIDs {
		fixtures = append(fixtures, cloneService(r.e.fake.services[id].fx))
	}
	r.e.fake.mu.Unlock()
	for _, fx := range fixtures {
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

// fakeRouteKeys is every route the fake serves.
func fakeRouteKeys() []string {
	var out []string
	for _, rt := range routes {
		out = append(out, rt.key)
	}
	return out
}

func (r *conformanceRun) report() {
	r.t.Helper()
	for _, e := range r.c.errs {
		r.t.Error(e)
	}
}

// TestConformance: every route, every time form, every price form, winter
// and summer.
func TestConformance(t *testing.T) {
	sc := loadSchema(t)
	checked := map[string]bool{}
	for _, now := range []time.Time{
		time.Date(2026, 1, 15, 22, 30, 0, 0, time.UTC), // winter, late: Paris is already on the next day
		time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC),   // summer
	} {
		for _, tf := range TimeForms {
			for _, pf := range PriceForms {
				name := fmt.Sprintf("%s/%s/%s", now.Format("Jan"), tf, pf)
				t.Run(name, func(t *testing.T) {
					r := newConformanceRun(t, sc, conformanceScenario(now, Wire{Time: tf, Price: pf}), now)
					r.walkServices()
					r.walkOrders()
					r.walkServices() // after delivery: expirations moved
					r.report()
					for k := range r.checked {
						checked[k] = true
					}
				})
			}
		}
	}
	assertEveryRouteChecked(t, sc, checked)
}

// TestConformanceInventoryForms: the listing and batch routes in every
// inventory form, pages capped or not, switched between requests on one
// fake while orders are in flight.
func TestConformanceInventoryForms(t *testing.T) {
	sc := loadSchema(t)
	now := time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC)
	r := newConformanceRun(t, sc, conformanceScenario(now, Wire{}), now)
	r.walkOrders()
	for _, em := range ExpandedModes {
		for _, bm := range BatchModes {
			for _, pages := range []int{0, 2} {
				r.e.fake.SetWire(Wire{Expanded: em, Batch: bm, MaxPageSize: pages})
				r.c.allow.alt = map[string]string{}
				if bm == BatchNumberKeys {
					r.c.allow.alt["ovh.BatchItem.key"] = "long"
				}
				r.walkServices()
			}
		}
	}
	r.report()
	for _, key := range []string{"GET /service/{id}+batch", "GET /services/{id}+batch", "GET /services+expanded"} {
		if !r.checked[key] {
			t.Errorf("%s was never answered and checked", key)
		}
	}
}

// assertEveryRouteChecked fails when a route the fake serves, or one the
// schema lists, was never answered and checked.
func assertEveryRouteChecked(t *testing.T, sc *schema, checked map[string]bool) {
	t.Helper()
	for _, key := range fakeRouteKeys() {
		if _, ok := sc.routes[key]; !ok {
			t.Errorf("the fake serves %s, which the schema table lacks", key)
		}
	}
	for key := range sc.routes {
		if !checked[key] {
			t.Errorf("%s was never answered and checked", key)
		}
		if base, _, _ := strings.Cut(key, "+"); !slices.Contains(fakeRouteKeys(), base) {
			t.Errorf("the schema lists %s, which the fake does not serve", key)
		}
	}
}
