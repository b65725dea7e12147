package ovh

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/ovh/go-ovh/ovh"
)

// ErrUnknownOutcome marks a money-moving call (CreateRenewOrder, Pay) whose
// request may have reached OVH but whose answer was lost: a timeout, a cut
// connection, the context ending, a 5xx or an unreadable success. The caller
// must reconcile (FindRenewOrder, OrderStatus), never retry blind.
var ErrUnknownOutcome = errors.New("outcome unknown: the request may have been carried out")

// ErrRejected marks a call that OVH refused with a 4xx answer: nothing was
// created or paid.
var ErrRejected = errors.New("rejected by ovh")

// IsNotFound reports whether err carries an OVH 404 answer.
func IsNotFound(err error) bool {
	var apiErr *ovh.APIError
	return errors.As(err, &apiErr) && apiErr.Code == http.StatusNotFound
}

// movingError classifies the failure of a call that moves money or creates
// an order (CreateRenewOrder, Pay):
//   - not sent: the error as is (nothing reached OVH; safe to try again later);
//   - a 4xx answer other than 408: ErrRejected (OVH refused; nothing done);
//   - anything else (no answer, 408, 5xx, an unreadable success):
//     ErrUnknownOutcome. A 408 may come from a proxy after the request went
//     through, so it is not taken as a refusal.
func movingError(oc outcome, a answer, err error) error {
	switch {
	case oc == notSent:
		return err
	case oc == answered && a.status >= 400 && a.status < 500 && a.status != http.StatusRequestTimeout:
		return fmt.Errorf("%w: %w", ErrRejected, err)
	default:
		return fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
	}
}

// isStatus reports whether err carries an OVH answer with one of the codes.
func isStatus(err error, codes ...int) bool {
	var apiErr *ovh.APIError
	return errors.As(err, &apiErr) && slices.Contains(codes, apiErr.Code)
}
