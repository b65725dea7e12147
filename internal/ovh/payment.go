package ovh

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/renewd/renewd"
)

// payWithMethod is the body of POST /me/order/{id}/pay.
type payWithMethod struct {
	PaymentMethod struct {
		ID int64 `json:"id"`
	} `json:"paymentMethod"`
}

// payWithMean is the body of POST /me/order/{id}/payWithRegisteredPaymentMean.
type payWithMean struct {
	PaymentMean   string `json:"paymentMean"`
	PaymentMeanID int64  `json:"paymentMeanId,omitempty"`
}

// Pay pays an order with the given form:
//   - MethodID: POST /me/order/{id}/pay {"paymentMethod":{"id":N}};
//   - Mean: POST /me/order/{id}/payWithRegisteredPaymentMean
//     {"paymentMean":m,"paymentMeanId":id}, the id left out when 0;
//   - Default: the account's default payment method (DefaultPaymentMethod),
//     then /pay.
//
// It is NEVER retried. When OVH refused (4xx), the error wraps ErrRejected
// and nothing was paid. When the outcome is unknown (timeout, cut connection,
// ctx ended while waiting for the answer, 5xx), the error wraps
// ErrUnknownOutcome: the caller reads OrderStatus and pays again only if the
// order is still notPaid. Any other error means the payment request was
// never sent.
func (c *Client) Pay(ctx context.Context, orderID int64, form renewd.PaymentForm) error {
	var route, path string
	var body any
	switch {
	case form.MethodID != 0:
		route, path, body = payMethodRoute(orderID, form.MethodID)
	case form.Mean != "":
		route = "POST /me/order/{id}/payWithRegisteredPaymentMean"
		path = fmt.Sprintf("/me/order/%d/payWithRegisteredPaymentMean", orderID)
		body = payWithMean{PaymentMean: form.Mean, PaymentMeanID: form.MeanID}
	case form.Default:
		id, err := c.DefaultPaymentMethod(ctx)
		if err != nil {
			return fmt.Errorf("pay order %d: %w", orderID, err)
		}
		route, path, body = payMethodRoute(orderID, id)
		form.MethodID = id
	default:
		return fmt.Errorf("pay order %d: no payment form given", orderID)
	}
	a, oc, err := c.send(ctx, http.MethodPost, route, path, body, nil)
	if err != nil {
		return fmt.Errorf("pay order %d with %s: %w", orderID, form, movingError(oc, a, err))
	}
	// The renewal cycle logs the same event with the service's name.
	c.log.Debug("ovh order paid", "account", c.account, "order_id", orderID, "with", form.String())
	return nil
}

func payMethodRoute(orderID, methodID int64) (route, path string, body any) {
	var b payWithMethod
	b.PaymentMethod.ID = methodID
	return "POST /me/order/{id}/pay", fmt.Sprintf("/me/order/%d/pay", orderID), b
}

// ErrNoDefaultPaymentMethod is returned when the account has no default
// payment method.
var ErrNoDefaultPaymentMethod = errors.New("the account has no default payment method")

// DefaultPaymentMethod returns the id of the account's default payment
// method (GET /me/payment/method?default=true), or an error wrapping
// ErrNoDefaultPaymentMethod when there is none.
func (c *Client) DefaultPaymentMethod(ctx context.Context) (int64, error) {
	var ids []int64
	if _, err := c.get(ctx, "GET /me/payment/method", "/me/payment/method?default=true", nil, &ids); err != nil {
		return 0, fmt.Errorf("find the default payment method: %w", err)
	}
	if len(ids) == 0 {
		return 0, fmt.Errorf("find the default payment method: %w", ErrNoDefaultPaymentMethod)
	}
	return ids[0], nil
}
