package ovhfake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/renewd/renewd"
)

// order is a renewal order the fake created.
type order struct {
	id           int64
	serviceID    int64 // the {id} of POST /service/{id}/renew
	services     []int64
	period       renewd.Period
	periodText   string
	priceUcents  int64     // without tax
	priceForm    PriceForm // SetOrderPriceForm's, else strategyForm; "" follows Wire.Price
	strategyForm PriceForm // the strategy's when the order was made
	created      time.Time
	expires      time.Time
	password     string
	details      []orderDetail

	paid      bool
	paidAt    time.Time
	payment   PaymentRecord
	delivered bool
	// override, when set, is the status OVH answers instead of the life
	// cycle's (SetOrderStatus); the order's life stands still meanwhile.
	override string
}

type orderDetail struct {
	id        int64
	serviceID int64
	name, typ string
	ucents    int64
}

// Order statuses (billing.order.OrderStatusEnum) the fake uses.
const (
	StatusNotPaid    = "notPaid"
	StatusCancelled  = "cancelled"
	StatusChecking   = "checking"
	StatusDelivering = "delivering"
	StatusDelivered  = "delivered"
	// StatusDocumentsRequested is what OVH answers while it waits for the
	// customer's documents; the fake answers it only when told to
	// (SetOrderStatus).
	StatusDocumentsRequested = "documentsRequested"
)

// lifeStatus is the order's status at now by its life cycle alone: notPaid;
// cancelled once unpaid past its expiration; checking from its payment for
// CheckingFor; then delivering; then, once settleLocked delivered it,
// delivered. The caller has run settleLocked(now).
func (f *Fake) lifeStatus(o *order, now time.Time) string {
	switch {
	case o.delivered:
		return StatusDelivered
	case o.paid && now.Before(o.paidAt.Add(f.opts.CheckingFor)):
		return StatusChecking
	case o.paid:
		return StatusDelivering
	case now.After(o.expires):
		return StatusCancelled
	}
	return StatusNotPaid
}

// status is the order's status as OVH answers it: SetOrderStatus's when one
// is set, else the life cycle's.
func (f *Fake) status(o *order, now time.Time) string {
	if o.override != "" {
		return o.override
	}
	return f.lifeStatus(o, now)
}

// settleLocked delivers every paid order whose delivery time has come and
// whose status is not held by SetOrderStatus: each service in it has its
// expiration moved forward by the period on the calendar, once, and an
// expired service is ok again. The caller holds f.mu.
func (f *Fake) settleLocked(now time.Time) {
	kept := f.undelivered[:0]
	for _, o := range f.undelivered {
		if o.override != "" || now.Before(o.paidAt.Add(f.opts.DeliveryAfter)) {
			kept = append(kept, o)
			continue
		}
		o.delivered = true
		for _, id := range o.services {
			s := f.services[id]
			if s == nil {
				continue
			}
			s.fx.Expiration = s.fx.Expiration.AddPeriod(o.period)
			if s.fx.State == "expired" {
				s.fx.State = "ok"
			}
		}
		f.log.Debug("ovhfake order delivered", "order", o.id)
	}
	clear(f.undelivered[len(kept):])
	f.undelivered = kept
}

// orderForm is the price form an order is written in now.
func (f *Fake) orderForm(o *order) PriceForm { return priceFormOr(o.priceForm, f.wire.Price) }

// orderParam resolves the {id} path parameter to an order, or gives the
// 404 answer (OVH also answers 404 for an id that is not a number).
func (f *Fake) orderParam(c *call) (*order, reply, bool) {
	id, err := strconv.ParseInt(c.params["id"], 10, 64)
	o := f.orders[id]
	if err != nil || o == nil {
		return nil, notFound("orderId", c.params["id"]), false
	}
	return o, reply{}, true
}

// listOrders answers GET /me/order: the ids of the orders whose date is
// within date.from and date.to (both optional, inclusive; a date such as
// 2026-05-01 is midnight UTC, or an RFC 3339 time), in creation order.
// A malformed bound is a 400; Wire.OrderDates may read them otherwise
// (wiremismatch.go). The query is decoded as a form: a literal "+"
// in an offset reads as a space, so clients must encode it (%2B).
func (f *Fake) listOrders(c *call) reply {
	q := c.r.URL.Query()
	var bounds [2]time.Time
	for i, name := range []string{"date.from", "date.to"} {
		t, rep, ok := orderBound(f.wire.OrderDates, name, q.Get(name))
		if !ok {
			return rep
		}
		bounds[i] = t
	}
	ids := []int64{}
	for _, id := range f.orderIDs {
		d := f.orders[id].created
		if !bounds[0].IsZero() && d.Before(bounds[0]) || !bounds[1].IsZero() && d.After(bounds[1]) {
			continue
		}
		ids = append(ids, id)
	}
	return okReply(ids)
}

// getOrder answers GET /me/order/{id}: billing.Order, no status field.
func (f *Fake) getOrder(c *call) reply {
	o, rep, found := f.orderParam(c)
	if !found {
		return rep
	}
	return okReply(f.orderView(o))
}

// getOrderStatus answers GET /me/order/{id}/status with a bare JSON string.
func (f *Fake) getOrderStatus(c *call) reply {
	o, rep, found := f.orderParam(c)
	if !found {
		return rep
	}
	return okReply(f.status(o, c.now))
}

func (f *Fake) listOrderDetails(c *call) reply {
	o, rep, found := f.orderParam(c)
	if !found {
		return rep
	}
	ids := []int64{}
	for _, d := range o.details {
		ids = append(ids, d.id)
	}
	return okReply(ids)
}

// detailParam resolves {detailId} within the order, or gives the 404.
func (f *Fake) detailParam(c *call) (*order, *orderDetail, reply, bool) {
	o, rep, found := f.orderParam(c)
	if !found {
		return nil, nil, rep, false
	}
	id, err := strconv.ParseInt(c.params["detailId"], 10, 64)
	i := slices.IndexFunc(o.details, func(d orderDetail) bool { return d.id == id })
	if err != nil || i < 0 {
		return nil, nil, notFound("orderDetailId", c.params["detailId"]), false
	}
	return o, &o.details[i], reply{}, true
}

// billingOrderDetail is billing.OrderDetail.
type billingOrderDetail struct {
	Cancelled     bool   `json:"cancelled"`
	Description   string `json:"description"`
	DetailType    string `json:"detailType"`
	Domain        string `json:"domain"`
	OrderDetailID int64  `json:"orderDetailId"`
	Quantity      string `json:"quantity"`
	TotalPrice    price  `json:"totalPrice"`
	UnitPrice     price  `json:"unitPrice"`
}

// getOrderDetail answers GET /me/order/{id}/details/{detailId}: one detail
// per renewed service, domain = the service name, detailType RENEW.
func (f *Fake) getOrderDetail(c *call) reply {
	o, d, rep, found := f.detailParam(c)
	if !found {
		return rep
	}
	form := f.orderForm(o)
	return okReply(billingOrderDetail{
		Description:   fmt.Sprintf("Renewal %s %s", d.name, o.periodText),
		DetailType:    "RENEW",
		Domain:        d.name,
		OrderDetailID: d.id,
		Quantity:      "1",
		TotalPrice:    f.price(d.ucents, form),
		UnitPrice:     f.price(d.ucents, form),
	})
}

// itemDetail is billing.ItemDetail.
type itemDetail struct {
	Order struct {
		Action         string     `json:"action"`
		Configurations []keyValue `json:"configurations"`
		Plan           struct {
			Code        string      `json:"code"`
			Duration    string      `json:"duration"`
			PricingMode string      `json:"pricingMode"`
			Product     productName `json:"product"`
			Quantity    int         `json:"quantity"`
		} `json:"plan"`
		Type string `json:"type"`
	} `json:"order"`
}

// getOrderDetailExtension answers GET .../details/{detailId}/extension:
// action renew, plan code "<type>-renew", duration the period.
func (f *Fake) getOrderDetailExtension(c *call) reply {
	o, d, rep, found := f.detailParam(c)
	if !found {
		return rep
	}
	var v itemDetail
	v.Order.Action = "renew"
	v.Order.Configurations = []keyValue{}
	v.Order.Plan.Code = d.typ + "-renew"
	v.Order.Plan.Duration = o.periodText
	v.Order.Plan.PricingMode = "default"
	v.Order.Plan.Product.Name = d.typ
	v.Order.Plan.Quantity = 1
	v.Order.Type = "plan"
	return okReply(v)
}

// billingPayment is billing.Payment.
type billingPayment struct {
	PaymentDate       string  `json:"paymentDate"`
	PaymentIdentifier *string `json:"paymentIdentifier"`
	PaymentType       string  `json:"paymentType"`
}

// getOrderPayment answers GET /me/order/{id}/payment: 404 until the order
// is paid, then billing.Payment.
func (f *Fake) getOrderPayment(c *call) reply {
	o, rep, found := f.orderParam(c)
	if !found {
		return rep
	}
	if !o.paid {
		return apiError(http.StatusNotFound, fmt.Sprintf("No payment for order %d", o.id))
	}
	ident := fmt.Sprintf("FAKE-PAY-%d", o.id)
	return okReply(billingPayment{
		PaymentDate:       f.wire.Time.instant(o.paidAt),
		PaymentIdentifier: &ident,
		PaymentType:       paymentMeanEnum(o.payment.Mean),
	})
}

// getOrderAssociatedObject answers GET /me/order/{id}/associatedObject: the
// bill once paid, nulls before.
func (f *Fake) getOrderAssociatedObject(c *call) reply {
	o, rep, found := f.orderParam(c)
	if !found {
		return rep
	}
	v := struct {
		ID   *string `json:"id"`
		Type *string `json:"type"`
	}{}
	if o.paid {
		id, typ := fmt.Sprintf("FR%d", o.id), "Bill"
		v.ID, v.Type = &id, &typ
	}
	return okReply(v)
}
