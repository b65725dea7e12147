package ovhfake

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/renewd/renewd"
)

// OrderRecord is one order the fake created (dry runs create none).
type OrderRecord struct {
	ID          int64
	ServiceID   int64   // the {id} of POST /service/{id}/renew
	Services    []int64 // every service the order renews
	Period      string  // the strategy's period, as in the fixture
	PriceUcents int64   // without tax
	Created     time.Time
	// Status is the order's status now, as GET /me/order/{id}/status answers
	// it: notPaid, cancelled, checking, delivering, delivered, or the one
	// SetOrderStatus set.
	Status string
}

// Orders returns every order created, in creation order, with its status
// at the fake's current time (deliveries due by then are applied first).
func (f *Fake) Orders() []OrderRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.settleLocked(now)
	out := make([]OrderRecord, 0, len(f.orderIDs))
	for _, id := range f.orderIDs {
		o := f.orders[id]
		out = append(out, OrderRecord{
			ID:          o.id,
			ServiceID:   o.serviceID,
			Services:    slices.Clone(o.services),
			Period:      o.periodText,
			PriceUcents: o.priceUcents,
			Created:     o.created,
			Status:      f.status(o, now),
		})
	}
	return out
}

// SetOrderStatus makes GET /me/order/{id}/status (and Orders) answer status
// for the order, whatever its life cycle says: documentsRequested
// (StatusDocumentsRequested), or a status OVH may add later ("inReview").
// While it is set the order's life stands still (a paid order is not
// delivered) and the order cannot be paid unless status is notPaid and the
// order really is unpaid; an empty status ends it, and the life cycle takes
// over where the clock has got to (a paid order due by then is delivered).
// It reports whether the fake has the order.
func (f *Fake) SetOrderStatus(orderID int64, status string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[orderID]
	if o == nil {
		return false
	}
	o.override = status
	f.settleLocked(f.now())
	return true
}

// SetOrderPriceForm makes the order's prices (POST answers are already
// sent; GET /me/order/{id} and its details from now on) be written in form;
// empty goes back to the form of the strategy it was made from, else
// Wire.Price. It reports whether the fake has the order, and panics on a
// form it does not know.
func (f *Fake) SetOrderPriceForm(orderID int64, form PriceForm) bool {
	if !validPriceForm(form) {
		panic(fmt.Sprintf("ovhfake: SetOrderPriceForm: price form %q is not one of %v", form, PriceForms))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.orders[orderID]
	if o == nil {
		return false
	}
	o.priceForm = form
	if form == "" {
		o.priceForm = o.strategyForm
	}
	return true
}

// Payments returns every successful payment, in order. A refused payment
// (already paid, expired, unknown method) is not one.
func (f *Fake) Payments() []PaymentRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.payments)
}

// Requests returns how many requests each route received, keyed
// "METHOD /pattern" (e.g. "GET /service/{id}", "POST /me/order/{id}/pay").
// Every request counts, whether it failed authentication, hit a fault or
// matched no route ("GET (unknown route)").
func (f *Fake) Requests() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.requests)
}

// TotalRequests is the sum of Requests.
func (f *Fake) TotalRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total
}

// Service returns the service's current state (its expiration moves when a
// renewal is delivered), and false when the fake has no such service.
func (f *Fake) Service(id int64) (ServiceFixture, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settleLocked(f.now())
	s := f.services[id]
	if s == nil {
		return ServiceFixture{}, false
	}
	return cloneService(s.fx), true
}

// SetPrice sets the price (without tax) of the strategy renewing the
// service alone for the period, for strategy listings, quotes and orders
// alike; bundle strategies are untouched. When the service has no such
// strategy, one is added. SetPrice panics on an unknown service, a bad
// period or a negative price.
func (f *Fake) SetPrice(serviceID int64, period string, ucents int64) {
	p, err := renewd.ParsePeriod(period)
	if err != nil || ucents < 0 {
		panic(fmt.Sprintf("ovhfake: SetPrice(%d, %q, %d): bad period or price", serviceID, period, ucents))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.services[serviceID]
	if s == nil {
		panic(fmt.Sprintf("ovhfake: SetPrice: no service %d", serviceID))
	}
	for i, st := range s.fx.Strategies {
		if mustPeriod(st.Period).Equal(p) && sameIDs(st.Services, []int64{serviceID}) {
			s.fx.Strategies[i].PriceUcents = ucents
			return
		}
	}
	s.fx.Strategies = append(s.fx.Strategies, StrategyFixture{Period: period, Services: []int64{serviceID}, PriceUcents: ucents})
}

// RaiseOrderPrice makes every later real order created through
// POST /service/{serviceID}/renew cost ucents (without tax), whatever the
// strategy, while GET /service/{id}/renew and dryRun quotes keep the
// strategy's price: the price changed between the quote and the order.
func (f *Fake) RaiseOrderPrice(serviceID int64, ucents int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.raised[serviceID] = ucents
}

// AddService adds a service, or replaces the one with the same id (keeping
// its creation date). Defaults apply as in a Scenario (manual, ok). Its
// strategies may name services the fake does not have yet; ordering such a
// strategy is a 400 until they exist. AddService panics on an invalid
// service (see Scenario.Validate) or one whose type and name another
// service already has.
func (f *Fake) AddService(s ServiceFixture) {
	s = cloneService(s).withDefaults()
	if err := s.validate(); err != nil {
		panic(fmt.Sprintf("ovhfake: AddService: %v", err))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if other, ok := f.byRoute[routeKey(s.Type, s.Name)]; ok && other != s.ID {
		panic(fmt.Sprintf("ovhfake: AddService: service %d is already %s %s", other, s.Type, s.Name))
	}
	f.putServiceLocked(s)
}

// RemoveService takes a service out of the account, as when it is
// terminated or moved to another account: later listings leave it out and
// reads of it answer 404. Orders and payments already made for it stay in
// the record. It reports whether the fake had the service.
func (f *Fake) RemoveService(id int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.services[id]
	if !ok {
		return false
	}
	delete(f.services, id)
	delete(f.byRoute, routeKey(s.fx.Type, s.fx.Name))
	f.serviceIDs = slices.DeleteFunc(f.serviceIDs, func(v int64) bool { return v == id })
	return true
}
