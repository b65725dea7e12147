package ovhfake

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
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
	req, err := r.e.client.NewRequest(method, path, body, key != "GET /auth/time" && key != "POST /auth/credential")
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
					r.walkAuth()
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
