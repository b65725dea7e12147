package ovhfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PaymentRecord is one successful payment.
type PaymentRecord struct {
	OrderID         int64
	Route           string // "pay" or "payWithRegisteredPaymentMean"
	PaymentMethodID int64  // the method charged
	Mean            string // pay: the method's PaymentType; payWithRegisteredPaymentMean: paymentMean as sent
	MeanID          int64  // pay: the method's MeanID; payWithRegisteredPaymentMean: paymentMeanId as sent (0 if absent)
	AmountUcents    int64  // the amount charged, tax included
	At              time.Time
}

// payable checks that the order can be paid now: 400 "This order has
// already been paid" once paid, 400 "This order has expired" when unpaid
// past its expiration, and 400 when SetOrderStatus holds it in a status
// other than notPaid (documentsRequested, or one OVH may add). An order
// held as notPaid is payable only if it really is unpaid: the fake never
// takes money twice for one order, whatever it answers.
func (f *Fake) payable(o *order, now time.Time) (reply, bool) {
	switch life := f.lifeStatus(o, now); {
	case life == StatusCancelled:
		return badRequest("This order has expired"), false
	case life != StatusNotPaid:
		return badRequest("This order has already been paid"), false
	case o.override != "" && o.override != StatusNotPaid:
		return badRequest("This order cannot be paid in its status %s", o.override), false
	}
	return reply{}, true
}

// decodeStrict reads a JSON body into v, refusing unknown fields.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// postPay answers POST /me/order/{id}/pay {"paymentMethod":{"id":N}}: the
// method must exist and be VALID. Success is 200 with the body null.
func (f *Fake) postPay(c *call) reply {
	o, rep, found := f.orderParam(c)
	if !found {
		return rep
	}
	var req struct {
		PaymentMethod *struct {
			ID *int64 `json:"id"`
		} `json:"paymentMethod"`
	}
	if err := decodeStrict(c.body, &req); err != nil {
		return badRequest("Invalid body: %v", err)
	}
	if req.PaymentMethod == nil || req.PaymentMethod.ID == nil {
		return badRequest("Missing parameter paymentMethod.id")
	}
	if rep, ok := f.payable(o, c.now); !ok {
		return rep
	}
	m := f.methodByID(*req.PaymentMethod.ID)
	if m == nil {
		return badRequest("Payment method %d does not exist", *req.PaymentMethod.ID)
	}
	if m.Status != "VALID" {
		return badRequest("Payment method %d is not valid (status %s)", m.ID, m.Status)
	}
	f.payLocked(o, PaymentRecord{Route: "pay", PaymentMethodID: m.ID, Mean: m.PaymentType, MeanID: m.MeanID}, c.now)
	return okReply(nil)
}

// postPayWithRegisteredPaymentMean answers POST
// /me/order/{id}/payWithRegisteredPaymentMean {"paymentMean":"paypal",
// "paymentMeanId":777}. The mean must name a VALID registered method's
// type, ignoring case and underscores (paypal = PAYPAL, creditCard =
// CREDIT_CARD), and, when paymentMeanId is given, that method's MeanID.
func (f *Fake) postPayWithRegisteredPaymentMean(c *call) reply {
	o, rep, found := f.orderParam(c)
	if !found {
		return rep
	}
	var req struct {
		PaymentMean   *string `json:"paymentMean"`
		PaymentMeanID *int64  `json:"paymentMeanId"`
	}
	if err := decodeStrict(c.body, &req); err != nil {
		return badRequest("Invalid body: %v", err)
	}
	if req.PaymentMean == nil || *req.PaymentMean == "" {
		return badRequest("Missing parameter paymentMean")
	}
	if rep, ok := f.payable(o, c.now); !ok {
		return rep
	}
	var meanID int64
	if req.PaymentMeanID != nil {
		meanID = *req.PaymentMeanID
	}
	var match *PaymentMethodFixture
	for i, m := range f.methods {
		if m.Status != "VALID" || meanKey(m.PaymentType) != meanKey(*req.PaymentMean) {
			continue
		}
		if req.PaymentMeanID != nil && m.MeanID != meanID {
			continue
		}
		match = &f.methods[i]
		break
	}
	if match == nil {
		return badRequest("No valid registered payment mean %s%s", *req.PaymentMean, meanIDText(req.PaymentMeanID))
	}
	f.payLocked(o, PaymentRecord{
		Route: "payWithRegisteredPaymentMean", PaymentMethodID: match.ID, Mean: *req.PaymentMean, MeanID: meanID,
	}, c.now)
	return okReply(nil)
}

func meanIDText(id *int64) string {
	if id == nil {
		return ""
	}
	return " with id " + strconv.FormatInt(*id, 10)
}

func meanKey(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// payLocked marks the order paid and records the payment; with no delivery
// delay (Options.DeliveryAfter negative) the order is delivered at once.
func (f *Fake) payLocked(o *order, p PaymentRecord, now time.Time) {
	p.OrderID = o.id
	p.AmountUcents = o.priceUcents + taxOf(o.priceUcents)
	p.At = now
	o.paid, o.paidAt, o.payment = true, now, p
	f.payments = append(f.payments, p)
	f.undelivered = append(f.undelivered, o)
	f.log.Debug("ovhfake order paid", "order", o.id, "route", p.Route, "payment_method", p.PaymentMethodID)
	f.settleLocked(now)
}

func (f *Fake) methodByID(id int64) *PaymentMethodFixture {
	for i := range f.methods {
		if f.methods[i].ID == id {
			return &f.methods[i]
		}
	}
	return nil
}

// paymentMeanEnum maps a payment type to billing.PaymentMeanEnum, the type
// GET /me/order/{id}/payment reports.
func paymentMeanEnum(t string) string {
	switch meanKey(t) {
	case "creditcard", "domesticcard", "rupay":
		return "creditCard"
	case "paypal":
		return "paypal"
	case "sepadirectdebit", "bankaccount":
		return "withdrawal"
	case "ovhaccount", "currentaccount":
		return "ovhAccount"
	case "fidelityaccount":
		return "fidelityPoints"
	case "deferredpaymentaccount":
		return "debtAccount"
	}
	return "none"
}

// getAvailableRegisteredPaymentMean answers
// GET /me/order/{id}/availableRegisteredPaymentMean: one {paymentMean} per
// distinct type of VALID registered method (no id, as OVH).
func (f *Fake) getAvailableRegisteredPaymentMean(c *call) reply {
	if _, rep, found := f.orderParam(c); !found {
		return rep
	}
	type mean struct {
		PaymentMean string `json:"paymentMean"`
	}
	out := []mean{}
	seen := map[string]bool{}
	for _, m := range f.methods {
		if m.Status == "VALID" && !seen[m.PaymentType] {
			seen[m.PaymentType] = true
			out = append(out, mean{m.PaymentType})
		}
	}
	return okReply(out)
}

// getOrderPaymentMethods answers GET /me/order/{id}/paymentMethods:
// registered lists the VALID methods' ids, paymentMethods their objects,
// available one entry per payment type (the shape of that entry is a
// best guess; OVH does not document it).
func (f *Fake) getOrderPaymentMethods(c *call) reply {
	if _, rep, found := f.orderParam(c); !found {
		return rep
	}
	// payment.method.AvailablePaymentMethod (me.json; the doc names it only).
	type available struct {
		FormSessionID               *string `json:"formSessionId"`
		Icon                        icon    `json:"icon"`
		Integration                 string  `json:"integration"`
		MerchantID                  *string `json:"merchantId"`
		Oneshot                     bool    `json:"oneshot"`
		OrganizationID              *string `json:"organizationId"`
		PaymentSubType              *string `json:"paymentSubType"`
		PaymentType                 string  `json:"paymentType"`
		Registerable                bool    `json:"registerable"`
		RegisterableWithTransaction bool    `json:"registerableWithTransaction"`
	}
	v := struct {
		Available      []available     `json:"available"`
		PaymentMethods []paymentMethod `json:"paymentMethods"`
		Registered     []int64         `json:"registered"`
	}{Available: []available{}, PaymentMethods: []paymentMethod{}, Registered: []int64{}}
	seen := map[string]bool{}
	for _, m := range f.methods {
		if m.Status != "VALID" {
			continue
		}
		v.Registered = append(v.Registered, m.ID)
		v.PaymentMethods = append(v.PaymentMethods, f.methodView(m))
		if !seen[m.PaymentType] {
			seen[m.PaymentType] = true
			v.Available = append(v.Available, available{
				PaymentType: m.PaymentType, Integration: "NONE", Registerable: true, Icon: icon{Name: m.PaymentType},
			})
		}
	}
	return okReply(v)
}

type icon struct {
	Name string  `json:"name"`
	Data *string `json:"data"`
	URL  *string `json:"url"`
}

// paymentMethod is me.payment.PaymentMethod (GET /me/payment/method/{id}),
// and payment.method.PaymentMethod (GET /me/order/{id}/paymentMethods),
// which has the same fields.
type paymentMethod struct {
	PaymentMethodID  int64   `json:"paymentMethodId"`
	PaymentMeanID    *int64  `json:"paymentMeanId"`
	PaymentType      string  `json:"paymentType"`
	PaymentSubType   *string `json:"paymentSubType"`
	Status           string  `json:"status"`
	Default          bool    `json:"default"`
	Description      *string `json:"description"`
	Label            *string `json:"label"`
	CreationDate     string  `json:"creationDate"`
	LastUpdate       string  `json:"lastUpdate"`
	ExpirationDate   *string `json:"expirationDate"`
	BillingContactID *int64  `json:"billingContactId"`
	FormSessionID    *string `json:"formSessionId"`
	MerchantID       *string `json:"merchantId"`
	Oneclick         *bool   `json:"oneclick"`
	Icon             icon    `json:"icon"`
	Integration      string  `json:"integration"`
}

// methodCreated is when every fake payment method was registered.
var methodCreated = time.Date(2020, 1, 15, 10, 0, 0, 0, time.UTC)

func (f *Fake) methodView(m PaymentMethodFixture) paymentMethod {
	label := fmt.Sprintf("%s #%d", m.PaymentType, m.ID)
	v := paymentMethod{
		PaymentMethodID: m.ID,
		PaymentType:     m.PaymentType,
		Status:          m.Status,
		Default:         m.Default,
		Label:           &label,
		CreationDate:    f.wire.Time.instant(methodCreated),
		LastUpdate:      f.wire.Time.instant(methodCreated),
		Icon:            icon{Name: m.PaymentType},
		Integration:     "NONE",
	}
	if m.MeanID != 0 {
		id := m.MeanID
		v.PaymentMeanID = &id
	}
	return v
}

// listPaymentMethods answers GET /me/payment/method: ids ascending,
// filtered by default (true|false; anything else is a 400), status and
// paymentType when given.
func (f *Fake) listPaymentMethods(c *call) reply {
	q := c.r.URL.Query()
	var wantDefault *bool
	if v := q.Get("default"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return badRequest("Invalid parameter default: %q is not a boolean", v)
		}
		wantDefault = &b
	}
	ids := []int64{}
	for _, m := range f.methods {
		if wantDefault != nil && m.Default != *wantDefault ||
			q.Get("status") != "" && m.Status != q.Get("status") ||
			q.Get("paymentType") != "" && m.PaymentType != q.Get("paymentType") {
			continue
		}
		ids = append(ids, m.ID)
	}
	return okReply(ids)
}

// getPaymentMethod answers GET /me/payment/method/{id}.
func (f *Fake) getPaymentMethod(c *call) reply {
	id, err := strconv.ParseInt(c.params["id"], 10, 64)
	m := f.methodByID(id)
	if err != nil || m == nil {
		return notFound("paymentMethodId", c.params["id"])
	}
	return okReply(f.methodView(*m))
}
