package ovh

import (
	"strings"

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
// does not carry its own id. expirationDate is a date there.
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
// GET /services/{id} and an element of the expanded listing of GET
// /services. billing.expirationDate is a datetime there.
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

// decodeService reads a GET /service/{id} answer, or one item of a batched
// read, for service id. It never fails: an answer that cannot be read, in
// whole or in part, gives the service with Problem set (see unreadable).
func decodeService(raw []byte, account string, id int64) renewd.Service {
	s := renewd.Service{Account: account, ID: id}
	var w wireService
	problem := decodeObject(raw, &w)
	s.Name = serviceName(w.Resource, w.Route)
	s.Type = serviceType(w.Route)
	s.State = w.State
	if w.Renew != nil {
		s.RawRenewMode = w.Renew.Mode
		s.RenewMode = renewd.ParseRenewMode(w.Renew.Mode)
	}
	if problem != "" {
		return unreadable(s, problem)
	}
	exp, err := parseOptionalDate(w.ExpirationDate)
	if err != nil {
		return unreadable(s, "expirationDate: "+err.Error())
	}
	s.Expiration = exp
	return s
}

// decodeExpandedService reads one /services object. Its State is the
// billing lifecycle state in the words of /service (see billingState), so
// that a service reads the same whichever inventory form found it; its
// RawRenewMode is what /services says: only automatic or manual. It never
// fails on the service's own fields (Problem is set instead), but reports
// false when the object gives no serviceId it can read: such a service
// cannot even be named, and the caller must list the ids another way.
func decodeExpandedService(raw []byte, account string) (renewd.Service, bool) {
	var w wireExpandedService
	problem := decodeObject(raw, &w)
	if w.ServiceID <= 0 {
		return renewd.Service{}, false
	}
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
	if problem != "" {
		return unreadable(s, problem), true
	}
	exp, err := parseOptionalDate(w.Billing.ExpirationDate)
	if err != nil {
		return unreadable(s, "billing.expirationDate: "+err.Error()), true
	}
	s.Expiration = exp
	return s, true
}

// unreadable marks a service whose answer could not be read. It keeps the
// ID, Name, Type, State and RawRenewMode that could be read, for the report,
// but never an Expiration or a RenewMode: no decision can be taken on half an
// answer, and a re-read that cannot be read never looks unchanged.
func unreadable(s renewd.Service, problem string) renewd.Service {
	s.Problem = shorten(problem)
	s.Expiration = renewd.Date{}
	s.RenewMode = renewd.RenewUnknown
	return s
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
