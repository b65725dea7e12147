package ovh

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/renewd/renewd"
)

// Strategy is one way OVH offers to renew a service for a period: alone, or
// in a bundle with other services (Services lists every service renewed).
type Strategy struct {
	Period   renewd.Period
	Services []int64
	// Price is without tax: priceInUcents when OVH sends it, else price.value.
	Price renewd.Money
}

// wireRenewDescription is service.renew.RenewDescription.
type wireRenewDescription struct {
	RenewPeriod string `json:"renewPeriod"`
	Strategies  []struct {
		Price         wirePrice `json:"price"`
		PriceInUcents *int64    `json:"priceInUcents"`
		Services      []int64   `json:"services"`
	} `json:"strategies"`
}

// RenewStrategies lists the renewal strategies OVH offers for a service
// (GET /service/{id}/renew), every period flattened. A period renewd cannot
// read is left out with a warning. The route exists only on the EU API.
func (c *Client) RenewStrategies(ctx context.Context, serviceID int64) ([]Strategy, error) {
	var descs []wireRenewDescription
	path := fmt.Sprintf("/service/%d/renew", serviceID)
	if _, err := c.get(ctx, "GET /service/{id}/renew", path, nil, &descs); err != nil {
		return nil, fmt.Errorf("renewal strategies of service %d: %w", serviceID, err)
	}
	var out []Strategy
	for _, d := range descs {
		period, err := renewd.ParsePeriod(d.RenewPeriod)
		if err != nil {
			c.log.Warn("ovh renewal period not understood; skipped", "account", c.account,
				"service_id", serviceID, "period", d.RenewPeriod)
			continue
		}
		for _, s := range d.Strategies {
			price := s.Price.money()
			if s.PriceInUcents != nil {
				price.Ucents = *s.PriceInUcents
			}
			out = append(out, Strategy{Period: period, Services: slices.Clone(s.Services), Price: price})
		}
	}
	return out, nil
}

// ChooseStrategy picks the strategy that renews serviceID for period, as
// OVH's renewal guide does: the one whose services are exactly [serviceID]
// (the cheapest if several). When there is none and allowBundle is set, the
// cheapest strategy for the period that includes serviceID (fewer services
// first on equal prices). It reports false when nothing fits. It is pure.
func ChooseStrategy(strategies []Strategy, serviceID int64, period renewd.Period, allowBundle bool) (Strategy, bool) {
	var alone, bundle []Strategy
	for _, s := range strategies {
		if !s.Period.Equal(period) || !slices.Contains(s.Services, serviceID) {
			continue
		}
		if len(s.Services) == 1 {
			alone = append(alone, s)
		} else {
			bundle = append(bundle, s)
		}
	}
	cheapest := func(list []Strategy) (Strategy, bool) {
		if len(list) == 0 {
			return Strategy{}, false
		}
		return slices.MinFunc(list, func(a, b Strategy) int {
			if a.Price.Ucents != b.Price.Ucents {
				return cmp.Compare(a.Price.Ucents, b.Price.Ucents)
			}
			return len(a.Services) - len(b.Services)
		}), true
	}
	if s, ok := cheapest(alone); ok {
		return s, true
	}
	if allowBundle {
		return cheapest(bundle)
	}
	return Strategy{}, false
}

// Order is an OVH order as renewd keeps it. The order's url, pdfUrl and
// password, which let anyone open it, are never decoded, so they cannot be
// logged or stored.
type Order struct {
	ID                       int64
	Date                     time.Time // zero when OVH gives none
	Expires                  time.Time // when an unpaid order lapses; zero when OVH gives none
	WithoutTax, WithTax, Tax renewd.Money
}

// renewRequest is the body of POST /service/{id}/renew.
type renewRequest struct {
	DryRun   bool    `json:"dryRun"`
	Duration string  `json:"duration"`
	Services []int64 `json:"services"`
}

// Quote asks OVH for the price of a renewal without ordering it
// (POST /service/{id}/renew with dryRun true). No order is created and no
// money moves. services is the strategy's list; empty means [serviceID].
// It is not retried. A 4xx answer wraps ErrRejected.
func (c *Client) Quote(ctx context.Context, serviceID int64, period renewd.Period, services []int64) (Order, error) {
	a, oc, err := c.postRenew(ctx, serviceID, period, services, true)
	if err != nil {
		if oc == answered && a.status >= 400 && a.status < 500 {
			err = fmt.Errorf("%w: %w", ErrRejected, err)
		}
		return Order{}, fmt.Errorf("quote renewal of service %d for %s: %w", serviceID, period, err)
	}
	o, err := decodeOrder(a.body)
	if err != nil {
		return Order{}, fmt.Errorf("quote renewal of service %d for %s: decode POST /service/%d/renew: %w",
			serviceID, period, serviceID, err)
	}
	return o, nil
}

// CreateRenewOrder orders the renewal of a service for a period
// (POST /service/{id}/renew with dryRun false). services is the strategy's
// list; empty means [serviceID]. The order is created unpaid.
//
// It is NEVER retried. When OVH refused (4xx), the error wraps ErrRejected
// and no order exists. When the outcome is unknown (timeout, cut connection,
// ctx ended while waiting for the answer, 5xx, a success without a readable
// order id), the error wraps ErrUnknownOutcome: an order may exist, and the
// caller reconciles with FindRenewOrder. Any other error means the request
// was never sent.
func (c *Client) CreateRenewOrder(ctx context.Context, serviceID int64, period renewd.Period, services []int64) (Order, error) {
	a, oc, err := c.postRenew(ctx, serviceID, period, services, false)
	if err != nil {
		return Order{}, fmt.Errorf("create renewal order for service %d for %s: %w", serviceID, period, movingError(oc, a, err))
	}
	o, err := decodeOrder(a.body)
	if err == nil && o.ID == 0 {
		err = fmt.Errorf("no orderId in the answer")
	}
	if err != nil {
		return Order{}, fmt.Errorf("create renewal order for service %d for %s: %w: decode POST /service/%d/renew: %w",
			serviceID, period, ErrUnknownOutcome, serviceID, err)
	}
	// The renewal cycle logs the same event with the service's name.
	c.log.Debug("ovh renewal order created", "account", c.account, "service_id", serviceID,
		"period", period.String(), "order_id", o.ID, "price", o.WithoutTax.String())
	return o, nil
}

func (c *Client) postRenew(ctx context.Context, serviceID int64, period renewd.Period, services []int64, dryRun bool) (answer, outcome, error) {
	if len(services) == 0 {
		services = []int64{serviceID}
	}
	body := renewRequest{DryRun: dryRun, Duration: period.String(), Services: services}
	return c.send(ctx, http.MethodPost, "POST /service/{id}/renew", fmt.Sprintf("/service/%d/renew", serviceID), body, nil)
}

func decodeOrder(body []byte) (Order, error) {
	var w wireOrder
	if err := json.Unmarshal(body, &w); err != nil {
		return Order{}, err
	}
	return w.toOrder()
}
