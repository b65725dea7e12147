package ovh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// AccessRule is one rule of a consumer key: an HTTP method on an API path,
// where "*" stands for any run of characters, slashes included ("/service/*"
// grants /service/12 and /service/12/renew, but not /service itself).
type AccessRule struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Why says what renewd calls it for (docs/operations.md's table).
	Why string `json:"-"`
}

func (r AccessRule) String() string { return r.Method + " " + r.Path }

// accessRules is every route renewd calls, as consumer-key rules: the
// daemon's, and those `renewd auth` and `renewd doctor` read (GET only).
// GET /auth/time is unsigned and needs none. docs/operations.md's table
// lists the same rules, in this order (a test keeps them in step), and
// `renewd auth` asks for exactly these.
var accessRules = []AccessRule{
	{"GET", "/auth/currentCredential", "the key's own state and rules (`renewd auth` waits for its validation, `renewd doctor` checks its rules)"},
	{"GET", "/service", "inventory (ids)"},
	{"GET", "/service/*", "a service, a batch of services (`X-Ovh-Batch`), its renewal strategies and prices (`/service/{id}/renew`)"},
	{"GET", "/services", "inventory (expanded listing, 500 a page)"},
	{"GET", "/*/serviceInfos", "`renewd doctor` compares one service's `serviceInfos` expiration with the other routes'"},
	{"POST", "/service/*/renew", "price a renewal (`dryRun=true`) and create the renewal order"},
	{"GET", "/me/order", "find orders created since an intent (reconciliation)"},
	{"GET", "/me/order/*", "an order, its status, its details and their extensions"},
	{"POST", "/me/order/*/pay", "pay with a payment method id"},
	{"POST", "/me/order/*/payWithRegisteredPaymentMean", "pay with a registered mean (fidelityAccount, ovhAccount...)"},
	{"GET", "/me/payment/method", "find the default payment method (`payment: {default: true}`); `renewd doctor` looks a registered mean up"},
	{"GET", "/me/payment/method/*", "`renewd doctor` checks that a policy's payment method exists and is valid"},
}

// AccessRules returns the consumer-key rules renewd needs, a fresh copy.
func AccessRules() []AccessRule { return slices.Clone(accessRules) }

// Credential is the consumer key's own record (api.Credential, GET
// /auth/currentCredential).
type Credential struct {
	ID     int64
	Status string // validated, pendingValidation, refused, expired (auth.CredentialStateEnum)
	Rules  []AccessRule
	// Expires is when the key stops working; zero when it does not expire
	// (or OVH gives no date renewd can read).
	Expires    time.Time
	AllowedIPs []string
}

// CredentialValidated is the Status of a key that works.
const CredentialValidated = "validated"

type wireCredential struct {
	AllowedIPs   []string     `json:"allowedIPs"`
	CredentialID int64        `json:"credentialId"`
	Expiration   *string      `json:"expiration"`
	Rules        []AccessRule `json:"rules"`
	Status       string       `json:"status"`
}

// CurrentCredential reads the consumer key's own record (GET
// /auth/currentCredential), retried as every GET. A key not validated yet,
// refused or revoked is answered 403 by OVH (INVALID_CREDENTIAL, see
// IsInvalidCredential); whether OVH also wants a rule for this route is
// unconfirmed, so a 403 NOT_GRANTED_CALL (IsNotGranted) means a key that
// works but may not read itself. Its errors carry OVH's errorCode for
// those functions.
func (c *Client) CurrentCredential(ctx context.Context) (Credential, error) {
	a, err := c.getAnswer(ctx, "GET /auth/currentCredential", "/auth/currentCredential", nil)
	if err != nil {
		return Credential{}, fmt.Errorf("read the consumer key's record: %w", &codedError{code: errorCodeOf(a), err: err})
	}
	var w wireCredential
	if err := json.Unmarshal(a.body, &w); err != nil {
		return Credential{}, fmt.Errorf("read the consumer key's record: decode GET /auth/currentCredential: %w", jsonError{err})
	}
	cr := Credential{ID: w.CredentialID, Status: w.Status, Rules: w.Rules, AllowedIPs: w.AllowedIPs}
	if w.Expiration != nil && *w.Expiration != "" {
		if t, err := time.Parse(time.RFC3339, *w.Expiration); err == nil {
			cr.Expires = t
		}
	}
	for i := range cr.Rules {
		cr.Rules[i].Method = strings.ToUpper(cr.Rules[i].Method)
	}
	return cr, nil
}

// codedError is an error answer with OVH's errorCode (the legacy body
// {"errorCode": ..., "message": ...} OVH sends for credential errors,
// ovh-api.md §5), which go-ovh's APIError does not keep.
type codedError struct {
	code string
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// errorCodeOf reads the errorCode of an error answer's body; "" when none.
func errorCodeOf(a answer) string {
	var body struct {
		ErrorCode string `json:"errorCode"`
	}
	if json.Unmarshal(a.body, &body) != nil {
		return ""
	}
	return body.ErrorCode
}

// IsInvalidCredential reports whether err, from CurrentCredential, is
// OVH's answer to a consumer key it does not take: 403 INVALID_CREDENTIAL
// ("This credential is not valid": pending validation, refused, expired or
// revoked).
func IsInvalidCredential(err error) bool { return hasErrorCode(err, "INVALID_CREDENTIAL") }

// IsNotGranted reports whether err, from CurrentCredential, is OVH's
// answer to a call the consumer key's rules do not grant: 403
// NOT_GRANTED_CALL ("This call has not been granted").
func IsNotGranted(err error) bool { return hasErrorCode(err, "NOT_GRANTED_CALL") }

// IsInvalidKey reports whether err, from CurrentCredential, is OVH's
// answer to an unknown application key: 403 INVALID_KEY.
func IsInvalidKey(err error) bool { return hasErrorCode(err, "INVALID_KEY") }

// IsInvalidSignature reports whether err, from CurrentCredential, is OVH's
// answer to a request signed with another application secret:
// INVALID_SIGNATURE.
func IsInvalidSignature(err error) bool { return hasErrorCode(err, "INVALID_SIGNATURE") }

// IsForbidden reports whether err carries a 403 answer from OVH: a key
// that does not grant the call (its rules, or IAM), or that is not valid.
func IsForbidden(err error) bool { return isStatus(err, http.StatusForbidden) }

func hasErrorCode(err error, code string) bool {
	var ce *codedError
	return errors.As(err, &ce) && ce.code == code
}
