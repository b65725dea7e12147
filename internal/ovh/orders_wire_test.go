package ovh

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/renewd/renewd"
)

func TestOrderStatusClasses(t *testing.T) {
	tests := []struct {
		status             OrderStatus
		unpaid, paid, gone bool
	}{
		{StatusNotPaid, true, false, false},
		{StatusChecking, false, true, false},
		{StatusDelivering, false, true, false},
		{StatusDelivered, false, true, false},
		{StatusCancelled, false, false, true},
		{StatusCancelling, false, false, true},
		// Neither: never taken as unpaid, never as paid, never as gone.
		{StatusDocumentsRequested, false, false, false},
		{StatusUnknown, false, false, false},
		{"refunded", false, false, false}, // a value added later
		{"NotPaid", false, false, false},  // another case is another value
		{"notpaid", false, false, false},
		{" notPaid", false, false, false},
		{"", false, false, false},
	}
	for _, tt := range tests {
		if got := [3]bool{tt.status.Unpaid(), tt.status.Paid(), tt.status.Gone()}; got != [3]bool{tt.unpaid, tt.paid, tt.gone} {
			t.Errorf("%q: unpaid, paid, gone = %v, want %v", tt.status, got, [3]bool{tt.unpaid, tt.paid, tt.gone})
		}
	}
}

func TestOrderStatusAnswers(t *testing.T) {
	tests := []struct {
		body    string
		want    OrderStatus
		wantErr bool
	}{
		{`"notPaid"`, StatusNotPaid, false},
		{`"documentsRequested"`, StatusDocumentsRequested, false},
		{`"somethingNew"`, "somethingNew", false},
		{`{"status":"notPaid"}`, "", true},
		{`["notPaid"]`, "", true},
		{`1`, "", true},
		{`null`, "", true},
		{`notPaid`, "", true},
	}
	for _, tt := range tests {
		ws := newWireServer(t)
		c := newWireClient(t, ws)
		ws.reply("GET /me/order/42/status", tt.body)
		got, err := c.OrderStatus(context.Background(), 42)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("status %s = %q, %v; want %q, error %v", tt.body, got, err, tt.want, tt.wantErr)
		}
	}
}

// serveOrders serves orders as OVH does, one line each: a renewal of name
// for duration, with the given status.
func serveOrders(ws *wireServer, orders map[int64][3]string) {
	var ids []int64
	for id, o := range orders {
		ids = append(ids, id)
		p := fmt.Sprintf("/me/order/%d", id)
		ws.reply("GET "+p+"/details", "[10]")
		ws.reply("GET "+p+"/details/10", `{"orderDetailId":10,"domain":"`+o[0]+`","description":"Renew","detailType":"RENEW","quantity":"1","cancelled":false,`+
			`"totalPrice":{"value":7,"currencyCode":"EUR"},"unitPrice":{"value":7,"currencyCode":"EUR"}}`)
		ws.reply("GET "+p+"/details/10/extension", `{"order":{"action":"renew","configurations":[],"plan":{"code":"vps","duration":"`+o[1]+`","pricingMode":"default","product":{"name":"vps"},"quantity":1},"type":"plan"}}`)
		ws.reply("GET "+p+"/status", `"`+o[2]+`"`)
		ws.reply("GET "+p, fmt.Sprintf(`{"orderId":%d,"date":"2026-03-10T10:00:00+01:00","expirationDate":"2026-03-11T10:00:00+01:00",`+
			`"priceWithoutTax":{"value":7,"currencyCode":"EUR"},"priceWithTax":{"value":8.4,"currencyCode":"EUR"},"tax":{"value":1.4,"currencyCode":"EUR"}}`, id))
	}
	ws.reply("GET /me/order", fmtIDs(ids...))
}

func TestFindRenewOrderReturnsStatusesThatAllowNothing(t *testing.T) {
	ws := newWireServer(t)
	c := newWireClient(t, ws)
	serveOrders(ws, map[int64][3]string{
		1: {"vps-a", "P1M", "notPaid"},
		2: {"vps-a", "P1M", "documentsRequested"},
		3: {"vps-a", "P1M", "cancelled"},
		4: {"vps-b", "P1M", "notPaid"},
		5: {"vps-a", "P3M", "notPaid"},
	})
	o, status, found, err := c.FindRenewOrder(context.Background(), time.Unix(wireTime, 0), "vps-a", renewd.Period{Months: 1}, nil)
	if err != nil || !found {
		t.Fatalf("FindRenewOrder = %v, %v", found, err)
	}
	// The newest live match is 2, documentsRequested: returned as it is,
	// so that the caller neither pays it nor orders a second renewal.
	if o.ID != 2 || status != StatusDocumentsRequested || status.Unpaid() || status.Paid() || status.Gone() {
		t.Errorf("found order %d (%q), want order 2 documentsRequested", o.ID, status)
	}
	if q := ws.requests("GET /me/order"); len(q) != 1 || !strings.HasPrefix(q[0].Query, "date.from=") {
		t.Errorf("order listing %+v", q)
	}
}

func TestFindRenewOrderNeverPassesOverALineItCannotRead(t *testing.T) {
	for name, detail := range map[string]string{
		"domain a number":    `{"orderDetailId":10,"domain":42,"detailType":"RENEW"}`,
		"not JSON":           `{"orderDetailId":10,"domain":"vps-a"`,
		"an array":           `[]`,
		"cancelled a string": `{"orderDetailId":10,"domain":"vps-a","detailType":"RENEW","cancelled":"no"}`,
	} {
		t.Run(name, func(t *testing.T) {
			ws := newWireServer(t)
			c := newWireClient(t, ws)
			serveOrders(ws, map[int64][3]string{1: {"vps-a", "P1M", "notPaid"}})
			ws.reply("GET /me/order/1/details/10", detail)
			_, _, found, err := c.FindRenewOrder(context.Background(), time.Unix(wireTime, 0), "vps-a", renewd.Period{Months: 1}, nil)
			if err == nil || found {
				t.Fatalf("FindRenewOrder = found %v, %v; want an error: the line might be the renewal", found, err)
			}
		})
	}
	ws := newWireServer(t)
	c := newWireClient(t, ws)
	serveOrders(ws, map[int64][3]string{1: {"vps-a", "P1M", "notPaid"}})
	ws.reply("GET /me/order/1/details/10/extension", `{"order":{"action":["renew"]}}`)
	if _, _, _, err := c.FindRenewOrder(context.Background(), time.Unix(wireTime, 0), "vps-a", renewd.Period{Months: 1}, nil); err == nil {
		t.Error("an unreadable extension was passed over")
	}
}

func TestOrderItemsCacheIsTheCallersCopyAndBounded(t *testing.T) {
	ws := newWireServer(t)
	c := newWireClient(t, ws)
	serveOrders(ws, map[int64][3]string{1: {"vps-a", "P1M", "notPaid"}, 2: {"vps-b", "P1Y", "notPaid"}})
	ctx := context.Background()
	items, err := c.OrderItems(ctx, 1)
	if err != nil || len(items) != 1 || items[0].Domain != "vps-a" || items[0].Duration != "P1M" || items[0].Action != "renew" {
		t.Fatalf("OrderItems = %+v, %v", items, err)
	}
	items[0].Domain = "changed by the caller"
	again, err := c.OrderItems(ctx, 1)
	if err != nil || again[0].Domain != "vps-a" {
		t.Fatalf("second OrderItems = %+v, %v: the cache was changed through a returned slice", again, err)
	}
	again[0].Domain = "changed again"
	if third, err := c.OrderItems(ctx, 1); err != nil || third[0].Domain != "vps-a" {
		t.Fatalf("third OrderItems = %+v, %v: the cache was changed through a returned slice", third, err)
	}
	if n := len(ws.requests("GET /me/order/1/details")); n != 1 {
		t.Errorf("order 1's lines read %d times, want once", n)
	}
	// Full: emptied, then filled again.
	c.itemsMu.Lock()
	for i := range maxCachedOrders {
		c.items[int64(1000+i)] = nil
	}
	c.itemsMu.Unlock()
	if _, err := c.OrderItems(ctx, 2); err != nil {
		t.Fatal(err)
	}
	c.itemsMu.Lock()
	n := len(c.items)
	c.itemsMu.Unlock()
	if n > maxCachedOrders {
		t.Errorf("the cache holds %d orders, more than %d", n, maxCachedOrders)
	}
}

func TestOrderItemRenews(t *testing.T) {
	p1m, p1y := renewd.Period{Months: 1}, renewd.Period{Years: 1}
	line := OrderItem{Domain: "vps-a.ovh.net", DetailType: "RENEW", Action: "renew", Duration: "P1M"}
	with := func(edit func(*OrderItem)) OrderItem { it := line; edit(&it); return it }
	tests := []struct {
		name   string
		item   OrderItem
		svc    string
		period renewd.Period
		want   bool
	}{
		{"the renewal", line, "vps-a.ovh.net", p1m, true},
		{"name in another case", line, "VPS-A.ovh.net", p1m, true},
		{"another service", line, "vps-b.ovh.net", p1m, false},
		{"no name", line, "", p1m, false},
		{"no name on either side", with(func(it *OrderItem) { it.Domain = "" }), "", p1m, false},
		{"another period", line, "vps-a.ovh.net", p1y, false},
		{"P12M is P1Y", with(func(it *OrderItem) { it.Duration = "P12M" }), "vps-a.ovh.net", p1y, true},
		{"cancelled", with(func(it *OrderItem) { it.Cancelled = true }), "vps-a.ovh.net", p1m, false},
		{"an installation", with(func(it *OrderItem) { it.Action, it.DetailType = "installation", "INSTALLATION" }), "vps-a.ovh.net", p1m, false},
		{"action renew, no detail type", with(func(it *OrderItem) { it.DetailType = "" }), "vps-a.ovh.net", p1m, true},
		{"RENEW without extension: any period", with(func(it *OrderItem) { it.Action, it.Duration = "", "" }), "vps-a.ovh.net", p1y, true},
		{"action renew, no duration, not RENEW", with(func(it *OrderItem) { it.Duration, it.DetailType = "", "DURATION" }), "vps-a.ovh.net", p1m, false},
		{"an unreadable duration", with(func(it *OrderItem) { it.Duration = "a month" }), "vps-a.ovh.net", p1m, false},
	}
	for _, tt := range tests {
		if got := tt.item.Renews(tt.svc, tt.period); got != tt.want {
			t.Errorf("%s: Renews = %v, want %v", tt.name, got, tt.want)
		}
	}
}
