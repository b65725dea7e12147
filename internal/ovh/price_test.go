package ovh

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/renewd/renewd"
)

// priceCase is an order.Price as OVH might send it, and what renewd must
// make of it: an amount, or an unusable price whose reason contains why.
type priceCase struct {
	name  string
	price string // the raw order.Price; "" for absent
	outer string // a strategy's own priceInUcents beside it; "" for absent
	want  int64  // the usable amount, when why is ""
	cur   string
	why   string
}

var priceCases = []priceCase{
	// Usable.
	{"value only, the renew guide's form", `{"value":1.99}`, "", 199_000_000, "", ""},
	{"value, text and currency", `{"value":45.44,"text":"45.44 €","currencyCode":"EUR"}`, "", 4_544_000_000, "EUR", ""},
	{"value and priceInUcents agreeing", `{"value":37.87,"currencyCode":"EUR","priceInUcents":3787000000}`, "", 3_787_000_000, "EUR", ""},
	{"priceInUcents is the amount; value rounded for display", `{"value":12.35,"priceInUcents":1234567890}`, "", 1_234_567_890, "", ""},
	{"value truncated, under a cent away", `{"value":12.34,"priceInUcents":1234999999}`, "", 1_234_999_999, "", ""},
	{"priceInUcents only", `{"priceInUcents":700000000,"currencyCode":"GBP"}`, "", 700_000_000, "GBP", ""},
	{"the strategy's priceInUcents only", `{"value":null}`, "999000000", 999_000_000, "", ""},
	{"the strategy's priceInUcents and no price object", "", "999000000", 999_000_000, "", ""},
	{"all three agreeing", `{"value":9.99,"priceInUcents":999000000}`, "999000000", 999_000_000, "", ""},
	{"N/A currency is the account's", `{"value":1,"currencyCode":"N/A"}`, "", 100_000_000, "", ""},
	{"points", `{"value":3,"currencyCode":"points"}`, "", 300_000_000, "points", ""},
	{"exponent form", `{"value":3.787e1}`, "", 3_787_000_000, "", ""},
	{"the maximum", `{"value":10000000}`, "", renewd.MaxUcents, "", ""},
	{"priceInUcents written as a whole double", `{"priceInUcents":7.0e8}`, "", 700_000_000, "", ""},

	// Unusable.
	{"absent", "", "", 0, "", "no price sent"},
	{"null", `null`, "", 0, "", "no price sent"},
	{"empty object", `{}`, "", 0, "", "neither value nor priceInUcents"},
	{"value null, ucents null", `{"value":null,"priceInUcents":null,"currencyCode":"EUR"}`, "", 0, "EUR", "neither value nor priceInUcents"},
	{"zero", `{"value":0}`, "", 0, "", "not positive"},
	{"zero in both", `{"value":0,"priceInUcents":0}`, "", 0, "", "not positive"},
	{"negative", `{"value":-1,"currencyCode":"EUR"}`, "", 0, "EUR", "not positive"},
	{"negative ucents", `{"priceInUcents":-100000000}`, "", 0, "", "not positive"},
	{"1e300", `{"value":1e300}`, "", 0, "", "out of range"},
	{"1e400, beyond a double", `{"value":1e400}`, "", 0, "", "out of range"},
	{"-1e300", `{"value":-1e300}`, "", 0, "", "out of range"},
	{"just above the maximum", `{"value":10000000.01}`, "", 0, "", "above the maximum"},
	{"18 digits of ucents", `{"priceInUcents":999999999999999999}`, "", 0, "", "above the maximum"},
	{"20 digits of ucents", `{"priceInUcents":99999999999999999999}`, "", 0, "", "not a whole number"},
	{"18 digits of value", `{"value":123456789012345678}`, "", 0, "", "out of range"},
	{"NaN as a string", `{"value":"NaN"}`, "", 0, "", `value the string "NaN" is not a number`},
	{"a number as a string", `{"value":"12.99"}`, "", 0, "", "is not a number"},
	{"Infinity, not JSON", `{"value":Infinity}`, "", 0, "", "not valid JSON"},
	{"ucents with a fraction", `{"priceInUcents":700000000.5}`, "", 0, "", "not a whole number"},
	{"ucents as a string", `{"priceInUcents":"700000000"}`, "", 0, "", "is not a number"},
	{"value and ucents disagreeing by a cent", `{"value":7.01,"priceInUcents":700000000}`, "", 0, "", "disagree"},
	{"ucents mis-scaled", `{"value":7,"priceInUcents":700000}`, "", 0, "", "disagree"},
	{"value set, ucents zero", `{"value":7,"priceInUcents":0}`, "", 0, "", "not positive"},
	{"ucents set, value zero", `{"value":0,"priceInUcents":700000000}`, "", 0, "", "disagree"},
	{"price's and strategy's ucents disagreeing", `{"value":9.99,"priceInUcents":999000000}`, "999000001", 0, "", "disagree"},
	{"strategy's ucents absurd", `{"value":9.99}`, "1e400", 0, "", "not a whole number"},
	{"currency not a code", `{"value":1,"currencyCode":"€uro and more"}`, "", 0, "", "not a currency code"},
	{"currency a number", `{"value":1,"currencyCode":978}`, "", 0, "", "not a currency code"},
	{"not an object", `12.99`, "", 0, "", "not an object"},
	{"an array", `[{"value":1}]`, "", 0, "", "not an object"},
}

func TestReadPrice(t *testing.T) {
	for _, tt := range priceCases {
		t.Run(tt.name, func(t *testing.T) {
			m, err := readPrice(raw(tt.price), raw(tt.outer), pricePositive)
			checkPrice(t, m, err, tt)
		})
	}
}

func checkPrice(t *testing.T, m renewd.Money, err error, tt priceCase) {
	t.Helper()
	if tt.why == "" {
		if err != nil || m.Ucents != tt.want || m.Currency != tt.cur {
			t.Errorf("price = %v (%d), %v; want %d %q usable", m, m.Ucents, err, tt.want, tt.cur)
		}
		return
	}
	if err == nil {
		t.Fatalf("price = %v usable, want unusable: %s", m, tt.why)
	}
	if !errors.Is(err, renewd.ErrUnusablePrice) || !strings.Contains(err.Error(), tt.why) {
		t.Errorf("err = %v, want ErrUnusablePrice saying %q", err, tt.why)
	}
	if m.Ucents != 0 {
		t.Errorf("an unusable price kept the amount %d", m.Ucents)
	}
	if m.Currency != tt.cur {
		t.Errorf("currency %q, want %q", m.Currency, tt.cur)
	}
}

func TestTaxMayBeZero(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"value":0,"currencyCode":"EUR"}`:    true,
		`{"value":0,"priceInUcents":0}`:       true,
		`{"value":7.57,"currencyCode":"EUR"}`: true,
		`{"value":-0.01}`:                     false,
		`{"value":1e300}`:                     false,
		`{}`:                                  false,
	} {
		_, err := readPrice(raw(body), nil, priceTax)
		if (err == nil) != ok {
			t.Errorf("tax %s: err = %v, want usable %v", body, err, ok)
		}
	}
}

func raw(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// orderCase is a created order's three prices, and whether they are usable.
type orderCase struct {
	name                   string
	withoutTax, tax, withT string // raw order.Price objects; "" for absent
	why                    string // "" when usable
}

var orderCases = []orderCase{
	{"the renew guide's answer", `{"value":37.87,"currencyCode":"EUR"}`, `{"value":7.57,"currencyCode":"EUR"}`, `{"value":45.44,"currencyCode":"EUR"}`, ""},
	{"with ucents", `{"value":7,"priceInUcents":700000000}`, `{"value":1.4,"priceInUcents":140000000}`, `{"value":8.4,"priceInUcents":840000000}`, ""},
	{"no tax sent", `{"value":7}`, "", `{"value":8.4}`, ""},
	{"zero tax", `{"value":7}`, `{"value":0}`, `{"value":7}`, ""},
	{"sum a cent off (roundings)", `{"value":7.005}`, `{"value":1.40}`, `{"value":8.41}`, ""},
	{"without tax absurd", `{"value":1e300}`, `{"value":0}`, `{"value":1}`, "priceWithoutTax"},
	{"without tax zero", `{"value":0}`, `{"value":0}`, `{"value":0}`, "priceWithoutTax"},
	{"without tax missing", "", `{"value":1}`, `{"value":8}`, "priceWithoutTax"},
	{"with tax missing", `{"value":7}`, `{"value":1}`, "", "priceWithTax"},
	{"with tax negative", `{"value":7}`, "", `{"value":-8}`, "priceWithTax"},
	{"with tax 18 digits", `{"value":7}`, "", `{"priceInUcents":999999999999999999}`, "priceWithTax"},
	{"with tax below without", `{"value":9}`, "", `{"value":8}`, "below priceWithoutTax"},
	{"tax does not add up", `{"value":7}`, `{"value":1}`, `{"value":9}`, "plus tax"},
	{"tax negative", `{"value":7}`, `{"value":-1}`, `{"value":6}`, "tax"},
	{"value and ucents disagree", `{"value":7,"priceInUcents":7000000}`, "", `{"value":8}`, "disagree"},
	{"currencies differ", `{"value":7,"currencyCode":"EUR"}`, "", `{"value":8,"currencyCode":"GBP"}`, "different currencies"},
}

func (oc orderCase) body(id string) string {
	parts := []string{`"orderId":` + id, `"date":"2026-03-10T10:00:00+01:00"`, `"expirationDate":"2026-03-11T10:00:00+01:00"`,
		`"password":"aBcD"`, `"url":"https://example.invalid/o?orderPassword=aBcD"`, `"retractionDate":null`}
	for k, v := range map[string]string{"priceWithoutTax": oc.withoutTax, "tax": oc.tax, "priceWithTax": oc.withT} {
		if v != "" {
			parts = append(parts, `"`+k+`":`+v)
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func checkOrderPrices(t *testing.T, o Order, oc orderCase) {
	t.Helper()
	if oc.why == "" {
		if o.PriceErr != nil || o.WithoutTax.Ucents <= 0 || o.WithTax.Ucents < o.WithoutTax.Ucents {
			t.Errorf("order prices %v/%v/%v, %v; want usable", o.WithoutTax, o.Tax, o.WithTax, o.PriceErr)
		}
		return
	}
	if !errors.Is(o.PriceErr, renewd.ErrUnusablePrice) || !strings.Contains(o.PriceErr.Error(), oc.why) {
		t.Errorf("PriceErr = %v, want ErrUnusablePrice saying %q", o.PriceErr, oc.why)
	}
	if o.WithoutTax.Ucents != 0 || o.WithTax.Ucents != 0 || o.Tax.Ucents != 0 {
		t.Errorf("an unusable order kept amounts %v/%v/%v", o.WithoutTax, o.Tax, o.WithTax)
	}
}

func TestOrderPrices(t *testing.T) {
	for _, oc := range orderCases {
		t.Run(oc.name, func(t *testing.T) {
			o, err := decodeOrder([]byte(oc.body("123456789")))
			if err != nil {
				t.Fatalf("decodeOrder: %v", err)
			}
			if o.ID != 123456789 {
				t.Errorf("id %d: an order with bad prices must keep its id", o.ID)
			}
			checkOrderPrices(t, o, oc)
		})
	}
}
