package ovh

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/renewd/renewd"
)

// Strategy is one way OVH offers to renew a service for a period: alone, or
// in a bundle with other services (Services lists every service renewed).
type Strategy struct {
	Period renewd.Period
	// PeriodText is renewPeriod exactly as OVH wrote it ("P12M" where
	// Period.String() says "P1Y"). Quote and CreateRenewOrder send it back
	// as the duration, so that OVH is asked for the very strategy it offered.
	PeriodText string
	Services   []int64
	// Price is without tax: priceInUcents when OVH sends it, else
	// price.value (see readPrice). When PriceErr is not nil, the price is
	// not usable: Price.Ucents is 0 and PriceErr (wrapping
	// renewd.ErrUnusablePrice) says why, quoting what OVH sent. Such a
	// strategy must never be compared with a cap, ordered or paid.
	Price    renewd.Money
	PriceErr error
}

// wireRenewDescription is service.renew.RenewDescription.
type wireRenewDescription struct {
	RenewPeriod string            `json:"renewPeriod"`
	Strategies  []json.RawMessage `json:"strategies"`
}

// wireStrategy is service.renew.RenewStrategy. Its price and its own
// priceInUcents are kept raw for readPrice.
type wireStrategy struct {
	Price         json.RawMessage `json:"price"`
	PriceInUcents json.RawMessage `json:"priceInUcents"`
	Services      []int64         `json:"services"`
}

// RenewStrategies lists the renewal strategies OVH offers for a service
// (GET /service/{id}/renew), every period flattened, in the order OVH sent
// them. A period renewd cannot read, or a strategy whose services cannot be
// read, is left out with a warning; a strategy whose price is unusable is
// kept with PriceErr set. The route exists only on the EU API.
func (c *Client) RenewStrategies(ctx context.Context, serviceID int64) ([]Strategy, error) {
	path := fmt.Sprintf("/service/%d/renew", serviceID)
	_, body, err := c.getRaw(ctx, "GET /service/{id}/renew", path, nil)
	if err != nil {
		return nil, fmt.Errorf("renewal strategies of service %d: %w", serviceID, err)
	}
	out, notes, err := decodeStrategies(body)
	if err != nil {
		return nil, fmt.Errorf("renewal strategies of service %d: decode GET %s: %w", serviceID, path, err)
	}
	for _, n := range notes {
		c.log.Warn("ovh renewal strategy not understood; skipped", "account", c.account, "service_id", serviceID, "why", n)
	}
	return out, nil
}

// decodeStrategies reads a GET /service/{id}/renew answer. An answer that is
// not a JSON array is an error; a description or strategy that cannot be
// read is left out and a note says why.
func decodeStrategies(body []byte) ([]Strategy, []string, error) {
	var descs []json.RawMessage
	if err := json.Unmarshal(body, &descs); err != nil {
		return nil, nil, jsonError{err}
	}
	var out []Strategy
	var notes []string
	for i, raw := range descs {
		var d wireRenewDescription
		if problem := decodeObject(raw, &d); problem != "" {
			notes = append(notes, fmt.Sprintf("description %d: %s", i+1, problem))
			continue
		}
		period, err := renewd.ParsePeriod(d.RenewPeriod)
		if err != nil {
			notes = append(notes, fmt.Sprintf("description %d: renewPeriod %s is not a period renewd reads", i+1, quote(d.RenewPeriod)))
			continue
		}
		for j, sraw := range d.Strategies {
			var s wireStrategy
			if problem := decodeObject(sraw, &s); problem != "" {
				notes = append(notes, fmt.Sprintf("%s strategy %d: %s", quote(d.RenewPeriod), j+1, problem))
				continue
			}
			if len(s.Services) == 0 {
				notes = append(notes, fmt.Sprintf("%s strategy %d: no services", quote(d.RenewPeriod), j+1))
				continue
			}
			price, perr := readPrice(s.Price, s.PriceInUcents, pricePositive)
			out = append(out, Strategy{Period: period, PeriodText: d.RenewPeriod,
				Services: slices.Clone(s.Services), Price: price, PriceErr: perr})
		}
	}
	return out, notes, nil
}

// ChooseStrategy picks the strategy that renews serviceID for period, as
// OVH's renewal guide does: the one whose services are exactly [serviceID].
// When there is none and allowBundle is set, a strategy for the period that
// includes serviceID. Among several it prefers one with a usable price,
// then the cheapest, then fewer services. A strategy whose price is
// unusable may still be chosen when nothing else fits: the caller then
// fails with its PriceErr. It reports false when nothing fits. It is pure.
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
	best := func(list []Strategy) (Strategy, bool) {
		if len(list) == 0 {
			return Strategy{}, false
		}
		return slices.MinFunc(list, func(a, b Strategy) int {
			if ua, ub := a.PriceErr == nil, b.PriceErr == nil; ua != ub {
				if ua {
					return -1
				}
				return 1
			}
			if a.Price.Ucents != b.Price.Ucents {
				return cmp.Compare(a.Price.Ucents, b.Price.Ucents)
			}
			return len(a.Services) - len(b.Services)
		}), true
	}
	if s, ok := best(alone); ok {
		return s, true
	}
	if allowBundle {
		return best(bundle)
	}
	return Strategy{}, false
}

// Order is an OVH order as renewd keeps it. The order's url, pdfUrl and
// password, which let anyone open it, are never decoded, so they cannot be
// logged or stored.
type Order struct {
	ID      int64
	Date    time.Time // zero when OVH gives none, or none renewd can read
	Expires time.Time // when an unpaid order lapses; zero when OVH gives none, or none renewd can read
	// WithoutTax, WithTax and Tax are the order's prices. When PriceErr is
	// not nil they are not usable (see orderPrices): every Ucents is 0 and
	// PriceErr (wrapping renewd.ErrUnusablePrice) says why. Such an order
	// must never be compared with a cap or paid.
	WithoutTax, WithTax, Tax renewd.Money
	PriceErr                 error
}

// renewRequest is the body of POST /service/{id}/renew.
type renewRequest struct {
	DryRun   bool    `json:"dryRun"`
	Duration string  `json:"duration"`
	Services []int64 `json:"services"`
}

// Quote asks OVH for the price of a renewal by strategy s without ordering
// it (POST /service/{id}/renew with dryRun true, s.PeriodText as the
// duration and s.Services as the services; see CreateRenewOrder). No order
// is created and no money moves. It is not retried. A 4xx answer wraps
// ErrRejected. An answer whose prices are unusable is returned with
// Order.PriceErr set and a nil error.
func (c *Client) Quote(ctx context.Context, serviceID int64, s Strategy) (Order, error) {
	a, oc, err := c.postRenew(ctx, serviceID, s, true)
	if err != nil {
		if oc == answered && a.status >= 400 && a.status < 500 {
			err = fmt.Errorf("%w: %w", ErrRejected, err)
		}
		return Order{}, fmt.Errorf("quote renewal of service %d for %s: %w", serviceID, s.duration(), err)
	}
	o, err := decodeOrder(a.body)
	if err != nil {
		return Order{}, fmt.Errorf("quote renewal of service %d for %s: decode POST /service/%d/renew: %w",
			serviceID, s.duration(), serviceID, err)
	}
	return o, nil
}

// CreateRenewOrder orders the renewal of a service by strategy s
// (POST /service/{id}/renew with dryRun false). It sends s.PeriodText as
// the duration, exactly as OVH offered it (Period.String() when PeriodText
// is empty, for a Strategy built by hand), and s.Services as the services
// ([serviceID] when empty). The order is created unpaid.
//
// It is NEVER retried. When OVH refused (4xx), the error wraps ErrRejected
// and no order exists. When the outcome is unknown (timeout, cut connection,
// ctx ended while waiting for the answer, 5xx, a success without a readable
// order id), the error wraps ErrUnknownOutcome: an order may exist, and the
// caller reconciles with FindRenewOrder. Any other error means the request
// was never sent. An order created with prices renewd cannot use is
// returned with a nil error and Order.PriceErr set: it exists, so the
// caller records it, and must not pay it.
func (c *Client) CreateRenewOrder(ctx context.Context, serviceID int64, s Strategy) (Order, error) {
	a, oc, err := c.postRenew(ctx, serviceID, s, false)
	if err != nil {
		return Order{}, fmt.Errorf("create renewal order for service %d for %s: %w", serviceID, s.duration(), movingError(oc, a, err))
	}
	o, err := decodeOrder(a.body)
	if err == nil && o.ID <= 0 {
		err = errors.New("no orderId in the answer")
	}
	if err != nil {
		return Order{}, fmt.Errorf("create renewal order for service %d for %s: %w: decode POST /service/%d/renew: %w",
			serviceID, s.duration(), ErrUnknownOutcome, serviceID, err)
	}
	// The renewal cycle logs the same event with the service's name.
	c.log.Debug("ovh renewal order created", "account", c.account, "service_id", serviceID,
		"period", s.duration(), "order_id", o.ID, "price", o.WithoutTax.String(), "price_error", o.PriceErr)
	return o, nil
}

// duration is the duration sent for the strategy: its text as OVH wrote it,
// else its canonical form; "" when it has neither.
func (s Strategy) duration() string {
	if s.PeriodText != "" {
		return s.PeriodText
	}
	if s.Period.IsZero() {
		return ""
	}
	return s.Period.String()
}

func (c *Client) postRenew(ctx context.Context, serviceID int64, s Strategy, dryRun bool) (answer, outcome, error) {
	duration := s.duration()
	if duration == "" {
		return answer{}, notSent, errors.New("the strategy has no period")
	}
	services := s.Services
	if len(services) == 0 {
		services = []int64{serviceID}
	}
	body := renewRequest{DryRun: dryRun, Duration: duration, Services: services}
	return c.send(ctx, http.MethodPost, "POST /service/{id}/renew", fmt.Sprintf("/service/%d/renew", serviceID), body, nil)
}
