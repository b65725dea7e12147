package ovhfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/renewd/renewd"
)

// reply is a buffered answer: handlers build it under the fake's lock and
// ServeHTTP decides afterwards whether to send it, replace it or drop it.
type reply struct {
	status int
	body   []byte
	header http.Header
}

// jsonReply encodes v as the answer. v is always one of the fake's own wire
// types, so encoding cannot fail.
func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("ovhfake: encode answer: %v", err))
	}
	return reply{status: status, body: b}
}

func okReply(v any) reply { return jsonReply(http.StatusOK, v) }

// apiError is OVH's current error body, {"class":"Client::NotFound",
// "message":"..."}, which go-ovh decodes into *ovh.APIError.
func apiError(status int, msg string) reply {
	return jsonReply(status, struct {
		Class   string `json:"class"`
		Message string `json:"message"`
	}{errorClass(status), msg})
}

func errorClass(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "Client::BadRequest"
	case http.StatusUnauthorized:
		return "Client::Unauthorized"
	case http.StatusForbidden:
		return "Client::Forbidden"
	case http.StatusNotFound:
		return "Client::NotFound"
	case http.StatusMethodNotAllowed:
		return "Client::MethodNotAllowed"
	case http.StatusConflict:
		return "Client::Conflict"
	case http.StatusTooManyRequests:
		return "Client::TooManyRequests"
	case http.StatusInternalServerError:
		return "Server::InternalServerError"
	case http.StatusBadGateway:
		return "Server::BadGateway"
	case http.StatusServiceUnavailable:
		return "Server::ServiceUnavailable"
	case http.StatusGatewayTimeout:
		return "Server::GatewayTimeout"
	}
	if status >= 500 {
		return "Server::Error"
	}
	return "Client::Error"
}

// legacyError is the older body OVH still uses for authentication errors:
// {"errorCode":"INVALID_CREDENTIAL","httpCode":"403 Forbidden","message":...}.
func legacyError(status int, code, msg string) reply {
	return jsonReply(status, struct {
		ErrorCode string `json:"errorCode"`
		HTTPCode  string `json:"httpCode"`
		Message   string `json:"message"`
	}{code, fmt.Sprintf("%d %s", status, http.StatusText(status)), msg})
}

func notFound(what string, id any) reply {
	return apiError(http.StatusNotFound, fmt.Sprintf("The requested object (%s = %v) does not exist", what, id))
}

func badRequest(format string, args ...any) reply {
	return apiError(http.StatusBadRequest, fmt.Sprintf(format, args...))
}

// price is order.Price. priceInUcents is the exact amount; value is the same
// amount as a double, text as OVH prints it ("12.99 €").
type price struct {
	CurrencyCode  string  `json:"currencyCode"`
	Text          string  `json:"text"`
	Value         float64 `json:"value"`
	PriceInUcents int64   `json:"priceInUcents"`
}

func (f *Fake) price(ucents int64) price {
	text := renewd.FormatAmount(ucents) + " " + f.currency
	if f.currency == "EUR" {
		text = renewd.FormatAmount(ucents) + " €"
	}
	return price{
		CurrencyCode:  f.currency,
		Text:          text,
		Value:         float64(ucents) / renewd.UcentsPerUnit,
		PriceInUcents: ucents,
	}
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

func (f *Fake) orderPrices(withoutTax int64) orderPrices {
	tax := taxOf(withoutTax)
	return orderPrices{
		PriceWithTax:    f.price(withoutTax + tax),
		PriceWithoutTax: f.price(withoutTax),
		Tax:             f.price(tax),
	}
}

// wireZone is the offset the fake writes date-times in: OVH's API answers
// in Paris time with a numeric offset (the fake keeps winter time, +01:00,
// all year so that answers do not depend on a time zone database).
var wireZone = time.FixedZone("CET", 3600)

// dateTime formats t as OVH's datetime (RFC 3339 with a numeric offset).
func dateTime(t time.Time) string { return t.In(wireZone).Format(time.RFC3339) }

// dateTimePtr is dateTime, or JSON null for the zero time.
func dateTimePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := dateTime(t)
	return &s
}

// date formats t as OVH's date ("2026-12-01"), in UTC.
func date(t time.Time) string { return t.UTC().Format(time.DateOnly) }

type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// serviceRoute is service.Route: where the service lives in the API.
type serviceRoute struct {
	Path string     `json:"path"`
	URL  string     `json:"url"`
	Vars []keyValue `json:"vars"`
}

func routeOf(s ServiceFixture) serviceRoute {
	return serviceRoute{
		Path: "/" + s.Type + "/{serviceName}",
		URL:  "/" + s.Type + "/" + s.Name,
		Vars: []keyValue{{Key: "serviceName", Value: s.Name}},
	}
}
