package renewd

import "fmt"

// PaymentForm says how an order is paid. Exactly one form is set:
//   - MethodID: POST /me/order/{id}/pay with this payment method (the current API);
//   - Mean (with MeanID where OVH needs one): POST /me/order/{id}/payWithRegisteredPaymentMean;
//   - Default: the account's default payment method (GET /me/payment/method?default=true).
type PaymentForm struct {
	MethodID int64
	Mean     string
	MeanID   int64
	Default  bool
}

// String describes the form for reports; it holds no secret.
func (p PaymentForm) String() string {
	switch {
	case p.MethodID != 0:
		return fmt.Sprintf("payment method %d", p.MethodID)
	case p.Mean != "" && p.MeanID != 0:
		return fmt.Sprintf("%s %d", p.Mean, p.MeanID)
	case p.Mean != "":
		return p.Mean
	case p.Default:
		return "default payment method"
	default:
		return "no payment form"
	}
}

// IsZero reports whether no form is set.
func (p PaymentForm) IsZero() bool { return p == PaymentForm{} }
