package ovhfake

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
)

var expandedHeaders = map[string]string{"X-Pagination-Mode": "CachedObjectList-Pages"}

// TestExpandedModes: the expanded listing honoured, ignored (plain ids) or
// refused (400 with OVH's error body), switched between requests.
func TestExpandedModes(t *testing.T) {
	e := newEnv(t, nil, nil)
	_, v, err := e.getWithHeaders(t, "/services", expandedHeaders)
	if err != nil || len(v.([]any)) != 8 {
		t.Fatalf("honoured: %v, %v", v, err)
	}
	if _, isObject := v.([]any)[0].(map[string]any); !isObject {
		t.Fatalf("honoured listing holds %T, want objects", v.([]any)[0])
	}

	e.fake.UpdateWire(func(w *Wire) { w.Expanded = ExpandedIgnored })
	_, v, err = e.getWithHeaders(t, "/services", expandedHeaders)
	if err != nil {
		t.Fatal(err)
	}
	diffJSON(t, "ignored", v, `[1001,1002,1003,2001,2002,3001,4001,5001]`)

	e.fake.UpdateWire(func(w *Wire) { w.Expanded = ExpandedRefused })
	_, _, err = e.getWithHeaders(t, "/services", expandedHeaders)
	if ae := apiErr(t, err, 400, "X-Pagination-Mode"); ae.Class != "Client::BadRequest" {
		t.Errorf("refused with class %q", ae.Class)
	}
	// Refused concerns the expanded listing only: the plain one still works.
	diffJSON(t, "plain while refused", e.get(t, "/services"), `[1001,1002,1003,2001,2002,3001,4001,5001]`)

	e.fake.UpdateWire(func(w *Wire) { w.Expanded = ExpandedHonoured })
	if _, v, _ = e.getWithHeaders(t, "/services", expandedHeaders); len(v.([]any)) != 8 {
		t.Errorf("honoured again: %v", v)
	}
}

// TestShortPages: with MaxPageSize the fake serves pages shorter than asked
// while X-Pagination-Elements gives the total; numbering follows the size
// served, so a client that reads on to the total misses nothing and one
// that stops at the first short page misses services.
func TestShortPages(t *testing.T) {
	sc := SampleScenario(t0)
	sc.Wire.MaxPageSize = 3
	e := newEnv(t, &sc, nil)
	h := map[string]string{"X-Pagination-Mode": "CachedObjectList-Pages", "X-Pagination-Size": "500"}
	var ids []any
	for page := 1; page <= 3; page++ {
		h["X-Pagination-Number"] = strconv.Itoa(page)
		resp, v, err := e.getWithHeaders(t, "/services", h)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("X-Pagination-Elements"); got != "8" {
			t.Errorf("page %d: X-Pagination-Elements %q, want 8", page, got)
		}
		if got := resp.Header.Get("X-Pagination-Size"); got != "3" {
			t.Errorf("page %d: X-Pagination-Size %q, want the 3 served", page, got)
		}
		for _, it := range v.([]any) {
			ids = append(ids, it.(map[string]any)["serviceId"])
		}
	}
	diffJSON(t, "every page", ids, `[1001,1002,1003,2001,2002,3001,4001,5001]`)

	e.fake.UpdateWire(func(w *Wire) { w.MaxPageSize = 0 })
	h["X-Pagination-Number"] = "1"
	if _, v, _ := e.getWithHeaders(t, "/services", h); len(v.([]any)) != 8 {
		t.Errorf("uncapped page holds %d, want 8", len(v.([]any)))
	}
}

// TestBatchModes: batch keys as strings or numbers, or batch refused.
func TestBatchModes(t *testing.T) {
	e := newEnv(t, nil, nil)
	batch := map[string]string{"X-Ovh-Batch": ","}
	keys := func(t *testing.T, base string) []any {
		t.Helper()
		_, v, err := e.getWithHeaders(t, base+"1001,x,2001", batch)
		if err != nil {
			t.Fatal(err)
		}
		var out []any
		for _, it := range v.([]any) {
			out = append(out, it.(map[string]any)["key"])
		}
		return out
	}
	for _, base := range []string{"/service/", "/services/"} {
		t.Run(base, func(t *testing.T) {
			e.fake.UpdateWire(func(w *Wire) { w.Batch = BatchNumberKeys })
			got := keys(t, base)
			if _, isNumber := got[0].(json.Number); !isNumber || got[0].(json.Number) != "1001" || got[1] != "x" {
				t.Errorf("number keys = %#v, want 1001 as a number and x as a string", got)
			}
			e.fake.UpdateWire(func(w *Wire) { w.Batch = BatchStringKeys })
			if got := keys(t, base); got[0] != "1001" || got[2] != "2001" {
				t.Errorf("string keys = %#v", got)
			}
			e.fake.UpdateWire(func(w *Wire) { w.Batch = BatchRefused })
			_, _, err := e.getWithHeaders(t, base+"1001,2001", batch)
			apiErr(t, err, http.StatusBadRequest, "Invalid parameter serviceId")
			// One id with the header is then the plain object.
			_, v, err := e.getWithHeaders(t, base+"1001", batch)
			if _, isObject := v.(map[string]any); err != nil || !isObject {
				t.Errorf("one id, batch refused: %v, %v", v, err)
			}
		})
	}
}

// TestWireSwitchesWhileOrdersAreInFlight: forms change between requests and
// the orders go on living: an order made in one form is read, paid and
// delivered in others.
func TestWireSwitchesWhileOrdersAreInFlight(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.MaxSkew = -1 })
	id := e.renew(t, 1001, "P1M", []int64{1001}, false)
	e.fake.SetWire(Wire{Time: TimeUTC, Price: PriceUcents, Expanded: ExpandedRefused, Batch: BatchNumberKeys})
	if got := e.get(t, orderPath(id)).(map[string]any)["date"]; got != "2026-05-01T09:30:00Z" {
		t.Errorf("order date in UTC = %v", got)
	}
	e.post(t, orderPath(id)+"/pay", payCard)
	e.fake.SetWire(Wire{})
	e.clock.Advance(DefaultDeliveryAfter)
	diffJSON(t, "status", e.get(t, orderPath(id)+"/status"), `"delivered"`)
	if got := e.fake.Wire(); got != (Wire{Time: TimeParis, Price: PriceValue, Expanded: ExpandedHonoured, Batch: BatchStringKeys}) {
		t.Errorf("Wire() = %+v, want the defaults filled in", got)
	}
	if got := e.get(t, servicePath(1001)).(map[string]any)["expirationDate"]; got != "2026-06-06" {
		t.Errorf("expiration after delivery = %v", got)
	}
}
