package ovhfake

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/renewd/renewd"
)

// PriceForm is how the fake writes an order.Price, and the priceInUcents
// beside it in a renewal strategy. A form changes what is written, never
// what is charged: an order always costs its strategy's price (or the
// RaiseOrderPrice price), plus tax, and Payments records that amount, so a
// test can tell when renewd paid an order whose price it could not trust.
type PriceForm string

const (
	// PriceValue writes {"currencyCode","text","value"} and no
	// priceInUcents, in the price nor beside it in a strategy. The default:
	// it is the order.Price of service.json, which defines every route
	// renewd prices from (/service/{id}/renew), and the form of every answer
	// in OVH's renew guide; priceInUcents appears only in the newer me.json
	// schema, nullable, so it is the field a client cannot count on.
	PriceValue PriceForm = "value"
	// PriceUcents adds priceInUcents, agreeing with value, in the price and
	// in the strategy (the 2024/2025 me.json form).
	PriceUcents PriceForm = "ucents"
	// PriceUcentsDisagree writes value as the amount charged and
	// priceInUcents as a tenth of it: a client that trusts the exact field
	// alone reads the price ten times too low.
	PriceUcentsDisagree PriceForm = "ucents-disagree"
	// PriceUcentsNull writes "priceInUcents": null in the price (me.json
	// makes it nullable) and none in the strategy.
	PriceUcentsNull PriceForm = "ucents-null"
	// PriceNoValue leaves value out of the price (currencyCode and text
	// stay): a client that reads a missing value as 0 sees a free renewal.
	PriceNoValue PriceForm = "no-value"
	// PriceZero writes the amount as 0 (value, priceInUcents, text).
	PriceZero PriceForm = "zero"
	// PriceHuge writes value as 1e300, which no integer amount holds, and no
	// priceInUcents.
	PriceHuge PriceForm = "huge"
	// PriceNegative writes the amount negated (value and priceInUcents).
	PriceNegative PriceForm = "negative"
	// PriceEighteenDigits writes priceInUcents 123456789012345678 (18
	// digits, 1,234,567,890.12 in the currency) and value the nearest double
	// to it, which has lost the last digits.
	PriceEighteenDigits PriceForm = "18-digits"
)

// PriceForms lists every PriceForm, the default first.
var PriceForms = []PriceForm{PriceValue, PriceUcents, PriceUcentsDisagree, PriceUcentsNull, PriceNoValue,
	PriceZero, PriceHuge, PriceNegative, PriceEighteenDigits}

const eighteenDigits = 123456789012345678

// shown is what a form writes for an amount: value as JSON number text ("" for
// none), priceInUcents (nil for none; ucentsNull for JSON null) and text.
type shown struct {
	value      string
	ucents     *int64
	ucentsNull bool
	text       string
}

func (pf PriceForm) show(ucents int64, currency string) shown {
	val := func(u int64) string {
		b, _ := json.Marshal(float64(u) / renewd.UcentsPerUnit) // a finite double always encodes
		return string(b)
	}
	ptr := func(u int64) *int64 { return &u }
	text := func(u int64) string { return priceText(renewd.FormatAmount(u), currency) }
	switch pf {
	case PriceUcents:
		return shown{value: val(ucents), ucents: ptr(ucents), text: text(ucents)}
	case PriceUcentsDisagree:
		wrong := ucents / 10
		if wrong == 0 { // a free renewal: disagree anyway
			wrong = renewd.UcentsPerUnit
		}
		return shown{value: val(ucents), ucents: ptr(wrong), text: text(ucents)}
	case PriceUcentsNull:
		return shown{value: val(ucents), ucentsNull: true, text: text(ucents)}
	case PriceNoValue:
		return shown{text: text(ucents)}
	case PriceZero:
		return shown{value: "0", ucents: ptr(0), text: text(0)}
	case PriceHuge:
		return shown{value: "1e300", text: priceText("1e+300", currency)}
	case PriceNegative:
		return shown{value: val(-ucents), ucents: ptr(-ucents), text: text(-ucents)}
	case PriceEighteenDigits:
		return shown{value: val(eighteenDigits), ucents: ptr(eighteenDigits), text: text(eighteenDigits)}
	}
	return shown{value: val(ucents), text: text(ucents)}
}

// strategyUcents is the priceInUcents written beside a strategy's price, or
// nil where the form writes none.
func (pf PriceForm) strategyUcents(ucents int64) *int64 {
	return pf.show(ucents, "").ucents
}

// price is one order.Price as the fake writes it.
type price struct {
	currency string
	ucents   int64
	form     PriceForm
}

// MarshalJSON writes the fields the form has, in the schema's order.
func (p price) MarshalJSON() ([]byte, error) {
	s := p.form.show(p.ucents, p.currency)
	var b bytes.Buffer
	b.WriteString(`{"currencyCode":`)
	writeJSONString(&b, p.currency)
	b.WriteString(`,"text":`)
	writeJSONString(&b, s.text)
	if s.value != "" {
		b.WriteString(`,"value":` + s.value)
	}
	switch {
	case s.ucentsNull:
		b.WriteString(`,"priceInUcents":null`)
	case s.ucents != nil:
		b.WriteString(`,"priceInUcents":` + strconv.FormatInt(*s.ucents, 10))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always encodes
	b.Write(enc)
}

// priceText is an amount as OVH prints it: "12.99 €" in euros, "12.99 USD"
// otherwise.
func priceText(amount, currency string) string {
	if currency == "EUR" {
		return amount + " €"
	}
	return amount + " " + currency
}

// priceFormOr is pf, or def when pf is empty.
func priceFormOr(pf, def PriceForm) PriceForm {
	if pf == "" {
		return def
	}
	return pf
}

// TaxPercent is the fixed VAT rate the fake applies to every order.
const TaxPercent = 20

// taxOf is TaxPercent of an amount, rounded half up to the cent, as an
// invoice shows it.
func taxOf(ucents int64) int64 {
	const cent = renewd.UcentsPerUnit / 100
	t := ucents * TaxPercent / 100
	return (t + cent/2) / cent * cent
}

// orderPrices is the priceWithTax, priceWithoutTax and tax trio of a
// RenewOrder or billing.Order.
type orderPrices struct {
	PriceWithTax    price `json:"priceWithTax"`
	PriceWithoutTax price `json:"priceWithoutTax"`
	Tax             price `json:"tax"`
}

func (f *Fake) price(ucents int64, form PriceForm) price {
	return price{currency: f.currency, ucents: ucents, form: form}
}

func (f *Fake) orderPrices(withoutTax int64, form PriceForm) orderPrices {
	tax := taxOf(withoutTax)
	return orderPrices{
		PriceWithTax:    f.price(withoutTax+tax, form),
		PriceWithoutTax: f.price(withoutTax, form),
		Tax:             f.price(tax, form),
	}
}
