package ovh

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/renewd/renewd"
)

// This file holds the reads `renewd doctor` makes to measure how the API
// really answers: each form of inventory on its own, the third route of an
// expiration, and the payment methods a policy names. All are GETs.

// FormProbe says whether the API honoured a form of request renewd uses
// when it can (the expanded listing, batch reads).
type FormProbe struct {
	Honoured bool
	// Why says, when not honoured, what the API did instead.
	Why string
}

// ExpandedListing reads the whole inventory through the expanded listing of
// GET /services alone, with no fallback: the services when the API
// honoured it, else why not (see expandedListing for what counts). Errors
// are the failures that say nothing of the form (network, 5xx, 429).
func (c *Client) ExpandedListing(ctx context.Context) ([]renewd.Service, FormProbe, error) {
	res, err := c.expandedListing(ctx)
	if err != nil {
		return nil, FormProbe{}, fmt.Errorf("inventory of account %q: %w", c.account, err)
	}
	if !res.expanded {
		return nil, FormProbe{Why: res.why}, nil
	}
	slices.SortFunc(res.services, func(a, b renewd.Service) int { return cmp.Compare(a.ID, b.ID) })
	return res.services, FormProbe{Honoured: true}, nil
}

// ServiceIDs lists the account's service ids (GET /service), ascending.
func (c *Client) ServiceIDs(ctx context.Context) ([]int64, error) {
	ids, err := c.serviceIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("inventory of account %q: %w", c.account, err)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// BatchRead reads up to 50 services in one batched request (X-Ovh-Batch),
// with no fallback: the services the answer gave when the API batched, else
// why not. Ids the batch answer left out or gave in error are not returned.
func (c *Client) BatchRead(ctx context.Context, ids []int64) ([]renewd.Service, FormProbe, error) {
	if len(ids) == 0 || len(ids) > batchSize {
		return nil, FormProbe{}, fmt.Errorf("batch read of %d services: between 1 and %d", len(ids), batchSize)
	}
	got, left, ok, err := c.readBatch(ctx, ids)
	switch {
	case refused(err):
		return nil, FormProbe{Why: "refused: " + err.Error()}, nil
	case err != nil:
		return nil, FormProbe{}, err
	case !ok:
		return nil, FormProbe{Why: "the answer is not a batch answer (a JSON array of {key, value, error})"}, nil
	case len(got) == 0:
		return nil, FormProbe{Why: fmt.Sprintf("the batch answer gave none of the %d services asked for", len(ids))}, nil
	}
	probe := FormProbe{Honoured: true}
	if len(left) > 0 {
		probe.Why = fmt.Sprintf("%d of the %d services asked for were missing or in error in the answer", len(left), len(ids))
	}
	return got, probe, nil
}

// wireServiceInfos is the part of services.Service (GET
// /{type}/{name}/serviceInfos) renewd reads: a date-typed expiration.
type wireServiceInfos struct {
	Expiration *string `json:"expiration"`
	ServiceID  int64   `json:"serviceId"`
}

// routeTypeRE is a service type that can be put in a path as it is: the
// route's words, no dots, no escapes (a type comes from OVH's answers).
var routeTypeRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`)

// ServiceInfosExpiration reads the service's expiration as its product's
// route gives it (GET /{type}/{name}/serviceInfos, a date), the third form
// renewd compares with /service and /services. The service needs a Type
// and a Name.
func (c *Client) ServiceInfosExpiration(ctx context.Context, s renewd.Service) (renewd.Date, error) {
	if s.Type == "" || s.Name == "" {
		return renewd.Date{}, fmt.Errorf("serviceInfos of service %d: no type or name to find its route", s.ID)
	}
	if !routeTypeRE.MatchString(s.Type) {
		return renewd.Date{}, fmt.Errorf("serviceInfos of service %d: its type %s is not a route renewd puts in a path", s.ID, quote(s.Type))
	}
	path := "/" + s.Type + "/" + url.PathEscape(s.Name) + "/serviceInfos"
	_, body, err := c.getRaw(ctx, "GET /{type}/{name}/serviceInfos", path, nil)
	if err != nil {
		return renewd.Date{}, fmt.Errorf("serviceInfos of service %d: %w", s.ID, err)
	}
	var w wireServiceInfos
	if problem := decodeObject(body, &w); problem != "" {
		return renewd.Date{}, fmt.Errorf("serviceInfos of service %d: decode GET %s: %s", s.ID, path, problem)
	}
	if w.ServiceID != 0 && w.ServiceID != s.ID {
		return renewd.Date{}, fmt.Errorf("serviceInfos of service %d: GET %s is service %d", s.ID, path, w.ServiceID)
	}
	d, err := parseOptionalDate(w.Expiration)
	if err != nil {
		return renewd.Date{}, fmt.Errorf("serviceInfos of service %d: expiration: %w", s.ID, err)
	}
	return d, nil
}

// PaymentMethod is a registered payment method (me.payment.PaymentMethod).
type PaymentMethod struct {
	ID      int64
	Type    string // paymentType: CREDIT_CARD, PAYPAL, SEPA_DIRECT_DEBIT...
	Status  string // VALID, EXPIRED, ...
	Default bool
	MeanID  int64 // paymentMeanId, the legacy id payWithRegisteredPaymentMean takes; 0 when none
	Label   string
}

// Usable reports whether OVH takes payments with the method: status VALID.
func (m PaymentMethod) Usable() bool { return strings.EqualFold(m.Status, "VALID") }

// MeanIs reports whether the method is of the registered payment mean
// named as payWithRegisteredPaymentMean names it (paypal is PAYPAL,
// creditCard is CREDIT_CARD: case and underscores aside).
func (m PaymentMethod) MeanIs(mean string) bool { return meanKey(m.Type) == meanKey(mean) }

func meanKey(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

type wirePaymentMethod struct {
	PaymentMethodID int64   `json:"paymentMethodId"`
	PaymentMeanID   *int64  `json:"paymentMeanId"`
	PaymentType     string  `json:"paymentType"`
	Status          string  `json:"status"`
	Default         bool    `json:"default"`
	Label           *string `json:"label"`
}

// PaymentMethodIDs lists the account's registered payment methods (GET
// /me/payment/method), ascending.
func (c *Client) PaymentMethodIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	if _, err := c.get(ctx, "GET /me/payment/method", "/me/payment/method", nil, &ids); err != nil {
		return nil, fmt.Errorf("list payment methods: %w", err)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// PaymentMethod reads one registered payment method (GET
// /me/payment/method/{id}). A missing one gives an error for which
// IsNotFound is true.
func (c *Client) PaymentMethod(ctx context.Context, id int64) (PaymentMethod, error) {
	path := fmt.Sprintf("/me/payment/method/%d", id)
	_, body, err := c.getRaw(ctx, "GET /me/payment/method/{id}", path, nil)
	if err != nil {
		return PaymentMethod{}, fmt.Errorf("get payment method %d: %w", id, err)
	}
	var w wirePaymentMethod
	if problem := decodeObject(body, &w); problem != "" {
		return PaymentMethod{}, fmt.Errorf("get payment method %d: decode GET %s: %s", id, path, problem)
	}
	m := PaymentMethod{ID: id, Type: w.PaymentType, Status: w.Status, Default: w.Default}
	if w.PaymentMeanID != nil {
		m.MeanID = *w.PaymentMeanID
	}
	if w.Label != nil {
		m.Label = *w.Label
	}
	return m, nil
}
