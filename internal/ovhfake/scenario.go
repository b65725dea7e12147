package ovhfake

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/renewd/renewd"
)

// Scenario is the account a Fake serves: its services with their renewal
// offers, its registered payment methods, and how its API speaks.
type Scenario struct {
	Currency       string // e.g. EUR; empty means EUR
	Services       []ServiceFixture
	PaymentMethods []PaymentMethodFixture
	// Wire is how the account's API writes what OVH writes in more than one
	// form; the zero value is the default of each (see Wire).
	Wire Wire
}

// ServiceFixture is one billed service.
type ServiceFixture struct {
	ID   int64
	Name string
	// Type is the API route without the name: "vps", "domain",
	// "hosting/web", "dedicated/server".
	Type string
	// Expiration is the calendar date the service expires, as OVH's
	// date-typed fields write it (GET /service/{id} expirationDate,
	// serviceInfos expiration). Required. A delivered renewal moves it by
	// the period, on the calendar.
	Expiration renewd.Date
	// ExpirationTime is the time of day, in Paris, that the datetime-typed
	// fields of /services write with the expiration (billing.expirationDate,
	// nextBillingDate, renew.current.nextDate) and with the creation date
	// (lifecycle.current.creationDate, a year before the first expiration):
	// OVH Manager's mocks carry the service's creation time there, e.g.
	// 2026-12-05T19:56:28+01:00 for a service whose /service/{id} says
	// 2026-12-05. Zero is midnight. It must be under 24h, in whole seconds.
	ExpirationTime time.Duration
	// EngagedUntil, when set, is the date the service's commitment ends:
	// serviceList engagementDate, serviceInfos engagedUpTo and /services
	// billing.engagement.endDate. Zero means no engagement (those are null).
	EngagedUntil renewd.Date
	// RenewMode is OVH's service.renew.Mode: manual, automaticV2016,
	// automaticV2024, option, deleteAtExpiration...; unknown values are
	// served as given. Empty means manual.
	RenewMode string
	// State is the billing state: ok, expired, unpaid, pending; empty means ok.
	State      string
	Strategies []StrategyFixture
}

// StrategyFixture is one renewal offer of a service.
type StrategyFixture struct {
	// Period is the ISO 8601 period as OVH spells it in renewPeriod: "P1M",
	// "P1Y", or "P12M" (P1Y spelt otherwise). Strategies are listed under
	// their spelling; with Wire.StrictDuration an order must send it back
	// exactly.
	Period      string
	Services    []int64 // renewed together; contains the service itself
	PriceUcents int64   // without tax
	// PriceForm is how this strategy's price is written: in the strategy
	// listing, in quotes, and in the orders made from it. Empty means the
	// account's Wire.Price at the time of each answer.
	PriceForm PriceForm
}

// PaymentMethodFixture is one registered payment method (/me/payment/method).
type PaymentMethodFixture struct {
	ID          int64
	PaymentType string // CREDIT_CARD, PAYPAL, SEPA_DIRECT_DEBIT...
	Default     bool
	Status      string // VALID when empty
	MeanID      int64  // the legacy paymentMeanId for payWithRegisteredPaymentMean
}

func (sc Scenario) withDefaults() Scenario {
	out := Scenario{Currency: sc.Currency, Wire: sc.Wire.withDefaults()}
	if out.Currency == "" {
		out.Currency = "EUR"
	}
	for _, s := range sc.Services {
		out.Services = append(out.Services, cloneService(s).withDefaults())
	}
	for _, m := range sc.PaymentMethods {
		out.PaymentMethods = append(out.PaymentMethods, m.withDefaults())
	}
	return out
}

func (s ServiceFixture) withDefaults() ServiceFixture {
	if s.RenewMode == "" {
		s.RenewMode = "manual"
	}
	if s.State == "" {
		s.State = "ok"
	}
	return s
}

func (m PaymentMethodFixture) withDefaults() PaymentMethodFixture {
	if m.Status == "" {
		m.Status = "VALID"
	}
	return m
}

// Validate reports the first thing wrong with the scenario, after defaults
// are applied: duplicate or non-positive ids, a missing name, type or
// expiration, two services on the same route and name, a strategy with a
// bad period, a negative price, a service list that leaves out its own
// service or names one the scenario lacks, two strategies for the same
// period and services, a price form or wire form it does not know, a time
// of day out of range, or more than one default payment method. The error
// is a *FixtureError naming the entry at fault.
func (sc Scenario) Validate() error {
	sc = sc.withDefaults()
	if err := sc.Wire.Validate(); err != nil {
		return &FixtureError{Service: -1, Strategy: -1, PaymentMethod: -1, Wire: true, Err: err}
	}
	known := make(map[int64]bool, len(sc.Services))
	routes := make(map[string]int64, len(sc.Services))
	for i, s := range sc.Services {
		if err := s.validate(); err != nil {
			err.Service = i
			return err
		}
		if known[s.ID] {
			return &FixtureError{Service: i, Strategy: -1, PaymentMethod: -1, Err: fmt.Errorf("service %d is listed twice", s.ID)}
		}
		known[s.ID] = true
		if other, dup := routes[routeKey(s.Type, s.Name)]; dup {
			return &FixtureError{Service: i, Strategy: -1, PaymentMethod: -1,
				Err: fmt.Errorf("services %d and %d are both %s %s", other, s.ID, s.Type, s.Name)}
		}
		routes[routeKey(s.Type, s.Name)] = s.ID
	}
	for i, s := range sc.Services {
		for j, st := range s.Strategies {
			for _, id := range st.Services {
				if !known[id] {
					return &FixtureError{Service: i, Strategy: j, PaymentMethod: -1,
						Err: fmt.Errorf("service %d: strategy %s renews service %d, which the scenario lacks", s.ID, st.Period, id)}
				}
			}
		}
	}
	return validatePaymentMethods(sc.PaymentMethods)
}

// FixtureError says which entry of a Scenario is wrong: indexes into
// Services, that service's Strategies and PaymentMethods, -1 where they do
// not apply, or Wire. LoadScenario turns them into line numbers.
type FixtureError struct {
	Service, Strategy, PaymentMethod int
	Wire                             bool
	Err                              error
}

func (e *FixtureError) Error() string { return e.Err.Error() }
func (e *FixtureError) Unwrap() error { return e.Err }

// validate checks one service on its own (not its bundle partners). The
// error's Service index is left for the caller to fill in.
func (s ServiceFixture) validate() *FixtureError {
	fail := func(strategy int, format string, args ...any) *FixtureError {
		return &FixtureError{Service: -1, Strategy: strategy, PaymentMethod: -1, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case s.ID <= 0:
		return fail(-1, "service %q: id must be a positive number", s.Name)
	case s.Name == "" || strings.Contains(s.Name, "/"):
		return fail(-1, "service %d: name must be set and hold no slash", s.ID)
	case s.Type == "" || strings.HasPrefix(s.Type, "/") || strings.HasSuffix(s.Type, "/") || strings.Contains(s.Type, "//"):
		return fail(-1, "service %d: type must be a route such as vps or hosting/web, not %q", s.ID, s.Type)
	case s.Expiration.IsZero():
		return fail(-1, "service %d: expiration is missing", s.ID)
	case !validTimeOfDay(s.ExpirationTime):
		return fail(-1, "service %d: expiration time %s is not a time of day in whole seconds", s.ID, s.ExpirationTime)
	}
	seen := map[string]bool{}
	for j, st := range s.Strategies {
		p, err := renewd.ParsePeriod(st.Period)
		if err != nil {
			return fail(j, "service %d: strategy period: %w", s.ID, err)
		}
		if st.PriceUcents < 0 {
			return fail(j, "service %d: strategy %s: price is negative", s.ID, st.Period)
		}
		if !validPriceForm(st.PriceForm) {
			return fail(j, "service %d: strategy %s: price form %q is not one of %v", s.ID, st.Period, st.PriceForm, PriceForms)
		}
		if !slices.Contains(st.Services, s.ID) {
			return fail(j, "service %d: strategy %s renews %v, which leaves out the service itself", s.ID, st.Period, st.Services)
		}
		if len(idSet(st.Services)) != len(st.Services) {
			return fail(j, "service %d: strategy %s lists a service twice", s.ID, st.Period)
		}
		k := p.String() + fmt.Sprint(sortedIDs(st.Services))
		if seen[k] {
			return fail(j, "service %d: two strategies for %s renewing %v", s.ID, p, sortedIDs(st.Services))
		}
		seen[k] = true
	}
	return nil
}

func validatePaymentMethods(ms []PaymentMethodFixture) error {
	ids := map[int64]bool{}
	defaults := 0
	for i, m := range ms {
		var err error
		switch {
		case m.ID <= 0:
			err = fmt.Errorf("payment method %q: id must be a positive number", m.PaymentType)
		case ids[m.ID]:
			err = fmt.Errorf("payment method %d is listed twice", m.ID)
		case m.PaymentType == "":
			err = fmt.Errorf("payment method %d: payment type is missing", m.ID)
		case m.Default && defaults > 0:
			err = errors.New("more than one payment method is the default")
		}
		if err != nil {
			return &FixtureError{Service: -1, Strategy: -1, PaymentMethod: i, Err: err}
		}
		ids[m.ID] = true
		if m.Default {
			defaults++
		}
	}
	return nil
}

func idSet(ids []int64) map[int64]bool {
	set := make(map[int64]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set
}

func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// sameIDs reports whether a and b hold the same ids, each once.
func sameIDs(a, b []int64) bool {
	return len(a) == len(b) && len(idSet(a)) == len(a) && slices.Equal(sortedIDs(a), sortedIDs(b))
}

func cloneService(s ServiceFixture) ServiceFixture {
	s.Strategies = slices.Clone(s.Strategies)
	for i := range s.Strategies {
		s.Strategies[i].Services = slices.Clone(s.Strategies[i].Services)
	}
	return s
}

func clonePaymentMethods(ms []PaymentMethodFixture) []PaymentMethodFixture {
	return slices.Clone(ms)
}
