package slack

import (
	"context"
	"errors"
	"net/http"

	slackapi "github.com/slack-go/slack"

	"github.com/renewd/renewd/internal/notify"
)

// apiError is a failed Slack call, with every token redacted from its
// text. It does not wrap slack-go's error, so that nothing can print the
// original; Code keeps Slack's error code ("message_not_found") and Status
// the HTTP status (0 when there was no HTTP answer).
type apiError struct {
	Call   string
	Code   string
	Status int
	text   string
	ctxErr error // context.Canceled or DeadlineExceeded when the call ran out of time
}

func (e *apiError) Error() string { return "slack " + e.Call + ": " + e.text }
func (e *apiError) Unwrap() error { return e.ctxErr }

// transientCodes are the Slack error codes (HTTP 200, "ok": false) that a
// later try may not get: Slack's own trouble. Every other code is about
// the request, the channel or the credentials, and a retry gets it again
// (invalid_blocks, msg_too_long, msg_blocks_too_long, not_in_channel,
// is_archived, channel_not_found, invalid_auth, account_inactive,
// token_revoked, missing_scope, restricted_action, and codes Slack adds
// later): those are permanent, and the report is parked where the
// operator sees it rather than retried for ever.
var transientCodes = map[string]bool{
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
	"ratelimited":         true,
	"rate_limited":        true,
	"team_added_to_org":   true, // a workspace migrating: "intermittently unavailable"
}

// transientStatus reports whether an HTTP status other than 200 may pass:
// 5xx, 429, 408 (and 1xx/3xx, which no Slack method answers: a proxy's
// doing). Any other 4xx is permanent, 404 among them (a method or an API
// URL that does not exist).
func transientStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code < 400
}

// callError turns a slack-go error into an error safe to log, classified
// for the drainer: a 429 becomes a *notify.RetryAfterError (its
// Retry-After, or notify.MinRetryAfter without one), a refusal no retry
// can change a *notify.PermanentError around an *apiError, and anything
// else (5xx, network, a timeout, an answer that does not parse) a plain
// *apiError, retried with backoff. It returns nil for nil.
func (c *Client) callError(call string, err error) error {
	if err == nil {
		return nil
	}
	e := &apiError{Call: call, text: c.redact(err.Error())}
	for _, ce := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, ce) {
			e.ctxErr = ce
		}
	}
	var slackErr slackapi.SlackErrorResponse
	var status slackapi.StatusCodeError
	var limited *slackapi.RateLimitedError
	switch {
	case errors.As(err, &limited):
		e.Status = http.StatusTooManyRequests
		e.text = "rate limited"
		return &notify.RetryAfterError{After: limited.RetryAfter, Err: e}
	case errors.As(err, &slackErr):
		e.Code = slackErr.Err
		if !transientCodes[e.Code] {
			return notify.Permanent(e)
		}
	case errors.As(err, &status):
		e.Status = status.Code
		if status.Code == http.StatusTooManyRequests {
			return &notify.RetryAfterError{After: notify.MinRetryAfter, Err: e}
		}
		if !transientStatus(status.Code) {
			return notify.Permanent(e)
		}
	}
	return e
}

// slackCode returns the Slack error code of an error from callError, or "".
func slackCode(err error) string {
	var e *apiError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
