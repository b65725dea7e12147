package ovh

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/renewd/renewd"
)

// renewGuideStrategies is GET /service/12345/renew from OVH's renew guide
// (ovh-api.md §1), value only.
const renewGuideStrategies = `[{"renewPeriod":"P1Y","strategies":[
  {"services":[12345],"price":{"value":1.99},"servicesDetails":[{"serviceType":"Domain .ovh","serviceId":12345}]},
  {"services":[67890,12345],"price":{"value":37.87},"servicesDetails":[{"serviceType":"Hosting Perso 2014","serviceId":67890},{"serviceType":"Domain .ovh","serviceId":12345}]}]}]`

// renewGuideOrder is the guide's POST /service/12345/renew answer.
const renewGuideOrder = `{"expirationDate":"2018-05-16T15:49:06+02:00","password":"aBcD","date":"2018-05-15T15:49:06+02:00",
 "priceWithTax":{"value":45.44,"text":"45.44 €","currencyCode":"EUR"},"tax":{"value":7.57,"text":"7.57 €","currencyCode":"EUR"},
 "pdfUrl":"https://www.ovh.com/cgi-bin/order/displayOrder.cgi?orderId=123456789&orderPassword=aBcD","orderId":123456789,
 "url":"https://www.ovh.com/cgi-bin/order/displayOrder.cgi?orderId=123456789&orderPassword=aBcD",
 "priceWithoutTax":{"value":37.87,"text":"37.87 €","currencyCode":"EUR"},"retractionDate":null}`

func TestRenewGuideStrategies(t *testing.T) {
	ws := newWireServer(t)
	c := newWireClient(t, ws)
	ws.reply("GET /service/12345/renew", renewGuideStrategies)
	got, err := c.RenewStrategies(context.Background(), 12345)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Price.Ucents != 199_000_000 || got[1].Price.Ucents != 3_787_000_000 ||
		got[0].PriceErr != nil || got[1].PriceErr != nil || got[1].PeriodText != "P1Y" ||
		!slices.Equal(got[1].Services, []int64{67890, 12345}) {
		t.Fatalf("strategies = %+v", got)
	}
}

func TestTheOfferedDurationTextIsWhatIsSentBack(t *testing.T) {
	for _, dryRun := range []bool{true, false} {
		ws := newWireServer(t)
		c := newWireClient(t, ws)
		ws.reply("GET /service/12345/renew", `[{"renewPeriod":"P12M","strategies":[
			{"services":[67890,12345],"price":{"value":37.87,"currencyCode":"EUR"},"priceInUcents":3787000000}]}]`)
		ws.reply("POST /service/12345/renew", renewGuideOrder)
		strategies, err := c.RenewStrategies(context.Background(), 12345)
		if err != nil {
			t.Fatal(err)
		}
		// renewd canonicalises P12M to P1Y; OVH must get its own word back.
		s, ok := ChooseStrategy(strategies, 12345, renewd.Period{Years: 1}, true)
		if !ok || s.Period.String() != "P1Y" || s.PeriodText != "P12M" {
			t.Fatalf("ChooseStrategy = %+v, %v", s, ok)
		}
		if dryRun {
			_, err = c.Quote(context.Background(), 12345, s)
		} else {
			_, err = c.CreateRenewOrder(context.Background(), 12345, s)
		}
		if err != nil {
			t.Fatal(err)
		}
		posts := ws.requests("POST /service/12345/renew")
		if len(posts) != 1 {
			t.Fatalf("%d POSTs, want 1", len(posts))
		}
		var body struct {
			DryRun   *bool   `json:"dryRun"`
			Duration string  `json:"duration"`
			Services []int64 `json:"services"`
		}
		if err := json.Unmarshal(posts[0].Body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Duration != "P12M" || !slices.Equal(body.Services, []int64{67890, 12345}) ||
			body.DryRun == nil || *body.DryRun != dryRun {
			t.Errorf("POSTed %s, want duration P12M, services [67890,12345] in OVH's order, dryRun %v", posts[0].Body, dryRun)
		}
	}
}

func TestStrategyPriceUnusableIsKeptWithItsReason(t *testing.T) {
	for _, tt := range priceCases {
		t.Run(tt.name, func(t *testing.T) {
			ws := newWireServer(t)
			c := newWireClient(t, ws)
			strategy := `"services":[12345]`
			if tt.price != "" {
				strategy += `,"price":` + tt.price
			}
			if tt.outer != "" {
				strategy += `,"priceInUcents":` + tt.outer
			}
			if strings.Contains(tt.price, "Infinity") {
				t.Skip("not JSON: the whole answer is unreadable (TestStrategiesAnswerNotJSON)")
			}
			ws.reply("GET /service/12345/renew", `[{"renewPeriod":"P1Y","strategies":[{`+strategy+`}]}]`)
			got, err := c.RenewStrategies(context.Background(), 12345)
			if err != nil || len(got) != 1 {
				t.Fatalf("RenewStrategies = %+v, %v; want the strategy kept", got, err)
			}
			s := got[0]
			checkPrice(t, s.Price, s.PriceErr, tt)
			if s.Period.String() != "P1Y" || !slices.Equal(s.Services, []int64{12345}) {
				t.Errorf("the strategy lost its other data: %+v", s)
			}
			// Still chosen by period and services: the caller fails with the reason.
			if chosen, ok := ChooseStrategy(got, 12345, renewd.Period{Years: 1}, false); !ok || (chosen.PriceErr == nil) != (tt.why == "") {
				t.Errorf("ChooseStrategy = %+v, %v", chosen, ok)
			}
		})
	}
}

func TestChooseStrategyPrefersAUsablePrice(t *testing.T) {
	p1y := renewd.Period{Years: 1}
	bad := Strategy{Period: p1y, Services: []int64{1}, PriceErr: renewd.ErrUnusablePrice} // reads as 0
	good := Strategy{Period: p1y, Services: []int64{1}, Price: renewd.Money{Ucents: 999_000_000}}
	for _, list := range [][]Strategy{{bad, good}, {good, bad}} {
		if s, ok := ChooseStrategy(list, 1, p1y, false); !ok || s.PriceErr != nil {
			t.Errorf("ChooseStrategy(%+v) = %+v: an unusable price (0) won as the cheapest", list, s)
		}
	}
	if s, ok := ChooseStrategy([]Strategy{bad}, 1, p1y, false); !ok || s.PriceErr == nil {
		t.Errorf("ChooseStrategy with only an unusable price = %+v, %v; want it, for the caller to fail on", s, ok)
	}
}

func TestStrategiesThatCannotBeReadAreLeftOut(t *testing.T) {
	ws := newWireServer(t)
	c := newWireClient(t, ws)
	ws.reply("GET /service/12345/renew", `[
		{"renewPeriod":"P1M","strategies":[{"services":[12345],"price":{"value":1}}]},
		{"renewPeriod":"one year","strategies":[{"services":[12345],"price":{"value":1}}]},
		{"renewPeriod":12,"strategies":[]},
		"P3M",
		{"renewPeriod":"P1Y","strategies":[{"services":["12345"],"price":{"value":1}},{"price":{"value":1}},{"services":[12345],"price":{"value":2}}]}]`)
	got, err := c.RenewStrategies(context.Background(), 12345)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].PeriodText != "P1M" || got[1].PeriodText != "P1Y" || got[1].Price.Ucents != 200_000_000 {
		t.Errorf("strategies = %+v, want the P1M one and the readable P1Y one", got)
	}
	for _, want := range []string{`one year`, `renewPeriod\" is a JSON number`, `a JSON string, not an object`, `services\" is a JSON string`, "no services"} {
		if !strings.Contains(c.logs.String(), want) {
			t.Errorf("no warning says %s:\n%s", want, c.logs.String())
		}
	}
}

func TestStrategiesAnswerNotJSON(t *testing.T) {
	ws := newWireServer(t)
	c := newWireClient(t, ws)
	ws.reply("GET /service/12345/renew", `[{"renewPeriod":"P1Y","strategies":[{"services":[12345],"price":{"value":Infinity}}]}]`)
	_, err := c.RenewStrategies(context.Background(), 12345)
	if err == nil || !strings.Contains(err.Error(), "decode GET /service/12345/renew") {
		t.Fatalf("err = %v, want a decode error naming the route", err)
	}
}

// TestQuoteAndCreatedOrderPrices serves each order case as the answer of a
// dryRun quote, a created order and GET /me/order/{id}.
func TestQuoteAndCreatedOrderPrices(t *testing.T) {
	strat := Strategy{Period: renewd.Period{Years: 1}, PeriodText: "P1Y", Services: []int64{12345}}
	for _, oc := range orderCases {
		t.Run(oc.name, func(t *testing.T) {
			ws := newWireServer(t)
			c := newWireClient(t, ws)
			ws.reply("POST /service/12345/renew", oc.body("123456789"))
			ws.reply("GET /me/order/123456789", oc.body("123456789"))
			ctx := context.Background()
			q, err := c.Quote(ctx, 12345, strat)
			if err != nil {
				t.Fatalf("Quote: %v", err)
			}
			checkOrderPrices(t, q, oc)
			o, err := c.CreateRenewOrder(ctx, 12345, strat)
			if err != nil {
				t.Fatalf("CreateRenewOrder: %v (an order with bad prices exists: its id must come back)", err)
			}
			if o.ID != 123456789 {
				t.Errorf("created order id %d", o.ID)
			}
			checkOrderPrices(t, o, oc)
			got, err := c.Order(ctx, 123456789)
			if err != nil {
				t.Fatalf("Order: %v", err)
			}
			checkOrderPrices(t, got, oc)
		})
	}
}

func TestDryRunAnswerWithoutAnOrderID(t *testing.T) {
	// What dryRun returns is UNCONFIRMED: without an orderId it is still a quote.
	ws := newWireServer(t)
	c := newWireClient(t, ws)
	ws.reply("POST /service/12345/renew", `{"priceWithoutTax":{"value":37.87,"currencyCode":"EUR"},"priceWithTax":{"value":45.44,"currencyCode":"EUR"},"tax":{"value":7.57,"currencyCode":"EUR"}}`)
	q, err := c.Quote(context.Background(), 12345, Strategy{Period: renewd.Period{Years: 1}, PeriodText: "P1Y"})
	if err != nil || q.PriceErr != nil || q.WithoutTax.Ucents != 3_787_000_000 {
		t.Fatalf("Quote = %+v, %v", q, err)
	}
	if _, err := c.CreateRenewOrder(context.Background(), 12345, Strategy{Period: renewd.Period{Years: 1}, PeriodText: "P1Y"}); !errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("a created order without an id: err = %v, want ErrUnknownOutcome", err)
	}
}

func TestOrderWithDatesRenewdCannotReadIsStillAnOrder(t *testing.T) {
	for _, date := range []string{`"2026-03-10T10:00:00"`, `"soon"`, `12`, `null`, `"2026-03-10"`, `"2026-03-10T10:00:00.123+01:00"`} {
		o, err := decodeOrder([]byte(`{"orderId":7,"date":` + date + `,"expirationDate":` + date + `,` +
			`"priceWithoutTax":{"value":1},"priceWithTax":{"value":1.2},"tax":{"value":0.2}}`))
		if err != nil || o.ID != 7 || o.PriceErr != nil {
			t.Errorf("date %s: order %+v, %v", date, o, err)
		}
	}
	for _, body := range []string{`{"orderId":"7"}`, `[]`, `null`, `{"orderId":1e400}`, `{`} {
		if _, err := decodeOrder([]byte(body)); err == nil {
			t.Errorf("decodeOrder(%s) succeeded; an order whose id cannot be read is an error", body)
		}
	}
}
