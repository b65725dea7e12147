package ovh

import (
	"fmt"
	"strings"
	"time"

	"github.com/renewd/renewd"
)

// The wire shapes below hold only the fields renewd reads; encoding/json
// ignores the rest. Nullable fields are pointers so that null and absent
// read as "none".

// keyValue is OVH's complexType.SafeKeyValue<string>.
type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// wireRoute is service.Route: the API route of the service's product.
type wireRoute struct {
	Path string     `json:"path"`
	Vars []keyValue `json:"vars"`
}

// wireResource is the resource part of both service shapes.
type wireResource struct {
	DisplayName string  `json:"displayName"`
	Name        *string `json:"name"`
	State       string  `json:"state"`
}

// wireService is serviceList.Service, the answer of GET /service/{id}. It
// does not carry its own id.
type wireService struct {
	ExpirationDate *string `json:"expirationDate"`
	Renew          *struct {
		Mode string `json:"mode"`
	} `json:"renew"`
	Resource wireResource `json:"resource"`
	Route    *wireRoute   `json:"route"`
	State    string       `json:"state"`
}

// wireExpandedService is services.expanded.Service, the answer of
// GET /services/{id} and of the expanded listing of GET /services.
type wireExpandedService struct {
	ServiceID int64        `json:"serviceId"`
	Resource  wireResource `json:"resource"`
	Route     *wireRoute   `json:"route"`
	Billing   struct {
		ExpirationDate *string `json:"expirationDate"`
		Renew          *struct {
			Current struct {
				Mode *string `json:"mode"`
			} `json:"current"`
		} `json:"renew"`
		Lifecycle *struct {
			Current struct {
				State string `json:"state"`
			} `json:"current"`
		} `json:"lifecycle"`
	} `json:"billing"`
}

// toService maps a /service/{id} object to a renewd.Service.
func (w wireService) toService(account string, id int64) (renewd.Service, error) {
	s := renewd.Service{
		Account: account,
		ID:      id,
		Name:    serviceName(w.Resource, w.Route),
		Type:    serviceType(w.Route),
		State:   w.State,
	}
	if w.Renew != nil {
		s.RawRenewMode = w.Renew.Mode
		s.RenewMode = renewd.ParseRenewMode(w.Renew.Mode)
	}
	exp, err := parseOptionalDate(w.ExpirationDate)
	if err != nil {
		return renewd.Service{}, fmt.Errorf("service %d expiration: %w", id, err)
	}
	s.Expiration = exp
	return s, nil
}

// toService maps a /services object to a renewd.Service. Its State is the
// billing lifecycle state in the words of /service (see billingState), so
// that a service reads the same whichever inventory form found it. Its
// RawRenewMode is what /services says: only automatic or manual.
func (w wireExpandedService) toService(account string) (renewd.Service, error) {
	s := renewd.Service{
		Account: account,
		ID:      w.ServiceID,
		Name:    serviceName(w.Resource, w.Route),
		Type:    serviceType(w.Route),
	}
	if lc := w.Billing.Lifecycle; lc != nil {
		s.State = billingState(lc.Current.State)
	}
	if r := w.Billing.Renew; r != nil && r.Current.Mode != nil {
		s.RawRenewMode = *r.Current.Mode
		s.RenewMode = renewd.ParseRenewMode(*r.Current.Mode)
	}
	exp, err := parseOptionalDate(w.Billing.ExpirationDate)
	if err != nil {
		return renewd.Service{}, fmt.Errorf("service %d expiration: %w", w.ServiceID, err)
	}
	s.Expiration = exp
	return s, nil
}

// billingState maps a /services lifecycle state to the /service billing
// state (service.BillingStateEnum) where they mean the same: active is ok,
// unrenewed is expired, inCreation is pending. Other values (unpaid,
// toRenew, error, rupture, terminated, later additions) pass through.
func billingState(lifecycle string) string {
	switch lifecycle {
	case "active":
		return "ok"
	case "unrenewed":
		return "expired"
	case "inCreation":
		return "pending"
	}
	return lifecycle
}

// parseOptionalDate reads a service's expiration in any form OVH writes it
// (renewd.ParseDate): the calendar date in its own offset. Null or empty is
// the zero date.
func parseOptionalDate(v *string) (renewd.Date, error) {
	if v == nil || *v == "" {
		return renewd.Date{}, nil
	}
	return renewd.ParseDate(*v)
}

// parseOptionalTime reads a date-only or RFC 3339 time, in UTC; null or
// empty is the zero time.
func parseOptionalTime(v *string) (time.Time, error) {
	if v == nil || *v == "" {
		return time.Time{}, nil
	}
	return renewd.ParseTime(*v)
}

// serviceName is the resource name, else the route's serviceName variable,
// else the display name.
func serviceName(res wireResource, route *wireRoute) string {
	if res.Name != nil && *res.Name != "" {
		return *res.Name
	}
	if route != nil {
		for _, kv := range route.Vars {
			if kv.Key == "serviceName" && kv.Value != "" {
				return kv.Value
			}
		}
	}
	return res.DisplayName
}

// serviceType is the route path without its leading slash and its trailing
// name variable: "/vps/{serviceName}" is "vps", "/hosting/web/{serviceName}"
// is "hosting/web". No route gives "".
func serviceType(route *wireRoute) string {
	if route == nil {
		return ""
	}
	p := strings.TrimPrefix(route.Path, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 && strings.HasPrefix(p[i+1:], "{") && strings.HasSuffix(p, "}") {
		p = p[:i]
	}
	return p
}

// wirePrice is order.Price, with the exact priceInUcents of newer schemas.
type wirePrice struct {
	Value         float64 `json:"value"`
	CurrencyCode  string  `json:"currencyCode"`
	PriceInUcents *int64  `json:"priceInUcents"`
}

// money converts a price, preferring the exact micro-cents when sent. OVH's
// "N/A" currency reads as "" (unknown).
func (p wirePrice) money() renewd.Money {
	m := renewd.Money{Ucents: renewd.UcentsFromFloat(p.Value), Currency: p.CurrencyCode}
	if p.PriceInUcents != nil {
		m.Ucents = *p.PriceInUcents
	}
	if m.Currency == "N/A" {
		m.Currency = ""
	}
	return m
}

// wireOrder is billing.Order and service.renew.RenewOrder. It deliberately
// leaves out url, pdfUrl and password, which open the order to anyone: they
// are never decoded, so they cannot be kept, logged or stored.
type wireOrder struct {
	OrderID         int64     `json:"orderId"`
	Date            *string   `json:"date"`
	ExpirationDate  *string   `json:"expirationDate"`
	PriceWithTax    wirePrice `json:"priceWithTax"`
	PriceWithoutTax wirePrice `json:"priceWithoutTax"`
	Tax             wirePrice `json:"tax"`
}

func (w wireOrder) toOrder() (Order, error) {
	o := Order{
		ID:         w.OrderID,
		WithoutTax: w.PriceWithoutTax.money(),
		WithTax:    w.PriceWithTax.money(),
		Tax:        w.Tax.money(),
	}
	var err error
	if o.Date, err = parseOptionalTime(w.Date); err != nil {
		return Order{}, fmt.Errorf("order %d date: %w", w.OrderID, err)
	}
	if o.Expires, err = parseOptionalTime(w.ExpirationDate); err != nil {
		return Order{}, fmt.Errorf("order %d expiration: %w", w.OrderID, err)
	}
	return o, nil
}
