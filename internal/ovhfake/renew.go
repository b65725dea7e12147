package ovhfake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/renewd/renewd"
)

// renewDescription is service.renew.RenewDescription.
type renewDescription struct {
	RenewPeriod string          `json:"renewPeriod"`
	Strategies  []renewStrategy `json:"strategies"`
}

// renewStrategy is service.renew.RenewStrategy; prices are without tax.
// priceInUcents is left out where the price form has none (PriceValue, as
// in OVH's renew guide).
type renewStrategy struct {
	Price           price          `json:"price"`
	PriceInUcents   *int64         `json:"priceInUcents,omitempty"`
	Services        []int64        `json:"services"`
	ServicesDetails []renewService `json:"servicesDetails"`
}

type renewService struct {
	ServiceID   int64  `json:"serviceId"`
	ServiceName string `json:"serviceName"`
	ServiceType string `json:"serviceType"`
}

// getRenewStrategies answers GET /service/{id}/renew: the service's
// strategies grouped under renewPeriod by their Period as spelt in the
// fixture (P12M and P1Y are two groups), shortest period first, strategies
// in fixture order. includeOptions is accepted and ignored.
func (f *Fake) getRenewStrategies(c *call) reply {
	s, rep, found := f.serviceParam(c)
	if !found {
		return rep
	}
	out := []renewDescription{}
	for _, spelling := range strategySpellings(s.fx) {
		d := renewDescription{RenewPeriod: spelling, Strategies: []renewStrategy{}}
		for _, st := range s.fx.Strategies {
			if st.Period != spelling {
				continue
			}
			form := priceFormOr(st.PriceForm, f.wire.Price)
			rs := renewStrategy{
				Price:           f.price(st.PriceUcents, form),
				PriceInUcents:   form.strategyUcents(st.PriceUcents),
				Services:        slices.Clone(st.Services),
				ServicesDetails: []renewService{},
			}
			for _, id := range st.Services {
				d := renewService{ServiceID: id}
				if other := f.services[id]; other != nil {
					d.ServiceName, d.ServiceType = other.fx.Name, other.fx.Type
				}
				rs.ServicesDetails = append(rs.ServicesDetails, d)
			}
			d.Strategies = append(d.Strategies, rs)
		}
		out = append(out, d)
	}
	return okReply(out)
}

// strategySpellings lists the distinct Period texts of a service's
// strategies, shortest period first, then by text.
func strategySpellings(fx ServiceFixture) []string {
	var out []string
	for _, st := range fx.Strategies {
		if !slices.Contains(out, st.Period) {
			out = append(out, st.Period)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		if d := periodDays(mustPeriod(a)) - periodDays(mustPeriod(b)); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return out
}

// renewRequest is the body of POST /service/{id}/renew.
type renewRequest struct {
	DryRun   *bool    `json:"dryRun"`
	Duration *string  `json:"duration"`
	Services *[]int64 `json:"services"`
}

// renewOrder is service.renew.RenewOrder, and billing.Order, which has the
// same fields.
type renewOrder struct {
	OrderID        int64   `json:"orderId"`
	Date           *string `json:"date"`
	ExpirationDate *string `json:"expirationDate"`
	Password       string  `json:"password"`
	PdfURL         string  `json:"pdfUrl"`
	URL            string  `json:"url"`
	orderPrices
	RetractionDate *string `json:"retractionDate"`
}

// postRenew answers POST /service/{id}/renew. duration and services must
// name one of the service's strategies exactly (the same period, the same
// set of services), or the answer is 400; with Wire.StrictDuration the
// duration must also be spelt as the strategy's renewPeriod was (P12M is
// then not P1Y). An unknown body field is a 400 too, so that a misspelt
// dryRun cannot silently order. dryRun:true quotes: the RenewOrder has
// orderId 0, no date, url or password. Otherwise an order is created,
// notPaid, at the strategy's price or at the RaiseOrderPrice price. Prices
// are written in the strategy's price form, else Wire.Price.
func (f *Fake) postRenew(c *call) reply {
	s, rep, found := f.serviceParam(c)
	if !found {
		return rep
	}
	var req renewRequest
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return badRequest("Invalid body: %v", err)
	}
	if req.Duration == nil {
		return badRequest("Missing parameter duration")
	}
	if req.Services == nil {
		return badRequest("Missing parameter services")
	}
	period, err := renewd.ParsePeriod(*req.Duration)
	if err != nil {
		return badRequest("Invalid parameter duration: %q is not an ISO 8601 duration", *req.Duration)
	}
	var st *StrategyFixture
	for i, cand := range s.fx.Strategies {
		if mustPeriod(cand.Period).Equal(period) && sameIDs(cand.Services, *req.Services) {
			st = &s.fx.Strategies[i]
			break
		}
	}
	if st == nil {
		return badRequest("No renew strategy of service %d for duration %s and services %v", s.fx.ID, *req.Duration, *req.Services)
	}
	if f.wire.StrictDuration && *req.Duration != st.Period {
		return badRequest("Invalid parameter duration: %q is not an offered renew period (offered: %s)", *req.Duration, st.Period)
	}
	for _, id := range st.Services {
		if f.services[id] == nil {
			return badRequest("Invalid parameter services: service %d does not exist", id)
		}
	}
	if req.DryRun != nil && *req.DryRun {
		return okReply(renewOrder{orderPrices: f.orderPrices(st.PriceUcents, priceFormOr(st.PriceForm, f.wire.Price))})
	}
	ucents := st.PriceUcents
	if raised, ok := f.raised[s.fx.ID]; ok {
		ucents = raised
	}
	o := f.createOrderLocked(s.fx.ID, st, ucents, c)
	return okReply(f.orderView(o))
}

// createOrderLocked records a new notPaid order with one detail per renewed
// service (the price split evenly, the first detail taking the remainder).
func (f *Fake) createOrderLocked(serviceID int64, st *StrategyFixture, ucents int64, c *call) *order {
	o := &order{
		id:           f.nextOrderID,
		serviceID:    serviceID,
		services:     slices.Clone(st.Services),
		period:       mustPeriod(st.Period),
		periodText:   st.Period,
		priceUcents:  ucents,
		priceForm:    st.PriceForm,
		strategyForm: st.PriceForm,
		created:      c.now,
		expires:      c.now.Add(f.opts.OrderTTL),
	}
	f.nextOrderID++
	o.password = orderPassword(o.id)
	n := int64(len(st.Services))
	for i, id := range st.Services {
		part := ucents / n
		if i == 0 {
			part += ucents % n
		}
		other := f.services[id].fx
		o.details = append(o.details, orderDetail{
			id: f.nextDetailID, serviceID: id, name: other.Name, typ: other.Type, ucents: part,
		})
		f.nextDetailID++
	}
	f.orders[o.id] = o
	f.orderIDs = append(f.orderIDs, o.id)
	f.log.Debug("ovhfake order created", "order", o.id, "service", serviceID, "period", st.Period)
	return o
}

// orderPassword is the order's password: not a secret in the fake, but
// stable so that answers repeat.
func orderPassword(id int64) string {
	sum := sha256.Sum256([]byte("ovhfake order " + strconv.FormatInt(id, 10)))
	return hex.EncodeToString(sum[:])[:8]
}

func (f *Fake) orderView(o *order) renewOrder {
	u := fmt.Sprintf("https://www.ovh.com/cgi-bin/order/displayOrder.cgi?orderId=%d&orderPassword=%s", o.id, o.password)
	tf := f.wire.Time
	return renewOrder{
		OrderID:        o.id,
		Date:           tf.instantPtr(o.created),
		ExpirationDate: tf.instantPtr(o.expires),
		Password:       o.password,
		PdfURL:         u,
		URL:            u,
		orderPrices:    f.orderPrices(o.priceUcents, f.orderForm(o)),
	}
}
