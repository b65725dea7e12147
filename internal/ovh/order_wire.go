package ovh

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/renewd/renewd"
)

// wireOrder is billing.Order and service.renew.RenewOrder. It deliberately
// leaves out url, pdfUrl and password, which open the order to anyone: they
// are never decoded, so they cannot be kept, logged or stored.
type wireOrder struct {
	OrderID         int64           `json:"orderId"`
	Date            json.RawMessage `json:"date"`
	ExpirationDate  json.RawMessage `json:"expirationDate"`
	PriceWithTax    json.RawMessage `json:"priceWithTax"`
	PriceWithoutTax json.RawMessage `json:"priceWithoutTax"`
	Tax             json.RawMessage `json:"tax"`
}

// decodeOrder reads a billing.Order or a service.renew.RenewOrder. It fails
// only when the answer is not an object or its orderId is not a whole
// number: everything else that cannot be read is left out (a date) or
// reported in Order.PriceErr (the prices, see orderPrices).
func decodeOrder(body []byte) (Order, error) {
	var w wireOrder
	// Every field but orderId is kept raw, so a problem is the answer's
	// shape or its orderId.
	if problem := decodeObject(body, &w); problem != "" {
		return Order{}, errors.New(problem)
	}
	o := Order{ID: w.OrderID, Date: readInstant(w.Date), Expires: readInstant(w.ExpirationDate)}
	o.WithoutTax, o.WithTax, o.Tax, o.PriceErr = orderPrices(w)
	return o, nil
}

// orderPrices reads an order's three prices. The order is usable only when
// priceWithoutTax (what the cap is about) and priceWithTax (what is paid)
// are both usable prices (readPrice), priceWithTax is at least
// priceWithoutTax, a tax sent is a usable tax within a cent of their
// difference (each of the three may be rounded to the cent once), and the
// three are in one currency. Otherwise the error (wrapping
// renewd.ErrUnusablePrice) says why and every amount is zero: an order whose
// price cannot be trusted in whole is never compared with a cap or paid.
func orderPrices(w wireOrder) (without, with, tax renewd.Money, err error) {
	var e1, e2, e3 error
	without, e1 = readPrice(w.PriceWithoutTax, nil, pricePositive)
	with, e2 = readPrice(w.PriceWithTax, nil, pricePositive)
	hasTax := !isJSONNull(w.Tax)
	if hasTax {
		tax, e3 = readPrice(w.Tax, nil, priceTax)
	}
	switch {
	case e1 != nil:
		err = fmt.Errorf("priceWithoutTax: %w", e1)
	case e2 != nil:
		err = fmt.Errorf("priceWithTax: %w", e2)
	case e3 != nil:
		err = fmt.Errorf("tax: %w", e3)
	case with.Ucents < without.Ucents:
		err = fmt.Errorf("%w: priceWithTax %s is below priceWithoutTax %s",
			renewd.ErrUnusablePrice, renewd.FormatAmount(with.Ucents), renewd.FormatAmount(without.Ucents))
	case hasTax && absDiff(with.Ucents-without.Ucents, tax.Ucents) > cent:
		err = fmt.Errorf("%w: priceWithTax %s is not priceWithoutTax %s plus tax %s",
			renewd.ErrUnusablePrice, renewd.FormatAmount(with.Ucents), renewd.FormatAmount(without.Ucents), renewd.FormatAmount(tax.Ucents))
	case !sameCurrency(without.Currency, with.Currency, tax.Currency):
		err = fmt.Errorf("%w: the order's prices are in different currencies (without tax %s, with tax %s, tax %s)",
			renewd.ErrUnusablePrice, quote(without.Currency), quote(with.Currency), quote(tax.Currency))
	}
	if err != nil {
		without.Ucents, with.Ucents, tax.Ucents = 0, 0, 0
	}
	return without, with, tax, err
}

// absDiff is |a-b| for amounts within [0, 2*MaxUcents]: it cannot overflow.
func absDiff(a, b int64) int64 {
	if a > b {
		return a - b
	}
	return b - a
}

// sameCurrency reports whether the non-empty codes are all the same.
func sameCurrency(codes ...string) bool {
	first := ""
	for _, c := range codes {
		switch {
		case c == "":
		case first == "":
			first = c
		case c != first:
			return false
		}
	}
	return true
}

// readInstant reads an order's date or expiry: RFC 3339 (any fraction, any
// offset), a date alone (midnight UTC), or a date and time without an
// offset (read as UTC, so up to two hours off OVH's Paris time: these
// instants only tell whether an unpaid order has lapsed, and OVH refuses to
// take payment for one that has). Null, absent or unreadable is the zero
// time: an order is never refused for its dates.
func readInstant(raw json.RawMessage) time.Time {
	var s string
	if isJSONNull(raw) || json.Unmarshal(raw, &s) != nil || s == "" {
		return time.Time{}
	}
	if t, err := renewd.ParseTime(s); err == nil {
		return t
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t.UTC()
	}
	return time.Time{}
}

// wireOrderDetail is billing.OrderDetail.
type wireOrderDetail struct {
	OrderDetailID int64   `json:"orderDetailId"`
	Domain        string  `json:"domain"`
	Description   string  `json:"description"`
	DetailType    *string `json:"detailType"`
	Cancelled     bool    `json:"cancelled"`
}

// decodeOrderDetail reads a billing.OrderDetail as detail detailID of an
// order. Any field of the wrong type is an error: a line that cannot be read
// might be the renewal being looked for, so it must not be passed over.
func decodeOrderDetail(body []byte, detailID int64) (OrderItem, error) {
	var w wireOrderDetail
	if problem := decodeObject(body, &w); problem != "" {
		return OrderItem{}, errors.New(problem)
	}
	item := OrderItem{DetailID: detailID, Domain: w.Domain, Description: w.Description, Cancelled: w.Cancelled}
	if w.DetailType != nil {
		item.DetailType = *w.DetailType
	}
	return item, nil
}

// wireItemDetail is billing.ItemDetail, a detail's extension.
type wireItemDetail struct {
	Order struct {
		Action *string `json:"action"`
		Plan   struct {
			Duration *string `json:"duration"`
		} `json:"plan"`
	} `json:"order"`
}

// decodeItemExtension reads a detail's extension: its action (renew,
// installation, ...) and its plan's duration, "" when not given. A field of
// the wrong type is an error, for the same reason as in decodeOrderDetail.
func decodeItemExtension(body []byte) (action, duration string, err error) {
	var w wireItemDetail
	if problem := decodeObject(body, &w); problem != "" {
		return "", "", errors.New(problem)
	}
	if w.Order.Action != nil {
		action = *w.Order.Action
	}
	if w.Order.Plan.Duration != nil {
		duration = *w.Order.Plan.Duration
	}
	return action, duration, nil
}

// decodeOrderStatus reads GET /me/order/{id}/status: a bare JSON string,
// returned as sent (see OrderStatus for what each value allows). Anything
// but a string is an error.
func decodeOrderStatus(body []byte) (OrderStatus, error) {
	if isJSONNull(body) {
		return "", errors.New("null, not a string")
	}
	var s string
	if err := json.Unmarshal(body, &s); err != nil {
		if !json.Valid(body) {
			return "", errors.New("not valid JSON")
		}
		return "", fmt.Errorf("%s, not a string", jsonKindOf(body))
	}
	return OrderStatus(s), nil
}
